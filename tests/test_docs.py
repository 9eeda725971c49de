"""The documentation site builds offline with ``mkdocs build --strict`` and every link
in it, and in the README, leads somewhere that exists.

mkdocs's own validation (mkdocs.yml: links, anchors and nav at 'warn', made errors
by ``--strict``) checks the Markdown; this test also reads the built HTML, so links
written by mkdocstrings and the theme are checked too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).parent.parent

#: README sections that moved to docs/ (moved, not copied: none may be in both).
MOVED = {
    "What traffic costs and earns": "tutorial.md",
    'Ask "what if"': "tutorial.md",
    "Long tail, fit and overuse": "tutorial.md",
    "A report to forward": "tutorial.md",
    "Exports and imports": "exchange.md",
    "Maps from tables": "tables.md",
    "The map format (version 1)": "format.md",
    "Security and limits": "security.md",
    "Python API": "api.md",
    "Command line": "cli.md",
    "Speed": "speed.md",
}


_LINKS = {("href", "a"), ("href", "link"), ("src", "img"), ("src", "script")}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id":
                self.ids.add(value)
            elif (name, tag) in _LINKS:
                self.links.append(value)


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text("utf-8"))
    return parser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    return out


def test_site_has_every_page(site: Path) -> None:
    for page in ("tutorial", "format", "exchange", "tables", "cli", "api", "security", "speed"):
        assert (site / page / "index.html").is_file(), page
    api = _parse(site / "api" / "index.html").ids
    # the reference is generated from the docstrings: one anchor per documented name
    for name in (
        "ecograph.cache.load",
        "ecograph.analysis.reach.reach",
        "ecograph.model.Ecosystem",
        "ecograph.analysis.diagnose.diagnose",
        "ecograph.exchange.to_map_table",
    ):
        assert name in api, name
    cli = (site / "cli" / "index.html").read_text("utf-8")
    assert "ecograph whatif --help" in cli and "--description TEXT" in cli


def test_every_link_in_the_site_resolves(site: Path) -> None:
    pages = {p: _parse(p) for p in site.rglob("*.html")}
    broken = []
    external = set()
    for page, parsed in pages.items():
        for link in parsed.links:
            parts = urlsplit(link)
            if parts.scheme in ("http", "https"):
                external.add(link)
                continue
            assert not parts.scheme, f"{page}: {link}"
            if parts.path.startswith("/"):  # 404.html links from the site's root
                target = site / unquote(parts.path).lstrip("/")
            else:
                target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)}: {link}")
                continue
            if parts.fragment and target.suffix == ".html":
                if target not in pages:  # pragma: no cover - every page is parsed
                    pages[target] = _parse(target)
                if unquote(parts.fragment) not in pages[target].ids:
                    broken.append(f"{page.relative_to(site)}: {link} (no such anchor)")
    assert not broken, broken
    # offline: nothing the pages load comes from the network (links to read are fine)
    for page in pages:
        text = page.read_text("utf-8")
        assert not re.search(r'<(script|img)[^>]+src="https?:', text), page
        assert not re.search(r'<link[^>]+rel="stylesheet"[^>]+href="https?:', text), page


def test_readme_links_resolve_and_moved_sections_are_not_copied() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    for _label, target in re.findall(r"(?<!!)\[([^\]]+)\]\(([^)\s]+)\)", readme):
        if target.startswith(("http://", "https://")):
            continue
        path, _, fragment = target.partition("#")
        assert (ROOT / path).exists(), target
        if fragment and path.endswith(".md"):
            text = (ROOT / path).read_text("utf-8")
            headings = [_anchor(h) for h in re.findall(r"^#+ (.*)$", text, re.MULTILINE)]
            assert fragment in headings, target
    headings = re.findall(r"^## (.*)$", readme, re.MULTILINE)
    for title, page in MOVED.items():
        assert title not in headings, f"README still has '{title}'"
        assert f"## {title}" in (ROOT / "docs" / page).read_text("utf-8") or (
            f"# {title}" in (ROOT / "docs" / page).read_text("utf-8")
        )


def _anchor(title: str) -> str:
    """The id MkDocs (Python-Markdown's toc) gives a heading."""
    text = re.sub(r"[^\w\s-]", "", title.strip().lower())
    return re.sub(r"[-\s]+", "-", text)
