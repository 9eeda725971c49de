"""``ecograph render --watch``: renders again on every change of the map or its includes, and
the page served on 127.0.0.1 reloads itself."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chromium import READY

MAIN = """\
ecograph: 1
name: watched
title: First title
include: [more.yaml]
nodes:
  users: {kind: pool, label: Users}
pipes:
  - {from: users, to: shop, volume: 10}
"""
MORE = """\
ecograph: 1
name: more
nodes:
  shop: {kind: partner, label: Shop}
"""


class Watcher:
    """A running ``render --watch`` and the lines it prints."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ecograph", *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.out: queue.Queue[str] = queue.Queue()
        self.err: queue.Queue[str] = queue.Queue()
        for stream, q in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=self._pump, args=(stream, q), daemon=True).start()

    @staticmethod
    def _pump(stream: Any, q: queue.Queue[str]) -> None:
        for line in stream:
            q.put(line.rstrip("\n"))

    def wait_for(self, q: queue.Queue[str], pattern: str, timeout: float = 60.0) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                line = q.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                break
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line matching {pattern!r} within {timeout} s")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture
def watcher(tmp_path: Path) -> Iterator[Watcher]:
    (tmp_path / "map.yaml").write_text(MAIN, encoding="utf-8")
    (tmp_path / "more.yaml").write_text(MORE, encoding="utf-8")
    w = Watcher(["render", "map.yaml", "-o", "map.html", "--watch", "--no-cache"], tmp_path)
    yield w
    w.stop()


def touch_later(path: Path, text: str) -> None:
    """Write ``text`` with a modification time surely after the last one seen."""
    before = path.stat().st_mtime_ns
    path.write_text(text, encoding="utf-8")
    if path.stat().st_mtime_ns == before:
        os.utime(path, ns=(before + 10**9, before + 10**9))


def test_watch_renders_again_and_the_served_page_reloads(
    watcher: Watcher, tmp_path: Path, browser: Any
) -> None:
    watcher.wait_for(watcher.out, r"map\.html: rendered \(2 nodes, 1 pipes\)")
    url = watcher.wait_for(watcher.out, r"^serving http://127\.0\.0\.1:\d+/map\.html").split()[1]
    watcher.wait_for(watcher.out, r"watching 2 files")
    context = browser.new_context()
    page = context.new_page()
    external: list[str] = []
    page.on(
        "request",
        lambda r: external.append(r.url) if not r.url.startswith(url.rsplit("/", 1)[0]) else None,
    )
    page.goto(url)
    page.wait_for_selector(READY, state="attached", timeout=60_000)
    assert page.title() == "First title"
    # the map itself changes: the file is rendered again and the open page reloads
    touch_later(tmp_path / "map.yaml", MAIN.replace("First title", "Second title"))
    watcher.wait_for(watcher.out, r"map\.html: rendered")
    assert "Second title" in (tmp_path / "map.html").read_text(encoding="utf-8")
    page.wait_for_function("() => document.title === 'Second title'", timeout=30_000)
    # an included file changes: a third node appears
    touch_later(tmp_path / "more.yaml", MORE + "  farm: {kind: producer, label: Farm}\n")
    watcher.wait_for(watcher.out, r"map\.html: rendered \(3 nodes")
    page.wait_for_function(
        "() => window.ecograph && window.ecograph.counts().nodes === 3", timeout=30_000
    )
    # a broken edit is one located line on stderr; the last good page stays and the watch goes on
    good = (tmp_path / "map.html").read_bytes()
    touch_later(tmp_path / "more.yaml", MORE.replace("label: Shop}", "label: [oops}"))
    line = watcher.wait_for(watcher.err, r"more\.yaml:\d+:\d+")
    assert "Traceback" not in line
    time.sleep(1.5)
    assert (tmp_path / "map.html").read_bytes() == good
    touch_later(tmp_path / "more.yaml", MORE)
    watcher.wait_for(watcher.out, r"map\.html: rendered \(2 nodes")
    assert external == []
    context.close()
    assert watcher.stop() == 130  # interrupted, as every command reports Ctrl-C


def test_the_page_on_disk_never_asks_anything(tmp_path: Path) -> None:
    # the same page opened from file:// has nothing to ask (no server) and the policy
    # lets a page connect to its own origin only when it is served by the watcher
    from ecograph.model import Ecosystem, Node
    from ecograph.render import describe, to_html

    drawing = describe(Ecosystem("m", nodes={"a": Node("a", "pool")}))
    assert "connect-src" not in to_html(drawing)
    assert "connect-src 'self'" in to_html(drawing, live=1)
