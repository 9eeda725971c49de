"""Time ``diagnose`` of every node against ``flow`` on the same generated map, same run.

For each size (default: 2,000 / 20,000 / 100,000 partners with ten pipes each, as
``benchmarks/generate.py`` builds them), the map is generated once; then, best of
``--repeat``, alternately:

- ``flow``: :func:`ecograph.analysis.flow` on a cold map (its compiled cache
  emptied first), the reference of the issue (target: diagnose within 20x);
- ``diagnose``: :func:`ecograph.analysis.diagnose.diagnose` of every partner,
  producer and channel, cold too (compiling the map, building the layer's
  arrays and the one pass per currency included);
- ``diagnose (warm)``: the same call again on the same map (the threshold-free
  pass is cached on the layer; thresholds and findings are redone).

Also printed: how many nodes were diagnosed and the count of each status and risk,
so a run that diagnoses nothing cannot pass for a fast one.

Run: ``python benchmarks/bench_diagnose.py [--sizes 2000,20000,100000] [--repeat 3]``.
Prints a Markdown table for ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate

from ecograph.analysis import flow
from ecograph.analysis.diagnose import diagnose
from ecograph.model import Ecosystem


def cold(eco: Ecosystem, what: str) -> float:
    eco._cache.clear()
    start = time.perf_counter()
    if what == "flow":
        flow(eco)
    else:
        diagnose(eco)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000,100000", help="partners per map")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rows = []
    notes = []
    for partners in (int(x) for x in args.sizes.split(",")):
        t0 = time.perf_counter()
        eco = generate(seed=args.seed, partners=partners, pipes=10 * partners)
        print(f"generated {eco!r} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        flow_times, diag_times, warm_times = [], [], []
        result = {}
        for _ in range(args.repeat):
            flow_times.append(cold(eco, "flow"))
            diag_times.append(cold(eco, "diagnose"))
            start = time.perf_counter()
            result = diagnose(eco)
            warm_times.append(time.perf_counter() - start)
        f, d, w = min(flow_times), min(diag_times), min(warm_times)
        statuses = Counter(x.status for x in result.values())
        risks = Counter(r.risk for x in result.values() for r in x.risks)
        notes.append(
            f"- {partners:,} partners / {len(eco.pipes):,} pipes: {len(result):,} nodes "
            f"diagnosed; statuses {dict(statuses)}; risks {dict(risks)}"
        )
        rows.append((partners, len(eco.pipes), f, d, w))
        print(f"{partners}: flow {f:.3f} s, diagnose {d:.3f} s, warm {w:.3f} s", file=sys.stderr)
    print(f"\n{platform.platform()}, Python {platform.python_version()}\n")
    print("\n".join(notes) + "\n")
    print("| partners | pipes | flow, cold (s) | diagnose, cold (s) | ratio | diagnose, warm (s) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for partners, pipes, f, d, w in rows:
        print(f"| {partners:,} | {pipes:,} | {f:.3f} | {d:.3f} | {d / f:.1f}x | {w:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
