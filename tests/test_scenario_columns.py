"""The columnar what-if (``ecograph.scenario.apply``) against the object path it replaced.

``tests/scenario_objects.py`` keeps the former implementation, which changed a dict of
``Node`` and ``Pipe`` objects one by one and re-traced into new objects. On generated
maps (the benchmark generator at a small size, and the example maps) and generated
scenarios using every action, both must give the same changed map: the same nodes and
pipes field for field, in the same order, the same warnings, the same compiled columns,
and the same located errors.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario_objects import apply_objects

import ecograph
from ecograph import MapError
from ecograph.compare import diff, whatif
from ecograph.compiled import compile_model, compiled
from ecograph.errors import UsageError
from ecograph.scenario import apply, loads_scenario

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
try:
    from generate import generate, write_tables
finally:
    sys.path.pop(0)

GENERATED = generate(platforms=2, sub_ecosystems=5, partners=60, pipes=400, seed=3)
MAPS = {
    "generated": GENERATED,
    "china-internet": ecograph.load(ROOT / "ecosystems" / "china-internet.yaml"),
    "alibaba": ecograph.load(ROOT / "ecosystems" / "alibaba.yaml"),
}
_COLUMNS = (
    "ids",
    "kind",
    "parent",
    "users",
    "inflow",
    "outflow",
    "labels",
    "tags",
    "genes",
    "price",
    "owner",
    "domain",
    "keys",
    "src",
    "dst",
    "currency",
    "volume",
    "capacity",
    "cost",
    "conversion",
    "open",
    "paid_by_from",
)


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@st.composite
def _scenario_text(draw: st.DrawFn, eco: ecograph.Ecosystem) -> str:
    nodes = list(eco.nodes)
    keys = [p.key for p in eco.pipes]
    lines = ["scenario: 1", f"reroute: {draw(st.sampled_from(['lost', 'spread']))}"]
    if draw(st.booleans()):
        lines.append(f"targets: [{_q(draw(st.sampled_from(nodes)))}]")
    lines.append("changes:")
    new = 0
    for _ in range(draw(st.integers(1, 6))):
        action = draw(
            st.sampled_from(
                ["remove", "block", "open", "set-pipe", "set-node", "add", "move", "add-pipe"]
            )
        )
        node, other = draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))
        key = draw(st.sampled_from(keys))
        if action == "remove":
            lines.append(f"  - remove: {_q(node)}")
        elif action in ("block", "open"):
            lines.append(f"  - {action}: [{_q(key)}]")
        elif action == "set-pipe":
            field = draw(st.sampled_from(["capacity", "volume", "cost", "conversion"]))
            values = (
                ["null", "0", "0.5", "1"] if field == "conversion" else ["null", "0", "7", "1e4"]
            )
            value = draw(st.sampled_from(values))
            lines.append(f"  - set: {{pipe: {_q(key)}, {field}: {value}}}")
        elif action == "set-node":
            field = draw(st.sampled_from(["inflow", "outflow", "users", "price"]))
            value = draw(st.sampled_from(["null", "0", "250", "{capital: 30}", "{traffic: 0}"]))
            if field in ("users", "price") and value.startswith("{"):
                value = "10"
            lines.append(f"  - set: {{node: {_q(node)}, {field}: {value}}}")
        elif action == "move":
            parent = "null" if draw(st.booleans()) else _q(other)
            lines.append(f"  - move: {{node: {_q(node)}, parent: {parent}}}")
        elif action == "add":
            new += 1
            parent = f", parent: {_q(other)}" if draw(st.booleans()) else ""
            lines.append(f"  - add: {{nodes: {{new-{new}: {{kind: partner{parent}}}}}}}")
            if draw(st.booleans()):
                volume = draw(st.sampled_from(["", ", volume: 40"]))
                lines.append(f"  - add: {{pipes: [{{from: {_q(node)}, to: new-{new}{volume}}}]}}")
        else:
            volume = draw(st.sampled_from(["", ", volume: 5", ", volume: 0"]))
            kind = draw(st.sampled_from(["", ", kind: capital"]))
            pid = f", id: {_q(key)}" if draw(st.integers(0, 5)) == 0 else ""
            lines.append(
                f"  - add: {{pipes: [{{from: {_q(node)}, to: {_q(other)}{volume}{kind}{pid}}}]}}"
            )
    return "\n".join(lines) + "\n"


def _outcome(func: Any, eco: ecograph.Ecosystem, scenario: Any) -> Any:
    try:
        return func(eco, scenario)
    except MapError as err:
        return ("MapError", [str(d) for d in err.diagnostics])
    except UsageError as err:
        return ("UsageError", str(err))


def _same_maps(ours: ecograph.Ecosystem, theirs: ecograph.Ecosystem) -> None:
    assert list(ours.nodes) == list(theirs.nodes)
    for node_id in theirs.nodes:
        assert ours.nodes[node_id] == theirs.nodes[node_id], node_id
    # position by position (each made alone), then all at once
    assert [ours.pipes[i] for i in range(len(theirs.pipes))] == list(theirs.pipes)
    assert list(ours.pipes) == list(theirs.pipes)
    assert [str(w) for w in ours.warnings] == [str(w) for w in theirs.warnings]
    assert ours.files == theirs.files
    # the columns kept with the changed map are those of its objects, compiled afresh
    mine, fresh = compiled(ours), compile_model(theirs)
    for name in _COLUMNS:
        a, b = getattr(mine, name), getattr(fresh, name)
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b, err_msg=name)
        else:
            assert a == b, name


@pytest.mark.parametrize("name", list(MAPS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_columnar_apply_equals_the_object_path(name: str, data: st.DataObject) -> None:
    eco = MAPS[name]
    text = data.draw(_scenario_text(eco))
    scenario = loads_scenario(text)
    ours, theirs = _outcome(apply, eco, scenario), _outcome(apply_objects, eco, scenario)
    if isinstance(theirs, tuple):
        assert ours == theirs, text
        return
    assert not isinstance(ours, tuple), (ours, text)
    _same_maps(ours, theirs)
    # and the comparison of the changed map with its base does not depend on how it was made
    d_ours = diff(eco, ours, diagnosis=False)
    d_theirs = diff(eco, theirs, diagnosis=False)
    assert d_ours == d_theirs
    assert diff(ours, eco, diagnosis=False) == diff(theirs, eco, diagnosis=False)
    targets = list(scenario.targets) or [next(iter(eco.nodes))]
    assert whatif(eco, scenario, targets=targets, diagnosis=False) == whatif(
        eco, scenario, targets=targets, diagnosis=False, applied=theirs
    )


def test_the_benchmark_scenario_equals_the_object_path() -> None:
    # the shape of bench_compare.py: a sub-ecosystem removed, pipes blocked and widened
    eco = generate(platforms=3, sub_ecosystems=20, partners=500, pipes=6000, seed=1)
    rng = np.random.default_rng(1)
    members = set(eco.members("sub-004")) | {"sub-004"}
    open_pipes = [p for p in eco.pipes if p.is_open and not {p.from_node, p.to_node} & members]
    picks = rng.choice(len(open_pipes), size=200, replace=False)
    lines = ["scenario: 1", "changes:", "  - remove: sub-004"]
    lines += [f"  - block: '{open_pipes[i].key}'" for i in picks[:100]]
    lines += [f"  - set: {{pipe: '{open_pipes[i].key}', capacity: 99}}" for i in picks[100:]]
    scenario = loads_scenario("\n".join(lines) + "\n")
    ours, theirs = apply(eco, scenario), apply_objects(eco, scenario)
    _same_maps(ours, theirs)
    assert len(ours.nodes) == len(eco.nodes) - len(members)


def test_changed_map_makes_objects_only_when_read() -> None:
    eco = GENERATED
    key = next(p.key for p in eco.pipes if p.is_open)
    after = apply(eco, loads_scenario(f"scenario: 1\nchanges:\n  - block: '{key}'\n"))
    # the analyses read the columns: flow works without making a single pipe
    ecograph.flow(after)
    assert after.pipes._made is None  # type: ignore[attr-defined]
    assert len(after.pipes) == len(eco.pipes)
    row = compiled(after).keys.index(key)
    assert after.pipes[row].status == "blocked" and after.pipes[row].volume == 0.0
    assert after.pipes._made is None  # type: ignore[attr-defined]


def test_a_map_from_tables_is_changed_without_making_its_pipes(tmp_path: Path) -> None:
    stub = write_tables(GENERATED, str(tmp_path), "parquet")
    eco = ecograph.load(stub)
    pipe = next(p for p in GENERATED.pipes if p.is_open and p.volume)
    # a capacity under the re-traced volume: a warning that names one pipe
    text = f"scenario: 1\nchanges:\n  - set: {{pipe: '{pipe.key}', capacity: 0.5}}\n"
    after = apply(eco, loads_scenario(text))
    over = [w for w in after.warnings if "above capacity" in w.message]
    assert len(over) == 1 and f"({pipe.from_node} -> {pipe.to_node})" in over[0].message
    assert eco.pipes._made is None and after.pipes._made is None  # type: ignore[attr-defined]
    # the same changed map as the object path on the same map
    _same_maps(after, apply_objects(eco, loads_scenario(text)))
