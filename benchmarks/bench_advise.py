"""Time ``advise`` on the synthetic map, against ``whatif`` of its own changes in the same run.

``advise`` draws its candidate actions for one partner and measures each by applying it
(:func:`ecograph.scenario.apply`) and reading the partner's traffic and value row, the
figures ``whatif`` reports. The references, in the same process:

- one ``whatif`` (without diagnosis) of the first advised action: the cost of measuring
  one candidate the plain way;
- ``whatif`` of every candidate plus the kept actions together: what ``advise`` would
  cost if it called ``whatif`` for each (estimated as that count times the first).

The partner is the one with the most saturated pipes in (so that widen and buy
candidates exist). Also checks that the first action's gain equals what ``whatif``
reports for it.

Run: ``python benchmarks/bench_advise.py [--partners 20000] [--pipes 200000] [--seed 0]``.
Prints a Markdown table for ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import best
from generate import generate

import ecograph
from ecograph.analysis.advise import Advice, advise, measure
from ecograph.compiled import compiled


def pick_partner(eco: ecograph.Ecosystem) -> str:
    """The partner with the most open traffic pipes in at 90% of their capacity or more."""
    lay = compiled(eco).layer("traffic")
    full = lay.is_open & np.isfinite(lay.capacity) & (lay.volume >= 0.9 * lay.capacity)
    counts = np.bincount(lay.dst[full], minlength=lay.n)
    kinds = [eco.nodes[i].kind for i in lay.ids]
    counts[[k != "partner" for k in kinds]] = -1
    return lay.ids[int(np.argmax(counts))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--partners", type=int, default=20_000)
    parser.add_argument("--pipes", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    eco = generate(seed=args.seed, partners=args.partners, pipes=args.pipes)
    took = time.perf_counter() - t0
    print(f"map: {len(eco.nodes):,} nodes, {len(eco.pipes):,} pipes ({took:.1f} s)")
    node = pick_partner(eco)
    compiled(eco)
    ecograph.flow(eco)  # one-time builds shared by both sides
    t_advise, advice = best(lambda: advise(eco, node), args.repeat)
    print(
        f"advise --for {node}: {advice.considered} candidates, {len(advice.actions)} kept: "
        + ", ".join(f"{a.action} {a.gain:,.1f}" for a in advice.actions)
    )
    if not advice.actions:
        print("nothing advised; pick another seed")
        return 1
    first = advice.actions[0]
    scenario = Advice(node, "traffic", "traffic", None, (first,), 0.0, 0.0, 1).to_scenario()
    t_whatif, report = best(lambda: ecograph.whatif(eco, scenario, diagnosis=False), args.repeat)
    gain, cost = measure(report, node, "traffic")
    assert (gain, cost) == (first.gain, first.cost), (gain, cost, first)
    runs = advice.considered + 1
    rows = [
        ("advise (all candidates + the kept ones together)", t_advise, "one whatif", t_whatif),
        (
            "advise (all candidates + the kept ones together)",
            t_advise,
            f"{runs} whatif runs (estimated: {runs} x one)",
            runs * t_whatif,
        ),
        ("advise per measured change", t_advise / runs, "one whatif", t_whatif),
    ]
    print()
    print("| step | ecograph (s) | reference | reference (s) | ratio |")
    print("|---|---:|---|---:|---:|")
    for name, ours, ref_name, ref in rows:
        print(f"| {name} | {ours:.3f} | {ref_name} | {ref:.3f} | {ours / ref:.2f}x |")
    print(f"\ncheck: the first action's gain {first.gain} equals whatif's {gain}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
