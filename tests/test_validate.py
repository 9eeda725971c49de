"""Validation: the corpus of invalid maps, warnings, valid edge cases, includes.

Each file in ``tests/corpus/invalid`` and ``tests/corpus/warnings`` states the
problems it must produce in ``# expect:`` comment lines, written by reading the
file (line and column counted by hand), not by running the loader.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import ecograph
from ecograph import MapError

CORPUS = Path(__file__).parent / "corpus"
ROOT = Path(__file__).parent.parent


def _expected(path: Path) -> list[str]:
    return [
        m.group(1) for m in re.finditer(r"^# expect: (.*)$", path.read_text("utf-8"), re.MULTILINE)
    ]


def _shown(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _matches(expected: list[str], got: list[str], shown: str) -> None:
    assert len(got) == len(expected), got
    for want, line in zip(expected, got, strict=True):
        want_full = want if want.startswith("tests/") else f"{shown}:{want}"
        if want_full.endswith("..."):
            assert line.startswith(want_full[:-3]), line
        else:
            assert line == want_full


INVALID = sorted(p for p in (CORPUS / "invalid").glob("*.yaml") if p.name != "empty.yaml")


def test_corpus_is_large_enough() -> None:
    assert len(INVALID) >= 30


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_map_reports_every_error_located(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    shown = _shown(path)
    with pytest.raises(MapError) as info:
        ecograph.load(shown)
    got = [str(d) for d in info.value.diagnostics]
    _matches(_expected(path), got, shown)


def test_empty_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    with pytest.raises(MapError) as info:
        ecograph.load("tests/corpus/invalid/empty.yaml")
    assert str(info.value) == (
        "tests/corpus/invalid/empty.yaml:1:1: the map is empty; "
        "a map starts with 'ecograph: 1' and 'name: ...'"
    )


WARNINGS = sorted((CORPUS / "warnings").glob("*.yaml"))


@pytest.mark.parametrize("path", WARNINGS, ids=lambda p: p.stem)
def test_warnings_are_reported_but_map_loads(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    shown = _shown(path)
    eco = ecograph.load(shown)
    _matches(_expected(path), [str(w) for w in eco.warnings], shown)
    with pytest.raises(MapError):
        ecograph.load(shown, strict=True)


VALID = sorted((CORPUS / "valid").glob("*.yaml"))


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_edge_cases_load_without_warnings(path: Path) -> None:
    eco = ecograph.load(path)
    assert eco.warnings == ()


def test_yaml11_traps_keep_ids_as_written() -> None:
    eco = ecograph.load(CORPUS / "valid" / "yaml11-traps.yaml")
    assert list(eco.nodes) == ["no", "on", "1.10", "2024-01-01"]
    assert eco.nodes["no"].users == 1e9
    assert eco.nodes["no"].inflow == {"traffic": 2.5e6}
    assert eco.nodes["on"].outflow == {"traffic": 1000.0}
    assert eco.nodes["2024-01-01"].parent == "no"
    assert [(p.from_node, p.to_node) for p in eco.pipes][:2] == [("no", "on"), ("no", "1.10")]


def test_merge_key_fills_missing_keys_only() -> None:
    eco = ecograph.load(CORPUS / "valid" / "anchors-and-merge.yaml")
    assert eco.nodes["b"].kind == "partner"
    assert eco.nodes["b"].parent == "hub"
    assert eco.nodes["b"].tags == ("hardware",)
    assert eco.nodes["a"].tags == ("office",)


def test_parallel_pipes_are_all_kept_with_distinct_keys() -> None:
    eco = ecograph.load(CORPUS / "valid" / "parallel-pipes.yaml")
    assert [p.key for p in eco.pipes] == [
        "wechat->shop:traffic",
        "wechat->shop:traffic#2",
        "wechat-pay",
    ]
    G = eco.graph
    assert G.number_of_edges("wechat", "shop") == 3
    assert sum(d["volume"] for _, _, d in G.edges(data=True) if d["kind"] == "traffic") == 30
    layer = ecograph.flow_layer(G, "traffic")
    assert layer.edges["wechat", "shop"]["volume"] == 30


def test_include_merges_and_references_cross_files(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ding.yaml").write_text(
        "ecograph: 1\nname: ding\nnodes:\n  ding: {kind: sub-ecosystem, parent: ali}\n"
        "  erp: {kind: partner, parent: ding, outflow: 4}\n",
        "utf-8",
    )
    (tmp_path / "root.yaml").write_text(
        "ecograph: 1\nname: root\ninclude: [sub/ding.yaml]\nnodes:\n"
        "  ali: {kind: platform}\n  users: {kind: pool, parent: ali, inflow: 4}\n"
        "pipes:\n  - {from: users, to: erp, volume: 4}\n",
        "utf-8",
    )
    eco = ecograph.load(tmp_path / "root.yaml")
    assert set(eco.nodes) == {"ding", "erp", "ali", "users"}
    assert eco.members("ali") == ("ding", "erp", "users")
    assert eco.ancestors_in_tree("erp") == ("ding", "ali")
    assert len(eco.files) == 2
    assert eco.warnings == ()
    # the included file alone is not a valid map: its parent is elsewhere
    with pytest.raises(MapError, match="unknown parent node 'ali'"):
        ecograph.load(tmp_path / "sub" / "ding.yaml")


def test_diamond_include_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text("ecograph: 1\nname: d\nnodes: {x: {kind: platform}}\n")
    for name in ("b", "c"):
        (tmp_path / f"{name}.yaml").write_text(f"ecograph: 1\nname: {name}\ninclude: [d.yaml]\n")
    (tmp_path / "a.yaml").write_text("ecograph: 1\nname: a\ninclude: [b.yaml, c.yaml]\n")
    eco = ecograph.load(tmp_path / "a.yaml")
    assert list(eco.nodes) == ["x"]


def test_error_in_included_file_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("ecograph: 1\nname: bad\nnodes:\n  a: {kind: pol}\n")
    (tmp_path / "root.yaml").write_text("ecograph: 1\nname: r\ninclude: [bad.yaml]\n")
    with pytest.raises(MapError) as info:
        ecograph.load(tmp_path / "root.yaml")
    (diag,) = info.value.diagnostics
    assert diag.file.endswith("bad.yaml")
    assert (diag.line, diag.column) == (4, 13)  # the "pol" in `  a: {kind: pol}`


def test_loads_and_load_agree(tmp_path: Path) -> None:
    text = (CORPUS / "valid" / "parallel-pipes.yaml").read_text("utf-8")
    a = ecograph.loads(text)
    b = ecograph.load(CORPUS / "valid" / "parallel-pipes.yaml")
    assert a.nodes == b.nodes or list(a.nodes) == list(b.nodes)
    assert [p.key for p in a.pipes] == [p.key for p in b.pipes]


def test_check_reports_summary_and_problems() -> None:
    results = ecograph.check([str(CORPUS / "valid" / "parallel-pipes.yaml")])
    (result,) = results
    assert result.ok
    assert result.summary is not None
    assert result.summary["pipes"] == {"traffic": 2, "data": 1}
    assert result.summary["volume"] == {"traffic": 30.0, "data": 0.0}
