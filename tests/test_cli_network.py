"""``ecograph bottlenecks`` and ``ecograph centrality``: thin mirrors of the library."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import ecograph
from ecograph.analysis import bottlenecks, centrality
from ecograph.cli import main
from ecograph.formatting import plain

ROOT = Path(__file__).parent.parent
MINIMAL = str(ROOT / "ecosystems" / "minimal.yaml")
TOUTIAO = str(ROOT / "ecosystems" / "toutiao.yaml")
CHINA = str(ROOT / "ecosystems" / "china-internet.yaml")


def run(*args: str) -> tuple[int, str, str]:
    with CliRunner().isolation() as (out, err, _):
        code = main(list(args))
        return code, out.getvalue().decode(), err.getvalue().decode()


def test_bottlenecks_json_is_the_library_result() -> None:
    code, out, err = run("bottlenecks", TOUTIAO, "--to", "stool-maker", "--format", "json")
    assert code == 0, err
    got = json.loads(out)
    want = bottlenecks(ecograph.load(TOUTIAO), "stool-maker")
    assert got == json.loads(json.dumps(want.to_dict()))
    for key in ("max_flow", "min_cut", "saturated", "blocked", "empty", "widening"):
        assert key in got
    assert {"from", "to", "capacity"} <= set(got["min_cut"][0])


def test_bottlenecks_minimal_map_by_hand() -> None:
    # app-users -(100k)-> shoe-shop -(unbounded)-> tea-shop and app-users -(80k)-> tea-shop:
    # both pool pipes are cut, 100,000 + 80,000 = 180,000
    code, out, _ = run("bottlenecks", MINIMAL, "--to", "tea-shop", "--format", "json")
    assert code == 0
    got = json.loads(out)
    assert got["max_flow"] == 180000.0
    assert [p["to"] for p in got["min_cut"]] == ["shoe-shop", "tea-shop"]


def test_bottlenecks_table_and_csv() -> None:
    code, out, _ = run("bottlenecks", TOUTIAO, "--to", "stool-maker")
    assert code == 0
    assert "max_flow: 400,000" in out
    assert "min_cut:" in out and "xiaoqiao-to-stool-maker" in out
    code, out, _ = run("bottlenecks", MINIMAL, "--to", "tea-shop", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["section"] for r in rows} == {"min_cut", "widening"}


def test_bottlenecks_from_threshold_kind() -> None:
    eco = ecograph.load(MINIMAL)
    code, out, _ = run(
        "bottlenecks", MINIMAL, "--to", "tea-shop", "--from", "shoe-shop",
        "--threshold", "0.5", "--kind", "traffic", "--format", "json",
    )  # fmt: skip
    assert code == 0
    want = bottlenecks(eco, "tea-shop", sources=["shoe-shop"], threshold=0.5)
    assert json.loads(out) == plain(want)  # inf written as null
    assert json.loads(out)["max_flow"] is None  # shoe-shop -> tea-shop is unbounded


def test_bottlenecks_unknown_node_exit_1_with_suggestion() -> None:
    code, out, err = run("bottlenecks", TOUTIAO, "--to", "stool-makr")
    assert code == 1 and out == ""
    assert "unknown target node 'stool-makr' (did you mean 'stool-maker'?)" in err
    assert err.startswith(TOUTIAO)
    code, _, err = run("bottlenecks", TOUTIAO, "--to", "stool-maker", "--from", "toutiao-user")
    assert code == 1 and "did you mean 'toutiao-users'" in err


def test_bottlenecks_bad_command_lines_exit_2() -> None:
    assert run("bottlenecks", TOUTIAO)[0] == 2  # --to missing
    assert run("bottlenecks", TOUTIAO, "--to", "stool-maker", "--threshold", "0")[0] == 2
    assert run("bottlenecks", TOUTIAO, "--to", "stool-maker", "--kind", "money")[0] == 2


def test_centrality_json_is_the_library_result() -> None:
    eco = ecograph.load(CHINA)
    for args, kw in [
        (["--metric", "pagerank"], {}),
        (["--metric", "betweenness", "--by-group", "--top", "5"], {"by_group": True, "top": 5}),
        (["--metric", "betweenness", "--samples", "10", "--seed", "3"], {"samples": 10, "seed": 3}),
        (["--metric", "katz", "--alpha", "0.5"], {"alpha": 0.5}),
        (["--metric", "in-degree", "--kind", "capital"], {"kind": "capital"}),
    ]:
        code, out, err = run("centrality", CHINA, *args, "--format", "json")
        assert code == 0, err
        want = centrality(eco, args[1], **kw)  # type: ignore[arg-type]
        assert json.loads(out) == json.loads(json.dumps(want.to_dict())), args


def test_centrality_table_lists_highest_first() -> None:
    code, out, _ = run("centrality", MINIMAL, "--metric", "in-degree")
    assert code == 0
    lines = out.splitlines()
    assert "metric: in-degree" in lines
    body = lines[lines.index(next(x for x in lines if x.startswith("node"))) + 2 :]
    # tea-shop gets pipes from app-users and shoe-shop, shoe-shop from app-users
    assert [line.split()[0] for line in body] == ["tea-shop", "shoe-shop", "app", "app-users"]
    assert [line.split()[1] for line in body] == ["2", "1", "0", "0"]
    code, out, _ = run("centrality", CHINA, "--metric", "pagerank", "--by-group", "--top", "3")
    assert code == 0 and "group" in out.splitlines()[6]


@pytest.mark.parametrize(
    "args",
    [
        ["--metric", "pagrank"],  # not a metric
        [],  # --metric missing
        ["--metric", "pagerank", "--samples", "5"],  # samples is for betweenness
        ["--metric", "betweenness", "--samples", "1"],
        ["--metric", "degree", "--top", "0"],
        ["--metric", "katz", "--alpha", "1"],
    ],
)
def test_centrality_bad_command_lines_exit_2(args: list[str]) -> None:
    code, out, err = run("centrality", MINIMAL, *args)
    assert code == 2 and out == "", err


def test_help_names_every_flag() -> None:
    _, out, _ = run("bottlenecks", "--help")
    for flag in ("--to", "--from", "--threshold", "--kind", "--format"):
        assert flag in out
    _, out, _ = run("centrality", "--help")
    for flag in ("--metric", "--by-group", "--top", "--samples", "--seed", "--alpha", "--kind"):
        assert flag in out
