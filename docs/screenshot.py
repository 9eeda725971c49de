"""Make docs/alibaba.png, the README's picture of the Alibaba map, in headless Chromium.

Run from the repository root: python docs/screenshot.py
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import ecograph
from ecograph.render import render

ROOT = Path(__file__).parent.parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def main() -> None:
    from playwright.sync_api import sync_playwright

    os.chdir(ROOT)  # the page names the map by the path it was loaded from
    eco = ecograph.load("ecosystems/alibaba.yaml")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        page_path = render(eco, Path(tmp) / "alibaba.html").path
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 940}, device_scale_factor=1)
        page.goto(page_path.as_uri())
        page.wait_for_selector("body[data-ready=true]", state="attached")
        page.screenshot(path=str(ROOT / "docs" / "alibaba.png"))
        browser.close()


if __name__ == "__main__":
    main()
