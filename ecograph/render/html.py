"""A :class:`~ecograph.render.drawing.Drawing` to one self-contained HTML page.

Why not pyvis's own ``Network.write_html``: with pyvis 0.3.2 its template
links bootstrap from a CDN even with ``cdn_resources="in_line"``, inserts node
titles as HTML (a map from a stranger could run script) and ``from_nx``
mutates the caller's graph. ecograph is built on the vis-network build that
pyvis ships (vendored unchanged in ``assets/``, see ``assets/NOTICE``) and
writes its own small page around it:

* every script and style is inlined; a Content-Security-Policy allows no
  network access at all and runs only the page's own scripts (by hash);
* the drawing is embedded as JSON in ``<script type="application/json">``
  with ``<``, ``>``, ``&``, U+2028 and U+2029 escaped, read with
  ``JSON.parse``, and every user string reaches the page as text.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
import re
from importlib import resources
from typing import Any

from ecograph.render import style
from ecograph.render.drawing import Drawing
from ecograph.render.sankey import page_data

__all__ = ["embed_json", "to_html"]

_MARKER = re.compile(r"\{\{(\w+)\}\}")
_JSON_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


@functools.cache
def _asset(name: str) -> str:
    return (resources.files("ecograph.render") / "assets" / name).read_text(encoding="utf-8")


def embed_json(data: Any) -> str:
    """JSON text that is safe inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` only occur inside JSON strings, where their
    ``\\uXXXX`` escapes mean the same to ``JSON.parse``; so no ``</script>`` or
    ``<!--`` can end or change the element. U+2028/2029 are escaped too.

    Examples
    --------
    >>> embed_json({"label": "</script><b>&"})
    '{"label":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026"}'
    >>> json.loads(embed_json({"label": "</script>"}))["label"]
    '</script>'
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.translate(_JSON_ESCAPES)


def _hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _fill(template: str, values: dict[str, str]) -> str:
    # one pass: text put in is never scanned for markers again
    return _MARKER.sub(lambda m: values[m.group(1)], template)


def to_html(drawing: Drawing, *, embedded: bool = False, live: int | None = None) -> str:
    """The page of a drawing: one HTML document that needs nothing else.

    Parameters
    ----------
    drawing : Drawing
        From :func:`ecograph.render.describe`.
    embedded : bool, default False
        For a page shown inside another (a report, a notebook) that already
        gives the map's title: the page leaves out its own title block.
    live : int, optional
        The generation of a page served by ``render --watch``
        (:mod:`ecograph.render.watch`): served over http, the page may ask its
        own server for the current generation and reloads when it changed.

    Returns
    -------
    str
        The HTML text. The same drawing always gives the same text.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node
    >>> from ecograph.render import describe
    >>> page = to_html(describe(Ecosystem("m", title="<b>Hi</b>", nodes={"a": Node("a", "pool")})))
    >>> "<title>&lt;b&gt;Hi&lt;/b&gt;</title>" in page
    True
    >>> re.findall(r'(?:src|href)="([^"]*)"', page)  # nothing is loaded from anywhere
    ['data:,']
    """
    from ecograph._version import __version__

    vis = _asset("vis-network.min.js")
    page = _asset("page.js")
    sankey = _asset("sankey.js")
    for name, script in (("vis-network.min.js", vis), ("page.js", page), ("sankey.js", sankey)):
        if "</script" in script.lower() or "<!--" in script:
            raise RuntimeError(f"asset {name} cannot be inlined in a <script> element")
    csp = "; ".join(
        [
            "default-src 'none'",
            f"script-src {_hash(vis)} {_hash(page)} {_hash(sankey)}",
            "style-src 'unsafe-inline'",
            "img-src data:",
            *(["connect-src 'self'"] if live is not None else []),
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    data = drawing.to_dict()
    data["colors"] = {
        "blocked": style.BLOCKED_COLOR,
        "bottleneck": style.BOTTLENECK_COLOR,
        "empty": style.EMPTY_COLOR,
        "dimmed": style.DIMMED,
    }
    data["embedded"] = embedded
    data["live"] = live
    data["sankey"] = page_data(drawing)
    return _fill(
        _asset("page.html"),
        {
            "csp": csp,
            "version": __version__,
            "title": html.escape(drawing.title, quote=True),
            "css": _asset("page.css"),
            "data": embed_json(data),
            "vis": vis,
            "page": page,
            "sankey": sankey,
        },
    )
