"""Time longtail, fit, export, import and the report page, against references in the same run.

- longtail: against numpy alone on the same received-traffic array (sort, cumulative
  sums, the Gini by its sorted-rank formula);
- long-tail chart (PNG, binned): against one matplotlib ``Figure`` plotting the same
  cumulative curve;
- fit: against a plain Python loop of set intersections over the same partners and hosts;
- export GraphML / GEXF (smaller map: networkx's XML writers take minutes at 1M pipes):
  against networkx's own writer on the already flattened graph (what is left is
  ecograph's flattening);
- export CSV tables (large map, in memory): against the csv module writing five cells a row;
- import (CSV tables to a valid map, smaller map): against ``ecograph.loads`` of the YAML
  text it produces (import = reading cells + writing YAML + that validation);
- report page without diagnosis (smaller map): against ``ecograph render`` of the same map
  (the page embeds it);
- diagnose (2,000 partners): against one node's dependency + bottlenecks (it does about that
  per node).

Run: ``python benchmarks/bench_reports.py [--partners 100000] [--pipes 1000000]
[--small-partners 10000] [--small-pipes 30000]``. Prints a Markdown table for
``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
from pathlib import Path

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import best
from generate import generate

import ecograph
from ecograph.analysis.fit import fit, host_of
from ecograph.analysis.longtail import longtail, received
from ecograph.exchange import export, import_tables, to_flat_graph, to_tables
from ecograph.render import render
from ecograph.render.charts import chart
from ecograph.render.report import report


def numpy_tail(values: np.ndarray) -> tuple[float, float]:
    x = np.sort(values)
    n = len(x)
    total = x.sum()
    ranks = np.arange(1, n + 1)
    gini = float((2 * (ranks * x).sum() / (n * total)) - (n + 1) / n)
    top = x[::-1][: (n + 4) // 5].sum() / total
    return gini, float(top)


def matplotlib_curve(values: np.ndarray) -> bytes:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 7.2), dpi=100)
    ax = fig.add_subplot()
    x = np.sort(values)[::-1]
    ax.plot(np.linspace(0, 1, len(x)), np.cumsum(x) / x.sum())
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def plain_fit(eco: ecograph.Ecosystem) -> dict[str, float]:
    out = {}
    for node in eco.nodes.values():
        if node.kind not in ("partner", "producer", "channel") or not node.tags:
            continue
        host = host_of(eco, node.id)
        if host is None:
            continue
        tags = {t.lower() for t in node.tags}
        genes = {g.lower() for g in eco.nodes[host].genes}
        out[node.id] = len(tags & genes) / len(tags)
    return out


def csv_rows(eco: ecograph.Ecosystem) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for node in eco.nodes.values():
        writer.writerow([node.id, node.kind, node.label, node.parent or "", node.users or ""])
    for pipe in eco.pipes:
        writer.writerow([pipe.key, pipe.from_node, pipe.to_node, pipe.kind, pipe.volume or ""])
    return buffer.getvalue().encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--pipes", type=int, default=1_000_000)
    parser.add_argument("--small-partners", type=int, default=10_000)
    parser.add_argument("--small-pipes", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    rows: list[tuple[str, float, str, float]] = []
    r = args.repeat

    eco = generate(seed=args.seed, partners=args.partners, pipes=args.pipes)
    print(f"large: {eco!r}", file=sys.stderr)
    ours, lt = best(lambda: longtail(eco), r)
    values = np.array(list(received(eco, "traffic", list(lt.values)).values()))
    ref, (gini, top) = best(lambda: numpy_tail(values), r)
    rows.append((f"longtail ({lt.n:,} partners)", ours, "numpy sort + Gini", ref))
    print(
        f"  gini {lt.gini:.6f} vs numpy {gini:.6f}; top 20% {lt.top20_share:.6f} vs {top:.6f}",
        file=sys.stderr,
    )
    ours, _ = best(lambda: chart(lt, "png"), r)
    ref, _ = best(lambda: matplotlib_curve(values), r)
    rows.append(("long-tail chart, Pareto PNG", ours, "one matplotlib curve PNG", ref))
    ours, f = best(lambda: fit(eco), r)
    ref, plain = best(lambda: plain_fit(eco), r)
    rows.append(("fit (overlap, gaps, overuse)", ours, "set intersections in a loop", ref))
    worst = max(abs(f.partners[n].score - s) for n, s in plain.items())  # type: ignore[operator]
    print(f"  fit scores vs the plain loop: max difference {worst:.1e}", file=sys.stderr)

    small = generate(seed=args.seed, partners=args.small_partners, pipes=args.small_pipes)
    print(f"small: {small!r}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        flat = to_flat_graph(small)
        ours, _ = best(lambda: export(small, out / "m.graphml"), r)
        ref, _ = best(lambda: nx.write_graphml(flat, out / "ref.graphml"), r)
        rows.append(("export GraphML (small map)", ours, "nx.write_graphml, flat graph", ref))
        flat_pid = to_flat_graph(small, pid=True)
        ours, _ = best(lambda: export(small, out / "m.gexf"), r)
        ref, _ = best(lambda: nx.write_gexf(flat_pid, out / "ref.gexf"), r)
        rows.append(("export GEXF (small map)", ours, "nx.write_gexf, flat graph", ref))
        ours, _ = best(lambda: to_tables(eco), r)
        ref, _ = best(lambda: csv_rows(eco), r)
        rows.append(("export CSV tables, in memory", ours, "csv.writer, 5 columns", ref))

        export(small, out / "tables")
        nodes_csv, pipes_csv = out / "tables" / "nodes.csv", out / "tables" / "pipes.csv"
        ours, text = best(lambda: import_tables(nodes_csv, pipes_csv, name="small"), r)
        ref, _ = best(lambda: ecograph.loads(text), r)
        rows.append(("import CSV tables (small map)", ours, "ecograph.loads of its YAML", ref))
        ours, _ = best(lambda: report(small, out / "report.html", diagnosis=False), r)
        ref, _ = best(lambda: render(small, out / "map.html"), r)
        rows.append(
            ("report page, --no-diagnosis (small map)", ours, "render of the same map", ref)
        )

    # diagnose runs a dependency analysis per node and a max-flow per narrow candidate:
    # timed on a map small enough to finish (10,000 partners did not finish in 4 minutes)
    tiny = generate(seed=args.seed, partners=2_000, pipes=6_000)
    ours, result = best(lambda: ecograph.diagnose(tiny), r)
    target = next(iter(result))
    ref, _ = best(
        lambda: (ecograph.dependency(tiny, target), ecograph.bottlenecks(tiny, target)), r
    )
    rows.append(
        (
            f"diagnose, {len(result):,} nodes (2,000 partners)",
            ours,
            "dependency + bottlenecks, 1 node",
            ref,
        )
    )

    header = ("step", "ecograph (s)", "reference", "reference (s)", "ratio")
    print(f"| {' | '.join(header)} |")
    print("|---|---:|---|---:|---:|")
    for what, mine, name, theirs in rows:
        print(f"| {what} | {mine:.3f} | {name} | {theirs:.3f} | {mine / theirs:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
