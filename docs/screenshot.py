"""Screenshot every example map's page at 1400x900 in headless Chromium.

Run from anywhere: ``python docs/screenshot.py [OUTDIR]``. Writes
``OUTDIR/<example>.png`` for every ``ecosystems/*.yaml`` (OUTDIR defaults to
``docs/screenshots``), ``OUTDIR/overview.png`` (a generated map of 5,000 partners
in 12 groups, opened on its overview), ``OUTDIR/flow.png`` (the Alibaba map's
flow view), ``OUTDIR/sankey.png`` (the China internet map's Sankey view of its
traffic, cycles and folded tail included) and refreshes ``docs/alibaba.png``,
the README's picture.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import ecograph
from ecograph.model import Ecosystem, Node, Pipe
from ecograph.render import render

ROOT = Path(__file__).parent.parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 900}


def partners(count: int = 5000, groups: int = 12) -> Ecosystem:
    """A platform whose pool feeds ``groups`` sub-ecosystems of ``count`` partners in all."""
    nodes = {"hub": Node("hub", "platform", label="平台 Platform")}
    # the pool's inflow is what it sends on: without one, every pipe would be empty
    nodes["pool"] = Node(
        "pool", "pool", parent="hub", label="用户 Users", inflow={"traffic": float(count * groups)}
    )
    pipes = []
    for g in range(groups):
        nodes[f"g{g}"] = Node(f"g{g}", "sub-ecosystem", parent="hub", label=f"生态 Group {g}")
        pipes.append(Pipe(f"pool->g{g}", "pool", f"g{g}", volume=float(count)))
    for i in range(count):
        pid = f"p{i:05d}"
        nodes[pid] = Node(pid, "partner", parent=f"g{i % groups}")
        pipes.append(Pipe(f"g->{pid}", f"g{i % groups}", pid, volume=float(1 + (i * 7919) % 1000)))
    return Ecosystem("partners", title="5,000 partners", nodes=nodes, pipes=tuple(pipes))


def main(argv: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    out = Path(argv[0]).resolve() if argv else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    os.chdir(ROOT)  # the page names the map by the path it was loaded from
    examples = sorted(Path("ecosystems").glob("*.yaml"))
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)
        maps = [(path.stem, ecograph.load(path)) for path in examples]
        for stem, eco in [*maps, ("overview", partners())]:
            page_path = render(eco, Path(tmp) / f"{stem}.html").path
            page.goto(page_path.as_uri())
            page.wait_for_selector("body[data-ready=true]", state="attached")
            page.screenshot(path=str(out / f"{stem}.png"))
            if stem == "alibaba":
                page.screenshot(path=str(ROOT / "docs" / "alibaba.png"))
            print(out / f"{stem}.png")
        flow = render(
            ecograph.load("ecosystems/alibaba.yaml"), Path(tmp) / "flow.html", layout="flow"
        )
        page.goto(flow.path.as_uri())
        page.wait_for_selector("body[data-ready=true]", state="attached")
        page.screenshot(path=str(out / "flow.png"))
        print(out / "flow.png")
        flows = render(
            ecograph.load("ecosystems/china-internet.yaml"),
            Path(tmp) / "sankey.html",
            view="sankey",
        )
        page.goto(flows.path.as_uri())
        page.wait_for_selector("body[data-ready=true]", state="attached")
        page.screenshot(path=str(out / "sankey.png"))
        print(out / "sankey.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
