"""The command line: check and schema, exit codes, output formats, help text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecograph.cli import cli, main

CORPUS = Path(__file__).parent / "corpus"
ROOT = Path(__file__).parent.parent


def run(*args: str) -> tuple[int, str, str]:
    """Run through main() (the exit-code policy) and capture both streams."""
    with CliRunner().isolation() as (out, err, _):
        code = main(list(args))
        return code, out.getvalue().decode(), err.getvalue().decode()


def test_check_valid_map_prints_summary_exit_0() -> None:
    code, out, err = run("check", str(CORPUS / "valid" / "parallel-pipes.yaml"))
    assert code == 0
    assert "valid — parallel (per month)" in out
    assert "pipes   3: traffic 2, data 1" in out
    assert "volume  traffic 30, data 0 per month" in out
    assert err == ""


def test_check_invalid_map_prints_located_errors_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, err = run("check", "tests/corpus/invalid/several-errors.yaml")
    assert code == 1
    lines = err.splitlines()
    assert lines[0].startswith("tests/corpus/invalid/several-errors.yaml:7:13: nodes.a.kind:")
    assert lines[-1] == "1 map checked: 1 invalid, 3 errors, 0 warnings"
    assert out == ""


def test_check_glob_and_many_maps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, err = run("check", "tests/corpus/valid/*.yaml")
    assert code == 0
    assert out.count(": valid — ") == len(list((CORPUS / "valid").glob("*.yaml")))
    assert err.splitlines()[-1].startswith("3 maps checked: 0 invalid")


def test_check_warnings_exit_0_unless_strict() -> None:
    path = str(CORPUS / "warnings" / "imbalance.yaml")
    code, _, err = run("check", path)
    assert code == 0
    assert "warning: nodes.hub: traffic does not balance" in err
    code, _, _ = run("check", "--strict", path)
    assert code == 1


def test_check_tolerance_silences_small_imbalance() -> None:
    path = str(CORPUS / "warnings" / "imbalance.yaml")
    # in 100 vs out 70: a gap of 30% of the larger side
    assert run("check", "--strict", "--tolerance", "0.29", path)[0] == 1
    assert run("check", "--strict", "--tolerance", "0.31", path)[0] == 0


def test_check_json_is_one_document() -> None:
    code, out, _ = run("check", "--format", "json", str(CORPUS / "invalid" / "self-loop.yaml"))
    assert code == 1
    (doc,) = json.loads(out)
    assert doc["ok"] is False
    assert doc["diagnostics"][0]["line"] == 7
    assert doc["diagnostics"][0]["path"] == "pipes[0].to"


def test_usage_errors_exit_2() -> None:
    assert run("check", "--bogus", "x.yaml")[0] == 2
    assert run("check")[0] == 2
    assert run("nosuchcommand")[0] == 2
    assert run("check", "no-match-*.yaml")[0] == 2


def test_missing_file_exit_1() -> None:
    code, _, err = run("check", "no-such-map.yaml")
    assert code == 1
    assert "no-such-map.yaml: no such file" in err


def test_internal_error_is_reported_as_a_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    cli_main = sys.modules["ecograph.cli.main"]

    def boom(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("oops")

    monkeypatch.setattr(cli_main, "check_maps", boom)
    code, _, err = run("check", "x.yaml")
    assert code == 3
    assert "internal error: ZeroDivisionError: oops" in err
    assert "This is a bug in ecograph" in err
    assert "Traceback" not in err


def test_schema_command_prints_the_shipped_schema(tmp_path: Path) -> None:
    code, out, _ = run("schema")
    assert code == 0
    shipped = json.loads((ROOT / "ecograph" / "schema" / "ecograph-1.schema.json").read_text())
    assert json.loads(out) == shipped
    target = tmp_path / "s.json"
    assert run("schema", "-o", str(target))[0] == 0
    assert json.loads(target.read_text()) == shipped


def test_every_command_help_has_an_example() -> None:
    for name, command in cli.commands.items():
        assert command.help and "Example: ecograph " + name in command.help, name


def test_console_script_and_python_m_agree() -> None:
    """`python -m ecograph` runs the same CLI, with real process exit codes."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "ecograph", "check", str(CORPUS / "invalid" / "self-loop.yaml")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 1
    assert "a pipe cannot run from node 'a' to itself" in proc.stderr
    assert "Traceback" not in proc.stderr


# -- hostile reading through the command line ----------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1"])
def test_tolerance_must_be_a_finite_number_0_or_more(value: str) -> None:
    code, out, err = run("check", "--tolerance", value, str(CORPUS / "warnings" / "imbalance.yaml"))
    assert code == 2
    assert out == ""
    assert "Invalid value for '--tolerance'" in err


def test_devices_and_fifos_on_the_command_line_exit_1(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    for path in ("/dev/zero", str(fifo)):
        code, _, err = run("flow", path)
        assert code == 1
        assert err == (
            f"{path}: is not a regular file (a device, FIFO or socket); a map file is read "
            "from a regular file only\n"
        )


def test_allow_outside_is_on_every_command_that_reads_a_map(tmp_path: Path) -> None:
    (tmp_path / "part.yaml").write_text("ecograph: 1\nname: p\nnodes: {a: {kind: pool}}\n")
    folder = tmp_path / "maps"
    folder.mkdir()
    root = folder / "map.yaml"
    root.write_text("ecograph: 1\nname: m\ninclude: [../part.yaml]\nnodes: {b: {kind: pool}}\n")
    for command in ("check", "flow", "centrality", "render", "export", "report", "diagnose"):
        assert "--allow-outside" in run(command, "--help")[1], command
    code, _, err = run("check", str(root))
    assert code == 1
    assert "include[0]: included file '../part.yaml' is outside the map's folder" in err
    code, out, _ = run("check", "--allow-outside", str(root))
    assert code == 0
    assert "nodes   2" in out
    code, _, _ = run("flow", str(root))
    assert code == 1
    code, _, _ = run("flow", str(root), "--allow-outside")
    assert code == 0


def test_bidi_and_zero_width_characters_in_paths_are_escaped(tmp_path: Path) -> None:
    path = tmp_path / "evil\u202egnp\u200b.yaml"
    path.write_text("ecograph: 1\nname: x\nnodes: {a: {kind: pol}}\n")
    code, _, err = run("check", str(path))
    assert code == 1
    assert "\u202e" not in err and "\u200b" not in err
    assert "evil\\u202egnp\\u200b.yaml:3:19: nodes.a.kind: unknown kind 'pol'" in err


def test_ctrl_c_while_the_libraries_load_is_one_line_exit_130() -> None:
    import signal
    import time

    script = Path(sys.executable).parent / "ecograph"
    if not script.exists():  # pragma: no cover - not installed as a console script
        pytest.skip("the ecograph console script is not installed")
    # Not after a fixed delay (on a busy machine the signal then lands while Python
    # itself starts, before ecograph runs): once the process has mapped a library
    # that ecograph imports after its Ctrl-C handler is set, i.e. while they load.
    for library in ("numpy", "scipy"):
        process = subprocess.Popen(
            [str(script), "check", str(ROOT / "ecosystems" / "minimal.yaml")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        maps = Path(f"/proc/{process.pid}/maps")
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            try:
                if f"/{library}" in maps.read_text():
                    break
            except OSError:  # the process ended meanwhile
                break
            time.sleep(0.001)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
        if process.returncode == 0:  # finished before the signal: nothing to see
            continue
        assert process.returncode == 130, err
        assert err.decode() == "ecograph: interrupted\n"
