"""Time bottlenecks and centrality on the large synthetic map, against references in the same run.

Each figure is the best of ``--repeat`` runs, printed as a ratio to a
reference computed in the same process on the same data:

- max-flow: igraph's ``Graph.maxflow_value()`` (push-relabel) and scipy's
  ``maximum_flow`` (Dinic, int32), each on a graph built beforehand with the
  same super-source and capacities (unbounded pipes capped above any cut);
- sampled betweenness: igraph's ``Graph.betweenness(sources=...)`` from the
  same 256 sources, weights ``1/volume``, on a graph built beforehand;
- pagerank: a plain scipy power iteration on the CSR transition matrix, same
  damping and the same stopping rule (L1 change below 1e-10); igraph's PRPACK
  for information;
- eigenvector, katz, hubs/authorities, degree: timed, with scipy references
  where one is a single call (``eigs``, ``svds``).

One-time costs per map and currency (the pipe arrays, the weighted layer) are
reported separately as "cold". Closeness needs a shortest-path tree from every
node (O(n m log n)): it is not timed on this map.

Run: ``python benchmarks/bench_network.py [--partners 100000] [--pipes 1000000] [--seed 0]``.
Prints a Markdown table for ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import math
import platform
import random
import resource
import sys
import time
from pathlib import Path

import igraph
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import maximum_flow

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import best
from generate import generate

from ecograph.analysis import bottlenecks, centrality, max_flow
from ecograph.analysis.bottlenecks import pipe_arrays
from ecograph.analysis.centrality import PAGERANK_TOL, layer


def scipy_pagerank(W: sp.csr_array, alpha: float = 0.85) -> np.ndarray:
    """Reference: textbook power iteration on CSR, networkx's dangling rule."""
    n = W.shape[0]
    out = np.asarray(W.sum(axis=1)).ravel()
    dangling = out == 0
    out[dangling] = 1.0
    PT = sp.csr_array((W / out[:, None]).T)
    x = np.full(n, 1.0 / n)
    for _ in range(10_000):
        last = x
        x = alpha * (PT @ x + x[dangling].sum() / n) + (1 - alpha) / n
        if np.abs(x - last).sum() < PAGERANK_TOL:
            break
    return x


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--pipes", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    log = sys.stderr

    t0 = time.perf_counter()
    eco = generate(seed=args.seed, partners=args.partners, pipes=args.pipes)
    print(f"generated {eco!r} in {time.perf_counter() - t0:.1f} s", file=log)

    rows: list[tuple[str, float, str, float]] = []
    cold_arrays, arr = best(lambda: pipe_arrays(eco, "traffic"), 1)
    cold_layer, lay = best(lambda: layer(eco, "traffic"), 1)
    print(f"cold: pipe arrays {cold_arrays:.2f} s, weighted layer {cold_layer:.2f} s", file=log)
    n = len(arr.nodes)

    # -- max-flow: all pools -> the partner with the most in-pipes ---------------------------
    target_i = int(np.bincount(arr.dst, minlength=n).argmax())
    target = arr.nodes[target_i]
    sources = [i for i, v in enumerate(eco.nodes.values()) if v.inflow.get("traffic", 0) > 0]
    live = arr.is_open & (arr.src != arr.dst)
    tails, heads, cap = arr.src[live], arr.dst[live], arr.capacity[live]
    finite = np.isfinite(cap)
    into = heads == target_i
    bound = float(cap[into].sum()) if finite[into].all() else float(cap[finite].sum())
    capped = np.minimum(np.where(finite, cap, bound + 1), bound + 1)
    all_t = np.concatenate([tails, np.full(len(sources), n)])
    all_h = np.concatenate([heads, sources])
    all_c = np.concatenate([capped, np.full(len(sources), bound + 1)])
    g = igraph.Graph(n=n + 1, edges=np.column_stack([all_t, all_h]), directed=True)
    g.es["capacity"] = all_c.tolist()
    C = sp.csr_array((all_c, (all_t, all_h)), shape=(n + 1, n + 1))
    # scipy wants int32 capacities: clamp there (a bound above 2**31 - 1 would wrap to
    # garbage when cast; clamping keeps the value while the max-flow stays below it)
    C.data = np.minimum(C.data, min(bound + 1, 2**31 - 1)).astype(np.int32)

    cold_mf, _ = best(lambda: max_flow(eco, target), 1)  # first call: live arcs, imports
    print(f"cold: first max_flow() {cold_mf:.2f} s", file=log)
    ours, value = best(lambda: max_flow(eco, target), args.repeat)
    ours_full, result = best(lambda: bottlenecks(eco, target), args.repeat)
    ref_sp, sp_value = best(lambda: maximum_flow(C, n, target_i).flow_value, args.repeat)
    ref_ig, ig_value = best(lambda: g.maxflow_value(n, target_i, capacity="capacity"), 1)
    assert value == sp_value == ig_value == result["max_flow"], (value, sp_value, ig_value)
    print(
        f"max-flow to {target}: {value:,.0f}; cut {len(result['min_cut'])} pipes, "
        f"{len(result['saturated'])} saturated, {len(result['blocked'])} blocked listed",
        file=log,
    )
    rows.append((f"max_flow() all pools -> {target}", ours, "igraph maxflow_value()", ref_ig))
    rows.append((f"max_flow() all pools -> {target}", ours, "scipy maximum_flow (dinic)", ref_sp))
    rows.append(
        ("bottlenecks() (max-flow + all five lists)", ours_full, "igraph maxflow_value()", ref_ig)
    )
    rows.append(
        (
            "bottlenecks() (max-flow + all five lists)",
            ours_full,
            "scipy maximum_flow (dinic)",
            ref_sp,
        )
    )

    # -- sampled betweenness ---------------------------------------------------------------
    k = args.samples
    picked = random.Random(args.seed).sample(range(n), k)
    L = lay.W.tocoo()
    gb = igraph.Graph(n=n, edges=np.column_stack([L.row, L.col]), directed=True)
    gb.es["length"] = (1.0 / L.data).tolist()
    ours, res = best(lambda: centrality(eco, "betweenness", samples=k, seed=args.seed), 1)
    ref, raw = best(lambda: gb.betweenness(directed=True, weights="length", sources=picked), 1)
    rows.append((f"betweenness, {k} sampled sources", ours, "igraph betweenness(sources=)", ref))
    # same sources: the estimates agree up to igraph's 1e-10 tie tolerance
    raw = np.asarray(raw)
    scale = np.full(n, 1.0 / (k * (n - 2)))
    scale[picked] = 1.0 / ((k - 1) * (n - 2))
    ref_vals = raw * scale
    got = np.array([res["values"][v] for v in lay.nodes])
    print(
        f"betweenness vs igraph: max abs difference {np.abs(got - ref_vals).max():.2e} "
        f"(largest value {ref_vals.max():.3e})",
        file=log,
    )

    # -- pagerank --------------------------------------------------------------------------
    ours, pr = best(lambda: centrality(eco, "pagerank"), args.repeat)
    ref, x = best(lambda: scipy_pagerank(lay.W), args.repeat)
    rows.append(("pagerank", ours, "scipy power iteration (CSR)", ref))
    got = np.array([pr["values"][v] for v in lay.nodes])
    print(f"pagerank vs scipy reference: L1 difference {np.abs(got - x).sum():.1e}", file=log)
    gp = igraph.Graph(n=n, edges=np.column_stack([L.row, L.col]), directed=True)
    gp.es["w"] = L.data.tolist()
    ref_ig, y = best(lambda: gp.pagerank(directed=True, damping=0.85, weights="w"), args.repeat)
    rows.append(("pagerank", ours, "igraph pagerank (PRPACK)", ref_ig))
    print(
        f"pagerank vs igraph PRPACK: L1 difference {np.abs(got - np.asarray(y)).sum():.1e}",
        file=log,
    )

    # -- the rest --------------------------------------------------------------------------
    from scipy.sparse.linalg import eigs, svds

    M = sp.csr_array((lay.W / lay.W.data.max()).T)
    for metric, name, reference in [
        ("eigenvector", "scipy eigs(k=1, 'LR')", lambda: eigs(M, k=1, which="LR", v0=np.ones(n))),
        ("hubs", "scipy svds(k=1)", lambda: svds(lay.W / lay.W.data.max(), k=1, v0=np.ones(n))),
        ("katz", "-", None),
        ("degree", "-", None),
    ]:
        ours, _ = best(lambda m=metric: centrality(eco, m), args.repeat)  # type: ignore[misc]
        ref = best(reference, args.repeat)[0] if reference else math.nan
        rows.append((metric, ours, name, ref))

    grouped, _ = best(lambda: centrality(eco, "pagerank", by_group=True), args.repeat)
    rows.append(("pagerank --by-group (contraction cached)", grouped, "-", math.nan))

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    # -- report ----------------------------------------------------------------------------
    header = ("analysis", "ecograph (s)", "reference", "reference (s)", "ratio")
    print(f"| {' | '.join(header)} |")
    print("|" + "|".join(["---", "---:", "---", "---:", "---:"]) + "|")
    for what, mine, name, theirs in rows:
        ratio = f"{mine / theirs:.2f}x" if math.isfinite(theirs) else "-"
        ref_s = f"{theirs:.3f}" if math.isfinite(theirs) else "-"
        print(f"| {what} | {mine:.3f} | {name} | {ref_s} | {ratio} |")
    print()
    print(
        f"Map: {len(eco.nodes):,} nodes, {len(eco.pipes):,} pipes (seed {args.seed}); "
        f"cold: pipe arrays {cold_arrays:.2f} s, weighted layer {cold_layer:.2f} s, "
        f"first max_flow() {cold_mf:.2f} s; "
        f"peak RSS {peak:.2f} GB; {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, best of {args.repeat} "
        f"(betweenness and igraph max-flow: 1 run)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
