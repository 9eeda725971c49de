"""``render --watch``: re-render when the map or a file it includes changes; reload the page.

A page opened from ``file://`` cannot learn that its file changed (it may not
read files, and its Content-Security-Policy forbids any request), so the
watcher also serves the page from a small HTTP server bound to 127.0.0.1 on a
free port. That page, and only that one, may ask the server for the current
generation (``connect-src 'self'``) once a second and reloads itself when it
changed. Nothing else is served, and nothing listens beyond the machine.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ecograph._io import check_output, write_atomic
from ecograph.errors import MapError, UsageError
from ecograph.model import Ecosystem
from ecograph.render.describe import describe
from ecograph.render.html import to_html

__all__ = ["GENERATION_PATH", "Stamp", "stamp", "watch"]

#: Where the served page asks for the current generation.
GENERATION_PATH = "/__ecograph/generation"

Stamp = tuple[tuple[str, int, int], ...]


def stamp(files: Iterable[str | os.PathLike[str]]) -> Stamp:
    """What the files look like now: path, modification time (ns) and size, per file.

    A missing file counts as time and size -1, so its coming back is a change.

    Examples
    --------
    >>> stamp(["/nonexistent/map.yaml"])
    (('/nonexistent/map.yaml', -1, -1),)
    """
    out = []
    for f in files:
        try:
            s = os.stat(f)
            out.append((str(f), s.st_mtime_ns, s.st_size))
        except OSError:
            out.append((str(f), -1, -1))
    return tuple(out)


class _Live:
    """The page being served and its generation (shared with the server's threads)."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.generation = 0
        self.lock = threading.Lock()


def _server(live: _Live) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == GENERATION_PATH:
                with live.lock:
                    body, kind = str(live.generation).encode(), "text/plain; charset=utf-8"
            elif path in ("/", "/" + live.output.name):
                try:
                    body, kind = live.output.read_bytes(), "text/html; charset=utf-8"
                except OSError:
                    self.send_error(404)
                    return
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the terminal shows renders and errors only

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server


def watch(
    load: Callable[[], Ecosystem],
    output: str | os.PathLike[str],
    *,
    options: Mapping[str, Any],
    fmt: str = "html",
    interval: float = 0.5,
    echo: Callable[[str], None] = print,
    complain: Callable[[str], None] = print,
    stop: threading.Event | None = None,
) -> None:
    """Render a map now and again each time one of its files changes, until stopped.

    Parameters
    ----------
    load : callable
        Loads the map (again); its :class:`~ecograph.errors.MapError` or
        :class:`~ecograph.errors.UsageError` on a later load is reported through
        ``complain``, one line each, and the watch goes on with the last good page.
    output : path
        The file written (replaced only once complete, as by ``render``).
    options : mapping
        Keyword arguments of :func:`ecograph.render.describe`.
    fmt : {"html", "png", "svg"}
        For ``html`` the page is also served on 127.0.0.1 and reloads itself.
    interval : float
        Seconds between two looks at the files.
    echo, complain : callable
        Where progress lines and error lines go.
    stop : threading.Event, optional
        Set it to end the watch (else it runs until interrupted).

    Examples
    --------
    >>> import tempfile, pathlib, threading
    >>> from ecograph.model import Ecosystem, Node
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "m.html"
    >>> done = threading.Event(); done.set()  # stop after the first render
    >>> watch(lambda: Ecosystem("m", nodes={"a": Node("a", "pool")}), out, options={},
    ...       echo=lambda line: None, stop=done)
    >>> out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    True
    """
    target = Path(output)
    live = _Live(target)
    stop = stop or threading.Event()

    def build() -> tuple[str, ...]:
        eco = load()
        check_output(target, eco.files)
        drawing = describe(eco, **options)
        with live.lock:
            generation = live.generation + 1
        if fmt == "html":
            content = to_html(drawing, live=generation).encode("utf-8")
        else:
            from ecograph.render.static import to_image

            content = to_image(drawing, fmt)
        write_atomic(target, content, inputs=eco.files)
        with live.lock:
            live.generation = generation
        echo(f"{target}: rendered ({len(drawing.nodes):,} nodes, {len(drawing.edges):,} pipes)")
        return tuple(eco.files)

    files = build()
    server = None
    if fmt == "html":
        server = _server(live)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        echo(f"serving http://127.0.0.1:{port}/{target.name} (the open page reloads itself)")
    echo(f"watching {len(files)} file{'s' if len(files) != 1 else ''}; Ctrl-C stops")
    seen = stamp(files)
    try:
        while not stop.wait(interval):
            now = stamp(files)
            if now == seen:
                continue
            # what was stamped before reading: a file still being written (or written
            # again) while it was read differs from it next time round, and is read again
            seen = now
            try:
                built = build()
            except MapError as exc:
                for diagnostic in exc.diagnostics:
                    complain(str(diagnostic))
                continue
            except UsageError as exc:
                complain(f"error: {exc}")
                continue
            if built and built != files:  # the map includes other files now
                files = built
                seen = stamp(files)
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
