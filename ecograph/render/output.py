"""Writing a map's drawing to a file: HTML page, PNG or SVG; and showing it in Jupyter.

The file is written whole to a temporary file beside the target and moved into
place (:func:`ecograph._io.write_atomic`): a failure leaves any previous file
as it was. The map itself is only read.

In a notebook a map, and the result of :func:`render`, show as the light view
(:func:`ecograph.render.svg.to_svg`: a few tens of KB of SVG, no script), not
the interactive page, which would put its drawing library (about 600 KB) into
every cell that shows a map. :meth:`Rendered.show` embeds the written file
itself, for those who want the interactive page inline.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ecograph._io import check_output, write_atomic
from ecograph._suggest import did_you_mean
from ecograph.errors import UsageError
from ecograph.model import Ecosystem, register_view
from ecograph.render.describe import DEFAULT_MAX_NODES, describe
from ecograph.render.drawing import Drawing
from ecograph.render.html import to_html
from ecograph.render.svg import to_svg

__all__ = ["FORMATS", "Embedded", "Rendered", "frame", "render", "repr_html"]

FORMATS = ("html", "png", "svg")


@dataclass(frozen=True)
class Embedded:
    """HTML that a notebook shows as it is (what :meth:`Rendered.show` returns).

    Attributes
    ----------
    html : str
    """

    html: str

    def _repr_html_(self) -> str:
        return self.html


@dataclass(frozen=True)
class Rendered:
    """The file :func:`render` wrote. Path-like; Jupyter shows the light view of the map.

    Attributes
    ----------
    path : pathlib.Path
    format : {"html", "png", "svg"}
    drawing : Drawing
        What was drawn.
    """

    path: Path
    format: str
    drawing: Drawing

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def __str__(self) -> str:
        return str(self.path)

    def __repr__(self) -> str:
        d = self.drawing
        return (
            f"<Rendered {self.format} {str(self.path)!r}: {len(d.nodes)} nodes, "
            f"{len(d.edges)} pipes drawn>"
        )

    def _repr_html_(self) -> str:
        if self.format == "html":
            footer = f"Interactive page (open it in a browser, or .show() it here): {self.path}"
        else:
            footer = f"Picture: {self.path} (.show() shows it here)"
        return to_svg(self.drawing, footer=footer)

    def show(self, *, height: int = 640) -> Embedded:
        """The written file itself, inline in a notebook: the interactive page, or the picture.

        The page goes into a sandboxed frame (see :func:`frame`); it carries
        its drawing library, so the notebook grows by the page's size (about
        600 KB) each time. Displaying the :class:`Rendered` itself shows the
        light view instead.

        Parameters
        ----------
        height : int, default 640
            Height of the page's frame, in pixels.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from ecograph.model import Ecosystem, Node
        >>> out = render(Ecosystem("m", nodes={"a": Node("a", "pool")}),
        ...              pathlib.Path(tempfile.mkdtemp()) / "m.html")
        >>> out.show()._repr_html_().startswith('<iframe sandbox="allow-scripts"')
        True
        """
        return Embedded(frame(self.path.read_bytes(), self.format, height=height))


def frame(content: bytes, fmt: str = "html", *, height: int = 640) -> str:
    """HTML that shows a rendered file inside a notebook cell.

    A page goes into a sandboxed ``<iframe srcdoc>`` (scripts run, but in an
    origin of their own: they cannot touch the notebook); a picture into an
    ``<img>`` with a data URL (an SVG shown by ``<img>`` runs no script).

    Examples
    --------
    >>> frame(b"<p>a & b</p>")[:60]
    '<iframe sandbox="allow-scripts" style="width:100%;height:640'
    >>> frame(b"\\x89PNG", "png")
    '<img alt="ecosystem map" src="data:image/png;base64,iVBORw==">'
    """
    if fmt == "html":
        doc = html.escape(content.decode("utf-8"), quote=True)
        return (
            f'<iframe sandbox="allow-scripts" style="width:100%;height:{height}px;'
            f'border:1px solid #d0d7de" srcdoc="{doc}"></iframe>'
        )
    mime = "image/svg+xml" if fmt == "svg" else "image/png"
    data = base64.b64encode(content).decode("ascii")
    return f'<img alt="ecosystem map" src="data:{mime};base64,{data}">'


def render(
    eco: Ecosystem,
    path: str | os.PathLike[str],
    *,
    size_by: str = "users",
    highlight: str | None = None,
    to: str | None = None,
    collapse: Iterable[str] = (),
    depth: int | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    layout: str = "auto",
    view: str = "map",
    currency: str | None = None,
    format: str = "html",
) -> Rendered:
    """Draw a map and write it to a file: an interactive page, or a static picture.

    Parameters
    ----------
    eco : Ecosystem
        The map (only read).
    path : str or path-like
        The file to write. Its directory must exist; an existing file is
        replaced only once the new one is complete.
    size_by, highlight, to, collapse, depth, max_nodes, layout, view, currency
        What to draw, as for :func:`ecograph.render.describe`. ``view="sankey"``
        opens the page on the Sankey view of ``currency``'s flows.
    format : {"html", "png", "svg"}, default "html"
        ``html``: one self-contained page (works offline, from ``file://``);
        ``png`` / ``svg``: a static drawing of the same map (of its Sankey view
        with ``view="sankey"``), with matplotlib.

    Returns
    -------
    Rendered
        Path-like; Jupyter shows the light view of the map and the file's
        path; :meth:`Rendered.show` shows the file itself.

    Raises
    ------
    UsageError
        For an unknown option value, node or metric, or an output that
        :func:`ecograph._io.check_output` refuses (a file of the map, a
        directory, a device, a missing directory).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> eco = Ecosystem("m", nodes={"a": Node("a", "pool"), "b": Node("b", "partner")},
    ...                 pipes=(Pipe("a->b:traffic", "a", "b", volume=1.0),))
    >>> out = render(eco, pathlib.Path(tempfile.mkdtemp()) / "m.html")
    >>> out.path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    True
    """
    if format not in FORMATS:
        raise UsageError(
            f"unknown format {format!r}{did_you_mean(format, FORMATS)}; "
            f"expected one of {', '.join(FORMATS)}"
        )
    target = Path(path)
    check_output(target, eco.files)
    drawing = describe(
        eco,
        size_by=size_by,
        highlight=highlight,
        to=to,
        collapse=collapse,
        depth=depth,
        max_nodes=max_nodes,
        layout=layout,
        view=view,
        currency=currency,
    )
    if format == "html":
        content = to_html(drawing).encode("utf-8")
    else:
        from ecograph.render.static import to_image

        content = to_image(drawing, format)
    write_atomic(target, content, inputs=eco.files)
    return Rendered(target, format, drawing)


def repr_html(eco: Ecosystem) -> str:
    """The map as a notebook shows it: its light view, an inline SVG with no script.

    For ``Ecosystem._repr_html_``: a few tens of KB per cell instead of the
    page's 600 KB or more (see :func:`ecograph.render.svg.to_svg`). The
    interactive page is one call away: ``ecograph.render(eco, "map.html")``,
    then ``.show()`` on the result to embed it.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node
    >>> view = repr_html(Ecosystem("m", nodes={"a": Node("a", "pool")}))
    >>> view.startswith("<svg"), "<script" in view
    (True, False)
    """
    return to_svg(describe(eco))


register_view("html", repr_html)
