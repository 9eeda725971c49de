"""Every command that writes a file obeys one rule (ecograph._io.check_output and write_atomic):
never over an input, never onto a directory or a device (the null device is a sink), only into
a directory that exists, one line and a non-zero exit code on refusal, nothing left behind,
SIGTERM included."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecograph._io import check_output, write_atomic
from ecograph.cli import main
from ecograph.errors import UsageError
from ecograph.model import Ecosystem

ROOT = Path(__file__).parent.parent
MINIMAL = ROOT / "ecosystems" / "minimal.yaml"
SCENARIO = ROOT / "ecosystems" / "scenarios" / "xiaoqiao-quits.yaml"
TOUTIAO = ROOT / "ecosystems" / "toutiao.yaml"
TABLES = ROOT / "ecosystems" / "tables"


def run(*args: str) -> tuple[int, str, str]:
    with CliRunner().isolation() as (out, err, _):
        code = main(list(args))
        return code, out.getvalue().decode(), err.getvalue().decode()


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in directory.rglob("*") if p.is_file()
    }


def copy_map(tmp_path: Path) -> Path:
    source = tmp_path / "m.yaml"
    source.write_bytes(MINIMAL.read_bytes())
    return source


def writers(m: Path, out: str) -> dict[str, list[str]]:
    """Every command that writes a file, writing to ``out``."""
    return {
        "render": ["render", str(m), "-o", out],
        "render-png": ["render", str(m), "-o", out, "--format", "png"],
        "report": ["report", str(m), "-o", out, "--no-diagnosis"],
        "export-json": ["export", str(m), "-o", out, "--format", "json"],
        "export-graphml": ["export", str(m), "-o", out, "--format", "graphml"],
        "longtail": ["longtail", str(m), "-o", out + ".png" if "." not in Path(out).name else out],
        "schema": ["schema", "-o", out],
    }


def one_line_refusal(code: int, err: str) -> None:
    """Exit 1 with one error line, or exit 2 with click's usage message (one 'Error:' line)."""
    assert code in (1, 2), err
    assert "Traceback" not in err and "internal error" not in err
    errors = [line for line in err.splitlines() if "error:" in line.lower()]
    assert len(errors) == 1, err
    if code == 1:
        assert errors[0].count(": error: cannot write ") == 1, err


# -- outputs over inputs -------------------------------------------------------------------


def test_whatif_save_never_overwrites_the_scenario_or_the_map(tmp_path: Path) -> None:
    m = tmp_path / "toutiao.yaml"
    m.write_bytes(TOUTIAO.read_bytes())
    scenario = tmp_path / "s.yaml"
    scenario.write_bytes(SCENARIO.read_bytes())
    before = snapshot(tmp_path)
    for target in (scenario, m, tmp_path / "." / "s.yaml"):
        code, _, err = run("whatif", str(m), str(scenario), "--save", str(target))
        one_line_refusal(code, err)
        assert "it is an input of this command" in err and str(target.name) in err
    assert snapshot(tmp_path) == before
    code, _, err = run("whatif", str(m), str(scenario), "--save", str(tmp_path / "new.yaml"))
    assert code == 0 and (tmp_path / "new.yaml").exists()


def test_import_never_overwrites_its_own_tables(tmp_path: Path) -> None:
    nodes, pipes = tmp_path / "nodes.csv", tmp_path / "pipes.csv"
    nodes.write_bytes((TABLES / "nodes.csv").read_bytes())
    pipes.write_bytes((TABLES / "pipes.csv").read_bytes())
    before = snapshot(tmp_path)
    for target in (nodes, pipes):
        code, _, err = run("import", str(nodes), str(pipes), "-o", str(target))
        one_line_refusal(code, err)
        assert f"cannot write {target}: it is an input" in err
    assert snapshot(tmp_path) == before


def test_export_never_overwrites_the_map_or_a_file_it_includes(tmp_path: Path) -> None:
    part = tmp_path / "part.yaml"
    part.write_text(
        "ecograph: 1\nname: part\nnodes:\n  b: {kind: partner, outflow: 1}\n", encoding="utf-8"
    )
    m = tmp_path / "m.yaml"
    m.write_text(
        "ecograph: 1\nname: m\ninclude: [part.yaml]\nnodes:\n  a: {kind: pool, inflow: 1}\n"
        "pipes:\n  - {from: a, to: b, volume: 1}\n",
        encoding="utf-8",
    )
    assert run("check", str(m))[0] == 0
    link = tmp_path / "link.json"
    link.symlink_to(part)
    hard = tmp_path / "hard.json"
    os.link(m, hard)
    before = snapshot(tmp_path)
    for target, fmt in ((m, "json"), (part, "graphml"), (link, "json"), (hard, "gexf")):
        code, _, err = run("export", str(m), "-o", str(target), "--format", fmt)
        one_line_refusal(code, err)
        assert "it is an input of this command" in err
        # render and report follow the same rule
        for command in ("render", "report"):
            code, _, err = run(command, str(m), "-o", str(target))
            one_line_refusal(code, err)
    assert snapshot(tmp_path) == before
    assert link.is_symlink()


def test_longtail_chart_never_overwrites_the_map(tmp_path: Path) -> None:
    m = tmp_path / "m.png"  # a map file may have any name
    m.write_bytes(MINIMAL.read_bytes())
    before = m.read_bytes()
    code, _, err = run("longtail", str(m), "-o", str(m))
    one_line_refusal(code, err)
    assert m.read_bytes() == before


# -- odd targets -------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["render", "render-png", "report", "export-json", "schema"])
def test_a_missing_directory_is_one_line_and_nothing_is_made(tmp_path: Path, command: str) -> None:
    m = copy_map(tmp_path)
    before = snapshot(tmp_path)
    out = str(tmp_path / "missing" / "out.html")
    code, _, err = run(*writers(m, out)[command])
    one_line_refusal(code, err)
    assert "no directory" in err and str(tmp_path / "missing") in err
    assert snapshot(tmp_path) == before and not (tmp_path / "missing").exists()


@pytest.mark.parametrize(
    "command", ["render", "report", "export-json", "export-graphml", "longtail", "schema"]
)
def test_a_device_is_refused_and_stays_a_device(tmp_path: Path, command: str) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    m = copy_map(tmp_path)
    args = writers(m, "/dev/full")[command]
    if command == "longtail":
        args = ["longtail", str(m), "-o", "/dev/full"]  # no chart suffix: a usage error first
    code, _, err = run(*args)
    one_line_refusal(code, err)
    if command != "longtail":
        assert "cannot write /dev/full: not a regular file" in err
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_the_null_device_is_a_sink_and_stays_a_device(tmp_path: Path) -> None:
    m = copy_map(tmp_path)
    for command in ("render", "export-json", "schema"):
        code, _, err = run(*writers(m, os.devnull)[command])
        assert code == 0, err
        assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.yaml"]


def test_a_directory_is_refused(tmp_path: Path) -> None:
    m = copy_map(tmp_path)
    target = tmp_path / "d"
    target.mkdir()
    for command in ("render", "report", "export-json", "schema"):
        code, _, err = run(*writers(m, str(target))[command])
        one_line_refusal(code, err)
        assert "directory" in err
    code, _, err = run("export", str(m), "-o", str(m), "--format", "csv")
    one_line_refusal(code, err)
    assert list(target.iterdir()) == []


def test_a_file_in_a_place_no_file_can_be_made_is_one_line() -> None:
    # /proc refuses new files even to root (a read-only directory would not stop root)
    code, _, err = run("render", str(MINIMAL), "-o", "/proc/ecograph-test.html")
    one_line_refusal(code, err)
    assert "cannot write /proc/ecograph-test.html" in err


def test_a_read_only_directory_is_one_line_and_nothing_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = copy_map(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    if os.geteuid() == 0:  # root writes anyway: the system's refusal is made to happen
        import tempfile

        def refuse(*args: object, **kwargs: object) -> None:
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(tempfile, "mkstemp", refuse)
    try:
        code, _, err = run("render", str(m), "-o", str(locked / "m.html"))
        one_line_refusal(code, err)
        assert "cannot write" in err and "ermission denied" in err
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


def test_a_full_disk_is_one_line_and_the_old_file_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = copy_map(tmp_path)
    out = tmp_path / "m.json"
    out.write_text("old", encoding="utf-8")

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    code, _, err = run("export", str(m), "-o", str(out))
    one_line_refusal(code, err)
    assert f"cannot write {out}: No space left on device" in err
    assert out.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.yaml"]


def test_check_output_rules() -> None:
    with pytest.raises(UsageError, match="it is a directory"):
        check_output(ROOT)
    check_output(ROOT, directory=True)
    with pytest.raises(UsageError, match="it is a file, not a directory"):
        check_output(MINIMAL, directory=True)
    with pytest.raises(UsageError, match="it is an input"):
        check_output(ROOT / "ecosystems" / ".." / "ecosystems" / "minimal.yaml", [MINIMAL])
    check_output(os.devnull)
    with pytest.raises(UsageError, match="no file name"):
        check_output("")


def test_a_partial_csv_export_leaves_no_directory_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = os.replace

    def second_fails(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(os, "replace", second_fails)
    code, _, err = run("export", str(MINIMAL), "-o", str(tmp_path / "tables"))
    one_line_refusal(code, err)
    assert list(tmp_path.iterdir()) == []


# -- SIGTERM while writing ------------------------------------------------------------------

SLOW_WRITER = """
import os, sys, time
from ecograph._io import write_atomic
def slow(fd):
    print("writing", flush=True)
    time.sleep(30)
os.fsync = slow
write_atomic(sys.argv[1], b"x" * 1000)
"""


def test_sigterm_while_writing_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "out.html"
    target.write_text("old", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITER, str(target)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "writing\n"
    assert len(list(tmp_path.glob(".ecograph-*.tmp"))) == 1  # the temporary file exists
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 128 + signal.SIGTERM
    assert time.monotonic() - start < 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.html"]
    assert target.read_text(encoding="utf-8") == "old"


def test_sigterm_handler_is_restored_after_writing(tmp_path: Path) -> None:
    before = signal.getsignal(signal.SIGTERM)
    write_atomic(tmp_path / "a.txt", b"a")
    assert signal.getsignal(signal.SIGTERM) == before


# -- CSV injection: every CSV writer escapes the same way --------------------------------

EVIL_CSV_MAP = """ecograph: 1
name: evil
nodes:
  "=cmd": {kind: pool, inflow: 10, label: '=HYPERLINK("http://x","y")'}
  "+b": {kind: partner, outflow: 6, label: "@SUM(1)"}
  "-c": {kind: producer, outflow: 4, label: "\\tTab"}
pipes:
  - {from: "=cmd", to: "+b", volume: 6, capacity: 6}
  - {from: "=cmd", to: "-c", volume: 4}
"""

CSV_COMMANDS = {
    "longtail": ["longtail"],
    "diagnose": ["diagnose"],
    "centrality": ["centrality", "--metric", "pagerank"],
    "reach": ["reach", "--from", "=cmd"],
    "flow": ["flow"],
    "fit": ["fit"],
    "dependency": ["dependency", "--target", "+b"],
    "bottlenecks": ["bottlenecks", "--to", "+b"],
}


@pytest.mark.parametrize("command", list(CSV_COMMANDS))
def test_analysis_csv_never_starts_a_text_cell_with_a_formula(tmp_path: Path, command: str) -> None:
    import csv
    import io

    m = tmp_path / "evil.yaml"
    m.write_text(EVIL_CSV_MAP, encoding="utf-8")
    name, *options = CSV_COMMANDS[command]
    code, out, err = run(name, str(m), *options, "--format", "csv")
    assert code == 0, err
    cells = [cell for row in csv.reader(io.StringIO(out)) for cell in row]
    assert cells
    for cell in cells:
        try:
            float(cell)
            continue  # a number (negative numbers start with '-' and are numbers)
        except ValueError:
            pass
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (command, cell)
    if command in ("longtail", "centrality", "reach"):
        assert "'+b" in cells and "'-c" in cells  # the ids, escaped, and still there


def test_csv_formula_escape_is_one_rule_for_analyses_and_exports(tmp_path: Path) -> None:
    import csv
    import io

    import ecograph
    from ecograph.exchange import export

    m = tmp_path / "evil.yaml"
    m.write_text(EVIL_CSV_MAP, encoding="utf-8")
    eco = ecograph.load(m)
    export(eco, tmp_path / "tables")
    text = (tmp_path / "tables" / "nodes.csv").read_text(encoding="utf-8-sig")
    table = {row["id"]: row["label"] for row in csv.DictReader(io.StringIO(text))}
    assert table == {"'=cmd": '\'=HYPERLINK("http://x","y")', "'+b": "'@SUM(1)", "'-c": "'\tTab"}
    code, out, _ = run("longtail", str(m), "--format", "csv")
    assert code == 0
    rows = {row["node"]: row["label"] for row in csv.DictReader(io.StringIO(out))}
    assert rows == {"'+b": "'@SUM(1)", "'-c": "'\tTab"}


# -- exports: well-formed XML, no merged ids, no silent null --------------------------------


def control_map() -> Ecosystem:
    from ecograph.model import Ecosystem, Node, Pipe

    ids = ["a\x01", "b\x02", "c\x1f", "plain"]
    nodes = {i: Node(i, "pool", label=f"L\x0b{i}", attrs={"k\x02": "v\x03", "n": 2.5}) for i in ids}
    pipes = (
        Pipe("p\x05", "a\x01", "b\x02", volume=1.0),
        Pipe("q\x06", "a\x01", "b\x02", volume=2.0),
        Pipe("r", "c\x1f", "plain", volume=3.0),
    )
    return Ecosystem("m\x07", title="t\x08", description="d\x0c", nodes=nodes, pipes=pipes)


def xml_counts(data: bytes) -> tuple[int, int]:
    import xml.dom.minidom
    import xml.etree.ElementTree as ET

    ET.fromstring(data)  # well-formed for the stdlib parser
    doc = xml.dom.minidom.parseString(data)
    return len(doc.getElementsByTagName("node")), len(doc.getElementsByTagName("edge"))


def test_control_characters_give_well_formed_graphml_and_gexf_with_every_node() -> None:
    import io

    import networkx as nx

    from ecograph.exchange import to_gexf, to_graphml

    eco = control_map()
    graphml, gexf = to_graphml(eco), to_gexf(eco)
    assert xml_counts(graphml) == (4, 3)
    assert xml_counts(gexf) == (4, 3)
    G = nx.read_graphml(io.BytesIO(graphml), force_multigraph=True)
    assert sorted(G.nodes) == ["a\ufffd", "b\ufffd", "c\ufffd", "plain"]
    assert G.number_of_edges() == 3
    assert sorted(k for *_, k in G.edges(keys=True)) == ["p\ufffd", "q\ufffd", "r"]
    assert G.nodes["a\ufffd"]["label"] == "L\ufffda\ufffd"
    assert G.nodes["a\ufffd"]["attr_k\ufffd"] == "v\ufffd"
    H = nx.read_gexf(io.BytesIO(gexf))
    assert H.number_of_nodes() == 4 and H.number_of_edges() == 3


@pytest.mark.parametrize(
    "ids",
    [["a\x01", "a\x02"], ["a\x01", "a\ufffd"]],
    ids=["two-controls", "control-and-replacement"],
)
def test_ids_that_would_merge_in_xml_are_refused_not_merged(tmp_path: Path, ids: list[str]) -> None:
    from ecograph.exchange import export
    from ecograph.model import Ecosystem, Node

    eco = Ecosystem("m", nodes={i: Node(i, "pool") for i in ids})
    for fmt in ("graphml", "gexf"):
        with pytest.raises(UsageError, match=r"node ids .* would both be written as"):
            export(eco, tmp_path / f"m.{fmt}")
    assert list(tmp_path.iterdir()) == []


def test_pipe_ids_and_attribute_names_that_would_merge_are_refused() -> None:
    from ecograph.exchange import to_graphml
    from ecograph.model import Ecosystem, Node, Pipe

    nodes = {"a": Node("a", "pool"), "b": Node("b", "partner")}
    pipes = (Pipe("p\x05", "a", "b", volume=1.0), Pipe("p\x06", "a", "b", volume=1.0))
    with pytest.raises(UsageError, match=r"pipe ids .* would both be written as"):
        to_graphml(Ecosystem("m", nodes=nodes, pipes=pipes))
    two = {"a": Node("a", "pool", attrs={"k\x01": 1, "k\x02": 2})}
    with pytest.raises(UsageError, match="attribute names of node 'a'"):
        to_graphml(Ecosystem("m", nodes=two))


def test_non_finite_attrs_round_trip_through_xml_and_are_refused_by_json(tmp_path: Path) -> None:
    import io
    import math

    import networkx as nx

    from ecograph.exchange import to_gexf, to_graphml, to_node_link

    m = tmp_path / "m.yaml"
    m.write_text(
        "ecograph: 1\nname: m\nnodes:\n"
        "  a: {kind: pool, attrs: {n: .nan, i: .inf, j: -.inf, ok: 1.5}}\n",
        encoding="utf-8",
    )
    import ecograph

    eco = ecograph.load(m)
    for data, read in ((to_graphml(eco), nx.read_graphml), (to_gexf(eco), nx.read_gexf)):
        node = read(io.BytesIO(data)).nodes["a"]
        assert math.isnan(node["attr_n"])
        assert node["attr_i"] == math.inf and node["attr_j"] == -math.inf
        assert node["attr_ok"] == 1.5
    with pytest.raises(UsageError, match=r"node 'a' attrs\.n is nan, and JSON has no NaN"):
        to_node_link(eco)
    code, _, err = run("export", str(m), "-o", str(tmp_path / "m.json"))
    one_line_refusal(code, err)
    assert "attrs.n is nan" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.yaml"]


def test_an_unbounded_capacity_is_null_in_json_and_finite_attrs_are_kept(tmp_path: Path) -> None:
    import json

    from ecograph.exchange import to_node_link
    from ecograph.model import Ecosystem, Node, Pipe

    eco = Ecosystem(
        "m",
        nodes={"a": Node("a", "pool", attrs={"x": [1.5, {"y": 2}]}), "b": Node("b", "partner")},
        pipes=(Pipe("a->b:traffic", "a", "b", volume=1.0),),
    )
    data = json.loads(json.dumps(to_node_link(eco), allow_nan=False))
    assert data["edges"][0]["capacity"] is None
    assert data["nodes"][0]["attrs"] == {"x": [1.5, {"y": 2}]}


# -- deep structures --------------------------------------------------------------------


def deep_yaml(tmp_path: Path, depth: int = 1500) -> Path:
    lines = ["ecograph: 1", "name: deep", "nodes:", "  n0: {kind: platform}"]
    lines.append("  src: {kind: pool, parent: n0, inflow: 5}")
    lines += [f"  n{i}: {{kind: sub-ecosystem, parent: n{i - 1}}}" for i in range(1, depth)]
    lines += [f"  leaf: {{kind: partner, parent: n{depth - 1}, outflow: 5}}"]
    lines += ["pipes:", "  - {from: src, to: leaf, volume: 5}"]
    m = tmp_path / "deep.yaml"
    m.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return m


def test_a_1500_deep_chain_renders_and_reports(tmp_path: Path) -> None:
    import json
    import math
    import re

    m = deep_yaml(tmp_path)
    for name in ("d.html", "d.png", "d.svg"):
        code, out, err = run("render", str(m), "-o", str(tmp_path / name))
        assert code == 0, err
        assert "1,502 nodes and 1 pipes drawn" in out
    page = (tmp_path / "d.html").read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="ecograph-data">(.*?)</script>', page)
    assert found is not None
    data = json.loads(found.group(1))  # strict JSON: no NaN or Infinity
    assert len(data["nodes"]) == 1502
    assert all(math.isfinite(n["x"]) and math.isfinite(n["y"]) for n in data["nodes"])
    code, _, err = run("report", str(m), "-o", str(tmp_path / "r.html"))
    assert code == 0, err
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# -- charts: '$' is a dollar sign, never mathtext ------------------------------------------

MATH_LABELS = ["$\\frac{", "$x$", "a$b", "$\\sqrt{$ and $$", "${$ costs $5$"]
MATH_TITLE = "Cost $\\frac{ of $x$"


def math_yaml(tmp_path: Path) -> Path:
    import json

    title = json.dumps(MATH_TITLE)
    lines = ["ecograph: 1", "name: math", f"title: {title}"]
    lines += ["nodes:", "  p: {kind: platform, label: 'a$b'}", "  src: {kind: pool, inflow: 10}"]
    for i, label in enumerate(MATH_LABELS):
        node = f"{{kind: partner, parent: p, outflow: 2, label: {json.dumps(label)}}}"
        lines.append(f"  n{i}: {node}")
    lines.append("pipes:")
    for i, label in enumerate(MATH_LABELS):
        lines.append(f"  - {{from: src, to: n{i}, volume: 2, label: {json.dumps(label)}}}")
    m = tmp_path / "math.yaml"
    m.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return m


def svg_texts(data: bytes) -> list[str]:
    """The texts matplotlib drew, from the comments it writes before each text's glyphs."""
    import re
    import xml.etree.ElementTree as ET

    ET.fromstring(data)  # well-formed
    return [t.strip() for t in re.findall(r"<!-- (.*?) -->", data.decode("utf-8"), re.S)]


def test_dollar_signs_in_labels_and_titles_draw_as_text_in_every_picture(tmp_path: Path) -> None:
    from html import unescape

    m = math_yaml(tmp_path)
    for name in ("m.png", "m.svg"):
        code, _, err = run("render", str(m), "-o", str(tmp_path / name))
        assert code == 0, err
    texts = [unescape(t) for t in svg_texts((tmp_path / "m.svg").read_bytes())]
    for label in MATH_LABELS:
        assert any(label in t for t in texts), (label, texts)
    assert any(MATH_TITLE in t for t in texts)
    for name, style in (("l.png", "pareto"), ("l.svg", "pareto"), ("z.svg", "lorenz")):
        code, _, err = run("longtail", str(m), "-o", str(tmp_path / name), "--chart", style)
        assert code == 0, err
    chart_texts = [unescape(t) for t in svg_texts((tmp_path / "l.svg").read_bytes())]
    assert any(t == "$x$" for t in chart_texts), chart_texts  # a bar's tick label
    code, _, err = run("report", str(m), "-o", str(tmp_path / "r.html"))
    assert code == 0, err
    assert (tmp_path / "l.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


SLOW_CSV_EXPORT = """
import importlib, sys, time
import ecograph
module = importlib.import_module("ecograph.exchange.export")
real = module.write_atomic
def paused(path, data, **options):
    if path.name == "pipes.csv":  # between the two files: in no write_atomic
        print("between", flush=True)
        time.sleep(30)
    real(path, data, **options)
module.write_atomic = paused
module.export(ecograph.load(sys.argv[1]), sys.argv[2], "csv")
"""


def test_sigterm_between_the_two_csv_files_leaves_no_directory(tmp_path: Path) -> None:
    out = tmp_path / "tables"
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_CSV_EXPORT, str(MINIMAL), str(out)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "between\n"
    assert (out / "nodes.csv").exists()  # the first file is written
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []
