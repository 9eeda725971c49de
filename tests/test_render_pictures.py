"""Static pictures (PNG/SVG): Chinese glyphs drawn or a warning, labels apart, nothing clipped."""

from __future__ import annotations

import io
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ecograph
from ecograph.cli.main import main
from ecograph.model import Ecosystem, Node, Pipe
from ecograph.render import describe, static, to_image

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "ecosystems").glob("*.yaml"))


def pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.int64)


def labelled(label: str) -> Ecosystem:
    """A two-node map whose partner carries ``label``; everything else is ASCII."""
    nodes = {
        "u": Node("u", "pool", label="Users", inflow={"traffic": 5.0}),
        "p": Node("p", "partner", label=label, outflow={"traffic": 5.0}),
    }
    return Ecosystem("m", title="Glyphs", nodes=nodes, pipes=(Pipe("u->p", "u", "p", volume=5.0),))


def ink(png: bytes) -> int:
    """How many pixels are dark (text and outlines)."""
    return int((pixels(png) < 128).sum())


def cjk_font_installed() -> bool:
    """An independent look at the machine's fonts: fontconfig's list of Chinese fonts."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    listed = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True)
    return bool(listed.stdout.strip())


def test_chinese_labels_are_drawn_with_their_glyphs() -> None:
    if not cjk_font_installed():
        pytest.skip("fontconfig lists no Chinese font on this machine")
    # one stroke against many: drawn glyphs differ in ink, missing-glyph boxes would not
    with warnings.catch_warnings():
        warnings.simplefilter("error", static.GlyphWarning)
        one = to_image(describe(labelled("一一一一一一")), "png")
        many = to_image(describe(labelled("龍龘龍龘龍龘")), "png")
    assert ink(many) > ink(one) + 300, (ink(many), ink(one))


def test_without_a_cjk_font_the_picture_warns_once_and_draws_boxes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(static, "CJK_FONTS", ())
    with pytest.warns(static.GlyphWarning, match=r"draw 3 characters .*cjk") as caught:
        one = to_image(describe(labelled("一二三")), "png")
    assert len([w for w in caught if issubclass(w.category, static.GlyphWarning)]) == 1
    with pytest.warns(static.GlyphWarning):
        other = to_image(describe(labelled("龍龘龍")), "png")
    # the warning is true: both labels came out as the same boxes
    assert np.array_equal(pixels(one), pixels(other))


def test_the_command_line_warns_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any
) -> None:
    monkeypatch.setattr(static, "CJK_FONTS", ())
    out = tmp_path / "toutiao.png"
    assert main(["render", str(ROOT / "ecosystems" / "toutiao.yaml"), "-o", str(out)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "warning: no installed font can draw" in err[0] and "toutiao.yaml" in err[0]
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_a_stale_font_cache_is_refreshed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if not cjk_font_installed():
        pytest.skip("fontconfig lists no Chinese font on this machine")
    import matplotlib
    from matplotlib import font_manager

    # matplotlib's cache as it was before the CJK fonts were installed
    manager = font_manager.fontManager
    stale = [f for f in manager.ttflist if "CJK" not in f.name]
    assert len(stale) < len(manager.ttflist)
    monkeypatch.setattr(manager, "ttflist", stale)
    monkeypatch.setattr(matplotlib, "get_cachedir", lambda: str(tmp_path))
    static._refresh_fonts.cache_clear()
    try:
        fonts = static.chart_fonts()
    finally:
        static._refresh_fonts.cache_clear()
    assert any("CJK" in name for name in fonts), fonts
    saved = list(tmp_path.glob("fontlist-v*.json"))
    assert len(saved) == 1 and "CJK" in saved[0].read_text(encoding="utf-8")


def test_missing_glyphs_names_only_what_no_font_has(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(static, "CJK_FONTS", ())
    assert static.missing_glyphs(["Taobao 淘宝 café"]) == "宝淘"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_picture_labels_never_overlap(path: Path) -> None:
    drawing = describe(ecograph.load(path))
    labels = static.picture_labels(drawing)
    assert labels
    boxes = [box for _text, box in labels]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
    # every group outline drawn is named (groups start expanded)
    names = {text for text, _box in labels}
    for group in drawing.groups:
        label = drawing.node(group.id).label
        assert label in names or any(
            t.endswith("\u2026") and label.startswith(t[:-1]) for t in names
        ), label


def test_legend_and_labels_are_never_clipped() -> None:
    # the case: toutiao with a bottleneck highlight (a long legend entry)
    eco = ecograph.load(ROOT / "ecosystems" / "toutiao.yaml")
    drawing = describe(eco, highlight="bottlenecks", to="stool-maker")
    assert any(e.key == "bottleneck" for e in drawing.legend)
    image = pixels(to_image(drawing, "png"))
    # a blank margin all round: nothing was cut at the picture's edge
    edge = 12
    for strip in (image[:edge], image[-edge:], image[:, :edge], image[:, -edge:]):
        assert strip.min() >= 250
