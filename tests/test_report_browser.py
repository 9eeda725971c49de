"""The report page in a real headless Chromium: offline, the map drawn, the chart shown, safety.

Chromium is Debian's ``/usr/bin/chromium`` driven by Playwright (which never
downloads a browser here), as in ``test_render_browser.py``. Without it the
tests skip, except under CI (``CI=true``), where they fail: CI must install it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from chromium import READY, watch

import ecograph
from ecograph.model import Ecosystem
from ecograph.render import describe
from ecograph.render.report import report

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "ecosystems").glob("*.yaml"))


@dataclass
class Opened:
    """A loaded report, its map frame, and everything they tried or complained about."""

    page: Any
    frame: Any = None
    external: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def counts(self) -> tuple[int, int]:
        c = self.frame.evaluate("() => window.ecograph.counts()")
        return c["nodes"], c["edges"]


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def opener(path: Path, *, width: int = 1400, height: int = 900) -> Opened:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        opened = Opened(page)
        watch(page, opened)
        page.goto(path.resolve().as_uri())
        frame = page.wait_for_selector("#map iframe", state="attached").content_frame()
        frame.wait_for_selector(READY, state="attached", timeout=60_000)
        opened.frame = frame
        return opened

    yield opener
    for context in contexts:
        context.close()


def pixel_spread(png: bytes) -> tuple[float, int]:
    from PIL import Image

    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.float64)
    colours = len(np.unique(image.reshape(-1, 3).astype(np.int64) @ np.array([65536, 256, 1])))
    return float(image.std()), colours


def write(tmp_path: Path, eco: Ecosystem, name: str = "report", **options: Any) -> Path:
    return report(eco, tmp_path / f"{name}.html", **options)


# -- every example ------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_report_works_offline_draws_the_map_and_shows_the_chart(
    path: Path, tmp_path: Path, open_page: Any
) -> None:
    eco = ecograph.load(path)
    opened = open_page(write(tmp_path, eco, path.stem))
    page = opened.page
    assert opened.external == []
    assert opened.errors == []
    assert opened.dialogs == []
    assert opened.counts() == (len(eco.nodes), len(eco.pipes))
    assert page.inner_text("#title") == eco.title
    # the map's scripts run in an origin of their own: they cannot reach the report
    assert opened.frame.evaluate("() => self.origin") == "null"
    assert (
        opened.frame.evaluate(
            "() => { try { return !!parent.document; } catch (e) { return 'denied'; } }"
        )
        == "denied"
    )
    shot = page.locator("#map iframe").screenshot()
    spread, colours = pixel_spread(shot)
    assert spread > 10 and colours > 50, (spread, colours)
    chart = page.locator("#long-tail-chart")
    assert chart.evaluate("img => img.complete && img.naturalWidth > 0 && img.naturalHeight > 0")
    width, height = chart.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert width / height == pytest.approx(1200 / 720, rel=0.01)  # the chart's own shape
    spread, colours = pixel_spread(chart.screenshot())
    assert spread > 10 and colours > 1, (spread, colours)
    sections = page.eval_on_selector_all("section", "els => els.map(e => e.id)")
    assert sections == ["map", "flow", "diagnosis", "rankings", "long-tail", "economics"]
    # the title block is the report's only: the embedded map shows none, and its labels
    # are as readable as on the map's own page
    assert not opened.frame.is_visible("#eg-header")
    page.locator("#map iframe").scroll_into_view_if_needed()
    opened.frame.wait_for_function("() => window.ecograph.labels().length > 0", timeout=10_000)
    labels = opened.frame.evaluate("() => window.ecograph.labels()")
    assert labels and min(label["px"] for label in labels) >= 11
    (tmp_path / f"{path.stem}-chart.png").write_bytes(chart.screenshot())


# -- safety -------------------------------------------------------------------------------


def test_injection_maps_run_nothing_and_show_every_string_literally(
    tmp_path: Path, open_page: Any
) -> None:
    from test_render import EVIL_MAP, EVIL_TITLE
    from test_report import EVIL, evil_map

    for name, eco, title in (
        ("evil", ecograph.loads(EVIL_MAP), EVIL_TITLE),
        ("evil2", evil_map(), " ".join(EVIL)),
    ):
        opened = open_page(write(tmp_path, eco, name))
        page = opened.page
        page.wait_for_timeout(300)
        assert opened.dialogs == []
        assert opened.errors == []
        assert opened.external == []
        assert page.evaluate("() => window.__pwned") is None
        assert opened.frame.evaluate("() => window.__pwned") is None
        assert page.inner_text("#title") == title
        assert page.title() == f"{title} — ecosystem report"
        assert page.eval_on_selector_all("script, object, embed, form", "els => els.length") == 0
        srcs = page.eval_on_selector_all("img", "els => els.map(e => e.src.slice(0, 26))")
        assert srcs == ["data:image/svg+xml;base64,"]
        assert opened.counts() == (len(eco.nodes), len(eco.pipes))
        # every diagnosed node's label shows as text in its row
        rows = page.eval_on_selector_all(
            "#diagnosis-table tbody tr", "els => els.map(e => [e.dataset.node, e.innerText])"
        )
        assert rows and all(eco.nodes[n].label in text for n, text in rows)


# -- reading it on a phone and on paper -------------------------------------------------------


def test_a_phone_reads_it_without_the_page_scrolling_sideways(
    tmp_path: Path, open_page: Any
) -> None:
    eco = ecograph.load(ROOT / "ecosystems" / "china-internet.yaml")
    opened = open_page(write(tmp_path, eco), width=390, height=844)
    page = opened.page
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert page.evaluate("() => getComputedStyle(document.body).fontSize") == "14px"
    box = page.locator("#map iframe").bounding_box()
    assert box["height"] >= 420
    assert opened.counts() == (len(eco.nodes), len(eco.pipes))
    assert opened.errors == []


def test_it_prints_to_pdf_with_the_contents_links_hidden(tmp_path: Path, open_page: Any) -> None:
    eco = ecograph.load(ROOT / "ecosystems" / "alibaba.yaml")
    opened = open_page(write(tmp_path, eco))
    page = opened.page
    page.emulate_media(media="print")
    assert page.evaluate("() => getComputedStyle(document.querySelector('nav')).display") == "none"
    assert page.locator("#long-tail-chart").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages >= 3, pages
    assert opened.errors == []


def test_a_folded_map_draws_what_the_drawing_says(tmp_path: Path, open_page: Any) -> None:
    eco = ecograph.load(ROOT / "ecosystems" / "china-internet.yaml")
    drawing = describe(eco, max_nodes=20)
    assert drawing.folds
    opened = open_page(write(tmp_path, eco, max_nodes=20))
    assert opened.counts() == (len(drawing.nodes), len(drawing.edges))
    assert "folded into summary nodes" in opened.page.inner_text("#map-notes")


def test_a_map_with_prototype_names_as_ids_is_drawn_in_the_report(
    tmp_path: Path, open_page: Any
) -> None:
    from test_render_browser import PROTOTYPE_NAMES, prototype_map

    opened = open_page(write(tmp_path, prototype_map()))
    assert opened.errors == []
    assert opened.counts() == (5, 3)
    assert sorted(opened.frame.evaluate("() => window.ecograph.shown().nodes")) == sorted(
        PROTOTYPE_NAMES
    )
    text = opened.page.inner_text("body")
    assert "hasOwnProperty" in text and "__proto__" in text


def test_a_1500_deep_chain_is_reported_and_drawn(tmp_path: Path, open_page: Any) -> None:
    from test_render_browser import deep_chain

    opened = open_page(write(tmp_path, deep_chain()))
    assert opened.errors == []
    assert opened.counts() == (150, 1)  # the overview: the top 150 levels
    opened.frame.click("#eg-expand-all")
    assert opened.counts() == (1502, 1)
