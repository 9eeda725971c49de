"""Drawing maps: a plain description of what to draw, then one self-contained HTML page.

:func:`describe` decides what is drawn (a frozen :class:`Drawing`, plain data
that tests read without a browser); :func:`to_html` turns a drawing into one
HTML page that needs no network; :func:`to_image` into a PNG or SVG picture;
:func:`to_svg` into the light view a notebook shows (an SVG with no script);
:func:`render` does it all and writes the file atomically.

Examples
--------
>>> import tempfile, pathlib
>>> import ecograph
>>> eco = ecograph.loads('''
... ecograph: 1
... name: tiny
... nodes:
...   users: {kind: pool, inflow: 100, users: 1000}
...   shop:  {kind: partner, outflow: 100}
... pipes:
...   - {from: users, to: shop, volume: 100}
... ''')
>>> drawing = describe(eco)
>>> [(e.source, e.target, e.currency) for e in drawing.edges]
[('users', 'shop', 'traffic')]
>>> out = render(eco, pathlib.Path(tempfile.mkdtemp()) / "tiny.html")
>>> out.format, len(out.drawing.nodes)
('html', 2)
"""

from ecograph.render.describe import DEFAULT_MAX_NODES, describe
from ecograph.render.drawing import Drawing, DrawnEdge, DrawnNode, Fold, Group, LegendEntry
from ecograph.render.html import to_html
from ecograph.render.output import FORMATS, Embedded, Rendered, frame, render, repr_html
from ecograph.render.svg import to_svg


def to_image(drawing: Drawing, fmt: str = "png") -> bytes:
    """Draw a drawing as PNG or SVG bytes (see :func:`ecograph.render.static.to_image`)."""
    from ecograph.render.static import to_image as draw

    return draw(drawing, fmt)


__all__ = [
    "DEFAULT_MAX_NODES",
    "FORMATS",
    "Drawing",
    "DrawnEdge",
    "DrawnNode",
    "Embedded",
    "Fold",
    "Group",
    "LegendEntry",
    "Rendered",
    "describe",
    "frame",
    "render",
    "repr_html",
    "to_html",
    "to_image",
    "to_svg",
]
