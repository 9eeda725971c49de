"""Screenshot every example map's page at 1400x900 in headless Chromium.

Run from anywhere: ``python docs/screenshot.py [OUTDIR]``. Writes
``OUTDIR/<example>.png`` for every ``ecosystems/*.yaml`` (OUTDIR defaults to
``docs/screenshots``) and refreshes ``docs/alibaba.png``, the README's picture.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import ecograph
from ecograph.render import render

ROOT = Path(__file__).parent.parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 900}


def main(argv: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    out = Path(argv[0]).resolve() if argv else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    os.chdir(ROOT)  # the page names the map by the path it was loaded from
    examples = sorted(Path("ecosystems").glob("*.yaml"))
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)
        for path in examples:
            page_path = render(ecograph.load(path), Path(tmp) / f"{path.stem}.html").path
            page.goto(page_path.as_uri())
            page.wait_for_selector("body[data-ready=true]", state="attached")
            page.screenshot(path=str(out / f"{path.stem}.png"))
            if path.stem == "alibaba":
                page.screenshot(path=str(ROOT / "docs" / "alibaba.png"))
            print(out / f"{path.stem}.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
