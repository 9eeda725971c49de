"""Warm loads: a large map that has not changed loads from a compiled cache entry.

Loading a big YAML map (parsing, schema, every check, the model, the compiled
columns) takes seconds to minutes; the second command on the same, unchanged
map should not pay that again. With ``cache=True`` (the command line's
default; ``--no-cache`` turns it off) :func:`load` and :func:`check` keep what a
load produced in one file per map in the user's cache directory, and the next
load of the same map reads that file instead of the YAML.

Safety
------
- **Never trusted over the source.** An entry lists every file the map read
  (the root and every include; the list is open for table files) with its size
  and the SHA-256 hash of its bytes. A load re-hashes every listed file and
  uses the entry only when all match; a size mismatch is a fast miss, the
  modification time is never relied on. A file modified less than
  :data:`RACY_SECONDS` before a cold load began is not cached by that load (it
  may have changed while being read); the next load caches it.
- **Keyed** by the map's resolved path, the path as given, the working
  directory (they decide the file names in locations and messages), the
  balance tolerance and the format; the ecograph version is checked inside. One
  entry per key, rewritten when the sources change, so the directory does not
  grow with every edit.
- **No pickle**: an entry is JSON and Arrow IPC, so reading one runs no code
  (a cache directory may be shared). Every entry carries a CRC-32 of its body
  (against damage; the sources' hashes are what make it trusted); a
  truncated, corrupt, unreadable or foreign entry, or one from another
  ecograph version or format, is ignored, the map is loaded from its source,
  and the entry is rewritten.
- **Atomic**: an entry is written to a temporary file beside it and renamed
  over it, so concurrent commands see the old entry or the new one, never half
  (two writers of the same entry leave one of their two, both valid).
- A map with errors is never cached; a map with warnings is cached with them
  (and with every diagnostic its load reported), so ``check`` reports the same.
- **Bounded**: after writing an entry, the least recently used entries are removed
  until the directory holds at most :data:`MAX_BYTES` of entries (2 GiB;
  ``ECOGRAPH_CACHE_MAX_BYTES`` changes it); the entry just written is always kept.
  A cache hit refreshes its entry's modification time, which is what "recently
  used" means (access times are unreliable). Removing an entry another command
  is reading is safe: it keeps its open mapping.
- Only maps of at least :data:`MIN_BYTES` of source (1 MiB;
  ``ECOGRAPH_CACHE_MIN_BYTES`` or ``min_bytes=`` change it) are cached: below
  that, reading the YAML costs about what checking an entry would.

Where
-----
``$ECOGRAPH_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/ecograph``, else
``~/.cache/ecograph`` (:func:`cache_dir`). Deleting the directory is always safe.

Format (version 1)
------------------
One file, ``<key>.ecocache``::

    header (72 bytes): b"ECOGRAPH", format u32, 0 u32, then (offset, length) u64
        of the manifest, the node table and the pipe table, then the CRC-32
        (u32) of everything after the header, 4 bytes of padding
    manifest: JSON (ecograph version, format, key, files with sizes and hashes,
        the map-level fields, warnings, diagnostics, summary, currencies,
        the file names locations point into)
    nodes, pipes: Arrow IPC files, 64-byte aligned

The tables hold every field of :class:`~ecograph.model.Node` and
:class:`~ecograph.model.Pipe`, found with :func:`dataclasses.fields` (text and
optional text as strings, optional numbers as float64 with nulls, tuples of
text as list<string>, mappings as JSON text, a location as file index, line and
column; a field of any other type fails loudly), plus the compiled columns
under ``compiled.`` (kind, parent, users, inflow and outflow as fixed-size
lists, src, dst, currency, volume, capacity, cost, conversion, open). A warm
load memory-maps the file, builds the :class:`~ecograph.compiled.CompiledMap`
straight from the Arrow buffers (numpy views, no copy) and keeps it in the
map's cache; ``eco.nodes`` and ``eco.pipes`` are
:class:`~ecograph.model.LazyNodes` and :class:`~ecograph.model.LazyPipes`
that make model objects only when somebody asks for them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import mmap
import os
import stat
import struct
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from ecograph._io import write_atomic
from ecograph._perf import fast_constructor, gc_paused
from ecograph._version import __version__
from ecograph.compiled import CACHE_KEY, CompiledMap, compiled, from_columns
from ecograph.errors import Diagnostic, MapError, sort_diagnostics
from ecograph.model import (
    CURRENCIES,
    NODE_KINDS,
    Ecosystem,
    LazyNodes,
    LazyPipes,
    Location,
    Node,
    Pipe,
)
from ecograph.validate import DEFAULT_TOLERANCE, CheckResult, expand_paths, load_checked
from ecograph.validate import check as check_source
from ecograph.validate import load as load_source

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "FORMAT",
    "MAX_BYTES",
    "MIN_BYTES",
    "RACY_SECONDS",
    "cache_dir",
    "check",
    "entry_path",
    "evict",
    "load",
]

#: Version of the entry format; entries of another format are ignored and rewritten.
FORMAT = 1
#: Maps with fewer bytes of source than this are not cached (``ECOGRAPH_CACHE_MIN_BYTES``).
MIN_BYTES = 1 << 20
#: The cache directory is trimmed to this many bytes of entries (``ECOGRAPH_CACHE_MAX_BYTES``).
MAX_BYTES = 2 << 30
#: A file modified this shortly before a cold load began is not cached by that load.
RACY_SECONDS = 2.0

_MAGIC = b"ECOGRAPH"
_HEADER = struct.Struct("<8sII6QI4x")
_ALIGN = 64
_SUFFIX = ".ecocache"
_EMPTY: Mapping[str, Any] = MappingProxyType({})
#: Ecosystem fields that are not map-level values of the manifest.
_NOT_MAP_LEVEL = frozenset({"nodes", "pipes", "warnings", "_cache"})


class _Unstorable(Exception):
    """The map holds a value the format cannot keep exactly; it is not cached."""


# -- where ---------------------------------------------------------------------------------


def cache_dir() -> Path:
    """The directory of the cache entries.

    ``$ECOGRAPH_CACHE_DIR``, else ``$XDG_CACHE_HOME/ecograph``, else
    ``~/.cache/ecograph``.

    Examples
    --------
    >>> cache_dir() == Path(os.environ["ECOGRAPH_CACHE_DIR"])  # the tests set it
    True
    """
    given = os.environ.get("ECOGRAPH_CACHE_DIR")
    if given:
        return Path(given)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "ecograph"


def _min_bytes(given: int | None) -> int:
    if given is not None:
        return given
    env = os.environ.get("ECOGRAPH_CACHE_MIN_BYTES")
    if env:
        try:
            return int(env)
        except ValueError:
            pass
    return MIN_BYTES


def _max_bytes() -> int:
    env = os.environ.get("ECOGRAPH_CACHE_MAX_BYTES")
    if env:
        try:
            return int(env)
        except ValueError:
            pass
    return MAX_BYTES


def evict(max_bytes: int | None = None, *, keep: Path | None = None) -> list[Path]:
    """Remove the least recently used cache entries until the rest fit in ``max_bytes``.

    Parameters
    ----------
    max_bytes : int, optional
        Default ``$ECOGRAPH_CACHE_MAX_BYTES``, else :data:`MAX_BYTES`.
    keep : Path, optional
        An entry never removed (the one just written), even if it alone is larger.

    Returns
    -------
    list of Path
        The entries removed, oldest first.

    Examples
    --------
    >>> evict(1 << 40)  # nothing to remove under a terabyte
    []
    """
    limit = _max_bytes() if max_bytes is None else max_bytes
    entries = []
    with contextlib.suppress(OSError):
        for file in cache_dir().glob(f"*{_SUFFIX}"):
            with contextlib.suppress(OSError):  # removed meanwhile by another command
                info = file.stat()
                entries.append((info.st_mtime_ns, file.name, file, info.st_size))
    total = sum(size for *_, size in entries)
    removed: list[Path] = []
    for _, _, file, size in sorted(entries):
        if total <= limit:
            break
        if keep is not None and file == keep:
            continue
        with contextlib.suppress(FileNotFoundError):
            file.unlink()
            removed.append(file)
        total -= size
    if removed:
        _debug(f"evicted {len(removed)} entries to stay under {limit} bytes")
    return removed


def _key(root: Path, shown: str, cwd: Path, tolerance: float) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "root": str(root),
        "shown": shown,
        "cwd": str(cwd),
        "tolerance": tolerance,
    }


def entry_path(path: str | os.PathLike[str], *, tolerance: float = DEFAULT_TOLERANCE) -> Path:
    """The cache entry a load of ``path`` from the current directory reads and writes.

    Examples
    --------
    >>> entry_path("ecosystems/alibaba.yaml").suffix
    '.ecocache'
    """
    shown = os.fspath(path)
    key = _key(Path(shown).resolve(), shown, Path.cwd(), tolerance)
    return _entry_file(key)


def _entry_file(key: dict[str, Any]) -> Path:
    name = hashlib.blake2b(orjson.dumps(key), digest_size=16).hexdigest()
    return cache_dir() / f"{name}{_SUFFIX}"


def _debug(message: str) -> None:
    if os.environ.get("ECOGRAPH_DEBUG"):
        print(f"ecograph cache: {message}", file=sys.stderr)


# -- public API ------------------------------------------------------------------------------


def load(
    path: str | os.PathLike[str],
    *,
    strict: bool = False,
    tolerance: float = DEFAULT_TOLERANCE,
    allow_outside: bool = False,
    cache: bool = False,
    min_bytes: int | None = None,
) -> Ecosystem:
    """Load and validate a map file, from the warm-load cache when ``cache=True``.

    This is :func:`ecograph.load`. Without ``cache`` it is
    :func:`ecograph.validate.load`. With ``cache=True`` an unchanged map of at
    least ``min_bytes`` of source (default :data:`MIN_BYTES`) loads from its
    cache entry (see the module docstring), and a cold load of such a map
    writes one; the result is the same map either way (same nodes, pipes,
    warnings, summary and analyses), its nodes and pipes made on demand.

    Parameters
    ----------
    path, strict, tolerance, allow_outside
        As for :func:`ecograph.validate.load`. A load that allows files outside
        the map's folder never uses the cache (an entry never stands for such a map).
    cache : bool, default False
        Use and fill the cache (the command line does by default).
    min_bytes : int, optional
        Cache maps with at least this many bytes of source
        (default ``$ECOGRAPH_CACHE_MIN_BYTES`` or 1 MiB).

    Raises
    ------
    MapError
        As :func:`ecograph.validate.load`; a map with errors is never cached.

    Examples
    --------
    >>> load("ecosystems/minimal.yaml", cache=True).name  # small: read as usual
    'minimal'
    """
    if not cache or allow_outside:
        return load_source(path, strict=strict, tolerance=tolerance, allow_outside=allow_outside)
    eco, problems = _load_cached(os.fspath(path), tolerance, _min_bytes(min_bytes))
    if eco is None or (strict and problems):
        raise MapError(problems)
    return eco


def check(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    strict: bool = False,
    tolerance: float = DEFAULT_TOLERANCE,
    allow_outside: bool = False,
    cache: bool = False,
    min_bytes: int | None = None,
) -> list[CheckResult]:
    """:func:`ecograph.validate.check`, reading unchanged large maps from the cache.

    A cache hit reports the diagnostics and summary the cold load found,
    without building the map.

    Examples
    --------
    >>> [r.ok for r in check(["ecosystems/minimal.yaml"], cache=True)]
    [True]
    """
    if not cache or allow_outside:
        return check_source(paths, strict=strict, tolerance=tolerance, allow_outside=allow_outside)
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    limit = _min_bytes(min_bytes)
    results: list[CheckResult] = []
    for shown in expand_paths(os.fspath(p) for p in paths):
        key = _key(Path(shown).resolve(), shown, Path.cwd(), tolerance)
        entry = _read_entry(key)
        summary: dict[str, Any] | None = None
        if entry is not None:
            try:
                problems = entry.problems()
                summary = dict(entry.manifest["summary"])
            except Exception as exc:  # a foreign or damaged entry: the source decides
                _debug(f"ignoring {entry.file}: {type(exc).__name__}: {exc}")
                entry = None
        if entry is not None:
            found = True
        else:
            eco, problems = _cold(key, shown, tolerance, limit)
            summary = eco.summary() if eco is not None else None
            found = eco is not None
        diagnostics = sort_diagnostics(problems)
        ok = found and not (strict and diagnostics)
        results.append(CheckResult(shown, ok, diagnostics, summary))
    return results


def _load_cached(
    shown: str, tolerance: float, limit: int
) -> tuple[Ecosystem | None, list[Diagnostic]]:
    key = _key(Path(shown).resolve(), shown, Path.cwd(), tolerance)
    entry = _read_entry(key)
    if entry is not None:
        try:
            return entry.ecosystem(), entry.problems()
        except Exception as exc:  # a foreign or damaged entry: the source decides
            _debug(f"ignoring {entry.file}: {type(exc).__name__}: {exc}")
    return _cold(key, shown, tolerance, limit)


def _cold(
    key: dict[str, Any], shown: str, tolerance: float, limit: int
) -> tuple[Ecosystem | None, list[Diagnostic]]:
    """Load from the source; write an entry when the map is valid and large enough."""
    started = time.time_ns()
    cwd = Path(key["cwd"])
    with gc_paused():
        eco, problems = load_checked(Path(key["root"]), shown, tolerance=tolerance, cwd=cwd)
    if eco is not None:
        try:
            sources = _sources(eco.files, cwd, started)
            if sources is not None and sum(s["size"] for s in sources) >= limit:
                _store(key, eco, problems, sources)
        except Exception as exc:  # the cache is an optimisation: never fail a load over it
            _debug(f"not cached: {type(exc).__name__}: {exc}")
    return eco, problems


# -- sources ------------------------------------------------------------------------------


def _hash_file(path: Path) -> str:
    """SHA-256 of a file's bytes (memory-mapped: no copy; SHA-256 has CPU support on most
    machines and hashed 114 MB in 0.08 s here, BLAKE2b in 0.16 s)."""
    # non-blocking, regular files only: a source replaced by a FIFO or a device since it was
    # cached must neither hang the check nor be read (it then fails to hash: a cache miss)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"{path} is not a regular file")
        if info.st_size == 0:
            return hashlib.sha256(b"").hexdigest()
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as view:
            return hashlib.sha256(view).hexdigest()


def _sources(files: Iterable[str], cwd: Path, started: int) -> list[dict[str, Any]] | None:
    """Size, modification time and hash of every file a load read; None when one of
    them changed too recently to be sure the load read what is hashed now."""
    out: list[dict[str, Any]] = []
    racy = started - int(RACY_SECONDS * 1e9)
    for shown in files:
        path = (cwd / shown).resolve()
        digest = _hash_file(path)
        st = os.stat(path)  # after hashing: unchanged since before the load began
        if st.st_mtime_ns >= racy:
            _debug(f"not cached: {shown} changed {RACY_SECONDS} s or less before the load")
            return None
        out.append(
            {"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest}
        )
    return out


def _unchanged(sources: list[dict[str, Any]]) -> bool:
    """True when every listed file still has the size and hash it had."""
    for source in sources:
        path = Path(source["path"])
        try:
            if os.stat(path).st_size != source["size"]:  # fast pre-check only
                return False
            if _hash_file(path) != source["sha256"]:
                return False
        except OSError:
            return False
    return True


# -- column codecs ----------------------------------------------------------------------------


def _dumps(value: Any) -> str:
    """JSON text of plain map data (str keys; str, finite numbers, bools, None, lists).

    Integers beyond 64 bits, which orjson neither writes nor reads back exactly,
    go through the standard library, marked by a leading space (still JSON).
    """
    _check_plain(value)
    try:
        return orjson.dumps(value).decode("utf-8")
    except orjson.JSONEncodeError:  # integers beyond 64 bits
        return " " + json.dumps(value, ensure_ascii=False, allow_nan=False)


def _loads(text: str) -> Any:
    return json.loads(text) if text.startswith(" ") else orjson.loads(text)


def _check_plain(value: Any) -> None:
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Unstorable(f"non-finite number {value!r}")
        return
    if isinstance(value, list):
        for item in value:
            _check_plain(item)
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, str):
                raise _Unstorable(f"non-text key {k!r}")
            _check_plain(v)
        return
    raise _Unstorable(f"value of type {type(value).__name__}")


@dataclasses.dataclass(frozen=True)
class _Codec:
    """How one model field is kept: its columns, and back to one value per row."""

    name: str
    encode: Callable[[list[Any], list[str]], dict[str, pa.Array]]
    decode: Callable[[pa.Table, list[Location]], list[Any]]


def _text_codec(name: str) -> _Codec:
    import pyarrow as pa

    return _Codec(
        name,
        lambda values, files: {name: pa.array(values, pa.string())},
        lambda table, where: _column(table, name).to_pylist(),
    )


def _number_codec(name: str, kind: Any) -> _Codec:
    import pyarrow as pa

    return _Codec(
        name,
        lambda values, files: {name: pa.array(values, kind)},
        lambda table, where: _column(table, name).to_pylist(),
    )


def _words_codec(name: str) -> _Codec:
    import pyarrow as pa

    def decode(table: pa.Table, where: list[Location]) -> list[Any]:
        return [tuple(v) if v else () for v in _column(table, name).to_pylist()]

    return _Codec(
        name,
        lambda values, files: {name: pa.array([list(v) for v in values], pa.list_(pa.string()))},
        decode,
    )


def _mapping_codec(name: str) -> _Codec:
    import pyarrow as pa

    def encode(values: list[Any], files: list[str]) -> dict[str, pa.Array]:
        texts = [_dumps(dict(v)) if v else None for v in values]
        return {name: pa.array(texts, pa.string())}

    def decode(table: pa.Table, where: list[Location]) -> list[Any]:
        return [
            MappingProxyType(_loads(t)) if t is not None else _EMPTY
            for t in _column(table, name).to_pylist()
        ]

    return _Codec(name, encode, decode)


def _location_codec(name: str) -> _Codec:
    import pyarrow as pa

    def encode(values: list[Any], files: list[str]) -> dict[str, pa.Array]:
        index: dict[str, int] = {f: i for i, f in enumerate(files)}
        rows = []
        for loc in values:
            row = index.get(loc.file)
            if row is None:
                row = index[loc.file] = len(files)
                files.append(loc.file)
            rows.append(row)
        return {
            f"{name}.file": pa.array(rows, pa.int32()),
            f"{name}.line": pa.array([loc.line for loc in values], pa.int32()),
            f"{name}.column": pa.array([loc.column for loc in values], pa.int32()),
        }

    def decode(table: pa.Table, where: list[Location]) -> list[Any]:
        make = fast_constructor(Location)
        names = [w.file for w in where]
        files = _column(table, f"{name}.file").to_pylist()
        lines = _column(table, f"{name}.line").to_pylist()
        columns = _column(table, f"{name}.column").to_pylist()
        return [make(names[f], ln, c) for f, ln, c in zip(files, lines, columns, strict=True)]

    return _Codec(name, encode, decode)


def _codec(owner: type[Any], field: dataclasses.Field[Any]) -> _Codec:
    """The codec of a model field, by its annotation; an unknown type fails loudly."""
    import pyarrow as pa

    kind = str(field.type).replace("typing.", "")
    name = field.name
    if kind in ("str", "str | None"):
        return _text_codec(name)
    if kind in ("float", "float | None"):
        return _number_codec(name, pa.float64())
    if kind in ("int", "int | None"):
        return _number_codec(name, pa.int64())
    if kind in ("bool", "bool | None"):
        return _number_codec(name, pa.bool_())
    if kind == "tuple[str, ...]":
        return _words_codec(name)
    if kind.startswith("Mapping[str, "):
        return _mapping_codec(name)
    if kind == "Location":
        return _location_codec(name)
    raise TypeError(
        f"ecograph.cache has no column encoding for {owner.__name__}.{name} of type {kind!r}; "
        "add one in _codec"
    )


def _codecs(cls: type[Any]) -> list[_Codec]:
    return [_codec(cls, f) for f in dataclasses.fields(cls)]


def _column(table: pa.Table, name: str) -> pa.Array:
    col = table.column(name)
    return col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()


def _texts(table: pa.Table, name: str) -> tuple[str, ...]:
    """A text column without nulls as a tuple of str (through numpy: faster than to_pylist)."""
    array = _column(table, name)
    if array.null_count:
        raise ValueError(f"nulls in {name}")
    return tuple(array.to_numpy(zero_copy_only=False))


def _numbers(table: pa.Table, name: str, dtype: Any) -> Any:
    """A column as a read-only numpy view of the (memory-mapped) Arrow buffer."""
    array = _column(table, name)
    if array.null_count:
        raise ValueError(f"nulls in {name}")
    out = array.to_numpy(zero_copy_only=True)
    if out.dtype != dtype:
        raise ValueError(f"{name} is {out.dtype}, not {np.dtype(dtype)}")
    return out


def _matrix(table: pa.Table, name: str, n: int) -> Any:
    array = _column(table, name)
    if array.null_count:
        raise ValueError(f"nulls in {name}")
    values = array.flatten().to_numpy(zero_copy_only=True)
    return values.reshape(n, len(CURRENCIES))


# -- writing --------------------------------------------------------------------------------


def _tables(eco: Ecosystem, cm: CompiledMap, files: list[str]) -> tuple[pa.Table, pa.Table]:
    import pyarrow as pa

    k = len(CURRENCIES)
    nodes = list(eco.nodes.values())
    node_cols: dict[str, pa.Array] = {}
    for codec in _codecs(Node):
        node_cols.update(codec.encode([getattr(n, codec.name) for n in nodes], files))
    node_cols["compiled.kind"] = pa.array(cm.kind, pa.int8())
    node_cols["compiled.parent"] = pa.array(cm.parent, pa.int64())
    node_cols["compiled.users"] = pa.array(cm.users, pa.float64())
    for side in ("inflow", "outflow"):
        flat = pa.array(np.ascontiguousarray(getattr(cm, side)).reshape(-1), pa.float64())
        node_cols[f"compiled.{side}"] = pa.FixedSizeListArray.from_arrays(flat, k)
    pipes = list(eco.pipes)
    pipe_cols: dict[str, pa.Array] = {}
    for codec in _codecs(Pipe):
        pipe_cols.update(codec.encode([getattr(p, codec.name) for p in pipes], files))
    pipe_cols["compiled.src"] = pa.array(cm.src, pa.int64())
    pipe_cols["compiled.dst"] = pa.array(cm.dst, pa.int64())
    pipe_cols["compiled.currency"] = pa.array(cm.currency, pa.int8())
    for name in ("volume", "capacity", "cost", "conversion"):
        pipe_cols[f"compiled.{name}"] = pa.array(getattr(cm, name), pa.float64())
    pipe_cols["compiled.open"] = pa.array(cm.open.view(np.uint8), pa.uint8())
    return pa.table(node_cols), pa.table(pipe_cols)


def _ipc(table: pa.Table) -> pa.Buffer:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=max(table.num_rows, 1))
    return sink.getvalue()


def _pad(size: int) -> bytes:
    return b"\0" * (-size % _ALIGN)


def _map_level(eco: Ecosystem) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(Ecosystem):
        if f.name in _NOT_MAP_LEVEL:
            continue
        kind = str(f.type)
        value = getattr(eco, f.name)
        if kind in ("str", "str | None"):
            out[f.name] = value
        elif kind == "tuple[str, ...]":
            out[f.name] = list(value)
        elif kind == "Mapping[str, str]":
            out[f.name] = dict(value)
        else:
            raise TypeError(
                f"ecograph.cache has no manifest encoding for Ecosystem.{f.name} "
                f"of type {kind!r}; add one in _map_level"
            )
    return out


def _store(
    key: dict[str, Any],
    eco: Ecosystem,
    problems: list[Diagnostic],
    sources: list[dict[str, Any]],
) -> None:
    cm = compiled(eco)  # the command needs it anyway: kept in eco._cache
    locations: list[str] = []
    with gc_paused():
        nodes, pipes = _tables(eco, cm, locations)
    manifest = {
        "ecograph": __version__,
        "format": FORMAT,
        "key": key,
        "files": sources,
        "map": _map_level(eco),
        "warnings": [d.to_dict() for d in eco.warnings],
        "diagnostics": [d.to_dict() for d in problems],
        "summary": eco.summary(),
        "currencies": list(eco.currencies()),
        "locations": locations,
        "nodes": cm.n,
        "pipes": cm.m,
    }
    head = orjson.dumps(manifest)
    body: list[bytes | memoryview] = [head, _pad(_HEADER.size + len(head))]
    nodes_at = _HEADER.size + len(head) + len(body[1])
    nodes_ipc = _ipc(nodes)
    body += [memoryview(nodes_ipc), _pad(nodes_ipc.size)]
    pipes_at = nodes_at + nodes_ipc.size + len(body[-1])
    pipes_ipc = _ipc(pipes)
    body.append(memoryview(pipes_ipc))
    crc = 0
    for part in body:
        crc = zlib.crc32(part, crc)
    header = _HEADER.pack(
        _MAGIC,
        FORMAT,
        0,
        _HEADER.size,
        len(head),
        nodes_at,
        nodes_ipc.size,
        pipes_at,
        pipes_ipc.size,
        crc,
    )
    target = _entry_file(key)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomic(target, [header, *body])
    _debug(f"wrote {target}")
    _remove_leftovers(target.parent)
    evict(keep=target)


def _remove_leftovers(directory: Path) -> None:
    """Remove temporary files of writers that were killed mid-write (older than an hour)."""
    limit = time.time() - 3600
    for tmp in directory.glob(".ecograph-*.tmp"):
        with contextlib.suppress(OSError):
            if tmp.stat().st_mtime < limit:
                tmp.unlink()


# -- reading --------------------------------------------------------------------------------


class _Entry:
    """A verified cache entry: its manifest and its two tables (memory-mapped)."""

    def __init__(self, file: Path, manifest: dict[str, Any], nodes: pa.Table, pipes: pa.Table):
        self.file = file
        self.manifest = manifest
        self.nodes = nodes
        self.pipes = pipes

    def problems(self) -> list[Diagnostic]:
        return [Diagnostic(**d) for d in self.manifest["diagnostics"]]

    def ecosystem(self) -> Ecosystem:
        manifest, nodes, pipes = self.manifest, self.nodes, self.pipes
        n, m = nodes.num_rows, pipes.num_rows
        if (n, m) != (manifest["nodes"], manifest["pipes"]):
            raise ValueError("row counts differ from the manifest")
        make_location = fast_constructor(Location)
        where = [make_location(f, 0, 0) for f in manifest["locations"]]
        ids, keys, labels = _texts(nodes, "id"), _texts(pipes, "key"), _texts(nodes, "label")
        tags = tuple(map(tuple, _column(nodes, "tags").to_pylist()))
        genes = tuple(map(tuple, _column(nodes, "genes").to_pylist()))
        cm = from_columns(
            ids=ids,
            kind=_numbers(nodes, "compiled.kind", np.int8),
            parent=_numbers(nodes, "compiled.parent", np.int64),
            users=_numbers(nodes, "compiled.users", np.float64),
            inflow=_matrix(nodes, "compiled.inflow", n),
            outflow=_matrix(nodes, "compiled.outflow", n),
            labels=labels,
            tags=tags,
            genes=genes,
            keys=keys,
            src=_numbers(pipes, "compiled.src", np.int64),
            dst=_numbers(pipes, "compiled.dst", np.int64),
            currency=_numbers(pipes, "compiled.currency", np.int8),
            volume=_numbers(pipes, "compiled.volume", np.float64),
            capacity=_numbers(pipes, "compiled.capacity", np.float64),
            cost=_numbers(pipes, "compiled.cost", np.float64),
            conversion=_numbers(pipes, "compiled.conversion", np.float64),
            open=_numbers(pipes, "compiled.open", np.uint8).view(np.bool_),
        )
        _check_rows(cm)
        known: dict[type[Any], dict[str, tuple[Any, ...]]] = {
            Node: {"id": ids, "label": labels, "tags": tags, "genes": genes},
            Pipe: {"key": keys},
        }

        def columns(table: pa.Table, cls: type[Any]) -> list[Any]:
            out: list[Any] = []
            for codec in _codecs(cls):
                ready = known[cls].get(codec.name)
                out.append(ready if ready is not None else codec.decode(table, where))
            return out

        node_columns: list[list[list[Any]]] = []
        make_node = fast_constructor(Node)

        def node(i: int) -> Node:
            if not node_columns:
                node_columns.append(columns(nodes, Node))
            return make_node(*(col[i] for col in node_columns[0]))

        make_pipe = fast_constructor(Pipe)

        pipe_columns: list[list[list[Any]]] = []

        def all_pipes() -> tuple[Pipe, ...]:
            with gc_paused():
                return tuple(map(make_pipe, *columns(pipes, Pipe)))

        def one_pipe(i: int) -> Pipe:
            # the columns as lists (much smaller than a million objects), then one pipe
            if not pipe_columns:
                pipe_columns.append(columns(pipes, Pipe))
            return make_pipe(*(col[i] for col in pipe_columns[0]))

        level = manifest["map"]
        fields: dict[str, Any] = {}
        for f in dataclasses.fields(Ecosystem):
            if f.name in _NOT_MAP_LEVEL:
                continue
            value = level[f.name]
            if isinstance(value, list):
                value = tuple(value)
            elif isinstance(value, dict):
                value = MappingProxyType(value)
            fields[f.name] = value
        eco = Ecosystem(
            **fields,
            nodes=LazyNodes(ids, node),
            pipes=LazyPipes(m, all_pipes, make_one=one_pipe),
            warnings=tuple(Diagnostic(**d) for d in manifest["warnings"]),
        )
        summary, currencies = manifest["summary"], tuple(manifest["currencies"])
        if not isinstance(summary, dict) or not set(currencies) <= set(CURRENCIES):
            raise ValueError("malformed summary or currencies")
        eco._cache[CACHE_KEY] = cm
        eco._cache["summary"] = summary
        eco._cache["currencies"] = currencies
        return eco


def _check_rows(cm: CompiledMap) -> None:
    """Row numbers and codes in range (so a damaged entry cannot index out of bounds)."""
    n = cm.n
    checks: list[tuple[Any, int, int]] = [
        (cm.kind, 0, len(NODE_KINDS)),
        (cm.parent, -1, n),
        (cm.src, 0, n),
        (cm.dst, 0, n),
        (cm.currency, 0, len(CURRENCIES)),
        (cm.open.view(np.uint8), 0, 2),
    ]
    for values, low, high in checks:
        if len(values) and (int(values.min()) < low or int(values.max()) >= high):
            raise ValueError("row or code out of range")


def _read_entry(key: dict[str, Any]) -> _Entry | None:
    """The entry of ``key`` if it is intact, of this version, and its sources unchanged."""
    file = _entry_file(key)
    try:
        import pyarrow as pa

        source = pa.memory_map(str(file), "r")
    except FileNotFoundError:
        return None
    except OSError as exc:
        _debug(f"cannot read {file}: {exc}")
        return None
    try:
        data = source.read_buffer()
        view = memoryview(data)
        if len(view) < _HEADER.size:
            raise ValueError("truncated header")
        magic, fmt, _, m_at, m_len, n_at, n_len, p_at, p_len, crc = _HEADER.unpack_from(view)
        if magic != _MAGIC or fmt != FORMAT:
            raise ValueError("not an entry of this format")
        if p_at + p_len != len(view) or not (_HEADER.size == m_at <= n_at <= p_at):
            raise ValueError("truncated or malformed")
        if zlib.crc32(view[_HEADER.size :]) != crc:
            raise ValueError("checksum mismatch")
        manifest = orjson.loads(view[m_at : m_at + m_len])
        if manifest.get("ecograph") != __version__ or manifest.get("format") != FORMAT:
            raise ValueError(f"written by ecograph {manifest.get('ecograph')}")
        if manifest.get("key") != key:
            raise ValueError("key differs")
        if not _unchanged(manifest["files"]):
            _debug(f"stale: a source of {file} changed")
            return None
        nodes = pa.ipc.open_file(data.slice(n_at, n_len)).read_all()
        pipes = pa.ipc.open_file(data.slice(p_at, p_len)).read_all()
        with contextlib.suppress(OSError):
            os.utime(file)  # recently used: the last to be evicted
        return _Entry(file, manifest, nodes, pipes)
    except Exception as exc:  # damaged, foreign or from another version: the source decides
        _debug(f"ignoring {file}: {type(exc).__name__}: {exc}")
        return None
