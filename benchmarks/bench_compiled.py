"""One compiled map at platform scale: whole commands on a Parquet map, memory, and growth.

For two sizes of the synthetic map of ``generate.py`` (by default 50,000 partners /
500,000 pipes and 100,000 / 1,000,000), written as Parquet tables with a stub map that
names them, this times whole processes (best of ``--repeat``):

- ``ecograph check``, ``centrality --metric pagerank``, ``flow`` and ``longtail`` on the
  Parquet map (``--no-cache``: the tables are the source);
- the reference: one process that reads both tables with pyarrow, builds the traffic
  CSR with scipy and runs PageRank by power iteration (``bench_cache.REFERENCE``);

and prints each command's ratio to the reference, its peak RSS (``/usr/bin/time``), and
the growth of each command's time from the smaller map to the larger (the issue's bound:
twice the map costs at most 2.2x the time).

Run: ``python benchmarks/bench_compiled.py [--partners 50000,100000] [--repeat 2]``.
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
    "centrality": ["centrality", "--metric", "pagerank", "--top", "10"],
    "flow": ["flow"],
    "longtail": ["longtail"],
}


def best(args: list[str], env: dict[str, str], repeat: int) -> tuple[float, float]:
    runs = [run(args, env)[:2] for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", default="50000,100000")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    sizes = [int(p) for p in args.partners.split(",")]
    exe = [sys.executable, "-m", "ecograph"]
    times: dict[str, list[float]] = {name: [] for name in (*COMMANDS, "reference")}
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "ECOGRAPH_CACHE_DIR": str(Path(tmp) / "cache")}
        for partners in sizes:
            eco = generate(seed=args.seed, partners=partners, pipes=10 * partners)
            folder = Path(tmp) / f"p{partners}"
            stub = write_tables(eco, str(folder), "parquet")
            del eco
            print(f"\n{partners:,} partners, {10 * partners:,} pipes (Parquet tables)\n")
            print("| process | wall (s) | peak RSS (MB) | ratio to reference |")
            print("|---|---:|---:|---:|")
            ref, ref_rss = best(
                [
                    sys.executable,
                    "-c",
                    REFERENCE,
                    str(folder / "nodes.parquet"),
                    str(folder / "pipes.parquet"),
                ],
                env,
                args.repeat,
            )
            times["reference"].append(ref)
            for name, command in COMMANDS.items():
                seconds, rss = best([*exe, *command, str(stub), "--no-cache"], env, args.repeat)
                times[name].append(seconds)
                print(f"| `ecograph {name}` | {seconds:.2f} | {rss:,.0f} | {seconds / ref:.2f}x |")
            print(f"| reference: pyarrow + scipy PageRank | {ref:.2f} | {ref_rss:,.0f} | 1.00x |")
    if len(sizes) == 2:
        print(f"\ngrowth from {sizes[0]:,} to {sizes[1]:,} partners (bound: 2.2x):\n")
        for name, (small, large) in times.items():
            print(f"- {name}: {large / small:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
