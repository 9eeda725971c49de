"""Time what-if scenarios and diffs on the large synthetic map, against references in the same run.

- apply (remove a sub-ecosystem, block 1,000 pipes, widen 1,000; re-trace every currency):
  against one sparse solve per changed currency: for each currency the scenario touches,
  the routing matrix ``P`` built from ready numpy arrays and one scipy GMRES solve of
  ``(I - P)^T x = b`` (what the re-trace cannot avoid);
- whatif without diagnosis (apply, then flow, max-flow to one target, PageRank, reach of
  the named nodes, value sheets and volume changes on both maps): against the same solves;
- the whatif result as one DataFrame (``WhatIf.to_frame``, built section by section):
  against ``pandas.DataFrame.from_records(result.rows())``, a table of one dict per row
  (what ``pandas.DataFrame(result)`` does);
- diff without diagnosis (structure field by field, then the same comparison): against a
  pyarrow full outer join of the two pipe tables (``CompiledMap.to_arrow``) on their keys;
  ``diff`` structure alone (``--structure-only`` timing row) against the same join.

Diagnosis is left out (``--no-diagnosis``) so that these rows time what-if and diff
alone; the batched diagnosis of every node is timed by ``bench_diagnose.py`` (about 6x
``flow`` at 100,000 partners, see RESULTS.md), once per map when it is included.

With ``--process`` the map is also written as Parquet tables with a stub map, the scenario
as a file, and one whole ``ecograph whatif MAP SCENARIO --no-diagnosis --format json``
process is timed with its peak RSS (``/usr/bin/time``): the memory of load plus what-if,
without the generator's objects this script holds.

With ``--growth`` the same steps run first on the map half as large (half the partners
and pipes) and the growth factor of each step is printed. The peak resident memory of
the process is printed at the end.

Run: ``python benchmarks/bench_compare.py [--partners 100000] [--pipes 1000000] [--seed 0]
[--growth] [--process]``. Prints Markdown tables for ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
import scipy.sparse.linalg as spla

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import best
from generate import generate

import ecograph
from ecograph.analysis._linalg import RTOL
from ecograph.compare import compare, diff, whatif
from ecograph.compiled import CompiledMap, compiled
from ecograph.model import CURRENCIES
from ecograph.scenario import Scenario, apply, loads_scenario


def solve_inputs(base: CompiledMap, after: CompiledMap) -> list[tuple[Any, ...]]:
    """Per currency whose pipes or boundary flows differ between the maps: the arrays one
    re-trace solve needs (ends, base routing shares, boundary inflow), built outside the
    timing."""
    out = []
    index = base.index
    for kind in CURRENCIES:
        la, lb = base.layer(kind), after.layer(kind)
        if not len(la.rows) and not len(lb.rows):
            continue
        same = (
            la.keys == lb.keys
            and np.array_equal(la.is_open, lb.is_open)
            and np.array_equal(la.inflow, lb.inflow)
        )
        if same:
            continue
        _, out_sum = la.pipe_sums
        passed = la.outflow + out_sum  # what each node passed on (reroute: lost)
        rows = np.fromiter((index[n] for n in after.ids), np.int64, after.n)
        src, dst = lb.src[lb.is_open], lb.dst[lb.is_open]
        den = passed[rows[src]]
        was = dict(zip(la.keys, la.volume.tolist(), strict=True))  # the base map's volumes
        keys = lb.keys
        vol = np.array([was[keys[j]] for j in np.flatnonzero(lb.is_open).tolist()])
        out.append((after.n, src, dst, vol, den, lb.inflow.copy()))
    return out


def reference_solves(inputs: list[tuple[Any, ...]]) -> list[np.ndarray]:
    """One sparse solve per changed currency: ``P`` from the arrays, then GMRES."""
    xs = []
    for n, src, dst, vol, den, b in inputs:
        share = np.divide(vol, den, out=np.zeros_like(vol), where=den > 0)
        P = sp.csr_array((share, (src, dst)), shape=(n, n))
        A = sp.csr_array(sp.eye_array(n, format="csr") - P.T)
        x, _ = spla.gmres(A, b, rtol=RTOL, atol=0.0, restart=60, maxiter=max(200, n // 60))
        xs.append(np.asarray(x))
    return xs


def arrow_join(a: pa.Table, b: pa.Table) -> pa.Table:
    """The diff reference: a full outer join of two pipe tables on their keys."""
    return a.join(b, keys="key", join_type="full outer", left_suffix="_a", right_suffix="_b")


def scenario_for(eco: ecograph.Ecosystem, seed: int) -> tuple[Scenario, str]:
    text, target = scenario_text(eco, seed)
    scenario = loads_scenario(text)
    print(f"scenario: {len(scenario.changes)} changes", file=sys.stderr)
    return scenario, target


def scenario_text(eco: ecograph.Ecosystem, seed: int) -> tuple[str, str]:
    rng = np.random.default_rng(seed)
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
    print(f"scenario removes {gone} with {len(eco.members(gone))} members", file=sys.stderr)
    return "\n".join(lines) + "\n", target


def whole_process(eco: ecograph.Ecosystem, seed: int) -> None:
    """One ``ecograph whatif`` process on the map as Parquet tables: wall time, peak RSS."""
    import os
    import tempfile

    from bench_cache import run as run_process
    from generate import write_tables

    with tempfile.TemporaryDirectory() as tmp:
        stub = write_tables(eco, tmp, "parquet")
        text, _ = scenario_text(eco, seed)
        scenario_file = Path(tmp) / "scenario.yaml"
        scenario_file.write_text(text, "utf-8")
        env = {**os.environ, "ECOGRAPH_CACHE_DIR": str(Path(tmp) / "cache")}
        command = ["whatif", str(stub), str(scenario_file), "--no-diagnosis", "--no-cache"]
        seconds, peak, _ = run_process(
            [sys.executable, "-m", "ecograph", *command, "--format", "json"], env
        )
        print(
            f"\nwhole process `ecograph {' '.join(command[:1])} MAP SCENARIO --no-diagnosis "
            f"--format json` on Parquet tables: {seconds:.1f} s, peak RSS {peak:,.0f} MB"
        )


def run(
    partners: int, pipes: int, seed: int, repeat: int, process: bool = False
) -> list[tuple[str, float, str, float]]:
    t0 = time.perf_counter()
    eco = generate(seed=seed, partners=partners, pipes=pipes)
    compiled(eco)
    print(f"generated {eco!r} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if process:
        whole_process(eco, seed)
    scenario, target = scenario_for(eco, seed)
    rows: list[tuple[str, float, str, float]] = []

    ours, after = best(lambda: apply(eco, scenario), repeat)
    inputs = solve_inputs(compiled(eco), compiled(after))
    ref, xs = best(lambda: reference_solves(inputs), repeat)
    solves = f"{len(inputs)} sparse solve(s), one per changed currency"
    rows.append(("apply (re-trace every currency)", ours, solves, ref))
    T = ecograph.flow(after).throughflow
    x = xs[0]
    worst = max(abs(T[v] - x[i]) / max(x[i], 1.0) for i, v in enumerate(compiled(after).ids))
    print(
        f"  re-traced throughflow vs reference solve: max rel. difference {worst:.1e}",
        file=sys.stderr,
    )

    ours, result = best(lambda: whatif(eco, scenario, targets=[target], diagnosis=False), repeat)
    rows.append(("whatif (apply + compare, no diagnosis)", ours, solves, ref))
    print(
        f"  whatif: changed sections {result['changed']}; {len(result['traffic'])} nodes "
        f"and {len(result['volumes'])} pipes changed volume",
        file=sys.stderr,
    )
    ours, _ = best(
        lambda: compare(eco, after, targets=[target], focus=[target], diagnosis=False), repeat
    )
    rows.append(("compare alone (no diagnosis)", ours, solves, ref))

    import pandas as pd

    ours, table_ = best(result.to_frame, repeat)
    ref_frame, _ = best(lambda: pd.DataFrame.from_records(result.rows()), repeat)
    rows.append(
        (
            f"whatif result as a DataFrame (to_frame, {len(table_):,} rows)",
            ours,
            "pandas.DataFrame.from_records(result.rows())",
            ref_frame,
        )
    )

    tables = (compiled(eco).to_arrow()[1], compiled(after).to_arrow()[1])
    ref, joined = best(lambda: arrow_join(*tables), repeat)
    ours, d = best(lambda: diff(eco, after, targets=[target], diagnosis=False), repeat)
    rows.append(("diff (structure + compare, no diagnosis)", ours, "pyarrow outer join", ref))
    print(
        f"  diff: {len(d['nodes']['removed'])} nodes removed, {len(d['pipes']['removed'])} "
        f"pipes removed, {len(d['pipes']['changed'])} pipe fields changed; the join has "
        f"{joined.num_rows} rows",
        file=sys.stderr,
    )
    return rows


def table(rows: list[tuple[str, float, str, float]]) -> None:
    header = ("step", "ecograph (s)", "reference", "reference (s)", "ratio")
    print(f"| {' | '.join(header)} |")
    print("|---|---:|---|---:|---:|")
    for what, mine, name, theirs in rows:
        print(f"| {what} | {mine:.3f} | {name} | {theirs:.3f} | {mine / theirs:.2f}x |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--pipes", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--growth", action="store_true", help="also run at half the size")
    parser.add_argument("--process", action="store_true", help="also time a whole process")
    args = parser.parse_args(argv)

    half = None
    if args.growth:
        half = run(args.partners // 2, args.pipes // 2, args.seed, args.repeat)
        print(f"\nhalf size: {args.partners // 2} partners, {args.pipes // 2} pipes\n")
        table(half)
    rows = run(args.partners, args.pipes, args.seed, args.repeat, args.process)
    print(f"\nfull size: {args.partners} partners, {args.pipes} pipes\n")
    table(rows)
    if half is not None:
        print("\n| step | growth for twice the map (ecograph) | growth (reference) |")
        print("|---|---:|---:|")
        for (what, small, _, ref_small), (_, large, _, ref_large) in zip(half, rows, strict=True):
            print(f"| {what} | {large / small:.2f}x | {ref_large / ref_small:.2f}x |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of the whole run (generator, both maps, every step): {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
