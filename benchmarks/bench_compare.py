"""Time what-if scenarios and diffs on the large synthetic map, against references in the same run.

- apply (re-trace every currency after removing a sub-ecosystem, blocking 1,000 pipes and
  widening 1,000): against one scipy GMRES solve of the same traffic system
  ``(I - P)^T x = b`` (the re-trace solves one such system per currency, after building
  the routing shares in Python);
- compare without diagnosis (flow, max-flow to one target, pagerank, reach of the named
  nodes, volume changes, on both maps): against the same analyses called one by one
  (the comparison's overhead is what is left);
- diff (structure, field by field, of 1M pipes): against a plain dict comparison of the
  two pipe lists by key.

Diagnosis is left out (``--no-diagnosis``): it runs a max-flow per narrow candidate and
is not interactive at 100,000 partners (see RESULTS.md).

Run: ``python benchmarks/bench_compare.py [--partners 100000] [--pipes 1000000] [--seed 0]``.
Prints a Markdown table for ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import best
from generate import generate

import ecograph
from ecograph.analysis._linalg import RTOL
from ecograph.compare import compare, diff
from ecograph.scenario import apply, loads_scenario


def scipy_retrace(after: ecograph.Ecosystem, base: ecograph.Ecosystem) -> np.ndarray:
    """The reference: the base map's routing shares (volume over what the sender passed on)
    of the pipes still open after the scenario, and one GMRES solve of ``(I - P)^T x = z``.

    (What ``reroute: lost`` does when no pipe is added: a removed or blocked pipe's share
    leaves the map at its sender.)
    """
    ids = list(after.nodes)
    index = {n: i for i, n in enumerate(ids)}
    passed = {n: node.outflow.get("traffic", 0.0) for n, node in base.nodes.items()}
    volume = {}
    for p in base.pipes:
        if p.kind == "traffic" and p.is_open:
            passed[p.from_node] += p.volume or 0.0
            volume[p.key] = p.volume or 0.0
    pipes = [p for p in after.pipes if p.kind == "traffic" and p.is_open]
    src = np.array([index[p.from_node] for p in pipes])
    dst = np.array([index[p.to_node] for p in pipes])
    den = np.array([passed[ids[i]] for i in src])
    vol = np.array([volume[p.key] for p in pipes])
    n = len(ids)
    share = np.divide(vol, den, out=np.zeros_like(vol), where=den > 0)
    P = sp.csr_array((share, (src, dst)), shape=(n, n))
    b = np.array([after.nodes[v].inflow.get("traffic", 0.0) for v in ids])
    A = sp.csr_array(sp.eye_array(n, format="csr") - P.T)
    x, _ = spla.gmres(A, b, rtol=RTOL, atol=0.0, restart=60, maxiter=max(200, n // 60))
    return np.asarray(x)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--pipes", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    eco = generate(seed=args.seed, partners=args.partners, pipes=args.pipes)
    print(f"generated {eco!r} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    rng = np.random.default_rng(args.seed)
    subs = [n for n, node in eco.nodes.items() if node.kind == "sub-ecosystem"]
    gone = subs[int(rng.integers(len(subs)))]
    removed = {gone, *eco.members(gone)}
    open_pipes = [
        p
        for p in eco.pipes
        if p.is_open and p.kind == "traffic" and not {p.from_node, p.to_node} & removed
    ]
    picks = rng.choice(len(open_pipes), size=2000, replace=False)
    blocked = [open_pipes[i].key for i in picks[:1000]]
    widened = [open_pipes[i] for i in picks[1000:]]
    partners = [n for n, node in eco.nodes.items() if node.kind == "partner"]
    target = partners[int(rng.integers(len(partners)))]
    lines = [
        "scenario: 1",
        f"targets: [{target}]",
        "changes:",
        f"  - remove: {gone}",
        *(f"  - block: '{key}'" for key in blocked),
        *(
            f"  - set: {{pipe: '{p.key}', capacity: {2 * (p.capacity or 1)}}}"
            for p in widened
            if p.capacity is not None
        ),
    ]
    t0 = time.perf_counter()
    scenario = loads_scenario("\n".join(lines) + "\n")
    parse = time.perf_counter() - t0
    print(
        f"scenario: {len(scenario.changes)} changes (remove {gone} with "
        f"{len(eco.members(gone))} members), read in {parse:.2f} s",
        file=sys.stderr,
    )

    rows: list[tuple[str, float, str, float]] = []
    ours, after = best(lambda: apply(eco, scenario), args.repeat)
    ref, x = best(lambda: scipy_retrace(after, eco), args.repeat)
    rows.append(
        (
            "apply: 1 removal, ~1,000 blocks, ~1,000 capacities; re-trace all currencies",
            ours,
            "one scipy GMRES solve (traffic)",
            ref,
        )
    )
    ids = list(after.nodes)
    T = ecograph.flow(after).throughflow
    worst = max(abs(T[v] - x[i]) / max(x[i], 1.0) for i, v in enumerate(ids))
    print(
        f"  re-traced throughflow vs reference solve: max rel. difference {worst:.1e}",
        file=sys.stderr,
    )

    def separately() -> Any:
        for m in (eco, after):
            ecograph.flow(m)
            ecograph.max_flow(m, target)
            ecograph.centrality(m, "pagerank")

    ours, result = best(
        lambda: compare(eco, after, targets=[target], focus=[target], diagnosis=False),
        args.repeat,
    )
    ref, _ = best(separately, args.repeat)
    rows.append(("compare (no diagnosis)", ours, "flow + max_flow + pagerank, both maps", ref))
    print(
        f"  changed sections: {result['changed']}; {len(result['traffic'])} nodes changed",
        file=sys.stderr,
    )

    def plain_diff() -> int:
        a = {p.key: p for p in eco.pipes}
        b = {p.key: p for p in after.pipes}
        return sum(1 for k in a if k in b and a[k] != b[k])

    ours, d = best(lambda: diff(eco, after, targets=[target], diagnosis=False), args.repeat)
    ref, _ = best(plain_diff, args.repeat)
    rows.append(("diff (structure + compare, no diagnosis)", ours, "dict compare of pipes", ref))
    print(
        f"  diff: {len(d['nodes']['removed'])} nodes removed, {len(d['pipes']['removed'])} pipes "
        f"removed, {len(d['pipes']['changed'])} pipe fields changed",
        file=sys.stderr,
    )

    header = ("analysis", "ecograph (s)", "reference", "reference (s)", "ratio")
    print(f"| {' | '.join(header)} |")
    print("|---|---:|---|---:|---:|")
    for what, mine, name, theirs in rows:
        print(f"| {what} | {mine:.3f} | {name} | {theirs:.3f} | {mine / theirs:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
