"""Warm loads: a map from the cache is the map from its source, or the cache is not used.

Every test runs with its own ``ECOGRAPH_CACHE_DIR`` (the autouse fixture in the
root ``conftest.py``); the size threshold is lowered with ``min_bytes=0`` or
``ECOGRAPH_CACHE_MIN_BYTES=0``. Files written by a test are aged (their
modification time set an hour back): a file changed less than
``RACY_SECONDS`` before a load is, rightly, not cached by that load.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from click.testing import CliRunner

import ecograph
from ecograph import cache
from ecograph.cli import main
from ecograph.compiled import CACHE_KEY
from ecograph.errors import MapError
from ecograph.model import Ecosystem, LazyNodes, LazyPipes, Node, Pipe
from ecograph.validate import load as load_source

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "ecosystems").glob("*.yaml"))

WARNED = """\
ecograph: 1
name: warned
title: "Warned — 警告"
period: week
units: {traffic: visits, capital: CNY}
description: |
  A map with warnings,
  attrs and an include.
include: [more.yaml]
nodes:
  pool: {kind: pool, users: 1e6, inflow: {capital: 0, traffic: 100}, tags: [a, b]}
  shop:
    kind: partner
    label: "Shop \\u2028 one"
    parent: plat
    outflow: 50
    genes: [commerce]
    description: sells
    source: https://example.com
    attrs: {n: 123456789012345678901234567890, x: 1.5, i: 3, ok: true, none: null,
            nested: {list: [1, "two", {three: 3.0}]}, "k.e y": "v"}
  plat: {kind: platform}
  lonely: {kind: channel}
pipes:
  - {from: pool, to: shop, volume: 60, capacity: 50, cost: 1.25, conversion: 0.5,
     label: busy, description: over capacity, source: survey, attrs: {a: [1, 2]}}
  - {id: spare, from: pool, to: plat, volume: 40, status: blocked}
  - {from: pool, to: shop}
"""

MORE = """\
ecograph: 1
name: more
period: week
units: {goods: crates}
nodes:
  fund: {kind: fund, inflow: {capital: 7}}
pipes:
  - {from: fund, to: shop, kind: capital, volume: 7}
  - {from: fund, to: shop, kind: capital, volume: 0}
"""


def _age(*paths: Path) -> None:
    """Set modification times an hour back (the files look settled, not racy)."""
    past = time.time() - 3600
    for path in paths:
        os.utime(path, (past, past))


@pytest.fixture
def warned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "warned.yaml").write_text(WARNED, "utf-8")
    (tmp_path / "more.yaml").write_text(MORE, "utf-8")
    _age(tmp_path / "warned.yaml", tmp_path / "more.yaml")
    return tmp_path / "warned.yaml"


def _warm(path: str | Path, **kw: Any) -> Ecosystem:
    """Load twice through the cache; the second load must be a hit."""
    cache.load(path, cache=True, min_bytes=0, **kw)
    assert cache.entry_path(path, **kw).exists()
    eco = cache.load(path, cache=True, min_bytes=0, **kw)
    assert isinstance(eco.nodes, LazyNodes) and isinstance(eco.pipes, LazyPipes), "not a hit"
    return eco


def _same_analyses(cold: Ecosystem, warm: Ecosystem) -> None:
    for kind in cold.currencies():
        assert ecograph.flow(warm, kind=kind).to_dict() == ecograph.flow(cold, kind=kind).to_dict()
        for metric in ("pagerank", "degree", "betweenness"):
            assert ecograph.centrality(warm, metric, kind=kind) == ecograph.centrality(
                cold, metric, kind=kind
            )
    targets = [n.id for n in cold.nodes.values() if n.kind == "partner"][-2:]
    for target in targets:
        try:
            expected: Any = ecograph.bottlenecks(cold, target)
        except ecograph.EcographError as exc:
            expected = repr(exc)
        try:
            got: Any = ecograph.bottlenecks(warm, target)
        except ecograph.EcographError as exc:
            got = repr(exc)
        assert got == expected


def _same_map(cold: Ecosystem, warm: Ecosystem) -> None:
    for f in dataclasses.fields(Ecosystem):
        if f.name in ("nodes", "pipes", "_cache"):
            continue
        assert getattr(warm, f.name) == getattr(cold, f.name), f.name
    assert list(warm.nodes) == list(cold.nodes)
    assert len(warm.pipes) == len(cold.pipes)
    assert warm.summary() == cold.summary()
    assert warm.currencies() == cold.currencies()
    # every field, location and attrs included (dataclass equality is field by field)
    assert list(warm.nodes.values()) == list(cold.nodes.values())
    assert list(warm.pipes) == list(cold.pipes)
    for a, b in zip(warm.nodes.values(), cold.nodes.values(), strict=True):
        assert [type(getattr(a, f.name)) for f in dataclasses.fields(Node)] == [
            type(getattr(b, f.name)) for f in dataclasses.fields(Node)
        ]
        assert json.dumps(dict(a.attrs)) == json.dumps(dict(b.attrs))  # same key order
        assert list(a.inflow.items()) == list(b.inflow.items())
    # a fresh look at the lazy map gives what the cold one gives
    warm._cache.pop("summary")
    warm._cache.pop("currencies")
    assert warm.summary() == cold.summary()
    assert warm.currencies() == cold.currencies()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_map_warm_equals_cold(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    shown = f"ecosystems/{path.name}"
    cold = load_source(shown)
    warm = _warm(shown)
    _same_map(cold, warm)
    _same_analyses(cold, load_source(shown))  # a second cold map: nothing shared
    _same_analyses(load_source(shown), warm)


def test_a_map_with_warnings_attrs_and_an_include_round_trips(warned: Path) -> None:
    cold = load_source("warned.yaml")
    assert len(cold.warnings) >= 3 and len(cold.files) == 2
    warm = _warm("warned.yaml")
    _same_map(cold, warm)
    _same_analyses(cold, warm)
    assert warm.nodes["shop"].attrs["n"] == 123456789012345678901234567890
    assert warm.nodes["shop"].location == cold.nodes["shop"].location
    assert str(warm.pipes[0].location) == str(cold.pipes[0].location) == "more.yaml:8:5"


def test_strict_raises_the_same_diagnostics_warm(warned: Path) -> None:
    with pytest.raises(MapError) as cold:
        load_source("warned.yaml", strict=True)
    _warm("warned.yaml")
    with pytest.raises(MapError) as warm:
        cache.load("warned.yaml", strict=True, cache=True, min_bytes=0)
    assert warm.value.diagnostics == cold.value.diagnostics


def test_check_reports_the_same_warm(warned: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOGRAPH_CACHE_MIN_BYTES", "0")
    runs = [CliRunner().invoke(main_cli(), ["check", "warned.yaml"]) for _ in range(3)]
    assert cache.entry_path("warned.yaml").exists()
    nocache = CliRunner().invoke(main_cli(), ["check", "--no-cache", "warned.yaml"])
    assert {(r.exit_code, r.output) for r in [*runs, nocache]} == {(0, nocache.output)}
    assert "warning" in nocache.output
    cold = ecograph.check(["warned.yaml"])
    warm = ecograph.check(["warned.yaml"], cache=True, min_bytes=0)
    assert [r.to_dict() for r in warm] == [r.to_dict() for r in cold]
    json_runs = {
        CliRunner().invoke(main_cli(), ["check", "--format", "json", *extra, "warned.yaml"]).output
        for extra in ([], ["--no-cache"])
    }
    assert len(json_runs) == 1


def main_cli() -> Any:
    from ecograph.cli import cli

    return cli


def test_editing_one_byte_of_an_include_invalidates(warned: Path) -> None:
    _warm("warned.yaml")
    more = warned.parent / "more.yaml"
    text = more.read_text("utf-8")
    more.write_text(text.replace("volume: 7}", "volume: 8}"), "utf-8")  # same size
    _age(more)
    eco = cache.load("warned.yaml", cache=True, min_bytes=0)
    assert not isinstance(eco.pipes, LazyPipes), "a stale entry was used"
    assert [p.volume for p in eco.pipes if p.kind == "capital"] == [8.0, 0.0]
    assert cache.load("warned.yaml", cache=True, min_bytes=0).nodes["fund"].inflow == {
        "capital": 7.0
    }
    warm = cache.load("warned.yaml", cache=True, min_bytes=0)
    assert isinstance(warm.pipes, LazyPipes)  # rewritten and used again
    assert [p.volume for p in warm.pipes if p.kind == "capital"] == [8.0, 0.0]


def test_a_file_changed_just_before_the_load_is_not_cached(warned: Path) -> None:
    warned.touch()
    cache.load("warned.yaml", cache=True, min_bytes=0)
    assert not cache.entry_path("warned.yaml").exists()
    _age(warned)
    cache.load("warned.yaml", cache=True, min_bytes=0)
    assert cache.entry_path("warned.yaml").exists()


def _damaged(entry: Path) -> list[tuple[str, bytes]]:
    data = entry.read_bytes()
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x40
    return [
        ("truncated", data[: len(data) // 2]),
        ("one byte short", data[:-1]),
        ("header only", data[: cache._HEADER.size]),
        ("empty", b""),
        ("flipped bit", bytes(flipped)),
        ("garbage", np.random.default_rng(7).bytes(len(data))),  # seeded: the same every run
        ("pickle", b"\x80\x04\x95" + b"\0" * 200),
    ]


def _resealed(entry: Path, change: Any) -> bytes:
    """The entry with its manifest changed and its checksum recomputed (a well-formed entry
    that is foreign in some other way)."""
    import zlib

    data = entry.read_bytes()
    magic, fmt, r, m_at, m_len, n_at, n_len, p_at, p_len, _ = cache._HEADER.unpack_from(data)
    manifest = orjson.loads(data[m_at : m_at + m_len])
    change(manifest)
    head = orjson.dumps(manifest)
    pad = b"\0" * (-(m_at + len(head)) % 64)
    new_n_at = m_at + len(head) + len(pad)
    body = head + pad + data[n_at:]
    shift = new_n_at - n_at
    header = cache._HEADER.pack(
        magic, fmt, r, m_at, len(head), new_n_at, n_len, p_at + shift, p_len, zlib.crc32(body)
    )
    return header + body


def test_a_damaged_or_foreign_entry_is_ignored_and_rebuilt(warned: Path) -> None:
    cold = load_source("warned.yaml")
    _warm("warned.yaml")
    entry = cache.entry_path("warned.yaml")
    good = entry.read_bytes()

    def version(m: dict[str, Any]) -> None:
        m["ecograph"] = "0.0.0"

    def fmt(m: dict[str, Any]) -> None:
        m["format"] = 99

    def key(m: dict[str, Any]) -> None:
        m["key"]["cwd"] = "/elsewhere"

    def rows(m: dict[str, Any]) -> None:
        m["nodes"] += 1

    def source(m: dict[str, Any]) -> None:
        m["files"][0]["sha256"] = "0" * 64

    def summary(m: dict[str, Any]) -> None:
        m["summary"] = [1]

    def diagnostics(m: dict[str, Any]) -> None:
        m["diagnostics"] = [{"no": "such field"}]
        m["summary"] = 3

    cases = [
        *_damaged(entry),
        ("other version", _resealed(entry, version)),
        ("other format", _resealed(entry, fmt)),
        ("other key", _resealed(entry, key)),
        ("rows differ", _resealed(entry, rows)),
        ("other source hash", _resealed(entry, source)),
        ("malformed manifest", _resealed(entry, diagnostics)),
        ("malformed summary", _resealed(entry, summary)),
    ]
    for name, data in cases:
        entry.write_bytes(data)
        eco = cache.load("warned.yaml", cache=True, min_bytes=0)
        assert not isinstance(eco.nodes, LazyNodes), name
        entry.write_bytes(data)
        result = cache.check(["warned.yaml"], cache=True, min_bytes=0)
        assert result[0].to_dict() == ecograph.check(["warned.yaml"])[0].to_dict(), name
        _same_map(cold, _warm("warned.yaml"))  # rebuilt, and good again
        assert cache._read_entry(cache._key(warned, "warned.yaml", warned.parent, 1e-3))
    assert len(entry.read_bytes()) == len(good)


def test_a_damaged_entry_does_not_fail_a_command(warned: Path) -> None:
    os.environ["ECOGRAPH_CACHE_MIN_BYTES"] = "0"
    try:
        code, out = _cli("flow", "warned.yaml")
        assert code == 0
        entry = cache.entry_path("warned.yaml")
        entry.write_bytes(entry.read_bytes()[:-100])
        assert _cli("flow", "warned.yaml") == (0, out)
        assert _cli("flow", "warned.yaml") == (0, out)  # the rebuilt entry
        entry.write_bytes(b"not an entry")
        assert _cli("check", "warned.yaml")[0] == 0
    finally:
        del os.environ["ECOGRAPH_CACHE_MIN_BYTES"]


def _cli(*args: str) -> tuple[int, str]:
    with CliRunner().isolation() as (out, _err, _):
        code = main(list(args))
        return code, out.getvalue().decode()


def test_no_cache_neither_reads_nor_writes(warned: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOGRAPH_CACHE_MIN_BYTES", "0")
    entry = cache.entry_path("warned.yaml")
    for command in (["flow"], ["centrality", "--metric", "degree"], ["export", "-o", "out.json"]):
        assert _cli(*command, "--no-cache", "warned.yaml")[0] == 0
        assert not entry.exists(), command
    assert _cli("check", "--no-cache", "warned.yaml")[0] == 0
    assert _cli("diff", "--no-cache", "--no-diagnosis", "warned.yaml", "warned.yaml")[0] == 0
    assert not entry.exists()
    assert _cli("flow", "warned.yaml")[0] == 0
    assert entry.exists()
    entry.write_bytes(b"x")  # --no-cache does not even read it
    assert _cli("flow", "--no-cache", "warned.yaml")[0] == 0
    assert entry.read_bytes() == b"x"


def test_every_command_that_loads_a_map_has_no_cache() -> None:
    from ecograph.cli import cli

    for name, command in cli.commands.items():
        names = {opt for p in command.params for opt in getattr(p, "opts", [])}
        loads = any(p.name in ("map_path", "maps", "paths", "old") for p in command.params)
        assert ("--no-cache" in names) == loads, name


def test_a_map_with_errors_is_not_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("ecograph: 1\nname: bad\nnodes: {a: {kind: pol}}\n", "utf-8")
    _age(bad)
    for _ in range(2):
        with pytest.raises(MapError):
            cache.load("bad.yaml", cache=True, min_bytes=0)
        assert [r.ok for r in cache.check(["bad.yaml"], cache=True, min_bytes=0)] == [False]
    assert not list(cache.cache_dir().glob("*")) if cache.cache_dir().exists() else True


def test_small_maps_are_not_cached_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    shown = "ecosystems/alibaba.yaml"
    cache.load(shown, cache=True)
    assert not cache.entry_path(shown).exists()
    assert os.path.getsize(shown) < cache.MIN_BYTES
    monkeypatch.setenv("ECOGRAPH_CACHE_MIN_BYTES", str(os.path.getsize(shown)))
    cache.load(shown, cache=True)
    assert cache.entry_path(shown).exists()


def test_the_library_default_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("ECOGRAPH_CACHE_MIN_BYTES", "0")
    eco = ecograph.load("ecosystems/alibaba.yaml")
    assert not cache.cache_dir().exists() or not list(cache.cache_dir().iterdir())
    assert isinstance(eco.pipes, tuple)


def test_the_cache_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ECOGRAPH_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "ecograph"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "ecograph"
    monkeypatch.setenv("ECOGRAPH_CACHE_DIR", str(tmp_path / "mine"))
    assert cache.cache_dir() == tmp_path / "mine"


def test_a_warm_flow_makes_no_pipe_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    eco = _warm("ecosystems/china-internet.yaml")
    assert CACHE_KEY in eco._cache
    for kind in eco.currencies():
        ecograph.flow(eco, kind=kind)
    ecograph.centrality(eco, "pagerank")
    eco.summary()
    assert eco.pipes._made is None  # type: ignore[attr-defined]
    assert eco._cache[CACHE_KEY].builds["layer"] == len(eco.currencies()), "one compiled map"
    # the compiled columns are views of the memory-mapped entry, not copies
    cm = eco._cache[CACHE_KEY]
    assert not cm.volume.flags.owndata and not cm.volume.flags.writeable
    assert np.array_equal(cm.src, ecograph.compiled.compile_model(load_source(eco.files[0])).src)


def test_every_model_field_has_a_column_and_unknown_types_fail_loudly() -> None:
    names = [c.name for c in cache._codecs(Node)] + [c.name for c in cache._codecs(Pipe)]
    assert names == [f.name for f in dataclasses.fields(Node)] + [
        f.name for f in dataclasses.fields(Pipe)
    ]

    @dataclasses.dataclass(frozen=True, slots=True)
    class Priced:
        price: Decimal

    with pytest.raises(TypeError, match=r"Priced\.price of type 'Decimal'"):
        cache._codecs(Priced)
    cache._map_level(load_source(ROOT / "ecosystems" / "minimal.yaml"))  # every map field


def test_values_the_format_cannot_keep_are_not_cached() -> None:
    for bad in ({1: "int key"}, {"x": math.inf}, {"x": (1, 2)}, {"x": b"bytes"}):
        with pytest.raises(cache._Unstorable):
            cache._dumps(bad)
    assert cache._loads(cache._dumps({"n": 2**70, "f": 0.1})) == {"n": 2**70, "f": 0.1}


_WRITER = """
import sys, time
from pathlib import Path
from ecograph import cache
key = cache._key(Path(sys.argv[1]).resolve(), sys.argv[1], Path.cwd(), 1e-3)
until = time.time() + float(sys.argv[2])
n = 0
while time.time() < until or n < 3:
    cache._cold(key, sys.argv[1], 1e-3, 0)
    n += 1
print(n)
"""


def test_concurrent_writers_leave_a_valid_entry(warned: Path) -> None:
    key = cache._key(warned, "warned.yaml", warned.parent, 1e-3)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, "warned.yaml", "3"],
            cwd=warned.parent,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for _ in range(3)
    ]
    seen = 0
    while any(p.poll() is None for p in procs):
        if cache.entry_path("warned.yaml").exists():
            assert cache._read_entry(key) is not None, "a reader saw a half-written entry"
            seen += 1
    writes = [int(p.communicate()[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs) and min(writes) >= 3
    assert seen > 0
    _same_map(load_source("warned.yaml"), cache.load("warned.yaml", cache=True, min_bytes=0))
    leftovers = [p.name for p in cache.cache_dir().iterdir() if p.suffix != ".ecocache"]
    assert leftovers == []


def test_a_copied_tree_gets_its_own_entry(warned: Path, tmp_path: Path) -> None:
    _warm("warned.yaml")
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("warned.yaml", "more.yaml"):
        shutil.copy2(warned.parent / name, copy / name)
    assert cache.entry_path(copy / "warned.yaml") != cache.entry_path("warned.yaml")
    eco = cache.load(copy / "warned.yaml", cache=True, min_bytes=0)
    assert eco.files[0] == str(copy / "warned.yaml")


def test_old_temporary_files_of_killed_writers_are_removed(warned: Path) -> None:
    directory = cache.cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    old, new = directory / ".ecograph-old.tmp", directory / ".ecograph-new.tmp"
    old.write_bytes(b"half")
    new.write_bytes(b"being written")
    _age(old)
    _warm("warned.yaml")
    assert not old.exists() and new.exists()


def test_the_directory_is_trimmed_to_its_size_least_recently_used_first(
    warned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # three entries: warned.yaml and two copies under other names ("first" made first);
    # the bound fits two of them, so the least recently used one goes
    for copy in ("first.yaml", "copy.yaml"):
        shutil.copy(warned, copy)
        _age(Path(copy))
    names = ("first.yaml", "copy.yaml", "warned.yaml")
    for name in names:
        cache.load(name, cache=True, min_bytes=0)
    files = {name: cache.entry_path(name) for name in names}
    sizes = {name: f.stat().st_size for name, f in files.items()}
    for age, name in enumerate(names):  # first.yaml oldest, warned.yaml newest
        stamp = time.time() - 3600 + 60 * age
        os.utime(files[name], (stamp, stamp))
    # a hit refreshes its entry: first.yaml becomes the most recently used
    before = files["first.yaml"].stat().st_mtime
    assert isinstance(cache.load("first.yaml", cache=True, min_bytes=0).pipes, LazyPipes)
    assert files["first.yaml"].stat().st_mtime > before
    bound = sizes["first.yaml"] + sizes["warned.yaml"]
    removed = cache.evict(bound)
    assert removed == [files["copy.yaml"]]
    assert not files["copy.yaml"].exists()
    assert files["first.yaml"].exists() and files["warned.yaml"].exists()
    assert cache.evict(bound) == []  # already within the bound

    # a write trims the directory by itself (ECOGRAPH_CACHE_MAX_BYTES), never removing the
    # entry it just wrote, even when that entry alone is over the bound
    monkeypatch.setenv("ECOGRAPH_CACHE_MAX_BYTES", "1")
    cache.load("copy.yaml", cache=True, min_bytes=0)
    left = sorted(cache.cache_dir().glob("*.ecocache"))
    assert left == [files["copy.yaml"]]
