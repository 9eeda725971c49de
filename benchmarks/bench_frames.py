"""Tables out: the map and results as pandas DataFrames on a large synthetic map.

Times, best of ``--repeat`` in one process:

- ``ecograph.pipes_frame(eco)`` (from the compiled columns) against the reference
  ``networkx.to_pandas_edgelist(eco.graph)`` (the graph already built), and against the
  floor ``pyarrow.Table.to_pandas()`` of the same columns already in Arrow;
- ``ecograph.nodes_frame(eco)`` against ``pandas.DataFrame.from_dict(dict(G.nodes(data=True)),
  orient="index")``;
- ``centrality(eco, "pagerank").to_frame()`` against ``pandas.Series(result.values)``: the
  cost of the common ``rows()`` path over building the one column by hand.

It checks in the same run that both pipe tables have the same rows.

Run: ``python benchmarks/bench_frames.py [--partners N] [--pipes M] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import networkx as nx
import pandas as pd
from _timing import best
from generate import generate

import ecograph
from ecograph.compiled import compiled


def main(argv: list[str] | None = None) -> int:
    """Generate the map, time each frame and its reference, print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--pipes", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    eco = generate(partners=args.partners, pipes=args.pipes)
    G = eco.graph
    cm = compiled(eco)
    arrow_nodes, arrow_pipes = cm.to_arrow()
    rows = []

    t_pipes, pipes = best(lambda: ecograph.pipes_frame(eco), args.repeat)
    t_edges, edges = best(lambda: nx.to_pandas_edgelist(G), args.repeat)
    t_floor, _ = best(lambda: arrow_pipes.to_pandas(), args.repeat)
    rows += [
        ("pipes_frame(eco)", t_pipes, "nx.to_pandas_edgelist(eco.graph)", t_edges),
        ("pipes_frame(eco)", t_pipes, "pyarrow Table.to_pandas() (floor)", t_floor),
    ]
    same = sorted(zip(pipes["from"], pipes["to"], strict=True)) == sorted(
        zip(edges["source"], edges["target"], strict=True)
    )

    t_nodes, _ = best(lambda: ecograph.nodes_frame(eco), args.repeat)
    t_node_ref, _ = best(
        lambda: pd.DataFrame.from_dict(dict(G.nodes(data=True)), orient="index"), args.repeat
    )
    t_node_floor, _ = best(lambda: arrow_nodes.to_pandas(), args.repeat)
    rows += [
        ("nodes_frame(eco)", t_nodes, "DataFrame.from_dict(G.nodes(data=True))", t_node_ref),
        ("nodes_frame(eco)", t_nodes, "pyarrow Table.to_pandas() (floor)", t_node_floor),
    ]

    rank = ecograph.centrality(eco, "pagerank")
    t_frame, frame = best(rank.to_frame, args.repeat)
    t_series, _ = best(lambda: pd.Series(rank.values), args.repeat)
    rows.append(("centrality(...).to_frame()", t_frame, "pd.Series(result.values)", t_series))

    print(f"{args.partners:,} partners, {len(eco.pipes):,} pipes; best of {args.repeat} (s)")
    print(f"{'ecograph':<28} {'s':>7}  {'reference':<42} {'s':>7} {'ratio':>6}")
    for name, t, ref, t_ref in rows:
        print(f"{name:<28} {t:7.3f}  {ref:<42} {t_ref:7.3f} {t / t_ref:5.2f}x")
    print(f"same pipe rows as networkx: {same}; frame rows {len(frame):,}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
