"""compare, whatif and diff return frozen results (Comparison, WhatIf, Diff) whose dicts, and
so the JSON of ``ecograph whatif`` / ``ecograph diff``, are byte for byte what the functions
returned when they returned plain dicts.

The reference is the module as it was then, read from git history (the commit before the
result types) and run beside the current one on every example scenario.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import subprocess
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
from click.testing import CliRunner

import ecograph
from ecograph.cli import main
from ecograph.compare import SECTIONS, Comparison, Diff, WhatIf, compare, diff, whatif
from ecograph.exchange import to_yaml
from ecograph.formatting import to_json
from ecograph.results import frame, sections_frame
from ecograph.scenario import apply, load_scenario

ROOT = Path(__file__).parent.parent
SCENARIOS = sorted((ROOT / "ecosystems" / "scenarios").glob("*.yaml"))
#: The last commit where compare, whatif and diff returned plain dicts.
DICTS = "d94b41a53206c03916d521669e5d28beb6a51ff2"


@pytest.fixture(scope="module")
def old() -> ModuleType:
    """ecograph/compare.py as of :data:`DICTS`, loaded as a module of its own."""
    proc = subprocess.run(
        ["git", "show", f"{DICTS}:ecograph/compare.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        shallow = subprocess.run(
            ["git", "rev-parse", "--is-shallow-repository"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if shallow.stdout.strip() == "true":  # a --depth clone has no history to read
            pytest.skip(f"a shallow clone lacks {DICTS[:7]}, the dict version")
    assert proc.returncode == 0, f"the reference needs the git history: {proc.stderr}"
    module = ModuleType("compare_as_dicts")
    exec(compile(proc.stdout, "compare_as_dicts.py", "exec"), module.__dict__)
    assert "-> dict[str, Any]:" in proc.stdout  # it is the dict version
    return module


def run(*args: str) -> tuple[int, str, str]:
    with CliRunner().isolation() as (out, err, _):
        code = main(list(args))
        return code, out.getvalue().decode(), err.getvalue().decode()


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_whatif_json_is_byte_for_byte_the_dict_versions(
    path: Path, old: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    relative = str(path.relative_to(ROOT))
    scenario = load_scenario(relative)
    assert scenario.base is not None
    eco = ecograph.load(scenario.base)
    for options, kwargs in (
        ((), {}),
        (
            ("--metric", "hubs", "--top", "3", "--no-diagnosis", "--reroute", "spread"),
            {"metric": "hubs", "top": 3, "diagnosis": False, "reroute": "spread"},
        ),
    ):
        code, out, err = run("whatif", relative, "--format", "json", *options)
        assert code == 0, err
        reference = old.whatif(eco, scenario, **kwargs)
        assert isinstance(reference, dict)
        assert out == to_json({"map": scenario.base, **reference}) + "\n"
        result = whatif(eco, scenario, **kwargs)
        assert isinstance(result, WhatIf)
        assert result.to_dict() == reference
        assert list(result.to_dict()) == list(reference)  # the same order of keys
        # the frame, built section by section, is the DataFrame of the rows
        pd.testing.assert_frame_equal(result.to_frame(), frame(result.rows()))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_diff_json_is_byte_for_byte_the_dict_versions(
    path: Path, old: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    scenario = load_scenario(str(path.relative_to(ROOT)))
    assert scenario.base is not None
    base = scenario.base
    changed = tmp_path / "changed.yaml"
    changed.write_text(to_yaml(apply(ecograph.load(base), scenario)), encoding="utf-8")
    a, b = ecograph.load(base), ecograph.load(str(changed))
    for first, second, x, y in ((base, str(changed), a, b), (str(changed), base, b, a)):
        code, out, err = run("diff", first, second, "--format", "json")
        assert code == 1, err
        reference = old.diff(x, y)
        assert out == to_json(reference) + "\n"
        result = diff(x, y)
        assert isinstance(result, Diff)
        assert list(result.to_dict()) == list(reference)
        pd.testing.assert_frame_equal(result.to_frame(), frame(result.rows()))
    same = old.diff(a, a)
    assert diff(a, a).to_dict() == same and same["identical"]
    # compare alone
    reference = old.compare(a, b, targets=scenario.targets, top=5)
    result = compare(a, b, targets=scenario.targets, top=5)
    assert type(result) is Comparison
    assert to_json(result.to_dict()) == to_json(reference)
    assert list(result.keys()) == list(reference)


# -- the result types by hand ---------------------------------------------------------------

BEFORE = """
ecograph: 1
name: small
nodes:
  u: {kind: pool, inflow: 100}
  a: {kind: channel}
  b: {kind: channel, outflow: 20}
  c: {kind: partner, outflow: 80}
pipes:
  - {from: u, to: a, volume: 60}
  - {from: u, to: b, volume: 40}
  - {from: a, to: c, volume: 60, capacity: 70}
  - {from: b, to: c, volume: 20, capacity: 30}
"""
# the edit: b -> c widened to 50 (a field), a new channel d, and a's label
AFTER = (
    BEFORE.replace("capacity: 30}", "capacity: 50}")
    .replace("a: {kind: channel}", "a: {kind: channel, label: A}\n  d: {kind: channel}")
    .replace("name: small", "name: small\ntitle: Small")
)


def test_diff_rows_by_hand() -> None:
    result = diff(ecograph.loads(BEFORE), ecograph.loads(AFTER), targets=["c"])
    rows = result.rows()
    structure = [r for r in rows if r["section"] in ("map", "nodes", "pipes")]
    # a map without a title is titled by its name, a node without a label by its id
    assert structure == [
        {"section": "map", "edit": "changed", "field": "title", "old": "small", "new": "Small"},
        {"section": "nodes", "edit": "added", "node": "d"},
        {
            "section": "nodes",
            "edit": "changed",
            "node": "a",
            "field": "label",
            "old": "a",
            "new": "A",
        },
        {
            "section": "pipes",
            "edit": "changed",
            "pipe": "b->c:traffic",
            "field": "capacity",
            "old": 30.0,
            "new": 50.0,
        },
    ]
    assert rows[: len(structure)] == structure  # the structure comes first
    # max-flow to c (u's pipes are unbounded): 70 + 30 before, 70 + 50 after
    assert [r for r in rows if r["section"] == "max_flow"] == [
        {"section": "max_flow", "target": "c", "before": 100.0, "after": 120.0, "delta": 20.0}
    ]
    # no volume moved: the only traffic row is the new node d (nothing flows through it)
    assert [(r["node"], r["before"], r["after"]) for r in rows if r["section"] == "traffic"] == [
        ("d", None, 0.0)
    ]
    assert not [r for r in rows if r["section"] == "volumes"]
    # the rest of the rows are the sections' records, in SECTIONS order
    measured = rows[len(structure) :]
    assert [r["section"] for r in measured] == [
        name for name in SECTIONS for _ in result.to_dict()[name]
    ]
    assert [{k: v for k, v in r.items() if k != "section"} for r in measured] == [
        record for name in SECTIONS for record in result.to_dict()[name]
    ]


def test_comparison_frame_has_numbers_in_before_after_delta() -> None:
    """A channel removed: its 60 are lost on the way to c (reroute lost), by hand."""
    eco = ecograph.loads(BEFORE)
    scenario = ecograph.loads_scenario("scenario: 1\nchanges:\n  - remove: a\n")
    result = whatif(eco, scenario)
    frame = result.to_frame()
    assert list(frame.columns[:1]) == ["section"]
    traffic = frame[frame["section"] == "traffic"].set_index("node")
    # throughflow before: u 100, a 60, b 40, c 80; after: a gone, c gets b's 20 only
    assert traffic.loc["a", "before"] == 60.0 and pd.isna(traffic.loc["a", "after"])
    assert (traffic.loc["c", "before"], traffic.loc["c", "after"]) == (80.0, 20.0)
    assert traffic.loc["c", "delta"] == -60.0
    assert pd.api.types.is_float_dtype(frame["before"])
    assert pd.api.types.is_float_dtype(frame["delta"])
    statuses = frame[frame["section"] == "diagnosis"]
    assert {"status_before", "status_after"} <= set(frame.columns)
    assert statuses["before"].isna().all()  # the statuses are not in the number columns
    # pandas.DataFrame(result) is the same table, and so is rows()
    pd.testing.assert_frame_equal(pd.DataFrame(result), frame)
    assert list(frame.columns) == list(dict.fromkeys(k for row in result.rows() for k in row))
    assert len(frame) == len(result.rows())


def test_results_are_frozen_plain_data() -> None:
    result = diff(ecograph.loads(BEFORE), ecograph.loads(AFTER))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.identical = True  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(result)) == result
    assert copy.deepcopy(result) == result
    as_dict = dataclasses.asdict(result)
    assert {k: as_dict[k] for k in result.to_dict()} == result.to_dict()
    assert isinstance(result.comparison(), Comparison)
    assert result.comparison().to_dict() == {
        k: v for k, v in result.to_dict().items() if k in dict(result.comparison())
    }
    assert ecograph.Diff is Diff and ecograph.WhatIf is WhatIf
    assert ecograph.Comparison is Comparison


def test_csv_output_is_the_frame(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--format csv`` writes rows(): the same table as to_frame(), read back by pandas."""
    import io

    monkeypatch.chdir(ROOT)
    relative = "ecosystems/scenarios/xiaoqiao-quits.yaml"
    scenario = load_scenario(relative)
    assert scenario.base is not None
    eco = ecograph.load(scenario.base)
    changed = tmp_path / "changed.yaml"
    changed.write_text(to_yaml(apply(eco, scenario)), encoding="utf-8")
    cases = [
        (["whatif", relative], 0, whatif(eco, scenario)),
        (["diff", scenario.base, str(changed)], 1, diff(eco, ecograph.load(str(changed)))),
    ]
    for args, exit_code, result in cases:
        code, out, err = run(*args, "--format", "csv")
        assert code == exit_code, err
        csv = pd.read_csv(io.StringIO(out))
        frame = result.to_frame()
        assert list(csv.columns) == list(frame.columns), args
        assert len(csv) == len(frame) == len(result.rows()) > 0, args
        assert list(csv["section"]) == list(frame["section"]), args
        for column in ("before", "after", "delta"):
            got = csv[column].to_numpy(dtype=float)
            want = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
            assert got == pytest.approx(want, nan_ok=True), (args, column)
        assert pd.api.types.is_float_dtype(frame["before"]), args  # numbers only


def test_sections_frame_by_hand() -> None:
    parts = {
        "traffic": [{"node": "a", "before": 1, "after": None}],
        "empty": [],
        "volumes": [{"key": "a->b", "before": 2.5, "after": 3.5}],
    }
    table = sections_frame(parts)
    assert list(table.columns) == ["section", "node", "before", "after", "key"]
    assert list(table["section"]) == ["traffic", "volumes"]
    assert table["before"].tolist() == [1.0, 2.5]  # ints and floats: one float column
    assert pd.isna(table.loc[0, "after"]) and table.loc[1, "after"] == 3.5
    assert pd.api.types.is_float_dtype(table["after"])
    assert sections_frame({"x": []}).empty
