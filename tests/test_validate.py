"""Validation: the corpus of invalid maps, warnings, valid edge cases, includes.

Each file in ``tests/corpus/invalid`` and ``tests/corpus/warnings`` states the
problems it must produce in ``# expect:`` comment lines, written by reading the
file (line and column counted by hand), not by running the loader.
"""

from __future__ import annotations

import json
import os
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


# -- includes: regular files inside the map's folder, at most MAX_INCLUDE_DEPTH deep -------


def _include_errors(root: Path, **kwargs: object) -> list[str]:
    with pytest.raises(MapError) as info:
        ecograph.load(root, **kwargs)  # type: ignore[arg-type]
    return [d.message for d in info.value.diagnostics]


def _map_including(folder: Path, item: str) -> Path:
    root = folder / "map.yaml"
    root.write_text(f"ecograph: 1\nname: m\ninclude: [{json.dumps(item)}]\n")
    return root


def test_an_include_outside_the_folder_is_not_read_and_never_quoted(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:TOP-SECRET-LINE\n")
    folder = tmp_path / "maps"
    folder.mkdir()
    root = _map_including(folder, "../secret.txt")
    (message,) = _include_errors(root)
    assert message.startswith("included file '../secret.txt' is outside the map's folder ")
    assert "TOP-SECRET" not in message
    # a symbolic link inside the folder that points outside is outside too
    (folder / "link.yaml").symlink_to(secret)
    root = _map_including(folder, "link.yaml")
    (message,) = _include_errors(root)
    assert "is outside the map's folder" in message
    assert "TOP-SECRET" not in message
    # allowed, it is read (and is not a map)
    messages = _include_errors(root, allow_outside=True)
    assert any("the top level must be a mapping" in m for m in messages)


def test_includes_that_are_not_regular_files_are_errors_at_the_include(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    for item, reason in [
        ("fifo.yaml", "is not a regular file (a device, FIFO or socket)"),
        ("loop.yaml", "is a symlink loop"),
        ("a\x00b.yaml", None),
    ]:
        root = _map_including(tmp_path, item)
        (message,) = _include_errors(root)
        if reason is None:
            assert message == "included path 'a\\x00b.yaml' contains a NUL byte"
        else:
            assert message == f"included file {item!r} {reason}"
    root = _map_including(tmp_path, "/dev/zero")
    assert _include_errors(root, allow_outside=True) == [
        "included file '/dev/zero' is not a regular file (a device, FIFO or socket)"
    ]


def test_a_thousand_includes_deep_stops_at_the_depth_limit(tmp_path: Path) -> None:
    from ecograph.validate import MAX_INCLUDE_DEPTH

    for i in range(1000):
        (tmp_path / f"m{i}.yaml").write_text(
            f"ecograph: 1\nname: m{i}\ninclude: [m{i + 1}.yaml]\nnodes: {{n{i}: {{kind: pool}}}}\n"
        )
    with pytest.raises(MapError) as info:
        ecograph.load(tmp_path / "m0.yaml")
    (diag,) = info.value.errors
    assert diag.message == f"includes nest deeper than {MAX_INCLUDE_DEPTH} files; not read"
    assert Path(diag.file).name == f"m{MAX_INCLUDE_DEPTH - 1}.yaml"
    assert (diag.line, diag.column) == (3, 11)


def test_loads_keeps_includes_inside_base_dir(tmp_path: Path) -> None:
    (tmp_path / "part.yaml").write_text("ecograph: 1\nname: p\nnodes: {a: {kind: pool}}\n")
    text = "ecograph: 1\nname: t\ninclude: [part.yaml]\n"
    assert "a" in ecograph.loads(text, base_dir=tmp_path).nodes
    with pytest.raises(MapError, match="is outside the map's folder"):
        ecograph.loads(text.replace("part.yaml", "../part.yaml"), base_dir=tmp_path / "x")
