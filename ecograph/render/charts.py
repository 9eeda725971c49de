"""Charts of analysis results (the long tail as a Pareto chart or a Lorenz curve).

Charts live with the renderer: the analyses return plain results and know
nothing of matplotlib; this module draws them.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

import numpy as np

from ecograph.analysis.longtail import LongTail
from ecograph.errors import UsageError
from ecograph.render.static import picture_style, save_picture

__all__ = ["CHART_FORMATS", "CHART_SIZE", "CHART_STYLES", "chart"]

#: Image formats :func:`chart` writes.
CHART_FORMATS: tuple[str, ...] = ("png", "svg")
#: Chart styles :func:`chart` draws.
CHART_STYLES: tuple[str, ...] = ("pareto", "lorenz")
#: Above this many nodes the Pareto chart draws one bar per rank bin, not per node.
BAR_LIMIT = 60
#: Number of bins the Pareto chart draws for many nodes.
BINS = 50
#: Chart size in pixels (width, height).
CHART_SIZE: tuple[int, int] = (1200, 720)
_DPI = 150


def _pct(share: float) -> str:
    return "n/a" if math.isnan(share) else f"{100 * share:.1f}%"


def chart(
    result: LongTail,
    fmt: str = "svg",
    *,
    style: str = "pareto",
    title: str | None = None,
) -> bytes:
    """Draw a long tail as a Pareto chart or a Lorenz curve, as PNG or SVG bytes.

    Pareto: bars of the sorted traffic (largest left) with the cumulative share
    on a second axis, the top-20% boundary and the 80% level marked. Above
    :data:`BAR_LIMIT` nodes the bars are :data:`BINS` rank bins, each as high as
    the mean traffic of its nodes, so 100,000 nodes draw as fast as 100.
    Lorenz: cumulative share of nodes (smallest first) against cumulative share
    of traffic, with the line of equality; the Gini is in the legend.

    Labels are drawn as text by matplotlib (escaped in SVG, glyphs as paths), so
    a label can never become markup. The SVG is deterministic (fixed hash salt,
    no date). The image is :data:`CHART_SIZE` pixels (PNG) or the same at 150 dpi.

    Parameters
    ----------
    result : LongTail
        From :func:`longtail`.
    fmt : {"svg", "png"}
    style : {"pareto", "lorenz"}
    title : str, optional
        Chart title (default: the map's title, currency and period).

    Returns
    -------
    bytes
        The image file's content.

    Raises
    ------
    UsageError
        Unknown ``fmt`` or ``style``.

    Examples
    --------
    >>> lt = LongTail({"a": 3.0, "b": 1.0}, 4.0, 0.25, 0.75, 1, 0.25)
    >>> chart(lt, "png")[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    >>> b"<svg" in chart(lt, "svg", style="lorenz")
    True
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if fmt not in CHART_FORMATS:
        raise UsageError(f"chart(): fmt must be one of {', '.join(CHART_FORMATS)}, not {fmt!r}")
    if style not in CHART_STYLES:
        raise UsageError(f"chart(): style must be one of {', '.join(CHART_STYLES)}, not {style!r}")
    heading = _printable(
        title or f"{result.title or 'Long tail'}: {result.kind} per {result.period}"
    )
    with picture_style():
        width, height = CHART_SIZE
        fig = Figure(figsize=(width / _DPI, height / _DPI), dpi=_DPI, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        if style == "pareto":
            _pareto(ax, result)
        else:
            _lorenz(ax, result)
        ax.set_title(heading, fontsize=11)
        return save_picture(fig, fmt, dpi=_DPI)


def _who(result: LongTail) -> str:
    return " and ".join(f"{k}s" for k in result.kinds)


def _pareto(ax: Any, result: LongTail) -> None:
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    x = np.fromiter(result.values.values(), float, count=result.n)
    n = x.size
    total = result.total
    bar_color, line_color, mark_color = "#4c78a8", "#e45756", "#54a24b"
    if n <= BAR_LIMIT:
        ax.bar(np.arange(1, n + 1), x, width=0.8, color=bar_color, label=f"{result.kind} per node")
        ax.set_xticks(np.arange(1, n + 1))
        labels = [_short(result.labels.get(k, k)) for k in result.values]
        ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=7 if n > 20 else 8)
        ax.set_xlim(0.4, n + 0.6)
    else:
        edges = np.unique(np.linspace(0, n, BINS + 1).round().astype(int))
        sums = np.add.reduceat(x, edges[:-1])
        sizes = np.diff(edges)
        ax.bar(
            edges[:-1] + 0.5,
            sums / sizes,
            width=sizes,
            align="edge",
            color=bar_color,
            edgecolor="white",
            linewidth=0.3,
            label=f"mean {result.kind} per node, {len(sizes)} rank bins",
        )
        ax.set_xlim(0.5, n + 0.5)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.set_xlabel(f"{_who(result)} ranked by {result.kind}, largest first ({n:,} nodes)")
    ax.set_ylabel(f"{result.kind} received per {result.period}")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 10 else f"{v:g}"))
    ax.set_ylim(bottom=0)
    k = result.top20_count
    ax.axvline(k + 0.5, color=mark_color, linestyle="--", linewidth=1.2)
    ax2 = ax.twinx()
    if total > 0:
        if n <= BAR_LIMIT:  # a point over each bar
            ranks = np.arange(1, n + 1, dtype=float)
            cumulative = np.cumsum(x) / total
        else:  # the curve at the right edge of each rank, sampled when a step is invisible
            ranks = np.arange(0, n + 1, dtype=float) + 0.5
            cumulative = np.concatenate(([0.0], np.cumsum(x) / total))
            if n > 2000:
                keep = np.unique(np.linspace(0, n, 2001).round().astype(int))
                ranks, cumulative = ranks[keep], cumulative[keep]
        ax2.plot(
            ranks,
            np.minimum(cumulative, 1.0),
            color=line_color,
            linewidth=1.6,
            marker="o" if n <= BAR_LIMIT else None,
            markersize=3,
            label="cumulative share",
        )
        ax2.axhline(0.8, color="#9d9d9d", linestyle=":", linewidth=1)
        note = f"top 20% ({k:,} of {n:,}): {_pct(result.top20_share)}"
    else:
        note = f"no {result.kind} reaches these {n:,} nodes"
    ax2.set_ylim(0, 1.05)
    ax2.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax2.set_ylabel("cumulative share of total")
    ax2.plot([], [], color=mark_color, linestyle="--", label=note)
    ax2.plot(
        [],
        [],
        linestyle="none",
        label=f"Gini {result.gini:.3f}; tail beyond top {result.top:,}: {_pct(result.tail_share)}",
    )
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax2.legend(handles=handles, loc="center right", fontsize=8)


def _short(label: str, limit: int = 32) -> str:
    label = _printable(label)
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _printable(text: str) -> str:
    """Replace control characters and lone surrogates (not allowed in SVG/XML) by U+FFFD."""
    return "".join("\ufffd" if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in text)


def _lorenz(ax: Any, result: LongTail) -> None:
    from matplotlib.ticker import PercentFormatter

    x = np.sort(np.fromiter(result.values.values(), float, count=result.n))
    n = x.size
    total = result.total
    people = np.arange(0, n + 1, dtype=float) / n
    # with nothing to share every node holds the same (nothing): the diagonal
    wealth = np.concatenate(([0.0], np.cumsum(x) / total)) if total > 0 else people.copy()
    if n > 2000:
        keep = np.unique(np.linspace(0, n, 2001).round().astype(int))
        people, wealth = people[keep], wealth[keep]
    ax.plot([0, 1], [0, 1], color="#9d9d9d", linestyle="--", linewidth=1, label="equality")
    ax.plot(
        people,
        wealth,
        color="#4c78a8",
        linewidth=1.8,
        marker="o" if n <= BAR_LIMIT else None,
        markersize=3,
        label=f"Lorenz curve, Gini {result.gini:.3f}",
    )
    ax.fill_between(people, wealth, people, color="#4c78a8", alpha=0.15)
    if total > 0:
        k = result.top20_count
        px, py = 1 - k / n, 1 - result.top20_share
        ax.plot(
            [px],
            [py],
            "o",
            color="#e45756",
            label=f"top 20% ({k:,} of {n:,}) hold {_pct(result.top20_share)}",
        )
    else:
        ax.text(0.5, 0.6, f"no {result.kind} reaches these nodes", ha="center", fontsize=9)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(f"share of {_who(result)}, smallest first ({n:,} nodes)")
    ax.set_ylabel(f"share of {result.kind}")
    ax.legend(loc="upper left", fontsize=8)
