"""Time ``cheapest`` on the large synthetic map against OR-Tools on the same arrays, same run.

The generated map (``benchmarks/generate.py``) gets random pipe costs (0.00 to 2.00 in
steps of 0.01, seeded) written into its compiled columns before any analysis runs. The
target is a random partner; the demand is half of its max-flow from every pool (so the
whole min-cost machinery runs, not just a max-flow).

- ours: :func:`ecograph.analysis.cheapest` (max-flow, OR-Tools min-cost flow in scaled
  integers, the marginal cost by Bellman-Ford on the residual graph, the result dicts);
- reference: OR-Tools ``SimpleMinCostFlow.solve()`` alone on arrays built beforehand
  (the same arcs, capacities and costs, scaled the same way).

Both must report the same least cost. ``--highs`` also times the HiGHS engine (the
fallback without OR-Tools).

Also timed, each against the kernel it cannot do without, on the same map:

- ``funnel`` of that partner (every pool): one scipy GMRES solve of ``(I - P) y = w`` to
  the same tolerance (funnel makes five: four measures and the reach share);
- ``value``: one ``numpy.bincount`` of volume x cost by payer over all pipes.

Run: ``python benchmarks/bench_economics.py [--partners 100000] [--pipes 1000000] [--seed 0]``.
Prints a Markdown table for ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import best
from generate import generate
from ortools.graph.python import min_cost_flow

from ecograph.analysis import cheapest, max_flow
from ecograph.compiled import compiled
from ecograph.model import Ecosystem


def _cheapest_row(
    eco: Ecosystem, target: str, repeat: int, notes: list[str]
) -> tuple[str, float, str, float]:
    """Time cheapest() to ``target`` (half its max-flow) against OR-Tools alone."""
    cm = compiled(eco)
    cap = max_flow(eco, target)
    demand = float(np.floor(cap / 2))
    print(f"target {target}: max-flow {cap:,.0f}, demand {demand:,.0f}", file=sys.stderr)
    cold, result = best(lambda: cheapest(eco, target, demand=demand), 1)
    print(f"cold: first cheapest() {cold:.2f} s", file=sys.stderr)

    # the reference: the same network, built outside the timing
    L = cm.layer("traffic")
    n = cm.n
    live = np.flatnonzero(L.is_open & (L.src != L.dst))
    sources = np.flatnonzero(L.inflow > 0)
    tails = np.concatenate([L.src[live], np.full(len(sources), n)])
    heads = np.concatenate([L.dst[live], sources])
    capacity = np.minimum(np.concatenate([L.capacity[live], np.full(len(sources), np.inf)]), demand)
    costs = np.concatenate([np.nan_to_num(L.cost[live]), np.zeros(len(sources))])
    caps_int = np.round(capacity).astype(np.int64)  # whole capacities in the generated map
    costs_int = np.round(costs * 100).astype(np.int64)
    supplies = np.zeros(n + 1, np.int64)
    supplies[n], supplies[L.index[target]] = int(demand), -int(demand)

    def reference() -> float:
        smcf = min_cost_flow.SimpleMinCostFlow()
        smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps_int, costs_int)
        smcf.set_nodes_supplies(np.arange(n + 1), supplies)
        assert smcf.solve() == smcf.OPTIMAL
        return float(smcf.optimal_cost()) / 100.0

    mine: list[float] = []
    theirs: list[float] = []
    ref_cost = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        result = cheapest(eco, target, demand=demand)
        mine.append(time.perf_counter() - start)
        start = time.perf_counter()
        ref_cost = reference()
        theirs.append(time.perf_counter() - start)
    assert abs(result["total_cost"] - ref_cost) <= 1e-9 * max(ref_cost, 1.0), (result, ref_cost)
    notes.append(
        f"{target}: demand {demand:,.0f} of max-flow {cap:,.0f}; least cost {ref_cost:,.2f} "
        f"(ecograph {result['total_cost']:,.2f}); {len(result['pipes']):,} pipes carry flow; "
        f"marginal cost {result['marginal_cost']}"
    )
    what = f"cheapest() all pools -> {target}"
    return what, min(mine), "OR-Tools SimpleMinCostFlow.solve()", min(theirs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--pipes", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--highs", action="store_true", help="also time the HiGHS engine")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    eco = generate(seed=args.seed, partners=args.partners, pipes=args.pipes)
    print(f"generated {eco!r} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    rng = np.random.default_rng(args.seed)
    cm = compiled(eco)
    cm.cost[:] = rng.integers(0, 201, cm.m) / 100.0  # before any layer is built
    partners = [v for v in cm.ids if v.startswith("partner-")]
    L = cm.layer("traffic")
    n = cm.n
    indegree = np.bincount(L.dst[L.is_open], minlength=n)
    hub = max(partners, key=lambda v: (indegree[cm.index[v]], v))
    target = partners[int(rng.integers(len(partners)))]
    rows: list[tuple[str, float, str, float]] = []
    notes: list[str] = []
    for to in (target, hub):
        rows.append(_cheapest_row(eco, to, args.repeat, notes))
    from ecograph.analysis import funnel, value
    from ecograph.analysis._linalg import RTOL, layer_arrays

    arrays = layer_arrays(eco, "traffic")
    P = arrays.routing
    A = sp.csr_array(sp.eye_array(n, format="csr") - P)
    w = np.zeros(n)
    w[arrays.index[target]] = 1.0

    def gmres() -> np.ndarray:
        x, _ = spla.gmres(A, w, rtol=RTOL, atol=0.0, restart=60, maxiter=max(200, n // 60))
        return np.asarray(x)

    ours_f, _ = best(lambda: funnel(eco, target), args.repeat)
    ref_f, _ = best(gmres, args.repeat)
    rows.append((f"funnel() {target}", ours_f, "one scipy GMRES solve", ref_f))
    carried = np.where(cm.open & ~np.isnan(cm.volume), cm.volume, 0.0) * cm.cost
    payer = np.where(cm.paid_by_from, cm.src, cm.dst)
    ours_v, _ = best(lambda: value(eco), args.repeat)
    ref_v, _ = best(lambda: np.bincount(payer, weights=carried, minlength=n), args.repeat)
    rows.append(("value() every node", ours_v, "numpy bincount of payments", ref_v))
    if args.highs:
        cap = max_flow(eco, target)
        demand = float(np.floor(cap / 2))
        highs, h = best(lambda: cheapest(eco, target, demand=demand, engine="highs"), 1)
        fast = cheapest(eco, target, demand=demand)
        assert abs(h["total_cost"] - fast["total_cost"]) <= 1e-6 * max(fast["total_cost"], 1.0)
        rows.append(("cheapest(engine='highs')", highs, "the OR-Tools engine", rows[0][1]))

    print(f"\n{platform.platform()}, Python {platform.python_version()}, {eco!r}")
    print("\n".join(notes) + "\n")
    print("| step | ecograph (s) | reference | reference (s) | ratio |")
    print("|---|---:|---|---:|---:|")
    for what, a, name, b in rows:
        print(f"| {what} | {a:.3f} | {name} | {b:.3f} | {a / b:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
