"""README.md and the program agree: the CLI reference is the real --help, and every
`$ ecograph ...` console example prints what the README shows."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecograph.cli import main

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text("utf-8")


def test_cli_reference_is_the_real_help() -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import readme_cli
    finally:
        sys.path.pop(0)
    assert readme_cli.updated(README) == README, "run: python tools/readme_cli.py"


EXAMPLES = re.findall(r"```console\n\$ (ecograph [^\n]+)\n(.*?)```", README, re.DOTALL)


def test_readme_has_console_examples() -> None:
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize(("command", "shown"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_console_example_output(command: str, shown: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    with CliRunner().isolation() as (out, err, _):
        main(shlex.split(command)[1:])
        printed = out.getvalue().decode() + err.getvalue().decode()
    assert printed.strip() == shown.strip()
