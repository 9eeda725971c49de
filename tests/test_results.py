"""Tables out: every analysis result is plain frozen data with to_dict / rows / to_frame, and
the map itself comes out as DataFrames (nodes_frame, pipes_frame, networkx edge lists)."""

from __future__ import annotations

import copy
import dataclasses
import io
import math
import pickle
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import Any

import networkx as nx
import pandas as pd
import pytest
from click.testing import CliRunner

import ecograph
from ecograph.cli import main
from ecograph.formatting import to_json
from ecograph.results import MappingResult, Result

EXAMPLES = sorted(Path("ecosystems").glob("*.yaml"))

# ads (100 in) splits 60/40 over a and b, which both sell into shop; worked by hand below.
SMALL = """
ecograph: 1
name: small
nodes:
  ads:  {kind: pool, inflow: 100, users: 5000}
  a:    {kind: partner, tags: [tea]}
  b:    {kind: partner, tags: [shoes]}
  shop: {kind: partner, outflow: 100, price: 10}
  hub:  {kind: platform, genes: [tea, books]}
pipes:
  - {from: ads, to: a, volume: 60}
  - {from: ads, to: b, volume: 40}
  - {from: a, to: shop, volume: 60, conversion: 0.1}
  - {from: b, to: shop, volume: 40, conversion: 0.05, capacity: 50, cost: 0.5}
"""


def small() -> ecograph.Ecosystem:
    return ecograph.loads(SMALL)


def every_result(eco: ecograph.Ecosystem, node: str, pool: str) -> dict[str, Result]:
    return {
        "reach": ecograph.reach(eco, pool),
        "flow": ecograph.flow(eco),
        "dependency": ecograph.dependency(eco, node),
        "bottlenecks": ecograph.bottlenecks(eco, node),
        "centrality": ecograph.centrality(eco, "pagerank"),
        "cheapest": ecograph.cheapest(eco, node, demand=10),
        "funnel": ecograph.funnel(eco, node),
        "value": ecograph.value(eco),
        "value-by-group": ecograph.value(eco, by_group=True),
        "fit": ecograph.fit(eco),
        "longtail": ecograph.longtail(eco),
        "compare": ecograph.compare(eco, eco, targets=[node]),
        "diff": ecograph.diff(eco, eco),
        "whatif": ecograph.whatif(
            eco,
            ecograph.loads_scenario(
                f"scenario: 1\ntargets: [{node}]\nchanges:\n  - set: {{node: {node}, users: 5}}\n"
            ),
        ),
    }


def _walk(value: Any) -> Any:
    """Every object inside a result, depth first."""
    yield value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _walk(getattr(value, f.name))
    elif isinstance(value, MappingProxyType | dict):
        for k, v in value.items():
            yield k
            yield from _walk(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _walk(v)


CASES = [("small", small, "shop", "ads"), ("alibaba", None, "shaanxi-apples", "taobao-users")]


@pytest.mark.parametrize(("name", "make", "node", "pool"), CASES, ids=[c[0] for c in CASES])
def test_results_are_plain_frozen_data(
    name: str, make: Callable[[], ecograph.Ecosystem] | None, node: str, pool: str
) -> None:
    eco = make() if make else ecograph.load(f"ecosystems/{name}.yaml")
    for what, result in every_result(eco, node, pool).items():
        assert isinstance(result, Result), what
        assert dataclasses.is_dataclass(result), what
        with pytest.raises(dataclasses.FrozenInstanceError):
            result.kind = "x"  # type: ignore[misc]
        assert not any(isinstance(v, MappingProxyType) for v in _walk(result)), what
        # the standard tools of a dataclass all work and keep every value
        as_dict = dataclasses.asdict(result)
        assert set(as_dict) == {f.name for f in dataclasses.fields(result)}, what
        assert to_json(pickle.loads(pickle.dumps(result))) == to_json(result), what
        assert to_json(copy.deepcopy(result)) == to_json(result), what
        # the three ways out
        assert isinstance(result.to_dict(), dict), what
        rows = result.rows()
        assert isinstance(rows, list) and all(isinstance(r, dict) for r in rows), what
        frame = result.to_frame()
        assert isinstance(frame, pd.DataFrame) and len(frame) == len(rows), what
        if rows:
            assert list(frame.columns) == list(dict.fromkeys(k for r in rows for k in r)), what
        # pandas' own constructor gives the same table
        if rows:
            pd.testing.assert_frame_equal(pd.DataFrame(result), frame)
        else:
            assert pd.DataFrame(result).empty, what


def test_result_fields_make_frames_of_numbers_not_ids() -> None:
    # the first complaint: mappingproxy fields gave node ids in place of numbers
    dep = ecograph.dependency(small(), "shop")
    df = pd.DataFrame({"shares": dep.shares, "loss": dep.loss_if_removed})
    # by hand: all of shop's 100 visits come from ads; 60 through a, 40 through b
    assert df.loc["ads", "shares"] == pytest.approx(1.0)
    assert df.loc["a", "shares"] == pytest.approx(0.6)
    assert df.loc["b", "shares"] == pytest.approx(0.4)
    assert df.loc["a", "loss"] == pytest.approx(60.0)
    assert df.loc["b", "loss"] == pytest.approx(40.0)
    assert df["shares"].dtype == float


def test_frames_hold_the_hand_worked_figures() -> None:
    eco = small()
    flow = ecograph.flow(eco).to_frame().set_index("node")
    # throughflow: what passes each node; TST = 100 + 60 + 40 + 100
    assert flow["throughflow"].to_dict() == pytest.approx(
        {"ads": 100.0, "a": 60.0, "b": 40.0, "shop": 100.0, "hub": 0.0}
    )
    assert ecograph.flow(eco).total_system_throughflow == pytest.approx(300.0)
    value = ecograph.value(eco).to_frame().set_index("node")
    # orders at shop: 60 * 0.1 + 40 * 0.05 = 8, at price 10; shop pays b 40 * 0.5 = 20
    assert value.loc["shop", "converted"] == pytest.approx(8.0)
    assert value.loc["shop", "revenue"] == pytest.approx(80.0)
    assert value.loc["shop", "spend"] == pytest.approx(20.0)
    assert value.loc["b", "income"] == pytest.approx(20.0)
    degrees = ecograph.centrality(eco, "in-degree").to_frame().set_index("node")["values"]
    assert degrees.to_dict() == {"shop": 2, "a": 1, "b": 1, "ads": 0, "hub": 0}
    funnel = ecograph.funnel(eco, "shop").to_frame()
    assert list(funnel["pool"]) == ["ads"]
    assert funnel.loc[0, "visits"] == pytest.approx(100.0)
    assert funnel.loc[0, "users"] == 5000
    reach = ecograph.reach(eco, "ads").to_frame().set_index("node")
    assert reach.loc["shop", "traffic"] == pytest.approx(100.0)
    assert reach.loc["shop", "hops"] == 2
    cheap = ecograph.cheapest(eco, "shop", demand=70)
    # 70 units: the free route through a is unbounded, so all of it goes there at cost 0
    pipes = cheap.to_frame()
    assert set(pipes["section"]) == {"pipes", "by_source"}
    assert cheap.total_cost == pytest.approx(0.0)
    fit = ecograph.fit(eco).to_frame().set_index("node")
    # a's tag tea is one of hub's genes; b's tag shoes is not (hub holds neither, so no host)
    assert set(fit.index) >= {"a", "b"}


def test_frame_is_what_the_csv_output_holds() -> None:
    """to_frame() and `--format csv` are the same table (the CLI prints what the library gives)."""
    path = "ecosystems/alibaba.yaml"
    eco = ecograph.load(path)
    cases = [
        (["flow"], ecograph.flow(eco)),
        (["dependency", "--node", "shaanxi-apples"], ecograph.dependency(eco, "shaanxi-apples")),
        (["centrality", "--metric", "pagerank"], ecograph.centrality(eco, "pagerank")),
        (["bottlenecks", "--to", "shaanxi-apples"], ecograph.bottlenecks(eco, "shaanxi-apples")),
    ]
    for args, result in cases:
        with CliRunner().isolation() as (out, _err, _):
            assert main([args[0], path, *args[1:], "--format", "csv"]) == 0
            text = out.getvalue().decode()
        csv = pd.read_csv(io.StringIO(text))
        frame = result.to_frame()
        assert list(csv.columns) == list(frame.columns), args
        assert len(csv) == len(frame), args
        for column in frame.columns:
            if pd.api.types.is_numeric_dtype(frame[column]):
                got = csv[column].to_numpy(dtype=float)
                want = frame[column].to_numpy(dtype=float)
                assert got == pytest.approx(want, nan_ok=True), (args, column)


def test_results_that_were_dicts_still_answer_their_keys() -> None:
    eco = small()
    rank = ecograph.centrality(eco, "in-degree")
    assert rank["values"] is rank.values and rank["metric"] == "in-degree"
    assert ecograph.value(eco)["shop"]["revenue"] == pytest.approx(80.0)
    assert ecograph.value(eco, by_group=True)["relations"] == []
    assert ecograph.bottlenecks(eco, "shop")["max_flow"] == math.inf
    with pytest.raises(KeyError):
        rank["no-such-key"]


def former_dicts(eco: ecograph.Ecosystem) -> dict[str, MappingResult]:
    """A result of every function that used to return a plain dict."""
    scenario = ecograph.loads_scenario("scenario: 1\ntargets: [shop]\nchanges:\n  - remove: a\n")
    return {
        "bottlenecks": ecograph.bottlenecks(eco, "shop"),
        "centrality": ecograph.centrality(eco, "in-degree"),
        "cheapest": ecograph.cheapest(eco, "shop", demand=10),
        "funnel": ecograph.funnel(eco, "shop"),
        "value": ecograph.value(eco),
        "value-by-group": ecograph.value(eco, by_group=True),
        "compare": ecograph.compare(eco, ecograph.apply_scenario(eco, scenario)),
        "diff": ecograph.diff(eco, ecograph.apply_scenario(eco, scenario)),
        "whatif": ecograph.whatif(eco, scenario),
    }


def test_former_dicts_are_read_only_mappings_of_their_keys() -> None:
    for what, result in former_dicts(small()).items():
        assert isinstance(result, MappingResult), what
        as_dict = result.to_dict()
        # keys(), items(), values(), len(), in, get() and [] answer as the dict did
        assert list(result.keys()) == list(as_dict), what
        assert len(result) == len(as_dict) and len(as_dict) > 0, what
        assert dict(result.items()) == as_dict, what
        assert list(MappingResult.values(result)) == list(as_dict.values()), what
        first = next(iter(as_dict))
        assert first in result and "no-such-key" not in result, what
        assert result.get(first) == as_dict[first] and result.get("no-such-key", 7) == 7, what
        assert all(result[key] == value for key, value in as_dict.items()), what
        # dict(result) and {**result} are the dict
        assert dict(result) == as_dict and {**result} == as_dict, what
        # iterating gives the rows (pandas makes its DataFrame from them), not the keys
        assert list(result) == result.rows(), what
        with pytest.raises(TypeError):
            result["x"] = 1  # type: ignore[index]  # read-only


def test_old_dict_code_keeps_working() -> None:
    """Code written when these functions returned dicts, run as it was written."""
    eco = small()
    sheet = ecograph.value(eco)
    revenue = {node: row["revenue"] for node, row in sheet.items()}
    # by hand: shop sells 60 * 0.1 + 40 * 0.05 = 8 orders at 10
    assert revenue == {"ads": 0.0, "a": 0.0, "b": 0.0, "shop": 80.0, "hub": 0.0}
    assert sorted(sheet.keys()) == ["a", "ads", "b", "hub", "shop"]
    assert [row["net"] for row in sheet.values()][3] == pytest.approx(60.0)  # 80 - 20 paid to b
    flows = ecograph.bottlenecks(eco, "shop")
    # ads -> a and ads -> b are unbounded: max-flow is unbounded, nothing is cut
    assert {k: v for k, v in flows.items() if k in ("max_flow", "min_cut")} == {
        "max_flow": math.inf,
        "min_cut": [],
    }
    ranking = ecograph.centrality(eco, "in-degree")
    assert dict(ranking.items())["values"] == {"shop": 2, "a": 1, "b": 1, "ads": 0, "hub": 0}
    assert ranking.values == ranking["values"]  # on Centrality, .values is the field
    scenario = ecograph.loads_scenario("scenario: 1\ntargets: [shop]\nchanges:\n  - remove: a\n")
    change = ecograph.whatif(eco, scenario)
    # a removed, shop is fed by b alone, through b -> shop (capacity 50); before, the path
    # through a was unbounded
    assert {r["target"]: (r["before"], r["after"]) for r in change["max_flow"]} == {
        "shop": (math.inf, 50.0)
    }
    keys = list(change.keys())  # iterating change itself gives its rows
    assert [key for key in keys if key in change["changed"]] == change["changed"]
    assert "max_flow" in change["changed"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_nodes_and_pipes_frames_agree_with_the_graph(path: Path) -> None:
    eco = ecograph.load(path)
    G = eco.graph  # built from the model's objects, not from the compiled columns
    nodes = ecograph.nodes_frame(eco).set_index("id")
    assert list(nodes.index) == list(G.nodes)
    for node_id, data in G.nodes(data=True):
        row = nodes.loc[node_id]
        assert row["kind"] == data["kind"] and row["label"] == data["label"]
        assert (row["parent"] if isinstance(row["parent"], str) else None) == data["parent"]
        users = data["users"]
        assert math.isnan(row["users"]) if users is None else row["users"] == users, node_id
        for currency, amount in data["inflow"].items():
            assert row[f"inflow_{currency}"] == pytest.approx(amount)
        assert tuple(row["tags"]) == data["tags"] and tuple(row["genes"]) == data["genes"]
    pipes = ecograph.pipes_frame(eco).set_index("key")
    assert len(pipes) == G.number_of_edges()
    for u, v, key, data in G.edges(keys=True, data=True):
        row = pipes.loc[key]
        assert (row["from"], row["to"], row["kind"]) == (u, v, data["kind"])
        assert row["capacity"] == data["capacity"]  # inf when unbounded, in both
        assert row["status"] == data["status"]
        if data["volume_given"]:
            assert row["volume"] == data["volume"]
        else:
            assert math.isnan(row["volume"])


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_networkx_edge_list_of_the_graph(path: Path) -> None:
    eco = ecograph.load(path)
    edges = nx.to_pandas_edgelist(eco.graph)  # failed while pipes had an attribute `source`
    pipes = ecograph.pipes_frame(eco)
    assert len(edges) == len(pipes) == len(eco.pipes)
    got = sorted(zip(edges["source"], edges["target"], edges["kind"], strict=True))
    want = sorted(zip(pipes["from"], pipes["to"], pipes["kind"], strict=True))
    assert got == want
    cited = {p.key: p.source for p in eco.pipes}
    by_location = dict(zip(edges["location"], edges["data_source"], strict=True))
    for pipe in eco.pipes:
        loc = pipe.location
        got_source = by_location[f"{loc.file}:{loc.line}:{loc.column}"]
        assert (None if pd.isna(got_source) else got_source) == cited[pipe.key]


def test_an_analysts_join() -> None:
    """Results and the map join with the analyst's own table on the node id."""
    eco = small()
    mine = pd.DataFrame({"node": ["a", "b"], "contract_fee": [5.0, 7.0]})
    table = (
        ecograph.flow(eco)
        .to_frame()
        .merge(ecograph.nodes_frame(eco), left_on="node", right_on="id")
        .merge(mine, on="node")
    )
    table["fee_per_visit"] = table["contract_fee"] / table["throughflow"]
    assert table.set_index("node")["fee_per_visit"].to_dict() == pytest.approx(
        {"a": 5.0 / 60.0, "b": 7.0 / 40.0}
    )


# -- one naming scheme -------------------------------------------------------------------------


def _cli(*args: str) -> tuple[int, str, str]:
    with CliRunner().isolation() as (out, err, _):
        code = main(list(args))
        return code, out.getvalue().decode(), err.getvalue().decode()


@pytest.mark.parametrize(
    ("command", "new", "old"),
    [
        (
            ["dependency", "ecosystems/alibaba.yaml"],
            ["--node", "shaanxi-apples"],
            ["--target", "shaanxi-apples"],
        ),
        (
            ["funnel", "ecosystems/alibaba.yaml"],
            ["--node", "shaanxi-apples"],
            ["--target", "shaanxi-apples"],
        ),
        (["fit", "ecosystems/alibaba.yaml"], ["--node", "hen-seller"], ["--partner", "hen-seller"]),
        (["flow", "ecosystems/xiaomi.yaml"], ["--currency", "capital"], ["--kind", "capital"]),
        (["value", "ecosystems/xiaomi.yaml"], ["--currency", "goods"], ["--kind", "goods"]),
    ],
    ids=["dependency", "funnel", "fit", "flow", "value"],
)
def test_former_option_names_are_aliases(
    command: list[str], new: list[str], old: list[str]
) -> None:
    code_new, out_new, err_new = _cli(*command, *new, "--format", "json")
    code_old, out_old, _ = _cli(*command, *old, "--format", "json")
    assert code_new == code_old == 0, err_new
    assert out_new == out_old
    # and the option is not ignored: another value gives another answer
    other = {"shaanxi-apples": "shaanxi-eggs", "hen-seller": "attendance-maker"}
    changed = [other.get(a, "traffic" if a in ("capital", "goods") else a) for a in new]
    code, out_other, _ = _cli(*command, *changed, "--format", "json")
    assert code == 0 and out_other != out_new


def test_help_documents_the_aliases() -> None:
    for command, names in [
        ("dependency", ("--node, --target", "--currency, --kind")),
        ("funnel", ("--node, --target",)),
        ("fit", ("--node, --partner",)),
        ("reach", ("--from", "--currency, --kind")),
    ]:
        code, out, _ = _cli(command, "--help")
        assert code == 0
        for name in names:
            assert name in out, (command, name)


def test_former_keyword_names_are_aliases() -> None:
    eco = small()
    assert ecograph.dependency(eco, target="shop").shares == ecograph.dependency(eco, "shop").shares
    assert ecograph.funnel(eco, target="shop") == ecograph.funnel(eco, node="shop")
    assert ecograph.fit(eco, partner="a") == ecograph.fit(eco, node="a")
    assert ecograph.flow(eco, kind="capital") == ecograph.flow(eco, currency="capital")
    # the currency is honoured under either name: nothing flows as capital in this map
    assert ecograph.flow(eco, kind="capital").total_system_throughflow == 0.0
    assert ecograph.flow(eco, currency="traffic").total_system_throughflow == pytest.approx(300)
    with pytest.raises(ecograph.UsageError, match=r"currency= and its former name kind="):
        ecograph.flow(eco, kind="capital", currency="traffic")
    with pytest.raises(ecograph.UsageError, match=r"node= and its former name target="):
        ecograph.dependency(eco, node="shop", target="a")


def test_library_errors_name_parameters_not_flags() -> None:
    eco = small()
    with pytest.raises(ecograph.UsageError, match=r"\(kinds=\)") as info:
        ecograph.longtail(eco, kinds=("channel",))
    assert "--" not in str(info.value)
    from ecograph.render.charts import chart

    with pytest.raises(ecograph.UsageError, match=r"chart\(\): fmt must be one of"):
        chart(ecograph.longtail(eco), fmt="gif")


def test_diagnosis_and_advice_are_plain_results() -> None:
    import copy
    import dataclasses
    import pickle

    eco = ecograph.load(
        Path(__file__).resolve().parent.parent / "ecosystems" / "china-internet.yaml"
    )
    found = ecograph.diagnose(eco)
    for node, d in found.items():
        assert isinstance(d, ecograph.Result)
        again = pickle.loads(pickle.dumps(d))
        assert again == d and copy.deepcopy(d) == d
        assert dataclasses.asdict(d)["status"] == d.status
        rows = d.rows()
        # one row per finding, or one healthy row; every row names the node and status
        assert len(rows) == max(len(d.findings), 1)
        assert {r["node"] for r in rows} == {node} and {r["status"] for r in rows} == {d.status}
        assert [r["finding"] for r in rows] == [f.finding for f in d.findings] or (
            not d.findings and rows[0]["finding"] == "healthy"
        )
    advice = ecograph.advise(eco, "shaanxi-apples", goal="net")
    assert pickle.loads(pickle.dumps(advice)) == advice
    table = advice.to_frame()
    assert list(table["action"]) == [a.action for a in advice.actions]
    assert list(table["gain"]) == [a.gain for a in advice.actions]
