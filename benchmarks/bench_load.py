"""Time loading a large YAML map against PyYAML on the same text.

Writes a map of ``--partners`` partner nodes in ``--groups`` sub-ecosystems with one
traffic pipe each (flow style, one node or pipe a line, as a generated map is
written), then times, in this process:

* the libyaml event stream alone (the floor for any loader keeping positions),
* ``yaml.compose`` (what line-number-keeping loaders usually call),
* ``yaml.load`` with the C safe loader (no positions, no checks),
* ``ecograph.load`` (events to data with positions, schema, checks, model),
* building the networkx graph.

Usage: python benchmarks/bench_load.py [--partners 100000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import yaml

import ecograph


def write_map(path: Path, partners: int, groups: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    lines = ["ecograph: 1", "name: big", "nodes:", "  pool: {kind: pool, inflow: 1e12}"]
    lines += [f"  g{j}: {{kind: sub-ecosystem}}" for j in range(groups)]
    volumes = [rng.randint(1, 1000) for _ in range(partners)]
    for i in range(partners):
        lines.append(
            f"  p{i}: {{kind: partner, parent: g{i % groups}, users: {rng.randint(1, 10**6)}, "
            f"tags: [a, b], outflow: {volumes[i]}}}"
        )
    lines.append("pipes:")
    for i in range(partners):
        lines.append(
            f"  - {{from: pool, to: p{i}, kind: traffic, volume: {volumes[i]}, capacity: 5000}}"
        )
    path.write_text("\n".join(lines) + "\n", "utf-8")


def timed(label: str, func: object, reference: float | None = None) -> float:
    start = time.perf_counter()
    func()  # type: ignore[operator]
    seconds = time.perf_counter() - start
    ratio = f"  {seconds / reference:5.2f}x of yaml.load" if reference else ""
    print(f"{label:44s} {seconds:7.2f} s{ratio}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.yaml"
        write_map(path, args.partners, args.groups)
        text = path.read_text("utf-8")
        print(f"map: {args.partners:,} partners, {len(text) / 1e6:.1f} MB of YAML")
        ref = timed("yaml.load (CSafeLoader), reference", lambda: yaml.load(text, yaml.CSafeLoader))
        timed(
            "libyaml events only", lambda: sum(1 for _ in yaml.parse(text, yaml.CSafeLoader)), ref
        )
        timed(
            "yaml.compose (nodes with positions)", lambda: yaml.compose(text, yaml.CSafeLoader), ref
        )
        eco = None

        def load() -> None:
            nonlocal eco
            eco = ecograph.load(path)

        timed("ecograph.load (positions, schema, checks)", load, ref)
        assert eco is not None
        timed("eco.graph (networkx MultiDiGraph)", lambda: eco.graph, ref)


if __name__ == "__main__":
    main()
