"""Size and time of a map shown in a notebook: the light view against the page it replaced.

For every example map and a generated map (``generate.py``, default 5,000 partners):

- bytes of the light view (``Ecosystem._repr_html_``, :func:`ecograph.render.to_svg`)
  against the bytes the notebook stored before (the page in a sandboxed
  ``<iframe srcdoc>``: :func:`ecograph.render.frame` of :func:`ecograph.render.to_html`)
  and the page itself;
- time to draw the light view against the time to write the page, from the same
  ``Drawing`` (``describe`` is shared and timed apart).

Run: ``python benchmarks/bench_notebook.py [--partners 5000] [--pipes 20000] [--repeat 3]``.
Prints a Markdown table for ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import best
from generate import generate

import ecograph
from ecograph.model import Ecosystem
from ecograph.render import describe, frame, to_html, to_svg

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=5000)
    parser.add_argument("--pipes", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    maps: list[tuple[str, Ecosystem]] = [
        (path.stem, ecograph.load(path)) for path in sorted((ROOT / "ecosystems").glob("*.yaml"))
    ]
    maps.append(
        (
            f"generated, {args.partners:,} partners",
            generate(partners=args.partners, pipes=args.pipes, sub_ecosystems=40),
        )
    )
    print(
        "| map | nodes / pipes | light view (KB) | notebook cell before (KB) | page (KB) "
        "| light / cell before | describe (s) | light view (s) | page (s) | time ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, eco in maps:
        t_describe, drawing = best(lambda eco=eco: describe(eco), args.repeat)
        t_svg, svg = best(lambda d=drawing: to_svg(d), args.repeat)
        t_page, page = best(lambda d=drawing: to_html(d), args.repeat)
        light = len(svg.encode())
        before = len(frame(page.encode()).encode())
        assert eco._repr_html_() == svg  # what a notebook stores is exactly this view
        print(
            f"| {name} | {len(eco.nodes):,} / {len(eco.pipes):,} | {light / 1000:.1f} "
            f"| {before / 1000:.0f} | {len(page.encode()) / 1000:.0f} | {light / before:.3f} "
            f"| {t_describe:.3f} | {t_svg:.3f} | {t_page:.3f} | {t_svg / t_page:.2f}x |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
