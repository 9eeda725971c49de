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
    def status(*flags: str) -> str:
        _, out, _ = run(
            "diagnose",
            "ecosystems/toutiao.yaml",
            "--node",
            "stool-maker",
            "--format",
            "json",
            *flags,
        )
        return str(json.loads(out)["stool-maker"]["status"])

    # stool-maker's pipe in holds 400,000 of the 20,000,000 its feeder receives: 2%
    assert status() == "narrow-pipe"
    assert status("--narrow", "0.01") == "healthy"


def test_findings_risks_and_evidence_in_json() -> None:
    code, out, _ = run(
        "diagnose", "ecosystems/toutiao.yaml", "--node", "stool-maker", "--format", "json"
    )
    assert code == 0
    d = json.loads(out)["stool-maker"]
    assert [f["finding"] for f in d["findings"]] == ["narrow-pipe"]
    assert d["findings"][0]["evidence"]["in_capacity"] == 400000
    assert d["findings"][0]["severity"] == 0.98  # 1 - 400,000 / 20,000,000
    assert d["risks"] == [
        {"risk": "single-giant", "share": 1.0, "giant": "toutiao", "concentration": 1.0}
    ]


def test_table_and_csv() -> None:
    code, out, _ = run("diagnose", "ecosystems/toutiao.yaml")
    assert code == 0
    assert "stool-maker" in out and "narrow-pipe" in out and "single-giant" in out
    code, out, _ = run("diagnose", "ecosystems/toutiao.yaml", "--format", "csv")
    lines = out.splitlines()
    assert lines[0] == "node,status,findings,risks,received,reasons"
    assert lines[4].startswith("stool-maker,narrow-pipe,narrow-pipe,single-giant,400000")


def test_unknown_node_is_located_exit_1() -> None:
    code, _, err = run("diagnose", "ecosystems/toutiao.yaml", "--node", "stool-makr")
    assert code == 1
    assert err.strip() == (
        "ecosystems/toutiao.yaml: error: unknown node 'stool-makr' (did you mean 'stool-maker'?)"
    )


def test_threshold_out_of_range_is_a_usage_error() -> None:
    assert run("diagnose", "ecosystems/toutiao.yaml", "--fit", "2")[0] == 2


def test_unknown_currency_and_nan_threshold_are_usage_errors() -> None:
    code, _, err = run("diagnose", "ecosystems/toutiao.yaml", "--kind", "trafic")
    assert code == 2 and "Traceback" not in err
    code, _, err = run("diagnose", "ecosystems/toutiao.yaml", "--overuse", "nan")
    assert code == 2 and "Traceback" not in err
