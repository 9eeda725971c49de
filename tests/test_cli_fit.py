"""``ecograph fit`` mirrors the library function; its errors are one line with an exit code."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import ecograph
from ecograph.analysis.fit import fit
from ecograph.cli import main
from ecograph.formatting import to_json


def run(*args: str) -> tuple[int, str, str]:
    with CliRunner().isolation() as (out, err, _):
        code = main(list(args))
        return code, out.getvalue().decode(), err.getvalue().decode()


@pytest.mark.parametrize(
    ("name", "options", "library"),
    [
        ("alibaba", [], {}),
        ("tencent", ["--measure", "weighted"], {"measure": "weighted"}),
        ("china-internet", ["--measure", "jaccard", "--threshold", "0.1"], {"measure": "jaccard"}),
        ("xiaomi", ["--overuse", "0.2", "--kind", "goods"], {"overuse": 0.2, "kind": "goods"}),
        ("alibaba", ["--partner", "hen-seller"], {"partner": "hen-seller"}),
    ],
)
def test_json_is_the_library_result(name: str, options: list[str], library: dict) -> None:  # type: ignore[type-arg]
    code, out, err = run("fit", f"ecosystems/{name}.yaml", *options, "--format", "json")
    assert code == 0, err
    if "--threshold" in options:
        library["threshold"] = 0.1
    expected = fit(ecograph.load(f"ecosystems/{name}.yaml"), **library)
    assert json.loads(out) == json.loads(to_json(expected))


def test_table_shows_partners_gaps_and_overuse() -> None:
    code, out, _ = run("fit", "ecosystems/tencent.yaml")
    assert code == 0
    assert "measure: overlap = |tags & genes| / |tags|" in out
    sections = out.split("\n\n")
    partners = next(s for s in sections if s.startswith("partners:")).splitlines()
    assert partners[1].split() == [
        "partner",
        "host",
        "score",
        "matched",
        "missing",
        "flag",
        "fills",
        "gaps",
        "of",
    ]
    row = next(line for line in partners if line.startswith("induced-share-app"))
    # tags social, viral-sharing; wechat's genes include social: 1 of 2
    assert row.split()[:3] == ["induced-share-app", "wechat", "0.5"]
    assert row.rstrip().endswith("qq: social")  # social is QQ's gap
    gaps = next(s for s in sections if s.startswith("host gaps:"))
    # wechat's partners carry social, mini-programs, payments, social-commerce, group-buying,
    # local-services among its genes: messaging alone is left
    wechat = next(line for line in gaps.splitlines() if line.startswith("wechat "))
    assert wechat.split()[-2:] == ["messaging", "4"]
    overuse = next(s for s in sections if s.startswith("overuse:")).splitlines()
    # pinduoduo draws 900,000,000 of the 1,250,000,000 wechat-users sends: 0.72
    assert overuse[3].split() == [
        "pinduoduo",
        "wechat-users",
        "900,000,000",
        "1,250,000,000",
        "0.72",
    ]


def test_table_flags_poor_fit_and_not_judged() -> None:
    code, out, _ = run("fit", "ecosystems/alibaba.yaml")
    assert code == 0
    hen = next(line for line in out.splitlines() if line.startswith("hen-seller"))
    assert "poor-fit" in hen and "live-poultry, livestock" in hen
    cainiao = next(line for line in out.splitlines() if line.startswith("cainiao"))
    assert "not judged: it has no tags to match alibaba" in cainiao
    assert out.rstrip().endswith("overuse: none")


def test_csv_has_one_section_per_table() -> None:
    code, out, _ = run("fit", "ecosystems/minimal.yaml", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["section"] for r in rows} == {"partners", "host_gaps", "overuse"}
    shoe = next(r for r in rows if r["section"] == "partners" and r["partner"] == "shoe-shop")
    # shoe-shop tags retail, shoes; app's genes retail, food: 1 of 2
    assert (shoe["host"], float(shoe["score"]), shoe["matched"], shoe["missing"]) == (
        "app",
        0.5,
        "retail",
        "shoes",
    )
    host = next(r for r in rows if r["section"] == "host_gaps")
    assert (host["host"], host["genes"], host["gaps"], host["members"]) == (
        "app",
        "retail;food",
        "",
        "2",
    )
    over = next(r for r in rows if r["section"] == "overuse")
    assert (over["partner"], over["pool"], float(over["share"])) == ("shoe-shop", "app-users", 0.6)


def test_kind_selects_the_currency_of_overuse(tmp_path: Path) -> None:
    path = tmp_path / "capital.yaml"
    path.write_text(
        """
ecograph: 1
name: capital
nodes:
  fund:  {kind: pool, inflow: {capital: 10}}
  a:     {kind: partner, outflow: {capital: 7}}
  b:     {kind: partner, outflow: {capital: 3}}
pipes:
  - {from: fund, to: a, kind: capital, volume: 7}
  - {from: fund, to: b, kind: capital, volume: 3}
""",
        encoding="utf-8",
    )
    _, out, _ = run("fit", str(path), "--kind", "capital", "--format", "json")
    assert [(o["node"], o["share"]) for o in json.loads(out)["overuse"]] == [("a", 0.7)]
    _, out, _ = run("fit", str(path), "--format", "json")
    assert json.loads(out)["overuse"] == []


def test_unknown_partner_is_located_exit_1() -> None:
    code, out, err = run("fit", "ecosystems/alibaba.yaml", "--partner", "hen-seler")
    assert code == 1 and out == ""
    assert err.strip() == (
        "ecosystems/alibaba.yaml: error: unknown node 'hen-seler' (did you mean 'hen-seller'?)"
    )


@pytest.mark.parametrize(
    "options",
    [["--threshold", "1.5"], ["--overuse", "-0.1"], ["--measure", "jacard"], ["--kind", "cash"]],
)
def test_bad_options_are_usage_errors_exit_2(options: list[str]) -> None:
    code, out, err = run("fit", "ecosystems/alibaba.yaml", *options)
    assert code == 2 and out == ""
    assert "Error: Invalid value for" in err and "Traceback" not in err


def test_bad_map_exit_1(tmp_path: Path) -> None:
    code, _, err = run("fit", str(tmp_path / "missing.yaml"))
    assert code == 1 and "Traceback" not in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("ecograph: 1\nname: bad\nnodes:\n  a: {kind: partnr}\n", encoding="utf-8")
    code, _, err = run("fit", str(bad))
    assert code == 1
    assert err.startswith(f"{bad}:4:") and "partner" in err


def test_help_has_an_example() -> None:
    code, out, _ = run("fit", "--help")
    assert code == 0
    assert "Example: ecograph fit ecosystems/alibaba.yaml --node hen-seller" in out
    code, out, _ = run("fit", "ecosystems/alibaba.yaml", "--node", "hen-seller")
    assert code == 0 and "poor-fit" in out
