"""Maps from tables: ``ecograph check`` of a 100k-partner, 1M-pipe map held in Parquet
(and in CSV) tables, against a reference process that only reads the same two tables
with pyarrow and builds the traffic matrix (CSR) with scipy.

Both are timed as whole processes (``subprocess``, start-up and imports included),
best of ``--repeat``. The ratio says what ecograph's checks, its compiled map, the
warnings and the summary cost on top of reading the tables.

Run: ``python benchmarks/bench_tables.py [--partners N] [--pipes M] [--dir DIR]``
(``--dir`` keeps the tables there and reuses them on the next run).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from generate import generate, write_tables

REFERENCE = """
import sys
import numpy as np, pyarrow as pa, pyarrow.compute as pc, scipy.sparse as sp
folder, fmt = sys.argv[1], sys.argv[2]
if fmt == "parquet":
    import pyarrow.parquet as pq
    nodes = pq.read_table(folder + "/nodes.parquet")
    pipes = pq.read_table(folder + "/pipes.parquet")
else:
    import pyarrow.csv as pacsv
    nodes = pacsv.read_csv(folder + "/nodes.csv")
    pipes = pacsv.read_csv(folder + "/pipes.csv")
ids = nodes.column("id")
traffic = pc.and_(pc.equal(pipes.column("kind"), "traffic"),
                  pc.equal(pipes.column("status"), "open"))
pipes = pipes.filter(traffic)
src = pc.index_in(pipes.column("from"), value_set=ids).to_numpy()
dst = pc.index_in(pipes.column("to"), value_set=ids).to_numpy()
volume = pc.fill_null(pipes.column("volume").cast("float64"), 0.0).to_numpy()
n = len(ids)
csr = sp.csr_matrix((volume, (src, dst)), shape=(n, n))
print(n, pipes.num_rows, csr.nnz, float(csr.sum()))
"""


def timed(command: list[str], repeat: int) -> float:
    """Best wall time of ``repeat`` runs of a command (which must succeed)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    """Generate (or reuse) the tables, time both processes per format, print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--pipes", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--dir", help="where the tables are kept (default: a temporary folder)")
    args = parser.parse_args(argv)
    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="bench-tables-"))
    folders = {fmt: base / fmt for fmt in ("parquet", "csv")}
    if not all((f / "map.yaml").exists() for f in folders.values()):
        start = time.perf_counter()
        eco = generate(partners=args.partners, pipes=args.pipes)
        for fmt, folder in folders.items():
            write_tables(eco, str(folder), fmt)
        print(f"generated and wrote the tables in {time.perf_counter() - start:.1f} s")
    print(f"{args.partners:,} partners, {args.pipes:,} pipes; best of {args.repeat} (s)")
    print(f"{'tables':<8} {'ecograph check':>15} {'reference':>10} {'ratio':>6}")
    for fmt, folder in folders.items():
        check = timed(
            [sys.executable, "-m", "ecograph", "check", str(folder / "map.yaml")], args.repeat
        )
        reference = timed([sys.executable, "-c", REFERENCE, str(folder), fmt], args.repeat)
        print(f"{fmt:<8} {check:>15.2f} {reference:>10.2f} {check / reference:>5.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
