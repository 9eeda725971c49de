"""The headless Chromium shared by the browser tests.

Debian's ``/usr/bin/chromium`` driven by Playwright, which never downloads a
browser here. Without it the browser tests skip, except under CI
(``CI=true``), where they fail: CI must install it (``.ci/run`` does).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: The selector a page sets once it has drawn.
READY = "body[data-ready=true]"
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")


def unavailable(reason: str) -> None:
    """Skip, or fail under CI, when the browser cannot run."""
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"{reason} (CI must provide it: apt-get install -y chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module."""
    if not CHROMIUM.exists():
        unavailable(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright Python package is not installed")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield chromium
        chromium.close()


def watch(page: Any, opened: Any) -> None:
    """Record on ``opened`` (lists ``external``, ``errors``, ``dialogs``) every request that
    leaves ``file:``, every failed request, console error, page error and dialog of ``page``;
    requests that would leave the machine are aborted, dialogs dismissed."""

    def route(r: Any) -> None:
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            opened.external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on(
        "request",
        lambda req: (
            opened.external.append(req.url)
            if not req.url.startswith(("file:", "data:", "about:", "blob:"))
            and req.url not in opened.external
            else None
        ),
    )
    page.on("requestfailed", lambda req: opened.errors.append(f"failed: {req.url}"))
    page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: opened.errors.append(str(e)))

    def dialog(d: Any) -> None:
        opened.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
