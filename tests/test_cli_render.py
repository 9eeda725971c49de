"""``ecograph render``: the command mirrors :func:`ecograph.render.render`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecograph.cli import main

ROOT = Path(__file__).parent.parent
ALIBABA = str(ROOT / "ecosystems" / "alibaba.yaml")


def run(*args: str) -> tuple[int, str, str]:
    with CliRunner().isolation() as (out, err, _):
        code = main(list(args))
        return code, out.getvalue().decode(), err.getvalue().decode()


def embedded(page: Path) -> dict[str, object]:
    text = page.read_text(encoding="utf-8")
    match = re.search(r'<script type="application/json" id="ecograph-data">(.*?)</script>', text)
    assert match is not None
    data: dict[str, object] = json.loads(match.group(1))
    return data


def test_render_writes_a_page_and_says_what_it_drew(tmp_path: Path) -> None:
    out = tmp_path / "alibaba.html"
    code, stdout, stderr = run("render", ALIBABA, "-o", str(out))
    assert code == 0, stderr
    assert stdout.splitlines()[0] == f"{out}: 33 nodes and 35 pipes drawn (33 and 35 in the map)"
    assert "1 blocked pipe is drawn red." in stdout
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_flags_reach_the_drawing(tmp_path: Path) -> None:
    out = tmp_path / "m.html"
    code, _, stderr = run(
        "render",
        ALIBABA,
        "-o",
        str(out),
        "--size-by",
        "volume",
        "--collapse",
        "dingtalk",
        "--collapse",
        "tmall",
        "--layout",
        "hierarchical",
        "--max-nodes",
        "20",
    )
    assert code == 0, stderr
    data = embedded(out)
    assert data["size_by"] == "volume" and data["layout"] == "hierarchical"
    assert data["max_nodes"] == 20
    groups = data["groups"]
    assert isinstance(groups, list)
    assert sorted(g["id"] for g in groups if g["collapsed"]) == ["dingtalk", "tmall"]
    nodes = data["nodes"]
    assert isinstance(nodes, list) and len(nodes) <= 20


def test_depth_and_bottleneck_highlight(tmp_path: Path) -> None:
    out = tmp_path / "m.html"
    code, stdout, stderr = run(
        "render", ALIBABA, "-o", str(out), "--depth", "1",
        "--highlight", "bottlenecks", "--to", "erp-vendor",
    )  # fmt: skip
    assert code == 0, stderr
    assert "minimum cut to 企业ERP软件商 ERP software vendor" in stdout
    data = embedded(out)
    edges = data["edges"]
    assert isinstance(edges, list)
    assert [e["id"] for e in edges if e["bottleneck"]] == ["dingtalk-erp-listing"]
    groups = data["groups"]
    assert isinstance(groups, list)
    assert all(g["collapsed"] == (g["depth"] >= 1) for g in groups)


@pytest.mark.parametrize(
    ("name", "flag", "magic"),
    [("m.png", (), b"\x89PNG"), ("m.svg", (), b"<?xml"), ("m.out", ("--format", "svg"), b"<?xml")],
)
def test_static_pictures_by_suffix_or_flag(
    tmp_path: Path, name: str, flag: tuple[str, ...], magic: bytes
) -> None:
    out = tmp_path / name
    code, _, stderr = run("render", ALIBABA, "-o", str(out), *flag)
    assert code == 0, stderr
    assert out.read_bytes().startswith(magic)


def test_bad_values_are_usage_errors_exit_2(tmp_path: Path) -> None:
    out = str(tmp_path / "m.html")
    for args in (
        ["--size-by", "usres"],
        ["--layout", "radial"],
        ["--max-nodes", "0"],
        ["--depth", "-1"],
        ["--to", "erp-vendor"],
        ["--highlight", "bottlenecks"],
    ):
        code, _, stderr = run("render", ALIBABA, "-o", out, *args)
        assert code == 2, args
        assert "Error" in stderr
    code, _, stderr = run("render", ALIBABA)
    assert code == 2 and "Missing option '-o'" in stderr
    assert not Path(out).exists()


def test_unknown_group_or_node_is_an_error_with_a_hint_exit_1(tmp_path: Path) -> None:
    out = tmp_path / "m.html"
    code, _, stderr = run("render", ALIBABA, "-o", str(out), "--collapse", "dingtak")
    assert code == 1
    assert stderr.strip() == (
        f"{ALIBABA}: error: unknown node 'dingtak' (did you mean 'dingtalk'?)"
    )
    code, _, stderr = run(
        "render", ALIBABA, "-o", str(out), "--highlight", "bottlenecks", "--to", "erp-vendr"
    )
    assert code == 1 and "did you mean 'erp-vendor'" in stderr
    assert not out.exists()


def test_an_invalid_map_reports_located_errors_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("ecograph: 1\nname: b\nnodes:\n  a: {kind: pol}\n", encoding="utf-8")
    out = tmp_path / "m.html"
    code, _, stderr = run("render", str(bad), "-o", str(out))
    assert code == 1
    assert stderr.startswith(f"{bad}:4:")
    assert not out.exists()


def test_the_map_itself_is_never_overwritten(tmp_path: Path) -> None:
    source = tmp_path / "m.yaml"
    source.write_bytes((ROOT / "ecosystems" / "minimal.yaml").read_bytes())
    before = source.read_bytes()
    code, _, stderr = run("render", str(source), "-o", str(source))
    assert code == 1 and "it is an input of this command" in stderr
    assert source.read_bytes() == before


def test_help_has_an_example() -> None:
    code, stdout, _ = run("render", "--help")
    assert code == 0
    assert "Example: ecograph render ecosystems/alibaba.yaml -o alibaba.html" in stdout
    for flag in ("--size-by", "--highlight", "--to", "--collapse", "--depth", "--max-nodes"):
        assert flag in stdout
