"""Fuzzing the command line with mutated example inputs (GitHub issue 12, "Hostile input").

Every example map in ``ecosystems/``, every scenario in ``ecosystems/scenarios/`` and
both CSV tables in ``ecosystems/tables/`` are mutated byte by byte (flips, deletions,
repeats, truncation) and token by token (anchors, aliases, tags, huge numbers, odd
line breaks, NUL, bidi controls, BOMs...), then run through :func:`ecograph.cli.main`
in-process with random option values. The only outcomes allowed: exit 0, 1 or 2,
no traceback and no "internal error" in the output, and no output file on an error.

Deterministic: a fixed seed per case (``random.Random(seed)``), so a failure names
its seed and reproduces. Bounded: every case has a time limit (SIGALRM) and the
module takes well under a minute.
"""

from __future__ import annotations

import random
import re
import shutil
import signal
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecograph.cli import main

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "ecosystems"
CASES = 600
#: Seconds one case may take (a mutated map is at most a few hundred nodes).
CASE_LIMIT = 15
#: Seconds the whole module may take.
TOTAL_LIMIT = 60

TOKENS = [
    "&a ",
    "*a",
    "!!int ",
    "!!str ",
    "!!float ",
    "!!python/object:os.system ",
    "<<: *a\n",
    "9" * 400,
    "9" * 5000,
    "0x" + "F" * 300,
    "1e999",
    "1.7e308",
    "-1",
    ".nan",
    ".inf",
    "\u2028",
    "\x85",
    "\u2029",
    "\r",
    "\r\n",
    "\t",
    "\x00",
    "\ufeff",
    "\u202e",
    "\u200b",
    '"\\0a": 1\n',
    "[",
    "]",
    "{",
    "}",
    ": ",
    "- ",
    "#",
    ",",
    '"',
    "'",
    "---\n",
    "include: [/dev/zero]\n",
    "include: [../../../../etc/passwd]\n",
    "base: /dev/zero\n",
    "base: ../../../../etc/passwd\n",
    "parent: *a\n",
]
#: Per option: values that are fine, then values that must be usage errors (exit 2).
OPTIONS = {
    "--tolerance": (["0", "0.5", "1e-9", "1e300"], ["nan", "inf", "-1", "1e400", "x", ""]),
    "--kind": (["traffic", "capital", "data"], ["nope", "\u202e"]),
    "--format": (["table", "json"], ["xml"]),
    "--top": (["1", "5", "999999999999999999999"], ["0", "-3", "x"]),
    "--metric": (["pagerank", "betweenness", "katz", "in-degree"], ["nope"]),
    "--alpha": (["0.5", "0.99"], ["nan", "1", "inf", "-inf"]),
}


def mutate(data: bytes, rng: random.Random) -> bytes:
    """Apply one to four random mutations to ``data``."""
    out = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        at = rng.randrange(len(out) + 1)
        choice = rng.random()
        if choice < 0.4:
            out[at:at] = rng.choice(TOKENS).encode("utf-8")
        elif choice < 0.55 and out:
            out[min(at, len(out) - 1)] = rng.randrange(256)
        elif choice < 0.7:
            del out[at : at + rng.randint(1, 40)]
        elif choice < 0.93:
            out[at:at] = out[at : at + rng.randint(1, 80)] * rng.randint(2, 5)
        else:
            del out[at:]
    return bytes(out)


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _Timeout


def _options(rng: random.Random, names: list[str]) -> list[str]:
    args: list[str] = []
    for name in names:
        if rng.random() < 0.5 or name == "--metric":
            good, bad = OPTIONS[name]
            args += [name, rng.choice(bad if rng.random() < 0.15 else good)]
    if rng.random() < 0.3:
        args.append("--allow-outside")
    return args


def _case(seed: int, folder: Path) -> tuple[list[str], list[Path]]:
    """The command line of case ``seed`` (inputs written into ``folder``) and the files
    it may write."""
    rng = random.Random(seed)
    shutil.copytree(EXAMPLES, folder / "ecosystems")
    maps = sorted((folder / "ecosystems").glob("*.yaml"))
    maps = [m for m in maps if m.name != "china-internet.yaml"] + maps[:1]  # the big one rarely
    scenarios = sorted((folder / "ecosystems" / "scenarios").glob("*.yaml"))
    tables = folder / "ecosystems" / "tables"
    out = folder / "out"
    kind = rng.choice(["check", "flow", "centrality", "longtail", "export", "whatif", "import"])
    extra = {"centrality": ["--metric", "--alpha", "--top"], "longtail": ["--top"]}.get(kind, [])
    if kind == "import":
        target = rng.choice([tables / "nodes.csv", tables / "pipes.csv"])
        target.write_bytes(mutate(target.read_bytes(), rng))
        written = out.with_suffix(".yaml")
        args = ["import", str(tables / "nodes.csv"), str(tables / "pipes.csv"), "-o", str(written)]
        if rng.random() < 0.3:
            args += ["--title", rng.choice(["t" * 5000, "\u202eevil", "x\ny"])]
        return args, [written]
    if kind == "whatif":
        scenario = rng.choice(scenarios)
        if rng.random() < 0.7:
            scenario.write_bytes(mutate(scenario.read_bytes(), rng))
        else:
            (written_base,) = re.findall(r"^base: (.*)$", scenario.read_text("utf-8"), re.M)
            base = scenario.parent / written_base
            base.write_bytes(mutate(base.read_bytes(), rng))
        written = out.with_suffix(".yaml")
        args = ["whatif", str(scenario), "--save", str(written), "--no-diagnosis"]
        return args + _options(rng, ["--kind", "--top"]), [written]
    path = rng.choice(maps)
    path.write_bytes(mutate(path.read_bytes(), rng))
    if kind == "export":
        written = out.with_suffix(".json")
        return ["export", str(path), "-o", str(written), *_options(rng, [])], [written]
    if kind == "check":
        return ["check", str(path), *_options(rng, ["--tolerance", "--format"])], []
    return [kind, str(path), *_options(rng, ["--kind", "--format", *extra])], []


@pytest.fixture(scope="module")
def clock() -> list[float]:
    return [time.monotonic()]


@pytest.mark.parametrize("seed", range(CASES))
def test_mutated_inputs_exit_0_1_or_2_without_traceback(
    seed: int, tmp_path: Path, clock: list[float]
) -> None:
    if time.monotonic() - clock[0] > TOTAL_LIMIT:
        pytest.skip(f"the fuzz run's {TOTAL_LIMIT} s budget is spent")
    args, outputs = _case(seed, tmp_path)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(CASE_LIMIT)
    try:
        with CliRunner().isolation() as (out, err, _):
            code = main(args)
            printed = out.getvalue().decode("utf-8", "replace")
            problems = err.getvalue().decode("utf-8", "replace")
    except _Timeout:
        pytest.fail(f"seed {seed}: took over {CASE_LIMIT} s: {args[:2]}")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert code in (0, 1, 2), f"seed {seed}: exit {code}: {problems[-2000:]}"
    for text in (printed, problems):
        assert "Traceback" not in text, f"seed {seed}"
        assert "internal error" not in text, f"seed {seed}: {problems[-2000:]}"
    if code != 0:
        for path in outputs:
            assert not path.exists(), f"seed {seed}: {path.name} written despite exit {code}"
