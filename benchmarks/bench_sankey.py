"""Time the Sankey view of a large map against the drawing it is computed from, in the same run.

- ``page_data`` (one Sankey view per currency with flows: what the page embeds) against
  ``describe`` of the same map (the drawing every page needs first);
- ``sankey`` of the traffic alone, and ``sankey_image`` (its PNG) against ``to_image`` of
  the map;
- the bytes the Sankey views add to the page, against the page without them.

Run: ``python benchmarks/bench_sankey.py [--partners 100000] [--pipes 1000000]
[--repeat 3]``. Prints a Markdown table for ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import best
from generate import generate

from ecograph.render import describe, to_html
from ecograph.render.html import embed_json
from ecograph.render.sankey import page_data, sankey
from ecograph.render.static import sankey_image, to_image


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--pipes", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    eco = generate(partners=args.partners, pipes=args.pipes)
    t_describe, drawing = best(lambda: describe(eco), args.repeat)
    t_views, data = best(lambda: page_data(drawing), args.repeat)
    t_one, view = best(lambda: sankey(drawing, "traffic"), args.repeat)
    t_map_png, _ = best(lambda: to_image(drawing, "png"), 1)
    t_sankey_png, _ = best(lambda: sankey_image(view, "png"), 1)
    page = to_html(drawing)
    added = len(embed_json(data).encode("utf-8"))
    rows = [
        (f"page_data: {len(data['views'])} Sankey views", t_views, "describe()", t_describe),
        ("sankey(): traffic", t_one, "describe()", t_describe),
        ("sankey_image() PNG", t_sankey_png, "to_image() of the map, PNG", t_map_png),
    ]
    print(
        f"{args.partners:,} partners, {args.pipes:,} pipes; drawing: {len(drawing.nodes):,} "
        f"nodes, {len(drawing.edges):,} pipes; traffic view: {len(view.nodes)} bars, "
        f"{len(view.bands)} bands\n"
    )
    print("| step | seconds | reference | seconds | ratio |")
    print("|---|---:|---|---:|---:|")
    for name, t, ref, t_ref in rows:
        print(f"| {name} | {t:.3f} | {ref} | {t_ref:.3f} | {t / t_ref:.2f}x |")
    print(
        f"| Sankey data in the page | {added / 1024:.0f} KiB | whole page | "
        f"{len(page.encode('utf-8')) / 1024:.0f} KiB | {added / len(page.encode('utf-8')):.2f}x |"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
