"""Pictures of a series: stable positions, entering and leaving nodes, the slider page (in
Chromium too), and the trend chart."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from chromium import READY, watch

from ecograph.render.series import (
    LEFT_COLOR,
    render_series,
    series_drawings,
    series_page,
    trend_chart,
)
from ecograph.series import load_series
from ecograph.trend import trend

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "ecosystems" / "series" / "rural-taobao.yaml"


def _ids(path: str) -> set[str]:
    return set(yaml.safe_load(Path(path).read_text("utf-8"))["nodes"])


def test_positions_are_stable_and_changes_are_marked() -> None:
    series = load_series(EXAMPLE)
    drawings = series_drawings(series)
    ids = [_ids(s.file) for s in series.snapshots]
    where: dict[str, set[tuple[float, float]]] = {}
    for drawing in drawings:
        assert drawing.physics is False
        for n in drawing.nodes:
            where.setdefault(n.id, set()).add((n.x, n.y))
    assert all(len(places) == 1 for places in where.values())
    for i in (1, 2):
        entered = {n.id for n in drawings[i].nodes if n.label.startswith("+ ")}
        left = {n.id for n in drawings[i].nodes if n.color == LEFT_COLOR}
        assert entered == ids[i] - ids[i - 1]
        assert left == ids[i - 1] - ids[i]
        assert all(n.label.startswith("- ") for n in drawings[i].nodes if n.id in left)
    assert {n.id for n in drawings[0].nodes} == ids[0]  # nothing marked in the first
    assert not any(n.label.startswith(("+ ", "- ")) for n in drawings[0].nodes)
    assert {n.id for n in drawings[2].nodes if n.color == LEFT_COLOR} == {
        "laundry-app",
        "hen-seller",
    }


def _sha(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def test_page_allows_exactly_its_scripts_and_loads_nothing(tmp_path: Path) -> None:
    series = load_series(EXAMPLE)
    out = tmp_path / "s.html"
    render_series(series, str(out))
    page = out.read_text("utf-8")
    policy = re.search(r'Content-Security-Policy" content="([^"]*)"', page)
    assert policy is not None
    allowed = set(re.search(r"script-src ([^;]*)", policy.group(1)).group(1).split())  # type: ignore[union-attr]
    outer = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    assert len(outer) == 1 and _sha(outer[0]) in allowed
    assert "default-src 'none'" in policy.group(1)
    assert re.findall(r'(?:src|href)="([^"]*)"', page) == ["data:,"]
    assert 'sandbox="allow-scripts"' in page


def test_labels_stay_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    evil = "</script><img src=x onerror=alert(1)>"
    for name, volume in (("a", 10), ("b", 20)):
        Path(f"{name}.yaml").write_text(
            "ecograph: 1\nname: m\nnodes:\n  pool: {kind: pool, inflow: 100, outflow: "
            f"{100 - volume}}}\n  shop: {{kind: partner, label: '{evil}', outflow: {volume}}}\n"
            f"pipes:\n  - {{from: pool, to: shop, volume: {volume}}}\n",
            "utf-8",
        )
    Path("s.yaml").write_text(
        f"ecograph-series: 1\ntitle: '{evil}'\nsnapshots:\n  - {{date: 2024, map: a.yaml}}\n"
        "  - {date: 2025, map: b.yaml}\n",
        "utf-8",
    )
    series = load_series("s.yaml")
    page = series_page(series_drawings(series), series.dates, title=series.title)
    assert evil not in page
    assert page.count("<script") == 3  # the two JSON blocks and the slider's script
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page  # the title, as text


@dataclass
class _Opened:
    external: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def test_the_slider_shows_each_snapshot_offline(browser: Any, tmp_path: Path) -> None:
    series = load_series(EXAMPLE)
    out = tmp_path / "s.html"
    render_series(series, str(out))
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    opened = _Opened()
    watch(page, opened)
    page.goto(out.resolve().as_uri())
    counts = []
    for i, snapshot in enumerate(series.snapshots):
        if i:
            page.click("#series-next")
        assert page.text_content("#series-date") == snapshot.date
        frame = page.wait_for_selector("#series-frame").content_frame()
        frame.wait_for_selector(READY, state="attached", timeout=60_000)
        frame.wait_for_function(f"() => document.title.endsWith({snapshot.label!r})")
        c = frame.evaluate("() => window.ecograph.counts()")
        counts.append((c["nodes"], c["edges"]))
        assert frame.evaluate("() => self.origin") == "null"  # sandboxed
    shown_left = {2: 2, 1: 0}  # ghosts drawn where partners left
    assert counts == [
        (len(s.map.nodes) + shown_left.get(i, 0), len(s.map.pipes))
        for i, s in enumerate(series.snapshots)
    ]
    assert (opened.external, opened.errors, opened.dialogs) == ([], [], [])
    page.close()


def test_trend_chart_has_one_panel_per_measure() -> None:
    from PIL import Image

    result = trend(load_series(EXAMPLE), nodes=["pinduoduo"])
    png = trend_chart(result, ["gini", "received", "node:pinduoduo"], "png")
    image = Image.open(io.BytesIO(png))
    assert image.size == (1200, 1080)  # 720 high per two panels
    assert len(image.convert("L").getcolors(maxcolors=256) or []) > 10  # not blank: grey levels
    svg = trend_chart(result, ["gini"], "svg")
    assert svg.startswith(b"<?xml") and b"<script" not in svg
    with pytest.raises(ValueError, match="unknown measure"):
        trend_chart(result, ["wealth"])
    with pytest.raises(ValueError, match="not followed"):
        trend_chart(result, ["node:mogujie"])
