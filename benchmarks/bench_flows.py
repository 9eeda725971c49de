"""Time reach, flow and dependency on the large synthetic map, against references in the same run.

Each figure is the best of ``--repeat`` runs (ecograph and reference run alternately, so
load from other processes hits both), printed as a ratio
to a reference computed in the same process on the same arrays:

- hops: one :func:`scipy.sparse.csgraph.breadth_first_order` from the source;
- reach (hops + traced traffic): that search plus one scipy solve of the same
  linear system ``(I - P)^T x = e_s``;
- flow: one scipy solve of ``(I - P)^T T = z``, the system ENA is built on;
- dominators: igraph's ``Graph.dominator()`` on a graph built beforehand;
- dependency: one scipy solve for the target's column of ``(I - P)^{-1}`` plus
  igraph's ``Graph.dominator()``.

``reach --to`` computes its max-flow with :func:`ecograph.analysis.bottlenecks.max_flow`,
timed by ``benchmarks/bench_network.py``.

The scipy solves are GMRES, to the same tolerance ecograph uses: sparse LU
(``spsolve``) does not finish on this map (the partner network is one strongly
connected component of ~98,600 nodes and SuperLU's fill-in explodes; it was
still running after 10 minutes). One-time costs per map and currency
(building the sparse arrays, the igraph graph, the first dominator tree) are
reported separately as "cold" runs.

Run: ``python benchmarks/bench_flows.py [--partners 100000] [--pipes 1000000] [--seed 0]``.
Prints a Markdown table for ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.sparse import csgraph

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import best
from generate import generate

from ecograph.analysis import dependency, flow, reach
from ecograph.analysis._linalg import RTOL, compiled_graph, layer_arrays
from ecograph.analysis.dependency import _dominators


def once(func: Callable[[], Any]) -> tuple[float, Any]:
    return best(func, 1)


def compare(
    ours: Callable[[], Any], reference: Callable[[], Any], repeat: int
) -> tuple[float, Any, float, Any]:
    """Best times of ``ours`` and ``reference``, run alternately (so load drifts hit both)."""
    mine: list[float] = []
    theirs: list[float] = []
    a = b = None
    for _ in range(repeat):
        start = time.perf_counter()
        a = ours()
        mine.append(time.perf_counter() - start)
        start = time.perf_counter()
        b = reference()
        theirs.append(time.perf_counter() - start)
    return min(mine), a, min(theirs), b


def scipy_solve(P: sp.csr_array, b: np.ndarray, *, transpose: bool) -> np.ndarray:
    """The reference solve: scipy GMRES on ``I - P`` (or its transpose), same tolerance."""
    n = P.shape[0]
    A = sp.csr_array(sp.eye_array(n, format="csr") - (P.T if transpose else P))
    x, _ = spla.gmres(A, b, rtol=RTOL, atol=0.0, restart=60, maxiter=max(200, n // 60))
    return np.asarray(x)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--pipes", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    eco = generate(seed=args.seed, partners=args.partners, pipes=args.pipes)
    print(f"generated {eco!r} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)

    rows: list[tuple[str, float, str, float]] = []  # (what, ours, reference name, reference)

    build, arrays = once(lambda: layer_arrays(eco, "traffic"))
    routing, _ = once(lambda: arrays.routing)
    print(f"sparse arrays: {build:.2f} s, routing matrix {routing:.2f} s", file=sys.stderr)

    ids = arrays.ids
    rng = np.random.default_rng(args.seed)
    partners = [v for v in ids if v.startswith("partner-")]
    source = "pool-00"
    target = partners[int(rng.integers(len(partners)))]
    s, t = arrays.index[source], arrays.index[target]
    P = arrays.routing
    S = arrays.structure

    # -- hops -------------------------------------------------------------------------
    ours, _, ref, _ = compare(
        lambda: arrays.hop_distances(s),
        lambda: csgraph.breadth_first_order(S, s, directed=True, return_predecessors=True),
        args.repeat,
    )
    rows.append(("hops: BFS + hop counts (part of reach)", ours, "csgraph BFS", ref))

    # -- reach: hops + traffic from a pool and from a partner ----------------------------------
    e_s = np.zeros(arrays.n)
    e_s[s] = 1.0
    ours, r, ref, x = compare(
        lambda: reach(eco, source),
        lambda: (
            csgraph.breadth_first_order(S, s, return_predecessors=True),
            scipy_solve(P, e_s, transpose=True),
        ),
        args.repeat,
    )
    rows.append((f"reach {source} (hops + traffic)", ours, "BFS + scipy GMRES", ref))
    check = x[1] * arrays.throughflow[s]
    worst = max(
        abs(r.traffic[v] - check[arrays.index[v]]) / max(check[arrays.index[v]], 1.0)
        for v in list(r.traffic)[:1000]
    )
    print(f"  traffic vs reference solve: max rel. difference {worst:.1e}", file=sys.stderr)

    p = arrays.index[target]
    e_p = np.zeros(arrays.n)
    e_p[p] = 1.0
    ours, _, ref, _ = compare(
        lambda: reach(eco, target),
        lambda: (
            csgraph.breadth_first_order(S, p, return_predecessors=True),
            scipy_solve(P, e_p, transpose=True),
        ),
        args.repeat,
    )
    rows.append((f"reach {target} (hops + traffic)", ours, "BFS + scipy GMRES", ref))

    # -- flow -----------------------------------------------------------------------------
    ours, f, ref, T = compare(
        lambda: flow(eco),
        lambda: scipy_solve(P, arrays.boundary_in, transpose=True),
        args.repeat,
    )
    rows.append(("flow (all ENA figures)", ours, "scipy GMRES for T", ref))
    print(
        f"  flow: TST {f.total_system_throughflow:.6g}, APL {f.average_path_length:.4f}, "
        f"FCI {f.cycling_index:.6f} +- {f.cycling_index_stderr:.1e}; "
        f"T vs reference solve: max rel. {np.max(np.abs(T - arrays.throughflow)) / T.max():.1e}",
        file=sys.stderr,
    )

    # -- dominators ------------------------------------------------------------------------
    cold_graph, graph = once(lambda: compiled_graph(arrays))
    cold_tree, _ = once(lambda: _dominators(arrays, t))
    n = arrays.n
    ours, _, ref, _ = compare(
        lambda: _dominators(arrays, t), lambda: graph.dominator(n, mode="out"), args.repeat
    )
    rows.append(
        ("dominators, first target (builds the tree)", cold_tree, "igraph dominator()", ref)
    )
    rows.append(("dominators, any further target (cached tree)", ours, "igraph dominator()", ref))
    print(f"  igraph graph build (once per map and currency): {cold_graph:.2f} s", file=sys.stderr)

    # -- dependency ------------------------------------------------------------------------
    e_t = np.zeros(n)
    e_t[t] = 1.0

    def dependency_reference() -> Any:
        return scipy_solve(P, e_t, transpose=False), graph.dominator(n, mode="out")

    ours, d, ref, _ = compare(lambda: dependency(eco, target), dependency_reference, args.repeat)
    rows.append((f"dependency {target}", ours, "scipy GMRES + igraph dominator()", ref))
    print(
        f"  dependency: exact={d.exact}, {len(d.shares)} upstream nodes, "
        f"dominators {list(d.dominators)}, HHI {d.concentration:.4f}",
        file=sys.stderr,
    )
    ours, _, ref, _ = compare(
        lambda: dependency(eco, target, group=True), dependency_reference, args.repeat
    )
    rows.append((f"dependency {target} --group", ours, "scipy GMRES + igraph dominator()", ref))

    # -- report --------------------------------------------------------------------------------
    header = ("analysis", "ecograph (s)", "reference", "reference (s)", "ratio")
    lines = [
        f"| {' | '.join(header)} |",
        "|" + "|".join(["---", "---:", "---", "---:", "---:"]) + "|",
    ]
    for what, mine, name, theirs in rows:
        lines.append(f"| {what} | {mine:.3f} | {name} | {theirs:.3f} | {mine / theirs:.2f}x |")
    print(
        f"\n{len(eco.nodes):,} nodes, {len(eco.pipes):,} pipes; "
        f"one-time: sparse arrays {build:.2f} s + routing {routing:.2f} s, "
        f"igraph graph {cold_graph:.2f} s; Python {platform.python_version()}, "
        f"{platform.machine()}"
    )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
