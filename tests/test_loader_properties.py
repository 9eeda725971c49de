"""Property tests: generated valid maps always load; mutated maps never raise anything
but MapError (no traceback reaches a user)."""

from __future__ import annotations

import string

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ecograph
from ecograph import MapError
from ecograph.model import CURRENCIES, NODE_KINDS

ids = st.text(alphabet=string.ascii_lowercase + string.digits + "-_.", min_size=1, max_size=12)
amounts = st.integers(min_value=0, max_value=10**9)


@st.composite
def valid_maps(draw: st.DrawFn) -> dict[str, object]:
    """A valid, balanced map: a pool feeds nodes along random pipes; sinks take the rest."""
    names = draw(st.lists(ids, min_size=1, max_size=12, unique=True))
    nodes: dict[str, dict[str, object]] = {}
    for i, name in enumerate(names):
        node: dict[str, object] = {"kind": draw(st.sampled_from(NODE_KINDS))}
        if i > 0 and draw(st.booleans()):
            node["parent"] = names[draw(st.integers(0, i - 1))]
        if draw(st.booleans()):
            node["label"] = draw(st.text(max_size=20))
        nodes[name] = node
    pipes = []
    flow_in = {n: {c: 0 for c in CURRENCIES} for n in names}
    flow_out = {n: {c: 0 for c in CURRENCIES} for n in names}
    if len(names) > 1:
        for _ in range(draw(st.integers(0, 20))):
            a, b = draw(st.lists(st.sampled_from(names), min_size=2, max_size=2, unique=True))
            kind = draw(st.sampled_from(CURRENCIES))
            volume = draw(amounts)
            pipe: dict[str, object] = {"from": a, "to": b, "kind": kind, "volume": volume}
            if draw(st.booleans()):
                pipe["capacity"] = volume + draw(amounts)
            pipes.append(pipe)
            flow_out[a][kind] += volume
            flow_in[b][kind] += volume
    for name in names:
        gap = {c: flow_in[name][c] - flow_out[name][c] for c in CURRENCIES}
        inflow = {c: -g for c, g in gap.items() if g < 0}
        outflow = {c: g for c, g in gap.items() if g > 0}
        if inflow:
            nodes[name]["inflow"] = inflow
        if outflow:
            nodes[name]["outflow"] = outflow
    return {"ecograph": 1, "name": "generated", "nodes": nodes, "pipes": pipes}


def _dump(data: object) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_maps())
def test_generated_valid_maps_load_with_every_node_and_pipe(data: dict[str, object]) -> None:
    eco = ecograph.loads(_dump(data))
    nodes = data["nodes"]
    assert isinstance(nodes, dict)
    assert list(eco.nodes) == list(nodes)
    assert len(eco.pipes) == len(data["pipes"])  # type: ignore[arg-type]
    # balanced by construction, and only leaves without pipes may warn
    assert all("has no pipes" in w.message for w in eco.warnings)
    G = eco.graph
    assert G.number_of_edges() == len(eco.pipes)
    assert set(G.nodes) == set(nodes)


_JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


def _paths(value: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_paths(v, (*prefix, i)))
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_maps(), st.data())
def test_mutated_maps_give_map_errors_never_tracebacks(
    data: dict[str, object], draw: st.DataObject
) -> None:
    paths = _paths(data)
    path = draw.draw(st.sampled_from(paths))
    action = draw.draw(st.sampled_from(["replace", "delete", "add-key"]))
    if not path:
        mutated: object = draw.draw(_JUNK)
    else:
        mutated = data
        parent: object = data
        for part in path[:-1]:
            parent = parent[part]  # type: ignore[index]
        last = path[-1]
        if action == "delete" and isinstance(parent, dict):
            del parent[last]
        elif action == "add-key" and isinstance(parent, dict):
            parent[draw.draw(st.text(max_size=6))] = draw.draw(_JUNK)
        else:
            parent[last] = draw.draw(_JUNK)  # type: ignore[index]
    try:
        text = _dump(mutated)
    except yaml.YAMLError:  # pragma: no cover - the dumper refused the junk
        return
    try:
        ecograph.loads(text)
    except MapError as err:
        assert err.diagnostics
        for d in err.diagnostics:
            assert d.line >= 1 and d.column >= 1
            assert "\n" not in str(d)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_give_map_errors_never_tracebacks(blob: bytes) -> None:
    try:
        ecograph.loads(blob.decode("utf-8", errors="replace"))
    except MapError as err:
        assert err.diagnostics


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="{}[]:,-&*!|>'\"#%@` \n\tabc01.~?", max_size=80))
def test_yaml_punctuation_soup_never_tracebacks(text: str) -> None:
    try:
        ecograph.loads(text)
    except MapError as err:
        assert err.diagnostics


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_maps(), st.data())
def test_fast_and_complete_schema_validators_agree(
    data: dict[str, object], draw: st.DataObject
) -> None:
    """The fast path (fastjsonschema) must never call valid what jsonschema rejects."""
    import fastjsonschema
    import jsonschema

    paths = [p for p in _paths(data) if p]
    path = draw.draw(st.sampled_from(paths))
    parent: object = data
    for part in path[:-1]:
        parent = parent[part]  # type: ignore[index]
    parent[path[-1]] = draw.draw(_JUNK)  # type: ignore[index]
    fast = fastjsonschema.compile(ecograph.schema())
    try:
        fast(data)
        fast_ok = True
    except fastjsonschema.JsonSchemaValueException:
        fast_ok = False
    full_ok = jsonschema.Draft202012Validator(ecograph.schema()).is_valid(data)
    assert fast_ok == full_ok
