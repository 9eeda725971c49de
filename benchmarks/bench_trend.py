"""Time ``load_series`` and ``trend`` on a series of large synthetic maps, same run.

The series has ``--snapshots`` maps from ``benchmarks/generate.py`` (seed, seed + 1, ...:
the same node ids, other volumes and memberships), written as Parquet tables with a stub
YAML each. Timed, each against what it cannot do without, in the same process:

- ``load_series``: against ``ecograph.load`` of every snapshot map one after the other;
- ``trend``: against the single-map analyses it runs on every snapshot (``longtail``,
  ``flow`` of every currency, ``value``) called directly on freshly loaded maps — the
  difference is the regression, the growth rates and the grouping by giant;
- ``gibrat`` of the first period: against ``scipy.stats.linregress`` on the same pairs
  (and both must give the same slope).

Run: ``python benchmarks/bench_trend.py [--partners 10000] [--pipes 100000]
[--snapshots 3] [--seed 0] [--repeat 2]``: the best of the alternated runs. Prints a
Markdown table for ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate, write_tables

import ecograph
from ecograph.compiled import compiled
from ecograph.trend import gibrat


def _write_series(folder: Path, args: argparse.Namespace) -> Path:
    lines = ["ecograph-series: 1", "title: synthetic", "snapshots:"]
    for i in range(args.snapshots):
        eco = generate(seed=args.seed + i, partners=args.partners, pipes=args.pipes)
        stub = write_tables(eco, str(folder / f"s{i}"), "parquet")
        lines.append(f"  - {{date: {2020 + i}, map: {stub.relative_to(folder)}}}")
    path = folder / "series.yaml"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def _analyses(maps: list[ecograph.Ecosystem]) -> None:
    for eco in maps:
        ecograph.longtail(eco)
        for currency in compiled(eco).currencies():
            ecograph.flow(eco, kind=currency)
        ecograph.value(eco)


def main(argv: list[str] | None = None) -> int:
    """Build the series, time everything, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--pipes", type=int, default=100_000)
    parser.add_argument("--snapshots", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    rows: list[tuple[str, float, str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = _write_series(folder, args)
        files = [folder / f"s{i}" / "map.yaml" for i in range(args.snapshots)]

        times: dict[str, list[float]] = {"load": [], "series": [], "ref": [], "trend": []}
        for _ in range(args.repeat):  # alternated, each on freshly loaded maps (cold caches)
            start = time.perf_counter()
            maps = [ecograph.load(f) for f in files]
            times["load"].append(time.perf_counter() - start)
            start = time.perf_counter()
            series = ecograph.load_series(path)
            times["series"].append(time.perf_counter() - start)
            start = time.perf_counter()
            _analyses(maps)
            times["ref"].append(time.perf_counter() - start)
            start = time.perf_counter()
            result = ecograph.trend(series)
            times["trend"].append(time.perf_counter() - start)
        rows.append(
            ("load_series", min(times["series"]), "ecograph.load of each map", min(times["load"]))
        )
        rows.append(
            (
                "trend (every snapshot)",
                min(times["trend"]),
                "longtail + flow + value per map",
                min(times["ref"]),
            )
        )

        before = dict(ecograph.longtail(maps[0]).values)
        after = dict(ecograph.longtail(maps[1]).values)
        start = time.perf_counter()
        g = gibrat(before, after)
        ours_g = time.perf_counter() - start
        start = time.perf_counter()
        both = [k for k in before if k in after and before[k] > 0 and after[k] > 0]
        x = np.log([before[k] for k in both])
        ref = stats.linregress(x, np.log([after[k] for k in both]) - x)
        reference_g = time.perf_counter() - start
        rows.append(("gibrat (first period)", ours_g, "scipy linregress, same pairs", reference_g))
        assert g.slope is not None and abs(g.slope - ref.slope) <= 1e-9 * max(1, abs(ref.slope))
        first = result.growth["periods"][0]["gibrat"]
    print(
        f"{args.snapshots} snapshots of {args.partners:,} partners and {args.pipes:,} pipes "
        f"(seed {args.seed}); Python {platform.python_version()}"
    )
    print(f"first period: n = {first['n']:,}, slope {first['slope']:+.4f} (scipy {ref.slope:+.4f})")
    print()
    print("| step | ecograph (s) | reference | reference (s) | ratio |")
    print("|---|---:|---|---:|---:|")
    for name, t, what, r in rows:
        print(f"| {name} | {t:.3f} | {what} | {r:.3f} | {t / r:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
