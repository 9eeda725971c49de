"""Trends: per-snapshot figures against independent computations, and Gibrat's law checked
against scipy's linregress and on synthetic series with a known exponent."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy import stats

import ecograph
from ecograph.errors import UsageError
from ecograph.series import load_series
from ecograph.trend import gibrat, trend

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "ecosystems" / "series" / "rural-taobao.yaml"


def _received_by_hand(path: Path) -> dict[str, float]:
    """Partners' and producers' traffic read from the YAML itself: the sum of the volumes of
    the open traffic pipes into them (the example maps give no partner an inflow)."""
    data = yaml.safe_load(path.read_text("utf-8"))
    kinds = {k: v["kind"] for k, v in data["nodes"].items()}
    got = {k: 0.0 for k, kind in kinds.items() if kind in ("partner", "producer")}
    for pipe in data["pipes"]:
        if pipe["to"] in got and pipe.get("status", "open") == "open":
            got[pipe["to"]] += float(pipe["volume"])
    return got


def _gini_pairs(x: np.ndarray) -> float:
    """Mean absolute difference over all ordered pairs over twice the mean (O(n^2))."""
    return float(np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean()))


def test_per_snapshot_figures_equal_independent_computations() -> None:
    series = load_series(EXAMPLE)
    result = trend(series)
    for snapshot, row in zip(series.snapshots, result.snapshots, strict=True):
        got = _received_by_hand(Path(snapshot.file))
        x = np.array(sorted(got.values(), reverse=True))
        total = x.sum()
        assert row["received"] == pytest.approx(total)
        assert row["partners"] == len(x)
        assert row["gini"] == pytest.approx(_gini_pairs(x))
        assert row["herfindahl"] == pytest.approx(float(((x / total) ** 2).sum()))
        k = math.ceil(len(x) / 5)
        assert row["top20_share"] == pytest.approx(x[:k].sum() / total)
        # by giant: WeChat's partners are Tencent's, rural Taobao's producers Alibaba's
        data = yaml.safe_load(Path(snapshot.file).read_text("utf-8"))
        tencent = sum(v for k2, v in got.items() if data["nodes"][k2]["parent"] == "wechat")
        alibaba = total - tencent
        assert row["herfindahl_by_giant"] == pytest.approx(
            (tencent / total) ** 2 + (alibaba / total) ** 2
        )
        pools = [n for n in data["nodes"].values() if n["kind"] == "pool"]
        assert row["pool_users"] == sum(p["users"] for p in pools)
        assert row["boundary_input"] == sum(p["inflow"] for p in pools)
        # no cycles in these maps: every unit passes each node once, TST = sum of inflows
        # to nodes (boundary) plus pipes = boundary input + sum of pipe volumes
        assert row["total_system_throughflow"] == pytest.approx(
            row["boundary_input"] + sum(p["volume"] for p in data["pipes"])
        )
        assert row["cycling_index"] == 0.0


def test_per_snapshot_figures_equal_the_single_map_analyses() -> None:
    series = load_series(EXAMPLE)
    result = trend(series, nodes=["shaanxi-apples"], kind="traffic")
    for snapshot, row, node_row in zip(
        series.snapshots, result.snapshots, result.nodes["shaanxi-apples"], strict=True
    ):
        eco = snapshot.map
        lt = ecograph.longtail(eco)
        fl = ecograph.flow(eco)
        assert (row["gini"], row["received"]) == (lt.gini, lt.total)
        assert row["average_path_length"] == fl.average_path_length
        assert row["direct_flow_index"] == fl.direct_flow_index
        assert (
            node_row["status"]
            == ecograph.diagnose(eco, node="shaanxi-apples")["shaanxi-apples"].status
        )
        assert node_row["rank"] == list(lt.values).index("shaanxi-apples") + 1


def test_followed_nodes_growth_entries_and_exits() -> None:
    result = trend(load_series(EXAMPLE), nodes=["shaanxi-eggs", "hen-seller"])
    eggs = result.nodes["shaanxi-eggs"]
    assert [r["present"] for r in eggs] == [False, True, True]
    assert [r["received"] for r in eggs] == [None, 50000.0, 180000.0]
    # ranks by hand from the 2019 map: pinduoduo, mogujie, mini-game, tea-shop,
    # mushroom-coop 220,000, shaanxi-apples 500,000 ... sorted: 300M, 40M, 11M, 5M,
    # 500k, 220k, 180k (eggs), 150k, 70k
    assert eggs[2]["rank"] == 7
    assert (eggs[1]["top_giant"], eggs[1]["dependency"]) == ("alibaba", 1.0)
    first, second = result.growth["periods"]
    assert first["nodes"]["shaanxi-eggs"] is None  # nothing to grow from
    assert second["nodes"]["shaanxi-eggs"] == pytest.approx(180000 / 50000 - 1)
    assert first["entries"] == {"shaanxi-eggs": 50000.0}
    assert second["exits"] == {"laundry-app": 1000000.0, "hen-seller": 15000.0}
    assert second["gibrat"]["exits"] == 2 and second["gibrat"]["exits_carried"] == 1015000.0
    assert second["measures"]["partners"] == pytest.approx(9 / 11 - 1)
    assert result.nodes["hen-seller"][2]["present"] is False


def _pairs(before: dict[str, float], after: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    both = [k for k in before if k in after and before[k] > 0 and after[k] > 0]
    x = np.log([before[k] for k in both])
    y = np.log([after[k] for k in both]) - x
    return x, y


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gibrat_equals_scipy_linregress(seed: int) -> None:
    rng = np.random.default_rng(seed)
    before = {f"p{i}": float(v) for i, v in enumerate(rng.lognormal(8, 2, 60))}
    after = {k: v * float(rng.lognormal(0, 0.5)) for k, v in before.items()}
    after["p0"] = 0.0  # at zero: left out, counted
    del after["p1"]  # an exit
    after["new"] = 5.0  # an entry
    g = gibrat(before, after, confidence=0.9)
    x, y = _pairs(before, after)
    ref = stats.linregress(x, y)
    assert g.n == len(x) == 58
    assert g.slope == pytest.approx(ref.slope, rel=1e-10)
    assert g.intercept == pytest.approx(ref.intercept, rel=1e-10)
    assert g.stderr == pytest.approx(ref.stderr, rel=1e-10)
    assert g.r == pytest.approx(ref.rvalue, rel=1e-10)
    assert g.p_value == pytest.approx(ref.pvalue, rel=1e-8)
    half = stats.t.ppf(0.95, len(x) - 2) * ref.stderr
    assert (g.low, g.high) == (pytest.approx(ref.slope - half), pytest.approx(ref.slope + half))
    assert (g.exits, g.entries, g.zero) == (1, 1, 1)
    assert g.exits_carried == before["p1"] and g.entries_carried == 5.0


def _synthetic_series(
    folder: Path, exponent: float, *, n: int = 400, seed: int = 7, exits: int = 30
) -> Path:
    """Two monthly snapshots: a pool feeding n partners whose log growth is
    0.2 + exponent * log(size) + noise; the ``exits`` smallest leave."""
    rng = np.random.default_rng(seed)
    s0 = np.round(rng.lognormal(9, 1.5, n)) + 1
    growth = 0.2 + exponent * np.log(s0) + rng.normal(0, 0.3, n)
    s1 = np.round(s0 * np.exp(growth)) + 1
    gone = set(np.argsort(s0)[:exits].tolist())
    for name, sizes, keep in (
        ("m0", s0, range(n)),
        ("m1", s1, [i for i in range(n) if i not in gone]),
    ):
        nodes = {"pool": {"kind": "pool", "inflow": float(sum(sizes[i] for i in keep))}}
        pipes = []
        for i in keep:
            nodes[f"p{i}"] = {"kind": "partner", "outflow": float(sizes[i])}
            pipes.append({"from": "pool", "to": f"p{i}", "volume": float(sizes[i])})
        doc = {"ecograph": 1, "name": name, "nodes": nodes, "pipes": pipes}
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(doc), "utf-8")
    series = folder / "s.yaml"
    series.write_text(
        "ecograph-series: 1\nsnapshots:\n  - {date: 2024-01, map: m0.yaml}\n"
        "  - {date: 2024-02, map: m1.yaml}\n",
        "utf-8",
    )
    return series


@pytest.mark.parametrize(
    ("exponent", "verdict"),
    [(0.08, "strong-get-stronger"), (-0.1, "small-catch-up"), (0.0, None)],
)
def test_a_known_exponent_is_recovered_within_its_interval(
    tmp_path: Path, exponent: float, verdict: str | None
) -> None:
    series = load_series(_synthetic_series(tmp_path, exponent))
    g = trend(series).growth["periods"][0]["gibrat"]
    assert g["n"] == 370 and g["exits"] == 30
    assert g["low"] <= exponent <= g["high"]
    assert g["high"] - g["low"] < 0.08  # 370 partners pin it down (se ~ 0.3 / (1.5 sqrt(370)))
    if verdict is not None:
        assert g["verdict"] == verdict


def test_per_giant_regressions_split_the_partners(tmp_path: Path) -> None:
    result = trend(load_series(EXAMPLE))
    first = result.growth["periods"][0]
    by_giant = first["gibrat_by_giant"]
    assert set(by_giant) == {"alibaba", "tencent"}
    # 2017 -> 2018: WeChat's five partners and rural Taobao's five producers survive
    assert (by_giant["tencent"]["n"], by_giant["alibaba"]["n"]) == (5, 5)
    assert by_giant["alibaba"]["entries"] == 1  # the eggs enter Alibaba
    before = {
        "pinduoduo": 50e6,
        "mogujie": 40e6,
        "laundry-app": 3e6,
        "tea-shop": 2e6,
        "mini-game": 10e6,
    }
    after = {
        "pinduoduo": 150e6,
        "mogujie": 45e6,
        "laundry-app": 1e6,
        "tea-shop": 3e6,
        "mini-game": 12e6,
    }
    x, y = _pairs(before, after)
    assert by_giant["tencent"]["slope"] == pytest.approx(stats.linregress(x, y).slope)
    pooled = result.growth["gibrat_pooled"]
    assert pooled["n"] == first["gibrat"]["n"] + result.growth["periods"][1]["gibrat"]["n"]


def test_too_few_partners_give_no_verdict() -> None:
    g = gibrat({"a": 1.0, "b": 2.0}, {"a": 2.0, "b": 8.0})
    assert g.verdict == "too-few" and g.low is None
    assert g.slope == pytest.approx(1.0)  # log growth log2, log4 against log1, log2
    assert gibrat({"a": 5.0, "b": 5.0, "c": 5.0}, {"a": 1.0, "b": 2.0, "c": 3.0}).slope is None
    with pytest.raises(UsageError):
        gibrat({}, {}, confidence=1.0)


def test_unknown_node_and_group_name_the_problem() -> None:
    series = load_series(EXAMPLE)
    with pytest.raises(UsageError, match="did you mean 'pinduoduo'"):
        trend(series, nodes=["pinduodou"])
    with pytest.raises(UsageError, match=r"snapshot 2017 \(.*rural-taobao-2017.yaml\).*unknown"):
        trend(series, group="nowhere")


def test_group_restricts_every_snapshot() -> None:
    result = trend(load_series(EXAMPLE), group="rural-taobao")
    assert [row["partners"] for row in result.snapshots] == [5, 6, 5]
    assert [row["herfindahl_by_giant"] for row in result.snapshots] == [1.0, 1.0, 1.0]


def test_a_currency_that_never_reaches_a_node_gives_no_dependency_or_diagnosis() -> None:
    result = trend(load_series(EXAMPLE), nodes=["pinduoduo"], kind="capital")
    rows = result.nodes["pinduoduo"]
    assert [r["received"] for r in rows] == [0.0, 0.0, 0.0]
    assert {(r["top_giant"], r["dependency"], r["status"]) for r in rows} == {(None, None, None)}
    assert [s["received"] for s in result.snapshots] == [0.0, 0.0, 0.0]
    assert result.growth["periods"][0]["gibrat"]["verdict"] == "too-few"
