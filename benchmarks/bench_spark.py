"""The Spark engine on one box: whole commands with ``--engine spark`` against the
one-machine engine and against a pyarrow + scipy reference, on the same Parquet map.

For each size of the synthetic map of ``generate.py`` (default 20,000 partners /
200,000 pipes and 100,000 / 1,000,000), written as Parquet tables with a stub map,
this times whole processes: ``check``, ``flow``, ``longtail``, ``value``,
``centrality --metric in-degree`` and ``centrality --metric pagerank`` on
``--engine spark --spark-master local[2]`` and on this machine (``--no-cache``), and
the reference process of ``bench_cache.REFERENCE`` (read both tables with pyarrow,
build the traffic CSR, PageRank in scipy). It prints each time, its ratio to the
one-machine command and to the reference, and PageRank's rounds and tolerance.

Spark on one box is for correctness and for preparing a cluster job, not for speed:
each command pays a JVM start (seconds) and each round of an iteration a few Spark
jobs. The crossover is where a map no longer fits one machine's memory, not a
number of partners this box can show (see RESULTS.md).

Run: ``python benchmarks/bench_spark.py [--partners 20000,100000] [--skip-pagerank]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cache import REFERENCE, run
from generate import generate, write_tables

COMMANDS = {
    "check": ["check", "--quiet"],
    "flow": ["flow", "--format", "json"],
    "longtail": ["longtail", "--format", "json"],
    "value": ["value", "--format", "json"],
    "in-degree": ["centrality", "--metric", "in-degree", "--top", "10"],
    "pagerank": ["centrality", "--metric", "pagerank", "--top", "10"],
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", default="20000,100000")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--skip-pagerank", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    exe = [sys.executable, "-m", "ecograph"]
    spark = ["--engine", "spark", "--spark-master", args.master]
    from ecograph.analysis.centrality import PAGERANK_TOL
    from ecograph.spark import TOLERANCE

    print(f"PageRank: power iteration to L1 change < {PAGERANK_TOL:g} on both engines; ")
    print(f"reach traffic: Jacobi to {TOLERANCE:g} relative (Spark); master {args.master}")
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "ECOGRAPH_CACHE_DIR": str(Path(tmp) / "cache"),
            "ECOGRAPH_SPARK_LOG": str(Path(tmp) / "spark.log"),
        }
        for partners in (int(p) for p in args.partners.split(",")):
            eco = generate(seed=args.seed, partners=partners, pipes=10 * partners)
            folder = Path(tmp) / f"p{partners}"
            stub = write_tables(eco, str(folder), "parquet")
            del eco
            ref = run(
                [
                    sys.executable,
                    "-c",
                    REFERENCE,
                    str(folder / "nodes.parquet"),
                    str(folder / "pipes.parquet"),
                ],
                env,
            )[0]
            print(f"\n{partners:,} partners, {10 * partners:,} pipes (Parquet tables)\n")
            print(
                "| command | one machine (s) | Spark (s) | Spark / one machine "
                "| Spark / reference |"
            )
            print("|---|---:|---:|---:|---:|")
            for name, command in COMMANDS.items():
                if name == "pagerank" and args.skip_pagerank:
                    continue
                local = run([*exe, *command, str(stub), "--no-cache"], env)[0]
                remote = run([*exe, *command, str(stub), *spark], env)[0]
                print(
                    f"| `{name}` | {local:.1f} | {remote:.1f} | {remote / local:.1f}x "
                    f"| {remote / ref:.1f}x |"
                )
            print(f"| reference: pyarrow + scipy PageRank | {ref:.1f} | | | 1.0x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
