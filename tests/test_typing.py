"""Type checkers see the real signatures of the functions with former keyword names.

``ecograph._aliases.renamed`` accepts the former names at run time; for mypy (and IDEs)
the wrapped function keeps its parameters and return type, so a wrong keyword, a wrong
type or a misused return value is caught, while the right calls pass.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from mypy import api

import ecograph

ROOT = Path(__file__).parent.parent

CALLS = """\
import ecograph

eco = ecograph.load("ecosystems/minimal.yaml")
flow: float = ecograph.max_flow(eco, "shop", currency="traffic")
shares: dict[str, float] = ecograph.dependency(eco, node="shop").shares
ranking = ecograph.centrality(eco, "pagerank", top=3, currency="goods").values
change: ecograph.WhatIf = ecograph.whatif(eco, "s.yaml", top=3, currency="traffic")
fits = ecograph.fit(eco, node="shop", measure="jaccard")
ecograph.dependency(eco, nod="shop")
ecograph.centrality(eco, "pagerank", top="3")
text: str = ecograph.max_flow(eco, "shop")
ecograph.value(eco, kind="traffic")
ecograph.funnel(eco, target="shop")
"""
#: line -> what mypy must say there (the first eight lines are right and must pass)
WRONG = {
    9: 'Unexpected keyword argument "nod" for "dependency"',
    10: 'Argument "top" to "centrality" has incompatible type "str"',
    11: 'Incompatible types in assignment (expression has type "float", variable has type "str")',
    # the former names run, but a type checker asks for the new ones
    12: 'Unexpected keyword argument "kind" for "value"',
    13: 'Unexpected keyword argument "target" for "funnel"',
}


def test_mypy_sees_the_real_signatures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the project's mypy configuration and cache
    path = tmp_path / "calls.py"
    path.write_text(CALLS, encoding="utf-8")
    out, err, code = api.run(
        [str(path), "--config-file", "pyproject.toml", "--strict", "--follow-imports=silent"]
    )
    assert code == 1, out + err
    errors: dict[int, list[str]] = {}
    for line in out.splitlines():
        parts = line.split(":", 3)
        # (mypy may name the file where its cache first saw the same text)
        if len(parts) == 4 and parts[0].endswith("calls.py") and parts[2].strip() == "error":
            errors.setdefault(int(parts[1]), []).append(parts[3])
    assert sorted(errors) == sorted(WRONG), out
    for number, message in WRONG.items():
        assert any(message in e for e in errors[number]), (number, errors[number])


def test_former_names_still_run_and_signatures_are_real() -> None:
    eco = ecograph.loads(
        "ecograph: 1\nname: t\nnodes:\n  u: {kind: pool, inflow: 10}\n"
        "  s: {kind: partner, outflow: 10}\npipes:\n  - {from: u, to: s, volume: 10}\n"
    )
    # at run time the former names are aliases of the new ones
    assert ecograph.value(eco, kind="traffic") == ecograph.value(eco, currency="traffic")
    assert ecograph.funnel(eco, target="s") == ecograph.funnel(eco, node="s")
    # help() and IDEs read the real parameters
    assert list(inspect.signature(ecograph.funnel).parameters) == ["eco", "node", "currency"]
    assert inspect.signature(ecograph.max_flow).return_annotation in (float, "float")
