"""``ecograph diagnose`` mirrors the library function."""

from __future__ import annotations

import json

from click.testing import CliRunner

import ecograph
from ecograph.analysis.diagnose import diagnose
from ecograph.cli import main
from ecograph.formatting import to_json


def run(*args: str) -> tuple[int, str, str]:
    with CliRunner().isolation() as (out, err, _):
        code = main(list(args))
        return code, out.getvalue().decode(), err.getvalue().decode()


def test_json_is_the_library_result() -> None:
    code, out, _ = run("diagnose", "ecosystems/toutiao.yaml", "--format", "json")
    assert code == 0
    expected = diagnose(ecograph.load("ecosystems/toutiao.yaml"))
    assert json.loads(out) == json.loads(to_json(expected))
    assert json.loads(out)["stool-maker"]["status"] == "narrow-pipe"


def test_thresholds_are_flags() -> None:
    _, out, _ = run(
        "diagnose",
        "ecosystems/tencent.yaml",
        "--node",
        "pinduoduo",
        "--overuse",
        "0.8",
        "--format",
        "json",
    )
    # pinduoduo draws 72% of wechat-users' piped traffic: overuse at 0.5, not at 0.8
    assert json.loads(out)["pinduoduo"]["status"] != "overuse"


def test_table_and_csv() -> None:
    code, out, _ = run("diagnose", "ecosystems/toutiao.yaml")
    assert code == 0
    assert "stool-maker" in out and "narrow-pipe" in out
    code, out, _ = run("diagnose", "ecosystems/toutiao.yaml", "--format", "csv")
    assert out.splitlines()[0] == "node,status,findings,received,reasons"


def test_unknown_node_is_located_exit_1() -> None:
    code, _, err = run("diagnose", "ecosystems/toutiao.yaml", "--node", "stool-makr")
    assert code == 1
    assert err.strip() == (
        "ecosystems/toutiao.yaml: error: unknown node 'stool-makr' (did you mean 'stool-maker'?)"
    )


def test_threshold_out_of_range_is_a_usage_error() -> None:
    assert run("diagnose", "ecosystems/toutiao.yaml", "--fit", "2")[0] == 2
