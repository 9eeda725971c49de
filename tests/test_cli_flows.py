"""The reach, flow and dependency commands: output formats, flags, errors, every example map."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import ecograph
from ecograph.cli import cli, main

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "ecosystems").glob("*.yaml"))

LOOP = """\
ecograph: 1
name: loop
nodes:
  pool:     {kind: pool, inflow: 100}
  platform: {kind: platform, outflow: 30}
  hub:      {kind: sub-ecosystem}
  shop:     {kind: partner, outflow: 60}
  app:      {kind: partner, parent: hub, outflow: 10}
  fund:     {kind: fund}
pipes:
  - {from: pool, to: platform, volume: 100, capacity: 150}
  - {from: platform, to: shop, volume: 60, capacity: 70}
  - {from: platform, to: app, volume: 20, capacity: 25}
  - {from: app, to: platform, volume: 10, capacity: 10}
  - {from: fund, to: shop, kind: capital, volume: 5}
"""


def run(*args: str) -> tuple[int, str, str]:
    """Run through main() (the exit-code policy) and capture both streams."""
    with CliRunner().isolation() as (out, err, _):
        code = main(list(args))
        return code, out.getvalue().decode(), err.getvalue().decode()


@pytest.fixture
def loop_map(tmp_path: Path) -> str:
    path = tmp_path / "loop.yaml"
    path.write_text(LOOP, encoding="utf-8")
    return str(path)


def test_reach_json(loop_map: str) -> None:
    # traced by hand in tests/test_reach.py::test_cycle_is_solved_exactly
    code, out, err = run("reach", loop_map, "--from", "pool", "--to", "shop", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc == {
        "source": "pool",
        "hops": {"pool": 0, "platform": 1, "shop": 2, "app": 2},
        "traffic": {"platform": 110.0, "shop": 60.0, "app": 20.0},
        "max_flow": 70.0,
        "cost_per_unit": 0.0,  # no pipe of the map has a cost: every route is free
    }
    code, out, _ = run("reach", loop_map, "--from", "pool", "--hops", "1", "--format", "json")
    assert json.loads(out)["hops"] == {"pool": 0, "platform": 1}
    assert "max_flow" not in json.loads(out)


def test_reach_table_and_csv(loop_map: str) -> None:
    code, out, _ = run("reach", loop_map, "--from", "pool")
    assert code == 0
    assert out.startswith("source: pool")
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("node"))
    assert header.split() == ["node", "hops", "traffic"]
    assert [line.split()[0] for line in lines[lines.index(header) + 2 :]][:1] == ["platform"]
    code, out, _ = run("reach", loop_map, "--from", "pool", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["node"]: r["traffic"] for r in rows if r["traffic"]} == {
        "platform": "110.0",
        "shop": "60.0",
        "app": "20.0",
    }


def test_reach_other_currency(loop_map: str) -> None:
    code, out, _ = run("reach", loop_map, "--from", "fund", "--kind", "capital", "--format", "json")
    assert code == 0
    assert json.loads(out)["traffic"] == {"shop": 5.0}


def test_flow_json(loop_map: str) -> None:
    # T: pool 100, platform 110, shop 60, app 20; TST 290; boundary 100 -> APL 2.9
    code, out, err = run("flow", loop_map, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["total_system_throughflow"] == 290.0
    assert doc["average_path_length"] == pytest.approx(2.9)
    assert doc["throughflow"]["platform"] == 110.0
    assert doc["imbalance"]["platform"] == 0.0
    for key in ("cycling_index", "boundary_flow_index", "direct_flow_index"):
        assert 0 <= doc[key] <= 1
    code, out, _ = run("flow", loop_map, "--kind", "capital", "--format", "json")
    assert json.loads(out)["total_system_throughflow"] == 10.0


def test_dependency_json_and_group(loop_map: str) -> None:
    # by hand in tests/test_dependency.py::test_cycle_by_hand
    code, out, err = run("dependency", loop_map, "--target", "shop", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["dominators"] == ["pool", "platform"]
    assert doc["shares"] == pytest.approx({"pool": 1.0, "platform": 1.0, "app": 1 / 11})
    assert doc["sources"] == {"pool": 1.0}
    assert doc["concentration"] == 1.0
    code, out, _ = run("dependency", loop_map, "--target", "shop", "--group", "--format", "json")
    doc = json.loads(out)
    assert doc["shares"] == pytest.approx({"hub": 1 / 11})
    assert doc["loss_if_removed"] == pytest.approx({"hub": 60 / 11})


def test_dependency_table(loop_map: str) -> None:
    code, out, _ = run("dependency", loop_map, "--target", "shop")
    assert code == 0
    assert "dominators: pool, platform" in out
    assert "concentration: 1" in out


def test_unknown_node_is_a_located_error_with_a_hint(loop_map: str) -> None:
    code, out, err = run("reach", loop_map, "--from", "shp")
    assert code == 1
    assert out == ""
    assert err.splitlines()[-1] == f"{loop_map}: error: unknown node 'shp' (did you mean 'shop'?)"
    code, _, err = run("dependency", loop_map, "--target", "ap")
    assert code == 1
    assert "unknown node 'ap' (did you mean 'app'?)" in err
    code, _, err = run("reach", loop_map, "--from", "pool", "--to", "shopp")
    assert code == 1
    assert "did you mean 'shop'?" in err


def test_bad_command_lines_exit_2(loop_map: str) -> None:
    assert run("reach", loop_map)[0] == 2  # --from is required
    assert run("reach", loop_map, "--from", "pool", "--hops", "-1")[0] == 2
    assert run("flow", loop_map, "--kind", "water")[0] == 2
    assert run("dependency", loop_map)[0] == 2


@pytest.mark.parametrize("command", ["reach", "flow", "dependency"])
def test_help_has_an_example(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Example: ecograph " + command in result.output


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_map(path: Path) -> None:
    eco = ecograph.load(str(path))
    for kind in eco.currencies():
        code, out, err = run("flow", str(path), "--kind", kind, "--format", "json")
        assert code == 0, err
        assert json.loads(out)["total_system_throughflow"] > 0
    pools = [n.id for n in eco.nodes.values() if n.kind == "pool"]
    for pool in pools:
        code, out, err = run("reach", str(path), "--from", pool, "--format", "json")
        assert code == 0, err
        assert json.loads(out)["source"] == pool
    for node in eco.nodes.values():
        if node.kind in ("partner", "producer", "channel"):
            for extra in ([], ["--group"]):
                code, out, err = run(
                    "dependency", str(path), "--target", node.id, "--format", "json", *extra
                )
                assert code == 0, err
                doc = json.loads(out)
                assert all(0.0 <= v <= 1.0 for v in doc["shares"].values())
                if doc["sources"]:
                    assert sum(doc["sources"].values()) == pytest.approx(1.0)
