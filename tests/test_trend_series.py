"""Series files: the format, located errors for bad input, and the commands' exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import ecograph
from ecograph.cli import main
from ecograph.errors import MapError
from ecograph.series import is_series, load_series, parse_date, series_schema

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "ecosystems" / "series" / "rural-taobao.yaml"


def _map(period: str = "month", units: str = "{traffic: visits}", volume: int = 10) -> str:
    return f"""ecograph: 1
name: m
period: {period}
units: {units}
nodes:
  pool: {{kind: pool, inflow: {volume + 5}, outflow: 5}}
  shop: {{kind: partner, outflow: {volume}}}
pipes:
  - {{from: pool, to: shop, volume: {volume}}}
"""


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(_map(volume=10), "utf-8")
    (tmp_path / "b.yaml").write_text(_map(volume=20), "utf-8")
    return tmp_path


def _run(*args: str) -> tuple[int, str, str]:
    with CliRunner().isolation() as (out, err, _):
        code = main(list(args))
        return code, out.getvalue().decode(), err.getvalue().decode()


def _errors(folder: Path, text: str) -> list[str]:
    (folder / "s.yaml").write_text(text, "utf-8")
    with pytest.raises(MapError) as info:
        load_series("s.yaml")
    return [str(d) for d in info.value.errors]


def test_a_valid_series_loads_with_its_maps_in_date_order(folder: Path) -> None:
    (folder / "s.yaml").write_text(
        "ecograph-series: 1\ntitle: T\nsnapshots:\n"
        "  - {date: 2024-01, map: a.yaml}\n  - {date: 2024-02, map: b.yaml, label: Feb}\n",
        "utf-8",
    )
    series = load_series("s.yaml")
    assert series.dates == ("2024-01", "2024-02")
    assert [s.label for s in series.snapshots] == ["2024-01", "Feb"]
    assert series.date_form == "month" and series.period == "month"
    assert [s.map.pipes[0].volume for s in series.snapshots] == [10.0, 20.0]
    assert series.files == ("s.yaml", "a.yaml", "b.yaml")
    assert is_series("s.yaml") and not is_series("a.yaml")


def test_a_year_written_as_a_number_stays_the_year(folder: Path) -> None:
    (folder / "s.yaml").write_text(
        "ecograph-series: 1\nsnapshots:\n  - {date: 2023, map: a.yaml}\n"
        "  - {date: 2024, map: b.yaml}\n",
        "utf-8",
    )
    assert load_series("s.yaml").dates == ("2023", "2024")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # a missing map: at its map: value (line 4, column 26)
            "ecograph-series: 1\nsnapshots:\n  - {date: 2024-01, map: a.yaml}\n"
            "  - {date: 2024-02, map: q2.yaml}\n",
            ["s.yaml:4:26: snapshots[1].map: map 'q2.yaml' does not exist"],
        ),
        (
            "ecograph-series: 1\nsnapshots:\n  - {date: 2024-01, map: a.yaml}\n"
            "  - {date: 2024-01, map: b.yaml}\n",
            [
                "s.yaml:4:12: snapshots[1].date: duplicate date 2024-01 (also snapshots[0]); "
                "one map a date"
            ],
        ),
        (
            "ecograph-series: 1\nsnapshots:\n  - {date: 2024-02, map: a.yaml}\n"
            "  - {date: 2024-01, map: b.yaml}\n",
            [
                "s.yaml:4:12: snapshots[1].date: dates out of order: 2024-01 comes after "
                "2024-02 (snapshots[0]); list snapshots oldest first"
            ],
        ),
        (
            "ecograph-series: 1\nsnapshots:\n  - {date: 2024-Q1, map: a.yaml}\n"
            "  - {date: 2024-06, map: b.yaml}\n",
            [
                "s.yaml:4:12: snapshots[1].date: 2024-06 is a month, but snapshots[0] gives a "
                "quarter; write every snapshot's date the same way"
            ],
        ),
        (
            "ecograph-series: 1\nsnapshots:\n  - {date: 2024-13, map: a.yaml}\n",
            [
                "s.yaml:3:12: snapshots[0].date: 2024-13 is not a day of the calendar "
                "(month must be in 1..12)"
            ],
        ),
        (
            "ecograph-series: 1\nsnapshots:\n  - {date: March, map: a.yaml}\n",
            [
                "s.yaml:3:12: snapshots[0].date: 'March' is not a date; write an ISO date "
                "(2024-03-31), a month (2024-03), a quarter (2024-Q1) or a year (2024)"
            ],
        ),
        (
            "ecograph-series: 1\nsnapshots:\n  - {date: 2024, map: s.yaml}\n",
            [
                "s.yaml:3:23: snapshots[0].map: the series names itself ('s.yaml') as a "
                "snapshot map; name a map"
            ],
        ),
        (
            "ecograph-series: 2\nsnapshots:\n  - {date: 2024, map: a.yaml}\n",
            [
                "s.yaml:1:18: ecograph-series: unsupported series version 2; this ecograph "
                "reads version 1 (write 'ecograph-series: 1')"
            ],
        ),
        (
            "",
            ["s.yaml:1:1: the series is empty; a series starts with 'ecograph-series: 1'"],
        ),
    ],
    ids=[
        "missing-map",
        "duplicate-date",
        "out-of-order",
        "mixed-forms",
        "month-13",
        "not-a-date",
        "includes-itself",
        "version",
        "empty",
    ],
)
def test_bad_series_are_located(folder: Path, text: str, expected: list[str]) -> None:
    assert _errors(folder, text) == expected


def test_every_problem_at_once(folder: Path) -> None:
    found = _errors(
        folder,
        "ecograph-series: 1\nsnapshots:\n  - {date: 2024-02, map: gone.yaml}\n"
        "  - {date: 2024-01, map: a.yaml, colour: red}\n",
    )
    assert [f.split(": ")[0] + ": " + f.split(": ")[1] for f in found] == [
        "s.yaml:3:26: snapshots[0].map",
        "s.yaml:4:12: snapshots[1].date",
        "s.yaml:4:34: snapshots[1].colour",
    ]


def test_snapshots_per_other_periods_or_units_are_refused(folder: Path) -> None:
    (folder / "w.yaml").write_text(_map(period="week"), "utf-8")
    (folder / "u.yaml").write_text(_map(units="{traffic: orders}"), "utf-8")
    found = _errors(
        folder,
        "ecograph-series: 1\nsnapshots:\n  - {date: 2024-01, map: a.yaml}\n"
        "  - {date: 2024-02, map: w.yaml}\n  - {date: 2024-03, map: u.yaml}\n",
    )
    assert found == [
        "s.yaml:4:26: snapshots[1].map: map is per week, but snapshots[0]'s map is per month; "
        "every snapshot must be per the same period",
        "s.yaml:5:26: snapshots[2].map: map counts traffic in orders, but snapshots[0]'s map "
        "in visits; every snapshot must use the same units",
    ]


def test_errors_of_a_snapshot_map_are_located_in_that_map(folder: Path) -> None:
    (folder / "bad.yaml").write_text(_map().replace("to: shop", "to: shp"), "utf-8")
    found = _errors(
        folder,
        "ecograph-series: 1\nsnapshots:\n  - {date: 2024-01, map: a.yaml}\n"
        "  - {date: 2024-02, map: bad.yaml}\n",
    )
    assert len(found) == 1 and found[0].startswith("bad.yaml:9:")
    assert "unknown node 'shp'" in found[0]


def test_a_map_outside_the_folders_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inner = tmp_path / "in"
    inner.mkdir()
    (tmp_path / "a.yaml").write_text(_map(), "utf-8")
    (inner / "s.yaml").write_text(
        "ecograph-series: 1\nsnapshots:\n  - {date: 2024, map: ../a.yaml}\n", "utf-8"
    )
    monkeypatch.chdir(inner)
    with pytest.raises(MapError, match="outside the series' folder"):
        load_series("s.yaml")
    assert load_series("s.yaml", allow_outside=True).dates == ("2024",)


def test_a_map_given_for_a_series_says_so(folder: Path) -> None:
    with pytest.raises(MapError, match="this is a map, not a series"):
        load_series("a.yaml")


def test_dates_parse_to_their_first_day() -> None:
    assert parse_date("2024-Q4")[0].isoformat() == "2024-10-01"
    assert parse_date("2024-02-29")[0].isoformat() == "2024-02-29"
    with pytest.raises(ValueError, match="not a day of the calendar"):
        parse_date("2023-02-29")


def test_the_shipped_schema_accepts_the_example_and_rejects_a_bad_date() -> None:
    import jsonschema
    import yaml

    schema = series_schema()
    data = yaml.safe_load(EXAMPLE.read_text("utf-8"))
    data["snapshots"] = [{**s, "date": str(s["date"])} for s in data["snapshots"]]
    jsonschema.Draft202012Validator(schema).validate(data)
    data["snapshots"][0]["date"] = "2024-13"
    assert not jsonschema.Draft202012Validator(schema).is_valid(data)
    first = EXAMPLE.read_text("utf-8").splitlines()[0]
    target = (EXAMPLE.parent / first.split("$schema=")[1]).resolve()
    assert json.loads(target.read_text("utf-8")) == schema


def test_the_example_maps_load_strictly_with_exact_balance() -> None:
    series = load_series(EXAMPLE, tolerance=0.0)
    assert series.warnings == ()
    for snapshot in series.snapshots:
        ecograph.load(snapshot.file, strict=True, tolerance=0.0)
        for pipe in snapshot.map.pipes:
            assert pipe.source, f"{pipe.location}: pipe figures need a source"


# -- the command line ---------------------------------------------------------------------


def test_trend_of_a_bad_series_is_one_located_line_and_exit_1(folder: Path) -> None:
    (folder / "s.yaml").write_text(
        "ecograph-series: 1\nsnapshots:\n  - {date: 2024-01, map: nope.yaml}\n", "utf-8"
    )
    code, out, err = _run("trend", "s.yaml")
    assert (code, out) == (1, "")
    assert err == "s.yaml:3:26: snapshots[0].map: map 'nope.yaml' does not exist\n"
    code, out, err = _run("render", "s.yaml", "-o", "page.html")
    assert (code, out) == (1, "") and err.startswith("s.yaml:3:26: ")
    assert not (folder / "page.html").exists()


def test_trend_usage_errors_exit_2(folder: Path) -> None:
    (folder / "s.yaml").write_text(
        "ecograph-series: 1\nsnapshots:\n  - {date: 2024-01, map: a.yaml}\n", "utf-8"
    )
    assert _run("trend", "s.yaml", "-o", "chart.txt")[0] == 2
    assert _run("trend", "s.yaml", "--measure", "wealth")[0] == 2
    assert _run("trend", "s.yaml", "--confidence", "1")[0] == 2
    assert _run("render", "s.yaml", "-o", "page.png")[0] == 2
    code, _, err = _run("trend", "s.yaml", "--node", "shp")
    assert code == 1
    assert err == (
        "s.yaml: error: unknown node 'shp': in no snapshot of the series (did you mean 'shop'?)\n"
    )


def test_trend_refuses_to_overwrite_an_input(folder: Path) -> None:
    (folder / "s.yaml").write_text(
        "ecograph-series: 1\nsnapshots:\n  - {date: 2024-01, map: a.yaml}\n", "utf-8"
    )
    before = (folder / "a.yaml").read_bytes()
    code, _, err = _run("trend", "s.yaml", "-o", "a.svg")
    assert code == 0
    code, _, err = _run("render", "s.yaml", "-o", "a.yaml")
    assert code != 0 and len(err.strip().splitlines()) == 1
    assert (folder / "a.yaml").read_bytes() == before


def test_trend_json_has_the_issue_shape() -> None:
    code, out, _ = _run(
        "trend", str(EXAMPLE), "--node", "pinduoduo", "--currency", "traffic", "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert {"snapshots", "nodes", "growth"} <= set(data)
    assert [s["date"] for s in data["snapshots"]] == ["2017", "2018", "2019"]
    assert {"date", "received", "rank"} <= set(data["nodes"]["pinduoduo"][0])
    assert data["growth"]["periods"][0]["gibrat"]["n"] == 10


def test_trend_csv_is_one_row_per_snapshot() -> None:
    code, out, _ = _run("trend", str(EXAMPLE), "--format", "csv")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("date,received,partners,gini")
    assert [line.split(",")[0] for line in lines[1:]] == ["2017", "2018", "2019"]
