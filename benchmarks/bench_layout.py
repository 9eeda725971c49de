"""Time the map's layouts at the node budget, against networkx and igraph in the same run.

The drawing of a generated map folded to the default budget (2,000 drawn nodes) is laid
out by:

- ``force_layout`` (ecograph: rings turned and relaxed, what the page and the picture
  show), against networkx ``spring_layout`` (Fruchterman-Reingold, 50 iterations) and
  igraph ``layout_fruchterman_reingold`` (500 iterations), all three started from the
  same ring positions on the same graph (pipes plus membership links);
- ``crossings`` (pipe crossings, what ``layout="auto"`` counts twice), against a plain
  Python double loop over the same segments (checked equal);
- ``describe(layout="auto")`` (both layouts, both counts, everything else) against
  ``describe(layout="hierarchical")`` (no force layout, no counts).

Run: ``python benchmarks/bench_layout.py [--partners 20000] [--pipes 60000]
[--repeat 3]``. Prints a Markdown table for ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import igraph as ig
import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import best
from generate import generate

from ecograph.render import describe
from ecograph.render.layout import crossings, force_layout, ring_layout


def plain_crossings(pos: dict[str, tuple[float, float]], links: list[tuple[str, str]]) -> int:
    lines = sorted({(min(s, t), max(s, t)) for s, t in links if s != t})

    def side(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> int:
        v = (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
        return (v > 0) - (v < 0)

    count = 0
    for k, (a, b) in enumerate(lines):
        for c, d in lines[k + 1 :]:
            if {a, b} & {c, d}:
                continue
            pa, pb, pc, pd = pos[a], pos[b], pos[c], pos[d]
            if side(pa, pb, pc) * side(pa, pb, pd) < 0 and side(pc, pd, pa) * side(pc, pd, pb) < 0:
                count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--partners", type=int, default=20_000)
    parser.add_argument("--pipes", type=int, default=60_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    eco = generate(seed=0, platforms=5, sub_ecosystems=60, partners=args.partners, pipes=args.pipes)
    drawing = describe(eco, layout="hierarchical")
    order = [n.id for n in drawing.nodes]
    parent = {n.id: n.parent for n in drawing.nodes}
    size = {n.id: n.size for n in drawing.nodes}
    links = [(e.source, e.target) for e in drawing.edges]
    print(
        f"map: {len(eco.nodes):,} nodes, {len(eco.pipes):,} pipes; drawn: {len(order):,} nodes, "
        f"{len(links):,} pipes",
        file=sys.stderr,
    )
    rings = ring_layout(order, parent, size)
    graph = nx.Graph()
    graph.add_nodes_from(order)
    graph.add_edges_from(links)
    graph.add_edges_from((n, p) for n, p in parent.items() if p is not None)
    index = {n: i for i, n in enumerate(order)}
    igraph = ig.Graph(n=len(order), edges=[(index[a], index[b]) for a, b in graph.edges])
    seed = [list(rings[n]) for n in order]

    rows = []
    t_force, pos = best(lambda: force_layout(order, parent, size, links), args.repeat)
    t_nx, _ = best(lambda: nx.spring_layout(graph, pos=rings, iterations=50, seed=0), args.repeat)
    t_ig, _ = best(lambda: igraph.layout_fruchterman_reingold(seed=seed, niter=500), args.repeat)
    rows.append(("force_layout (rings turned + 30 steps)", t_force, "networkx spring_layout", t_nx))
    rows.append(("force_layout (rings turned + 30 steps)", t_force, "igraph FR (500 it.)", t_ig))
    t_cross, fast = best(lambda: crossings(pos, links), args.repeat)
    t_plain, plain = best(lambda: plain_crossings(pos, links), 1)
    assert fast == plain, (fast, plain)
    rows.append((f"crossings ({fast:,} found)", t_cross, "plain Python double loop", t_plain))
    t_auto, auto = best(lambda: describe(eco, layout="auto"), args.repeat)
    t_tree, _ = best(lambda: describe(eco, layout="hierarchical"), args.repeat)
    rows.append(
        (f"describe(layout='auto') -> {auto.layout}", t_auto, "describe(hierarchical)", t_tree)
    )
    print("| step | ecograph (s) | reference | reference (s) | ratio |")
    print("|---|---:|---|---:|---:|")
    for name, ours, ref, theirs in rows:
        print(f"| {name} | {ours:.3f} | {ref} | {theirs:.3f} | {ours / theirs:.2f}x |")
    print(f"\n{auto.layout_reason}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
