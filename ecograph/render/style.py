"""How each thing looks: colours and shapes per node kind, line styles per currency, scales.

One table per encoding, shared by the HTML page and the static picture, so the
two draw the same map the same way. Colours are the Okabe-Ito palette (told
apart with common colour-blindness); every kind also has its own shape and every
currency its own dash pattern, so nothing relies on colour alone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "BLOCKED_COLOR",
    "BOTTLENECK_COLOR",
    "CURRENCY_STYLES",
    "DIMMED",
    "EMPTY_COLOR",
    "FOLD_STYLE",
    "KIND_STYLES",
    "CurrencyStyle",
    "KindStyle",
    "compact",
    "scale_sizes",
    "scale_widths",
]


@dataclass(frozen=True, slots=True)
class KindStyle:
    """Look of one node kind.

    Attributes
    ----------
    color : str
        Fill colour, ``#rrggbb``.
    shape : str
        A vis-network shape whose label sits outside it (so ``size`` applies).
    marker : str
        The matplotlib marker of the same shape.
    default_size : float
        Size of a node that has no value for the size metric.
    """

    color: str
    shape: str
    marker: str
    default_size: float


@dataclass(frozen=True, slots=True)
class CurrencyStyle:
    """Look of the pipes of one currency.

    Attributes
    ----------
    color : str
    dashes : tuple of float
        Dash and gap lengths in pixels; empty for a solid line.
    """

    color: str
    dashes: tuple[float, ...]


KIND_STYLES: Mapping[str, KindStyle] = {
    "platform": KindStyle("#0072B2", "hexagon", "h", 26.0),
    "sub-ecosystem": KindStyle("#CC79A7", "square", "s", 20.0),
    "partner": KindStyle("#009E73", "dot", "o", 11.0),
    "pool": KindStyle("#56B4E9", "triangleDown", "v", 14.0),
    "channel": KindStyle("#E69F00", "diamond", "D", 12.0),
    "producer": KindStyle("#D55E00", "triangle", "^", 11.0),
    "fund": KindStyle("#F0E442", "star", "*", 14.0),
}
#: Look of a summary node standing for a group's folded long tail.
FOLD_STYLE = KindStyle("#9E9E9E", "dot", "o", 16.0)

CURRENCY_STYLES: Mapping[str, CurrencyStyle] = {
    "traffic": CurrencyStyle("#4C72B0", ()),
    "capital": CurrencyStyle("#B8860B", (12.0, 6.0)),
    "goods": CurrencyStyle("#8C564B", (3.0, 5.0)),
    "data": CurrencyStyle("#7B4FA0", (14.0, 4.0, 3.0, 4.0)),
}
#: Colour of a blocked pipe (also drawn with a bar across its middle).
BLOCKED_COLOR = "#D62728"
#: Colour of a pipe on the minimum cut, with ``highlight="bottlenecks"``.
BOTTLENECK_COLOR = "#FF1F8E"
#: Colour of an empty pipe while its mark is on (``highlight="empty"``).
EMPTY_COLOR = "#17BECF"
#: Opacity of what is not highlighted while a mark is on (page and picture).
DIMMED = 0.15

MIN_SIZE, MAX_SIZE = 8.0, 48.0
MIN_WIDTH, MAX_WIDTH = 1.0, 12.0


def scale_sizes(values: Mapping[str, float | None]) -> dict[str, float | None]:
    """Node sizes from metric values: area proportional to value.

    Parameters
    ----------
    values : mapping of id to float or None
        The size metric per node; None (no value) gives None (the caller uses
        the kind's default size). Negative values count as 0.

    Returns
    -------
    dict
        Size (vis-network radius units) in ``[MIN_SIZE, MAX_SIZE]``; the largest
        value gets ``MAX_SIZE``.

    Examples
    --------
    >>> scale_sizes({"a": 100.0, "b": 25.0, "c": 0.0, "d": None})
    {'a': 48.0, 'b': 28.0, 'c': 8.0, 'd': None}
    """
    top = max((v for v in values.values() if v is not None and v > 0), default=0.0)
    out: dict[str, float | None] = {}
    for key, value in values.items():
        if value is None:
            out[key] = None
        elif top <= 0 or value <= 0:
            out[key] = MIN_SIZE
        else:
            out[key] = round(MIN_SIZE + (MAX_SIZE - MIN_SIZE) * math.sqrt(value / top), 3)
    return out


def scale_widths(volumes: Iterable[tuple[str, float | None]]) -> list[float]:
    """Pipe widths from volumes, scaled per currency (currencies are never compared).

    Parameters
    ----------
    volumes : iterable of (currency, volume or None)

    Returns
    -------
    list of float
        One width per input, in ``[MIN_WIDTH, MAX_WIDTH]``, growing with the
        square root of volume / (largest volume of the same currency).

    Examples
    --------
    >>> scale_widths([("traffic", 400.0), ("traffic", 100.0), ("capital", 1.0), ("data", None)])
    [12.0, 6.5, 12.0, 1.0]
    """
    items = list(volumes)
    top: dict[str, float] = {}
    for currency, volume in items:
        if volume is not None and volume > top.get(currency, 0.0):
            top[currency] = volume
    out = []
    for currency, volume in items:
        if volume is None or volume <= 0 or top.get(currency, 0.0) <= 0:
            out.append(MIN_WIDTH)
        else:
            ratio = math.sqrt(volume / top[currency])
            out.append(round(MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * ratio, 3))
    return out


_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def compact(value: float | None) -> str:
    """A short number for labels: 2.5M, 130k, 42, 0.35.

    Examples
    --------
    >>> [compact(v) for v in (2_500_000, 130_400, 42, 0.354, 1e9, None)]
    ['2.5M', '130k', '42', '0.354', '1B', '-']
    """
    if value is None or not math.isfinite(value):
        return "-"
    for bound, suffix in _SUFFIXES:
        if abs(value) >= bound:
            return f"{value / bound:.3g}{suffix}"
    return f"{value:.3g}" if value != int(value) else f"{int(value)}"
