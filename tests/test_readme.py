"""README.md, the documentation pages and the program agree: the CLI reference
(docs/cli.md) is the real --help, and every `$ ecograph ...` console example in the
README and in docs/ prints what the page shows."""

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
PAGES = {"README.md": README} | {
    f"docs/{p.name}": p.read_text("utf-8") for p in sorted((ROOT / "docs").glob("*.md"))
}


def test_cli_reference_is_the_real_help() -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import readme_cli
    finally:
        sys.path.pop(0)
    page = (ROOT / "docs" / "cli.md").read_text("utf-8")
    assert readme_cli.updated(page) == page, "run: python tools/readme_cli.py"


EXAMPLES = [
    (command, shown)
    for text in PAGES.values()
    for command, shown in re.findall(r"```console\n\$ (ecograph [^\n]+)\n(.*?)```", text, re.DOTALL)
]


def test_readme_and_docs_have_console_examples() -> None:
    assert len(re.findall(r"```console\n\$ ecograph", README)) >= 2
    assert len(re.findall(r"```console\n\$ ecograph", PAGES["docs/tutorial.md"])) >= 5


@pytest.mark.parametrize(("command", "shown"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_console_example_output(command: str, shown: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    with CliRunner().isolation() as (out, err, _):
        main(shlex.split(command)[1:])
        printed = out.getvalue().decode() + err.getvalue().decode()
    assert printed.strip() == shown.strip()
