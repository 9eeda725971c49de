"""A map being written in an editor: yaml-language-server (the YAML support of VS Code
and many other editors), installed from npm, completes and checks a map with the
shipped schema, and flags the same lines ``ecograph check`` does.

The server is installed once into ``~/.cache/ecograph-tests`` (``npm install``); the
test is skipped only on a developer's machine without npm (CI installs it). What it asserts is what
``docs/format.md`` shows under "Editors".
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import ecograph
from ecograph import MapError

ROOT = Path(__file__).parent.parent
VERSION = "2.0.0"
DRAFT = """\
# yaml-language-server: $schema=../ecograph/schema/ecograph-1.schema.json
ecograph: 1
name: draft
nodes:
  shop:
    kind: 
    users: 300_000_000
  1.10: {kind: pool}
pipes:
  - {from: 1.10, to: shop, volume: .nan}
"""  # noqa: W291 - 'kind: ' waits for the editor to complete it


def _server() -> Path:
    npm = shutil.which("npm")
    if npm is None:  # CI installs it (.ci/run); elsewhere the editor check is optional
        if os.environ.get("CI"):
            pytest.fail("npm is not installed: .ci/run installs Debian's npm")
        pytest.skip("npm is not installed: no yaml-language-server to drive")
    home = Path.home() / ".cache" / "ecograph-tests" / f"yaml-language-server-{VERSION}"
    exe = home / "node_modules" / ".bin" / "yaml-language-server"
    if not exe.exists():
        home.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(home),
             f"yaml-language-server@{VERSION}"],
            check=True, capture_output=True, timeout=600,
        )  # fmt: skip
    return exe


class Client:
    """The few Language Server Protocol messages an editor sends, over stdio."""

    def __init__(self, exe: Path) -> None:
        self.process = subprocess.Popen(
            [str(exe), "--stdio"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        done = self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": ROOT.as_uri(),
                "capabilities": {"workspace": {"configuration": True}},
            },
        )
        assert "capabilities" in done
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": {"yaml": self.settings}})

    settings: dict[str, Any] = {"validate": True, "completion": True, "schemas": {}}  # noqa: RUF012

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while line := stream.readline().strip():
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if not length:
                return
            self.inbox.put(json.loads(stream.read(length)))

    def _send(self, message: dict[str, Any]) -> None:
        data = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(data), data))
        self.process.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        asked = self.next_id
        self._send({"id": asked, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == asked and "method" not in m)["result"]

    def wait(self, wanted: Any, timeout: float = 60) -> dict[str, Any]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                message = self.inbox.get(timeout=0.5)
            except queue.Empty:
                continue
            if message.get("method") == "workspace/configuration":
                items = message["params"]["items"]
                self._send({"id": message["id"], "result": [self.settings] * len(items)})
            elif "method" in message and "id" in message:  # other requests: accept
                self._send({"id": message["id"], "result": None})
            elif wanted(message):
                return message
        raise TimeoutError("yaml-language-server did not answer")

    def diagnostics(self, path: Path, text: str) -> list[dict[str, Any]]:
        uri = path.as_uri()
        self.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}},
        )
        message = self.wait(
            lambda m: (
                m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
            )
        )
        return list(message["params"]["diagnostics"])

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture(scope="module")
def editor() -> Any:
    client = Client(_server())
    yield client
    client.close()


def test_editor_completes_a_node_kind_from_the_schema(editor: Client) -> None:
    path = ROOT / "ecosystems" / "draft.yaml"  # never written: the editor has the text
    editor.diagnostics(path, DRAFT)
    result = editor.request(
        "textDocument/completion",
        {"textDocument": {"uri": path.as_uri()}, "position": {"line": 5, "character": 10}},
    )
    items = result["items"] if isinstance(result, dict) else result
    assert [item["label"] for item in items] == list(ecograph.NODE_KINDS)


def test_editor_flags_the_lines_check_flags(editor: Client, tmp_path: Path) -> None:
    path = ROOT / "ecosystems" / "draft2.yaml"
    found = editor.diagnostics(path, DRAFT)
    messages = {d["range"]["start"]["line"] + 1: d["message"] for d in found}
    # the empty kind, the YAML 1.1 number, the NaN volume; not the numeric-looking id
    assert messages == {
        6: 'Value is not accepted. Valid values: "platform", "sub-ecosystem", "partner", '
        '"pool", "channel", "producer", "fund".',
        7: 'Incorrect type. Expected "number".',
        10: "Matches a schema that is not allowed.",
    }
    draft = tmp_path / "draft.yaml"
    draft.write_text(DRAFT.replace("../ecograph", str(ROOT / "ecograph")), "utf-8")
    with pytest.raises(MapError) as caught:
        ecograph.load(draft)
    assert sorted(d.line for d in caught.value.diagnostics) == sorted(messages)


EXAMPLES = sorted((ROOT / "ecosystems").glob("*.yaml")) + sorted(
    (ROOT / "ecosystems" / "scenarios").glob("*.yaml")
)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_editor_accepts_every_example_map_and_scenario(editor: Client, path: Path) -> None:
    # scenarios too: their schema holds the map's definitions, so no web address is needed
    text = path.read_text("utf-8")
    assert text.startswith("# yaml-language-server: $schema=")
    assert editor.diagnostics(path, text) == []
    # and the schema is really applied: a wrong top-level key is flagged
    broken = editor.diagnostics(path.with_name("x-" + path.name), text + "nodez: 1\n")
    assert [d["message"] for d in broken] == ["Property nodez is not allowed."]
