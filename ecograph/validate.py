"""Loaded documents to a validated :class:`~ecograph.model.Ecosystem`, every problem at once.

Validation runs in three passes and reports everything it finds, each problem
located at the file, line and column where it was written:

1. structure, by the JSON Schema shipped in ``ecograph/schema/`` (the same file
   editors use for completion): types, required and unknown keys, enums,
   ranges, with messages rewritten to say what was expected and found, with a
   "did you mean" hint;
2. the include tree: missing files, include cycles, periods that disagree,
   node ids defined in two files;
3. meaning, on the merged map: references to unknown nodes, pipes from a node
   to itself, ``parent`` cycles, non-finite numbers; then warnings that do not
   make a map invalid: volume above capacity, a blocked pipe carrying volume,
   a node whose flows do not balance, a leaf node with no pipes.
"""

from __future__ import annotations

import copy
import functools
import glob
import json
import math
import os
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import fastjsonschema
import jsonschema

from ecograph._perf import gc_paused
from ecograph._suggest import Suggester, did_you_mean
from ecograph.errors import Diagnostic, MapError, UsageError, format_path, sort_diagnostics
from ecograph.loader import Document, LoadFailure, YMap, YSeq, parse_text, read_text
from ecograph.model import CURRENCIES, Ecosystem, Location, Node, Pipe

__all__ = ["DEFAULT_TOLERANCE", "CheckResult", "check", "load", "loads", "schema"]

#: Relative tolerance of the balance warning: |in - out| > tolerance * max(in, out).
DEFAULT_TOLERANCE = 1e-3

_SCHEMA_FILE = "ecograph-1.schema.json"
_TEXT_FIELDS_NODE = ("label", "description", "parent", "source")
_TEXT_FIELDS_PIPE = ("id", "from", "to", "label", "description", "source")
_AMOUNTS_NODE = ("users",)
_AMOUNTS_PIPE = ("volume", "capacity", "cost", "conversion")
_TYPE_NAMES = {
    "number": "a number",
    "integer": "a whole number",
    "string": "text",
    "object": "a mapping",
    "array": "a list",
    "boolean": "true or false",
    "null": "nothing",
}


def schema() -> dict[str, Any]:
    """The JSON Schema of the map format (version 1), as a dict.

    The same file is in the repository at ``ecograph/schema/ecograph-1.schema.json``
    for editors: start a map with
    ``# yaml-language-server: $schema=<path to that file>``.

    Examples
    --------
    >>> schema()["properties"]["ecograph"]["const"]
    1
    >>> schema()["$defs"]["node"]["properties"]["kind"]["enum"][0]
    'platform'
    """
    return copy.deepcopy(_schema())


@functools.cache
def _schema() -> dict[str, Any]:
    text = resources.files("ecograph").joinpath("schema", _SCHEMA_FILE).read_text("utf-8")
    result: dict[str, Any] = json.loads(text)
    return result


@functools.cache
def _validators() -> dict[str, tuple[Callable[[Any], Any], jsonschema.Draft202012Validator]]:
    """Per part of a map (top level, one node, one pipe): a fast yes/no validator and
    a complete one.

    fastjsonschema compiles the schema to Python and answers "valid?" about 30x
    faster than jsonschema, but stops at the first error; jsonschema lists every
    error with its path. Each node and pipe is checked by the fast one first, and
    only the parts that fail are run through jsonschema for their messages.
    """
    full = schema()  # a fresh copy: fastjsonschema.compile changes the schema it is given
    defs = full["$defs"]
    top = copy.deepcopy(full)
    top["properties"]["nodes"]["additionalProperties"] = True
    top["properties"]["pipes"]["items"] = True
    parts = {
        "top": top,
        "node": {"$ref": "#/$defs/node", "$defs": defs},
        "pipe": {"$ref": "#/$defs/pipe", "$defs": defs},
    }
    return {
        name: (fastjsonschema.compile(copy.deepcopy(part)), jsonschema.Draft202012Validator(part))
        for name, part in parts.items()
    }


def _errors(part: str, data: Any) -> Iterable[jsonschema.ValidationError]:
    fast, full = _validators()[part]
    try:
        fast(data)
    except fastjsonschema.JsonSchemaValueException:
        return full.iter_errors(data)
    return ()


# -- reading files -------------------------------------------------------------


def _parse_file(path: Path, shown: str) -> Document:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LoadFailure([Diagnostic("error", shown, 0, 0, "", "no such file")]) from None
    except IsADirectoryError:
        raise LoadFailure(
            [Diagnostic("error", shown, 0, 0, "", "is a directory, not a map file")]
        ) from None
    except OSError as exc:
        raise LoadFailure(
            [Diagnostic("error", shown, 0, 0, "", f"cannot read: {exc.strerror}")]
        ) from None
    return parse_text(read_text(data, shown), shown)


# -- pass 1: structure -----------------------------------------------------------


class _Checker:
    """Collects diagnostics for one document."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.out: list[Diagnostic] = list(doc.diagnostics)
        self.bad: set[tuple[str | int, ...]] = set()

    def add(
        self,
        path: Sequence[str | int],
        message: str,
        *,
        key: bool = False,
        severity: str = "error",
    ) -> None:
        line, column = self.doc.locate(tuple(path), key=key)
        self.out.append(
            Diagnostic(severity, self.doc.file, line, column, format_path(path), message)
        )
        if severity == "error":
            self.bad.add(tuple(path))

    def is_bad(self, path: Sequence[str | int]) -> bool:
        """True when ``path`` or one of its parents already has an error."""
        t = tuple(path)
        return any(t[:i] in self.bad for i in range(len(t) + 1))


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"text {shown!r}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__  # pragma: no cover


def _number_hint(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    stripped = value.strip().replace(",", "").replace(" ", "")
    try:
        float(stripped.replace("_", ""))
    except ValueError:
        pass
    else:
        if "," in value or " " in value.strip():
            return "; write numbers without separators, e.g. 5000000 or 5_000_000"
        return "; remove the quotes to make it a number"
    if stripped[-1:] in ("k", "K", "M", "m", "B", "b", "万", "亿"):
        return "; write the whole number (e.g. 5000000, 5e6), not an abbreviation"
    return ""


def _normalise_text_fields(doc: Document) -> None:
    """Keep ids and other text fields exactly as written when YAML read them as numbers."""
    data = doc.data
    if not isinstance(data, YMap):
        return
    for key in ("name", "title", "description"):
        if key in data:
            _keep_raw(doc, data, key, (key,))
    items = data.get("include")
    if isinstance(items, YSeq):
        for i in range(len(items)):
            _keep_raw(doc, items, i, ("include", i))
    normalise_parts(doc, data, ())


def _keep_raw(
    doc: Document, container: YMap | YSeq, key: str | int, path: tuple[str | int, ...]
) -> None:
    """Put back the text of a plain scalar that YAML read as a number, boolean or null."""
    value = container[key]  # type: ignore[index]
    if isinstance(value, bool | int | float) and not isinstance(value, str):
        raw = doc.raw(path)
        if raw:
            container[key] = raw  # type: ignore[index]


def normalise_parts(doc: Document, data: YMap, prefix: tuple[str | int, ...]) -> None:
    """Keep the text fields of the nodes and pipes under ``data`` (at ``prefix``) as written.

    Shared by maps and by the ``add`` changes of scenarios.
    """
    nodes = data.get("nodes")
    if isinstance(nodes, YMap):
        for node_id, node in nodes.items():
            if not isinstance(node, YMap):
                continue
            for key in _TEXT_FIELDS_NODE:
                if key in node:
                    _keep_raw(doc, node, key, (*prefix, "nodes", node_id, key))
            for key in ("tags", "genes"):
                words = node.get(key)
                if isinstance(words, YSeq):
                    for i in range(len(words)):
                        _keep_raw(doc, words, i, (*prefix, "nodes", node_id, key, i))
    pipes = data.get("pipes")
    if isinstance(pipes, YSeq):
        for i, pipe in enumerate(pipes):
            if isinstance(pipe, YMap):
                for key in _TEXT_FIELDS_PIPE:
                    if key in pipe:
                        _keep_raw(doc, pipe, key, (*prefix, "pipes", i, key))


def _schema_errors(check: _Checker) -> None:
    data = check.doc.data
    if data is None:
        check.add((), "the map is empty; a map starts with 'ecograph: 1' and 'name: ...'")
        return
    if not isinstance(data, Mapping):
        check.add(
            (),
            f"the top level must be a mapping (ecograph: 1, name: ..., nodes: ..., pipes: ...), "
            f"found {_describe(data)}",
        )
        return
    _normalise_text_fields(check.doc)
    for error in _errors("top", data):
        _translate(error, check)
    part_errors(check, data, ())


def part_errors(check: _Checker, data: Mapping[str, Any], prefix: tuple[str | int, ...]) -> None:
    """Schema errors of each node under ``data["nodes"]`` and pipe under ``data["pipes"]``.

    Shared by maps and by the ``add`` changes of scenarios.
    """
    nodes = data.get("nodes")
    if isinstance(nodes, Mapping):
        for node_id, node in nodes.items():
            for error in _errors("node", node):
                _translate(error, check, (*prefix, "nodes", node_id))
    pipes = data.get("pipes")
    if isinstance(pipes, list):
        for i, pipe in enumerate(pipes):
            for error in _errors("pipe", pipe):
                _translate(error, check, (*prefix, "pipes", i))
    finite_numbers(check, data, prefix)


def _translate(
    error: jsonschema.ValidationError, check: _Checker, prefix: tuple[str | int, ...] = ()
) -> None:
    path = (*prefix, *error.absolute_path)
    value: Any = error.instance
    validator: Any = error.validator
    expected_value: Any = error.validator_value
    schema_ = error.schema if isinstance(error.schema, Mapping) else {}
    if validator == "additionalProperties" and isinstance(value, Mapping):
        allowed = list(schema_.get("properties", {}))
        for key in value:
            if key not in allowed:
                check.add(
                    (*path, key),
                    f"unknown key {key!r}{did_you_mean(key, allowed)}; "
                    f"expected one of: {', '.join(allowed)}",
                    key=True,
                )
        return
    if validator == "required":
        missing = [k for k in expected_value if k not in value]
        for key in missing:
            container = path[-2] if len(path) >= 2 else None
            what = {"nodes": "node", "pipes": "pipe"}.get(str(container), "map")
            check.add(path, f"missing required key {key!r} of the {what}")
        return
    if validator == "propertyNames":
        # error.instance is the mapping; the failing key is in error.context
        for sub in error.context or ():
            key = sub.instance
            if not isinstance(key, str):  # pragma: no cover
                continue
            if sub.validator == "enum":
                check.add(
                    (*path, key),
                    f"unknown currency {key!r}{did_you_mean(key, CURRENCIES)}; "
                    f"expected one of {', '.join(CURRENCIES)}",
                    key=True,
                )
            elif sub.validator == "maxLength":
                check.add((*path, key), "node id is longer than 200 characters", key=True)
            else:
                check.add((*path, key), f"node id {key!r} must not contain whitespace", key=True)
        return
    if validator == "anyOf":
        # the boundary flow: a number or a mapping of currency to number
        branch = 0 if isinstance(value, int | float) and not isinstance(value, bool) else 1
        subs = [e for e in error.context or () if e.relative_schema_path[0] == branch]
        if isinstance(value, int | float | Mapping) and not isinstance(value, bool) and subs:
            for sub in subs:
                _translate(sub, check, prefix)
        else:
            check.add(
                path,
                "expected a number or a mapping of currency to number "
                f"(e.g. 5000 or {{traffic: 5000, capital: 2e6}}), found {_describe(value)}"
                + _number_hint(value),
            )
        return
    field_name = path[-1] if path and isinstance(path[-1], str) else None
    if validator == "type":
        expected = expected_value
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
        if wanted == "text" and field_name in ("from", "to", "parent", "id"):
            wanted = "a node id" if field_name != "id" else "a pipe id"
        hint = _number_hint(value) if "number" in names else ""
        check.add(path, f"expected {wanted}, found {_describe(value)}{hint}")
    elif validator == "enum":
        options = [str(o) for o in expected_value]
        parent_value = _value_at(check.doc, path)
        if (
            options == list(CURRENCIES)
            and isinstance(value, str)
            and isinstance(parent_value, Mapping)
            and value in parent_value
        ):
            # a currency used as a key (inflow: {trafic: 3}): point at the key
            check.add(
                (*path, value),
                f"unknown currency {value!r}{did_you_mean(value, CURRENCIES)}; "
                f"expected one of {', '.join(CURRENCIES)}",
                key=True,
            )
            return
        shown = value if isinstance(value, str) else _describe(value)
        hint = did_you_mean(value, options) if isinstance(value, str) else ""
        noun = {
            "kind": "kind",
            "status": "status",
            "period": "period",
        }.get(str(field_name), "value")
        if path[:1] == ("pipes",) and field_name == "kind":
            noun = "currency"
        check.add(path, f"unknown {noun} {shown!r}{hint}; expected one of {', '.join(options)}")
    elif validator == "const":
        if path == ("ecograph",):
            check.add(
                path,
                f"unsupported format version {value!r}; this ecograph reads version 1 "
                "(write 'ecograph: 1')",
            )
        else:  # pragma: no cover - the schema has no other const
            check.add(path, f"expected {expected_value!r}, found {_describe(value)}")
    elif validator == "minimum":
        check.add(path, f"must be 0 or more, found {value!r}")
    elif validator == "maximum":
        check.add(path, f"must be between 0 and 1, found {value!r}")
    elif validator == "pattern":
        if path == ("name",):
            check.add(
                path,
                f"map name {value!r} must start with a letter or digit and use only letters, "
                "digits, '-', '_' and '.'",
            )
        else:
            what = "pipe id" if field_name == "id" else "node id"
            parent_value = _value_at(check.doc, path)
            if (
                isinstance(value, str)
                and isinstance(parent_value, Mapping)
                and value in parent_value
            ):
                check.add((*path, value), f"{what} {value!r} must not contain whitespace", key=True)
            else:
                check.add(path, f"{what} {value!r} must not contain whitespace")
    elif validator == "maxLength":
        check.add(
            path,
            f"text is {len(value):,} characters long; at most {expected_value:,} allowed",
        )
    elif validator == "minLength":
        check.add(path, "must not be empty")
    else:  # pragma: no cover - keeps unknown validators visible rather than silent
        check.add(path, error.message)


def _value_at(doc: Document, path: Sequence[str | int]) -> Any:
    value = doc.data
    for part in path:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def finite_numbers(check: _Checker, data: Mapping[str, Any], prefix: tuple[str | int, ...]) -> None:
    """Errors for infinite and NaN amounts of the nodes and pipes under ``data``."""

    def visit(path: tuple[str | int, ...], value: Any) -> None:
        if isinstance(value, float) and not math.isfinite(value) and not check.is_bad(path):
            check.add(path, f"must be a finite number, found {value!r}")

    nodes = data.get("nodes")
    if isinstance(nodes, Mapping):
        for node_id, node in nodes.items():
            if not isinstance(node, Mapping):
                continue
            at = (*prefix, "nodes", node_id)
            for key in _AMOUNTS_NODE:
                visit((*at, key), node.get(key))
            for key in ("inflow", "outflow"):
                flow = node.get(key)
                if isinstance(flow, Mapping):
                    for currency, amount in flow.items():
                        visit((*at, key, currency), amount)
                else:
                    visit((*at, key), flow)
    pipes = data.get("pipes")
    if isinstance(pipes, list):
        for i, pipe in enumerate(pipes):
            if isinstance(pipe, Mapping):
                for key in _AMOUNTS_PIPE:
                    visit((*prefix, "pipes", i, key), pipe.get(key))


# -- pass 2: the include tree ------------------------------------------------------


@dataclass
class _Loaded:
    """A parsed, structurally checked file and its place in the include tree."""

    doc: Document
    check: _Checker
    path: Path


def _display(path: Path, base: Path, given: str | None) -> str:
    if given is not None:
        return given
    try:
        return os.path.relpath(path, base)
    except ValueError:  # pragma: no cover - different drive on Windows
        return str(path)


def _load_tree(
    root: Path, shown_root: str, cwd: Path, root_doc: Document | None = None
) -> tuple[list[_Loaded], list[Diagnostic]]:
    """Parse the root file and every file it includes, depth-first, includes first."""
    order: list[_Loaded] = []
    problems: list[Diagnostic] = []
    seen: dict[Path, _Loaded] = {}

    def visit(path: Path, shown: str, chain: tuple[Path, ...]) -> None:
        try:
            doc = root_doc if (root_doc is not None and not chain) else _parse_file(path, shown)
        except LoadFailure as failure:
            problems.extend(failure.diagnostics)
            return
        check = _Checker(doc)
        _schema_errors(check)
        loaded = _Loaded(doc, check, path)
        seen[path] = loaded
        data = doc.data
        includes = data.get("include") if isinstance(data, Mapping) else None
        if isinstance(includes, list):
            for i, item in enumerate(includes):
                if not isinstance(item, str) or check.is_bad(("include", i)):
                    continue
                target = (path.parent / item).resolve()
                if target in chain or target == path:
                    cycle = " -> ".join(_display(p, cwd, None) for p in (*chain, path, target))
                    check.add(("include", i), f"include cycle: {cycle}")
                    continue
                if target in seen:
                    continue
                if not target.exists():
                    check.add(("include", i), f"included file {item!r} does not exist")
                    continue
                if target.is_dir():
                    check.add(("include", i), f"included path {item!r} is a directory")
                    continue
                visit(target, _display(target, cwd, None), (*chain, path))
        order.append(loaded)

    visit(root, shown_root, ())
    return order, problems


# -- pass 3: merge and meaning -------------------------------------------------------


@dataclass
class _Merged:
    nodes: dict[str, tuple[Mapping[str, Any], _Loaded]] = field(default_factory=dict)
    pipes: list[tuple[int, Mapping[str, Any], _Loaded]] = field(default_factory=list)


def _merge(files: list[_Loaded], root: _Loaded) -> _Merged:
    merged = _Merged()
    root_data = root.doc.data if isinstance(root.doc.data, Mapping) else {}
    period = root_data.get("period", "month")
    for loaded in files:
        data = loaded.doc.data
        if not isinstance(data, Mapping):
            continue
        if (
            loaded is not root
            and "period" in data
            and isinstance(data["period"], str)
            and data["period"] != period
            and not loaded.check.is_bad(("period",))
        ):
            loaded.check.add(
                ("period",),
                f"period {data['period']!r} differs from {period!r} of {root.doc.file}; "
                "every included map must count volumes per the same period",
            )
        nodes = data.get("nodes")
        if isinstance(nodes, Mapping):
            for node_id, attrs in nodes.items():
                if node_id in merged.nodes:
                    _, first = merged.nodes[node_id]
                    line, column = first.doc.locate(("nodes", node_id), key=True)
                    loaded.check.add(
                        ("nodes", node_id),
                        f"node {node_id!r} is already defined at {first.doc.file}:{line}:{column}",
                        key=True,
                    )
                    continue
                merged.nodes[node_id] = (attrs, loaded)
        pipes = data.get("pipes")
        if isinstance(pipes, list):
            for i, pipe in enumerate(pipes):
                merged.pipes.append((i, pipe, loaded))
    return merged


def _references(merged: _Merged, extra: Container[str] = ()) -> None:
    """Reference checks of the YAML part; ``extra``: node ids defined in tables."""
    ids = merged.nodes
    suggest = Suggester(ids)
    for node_id, (attrs, loaded) in ids.items():
        if not isinstance(attrs, Mapping):
            continue
        parent = attrs.get("parent")
        path = ("nodes", node_id, "parent")
        if isinstance(parent, str) and not loaded.check.is_bad(path):
            if parent == node_id:
                loaded.check.add(path, f"node {node_id!r} cannot be its own parent")
            elif parent not in ids and parent not in extra:
                loaded.check.add(path, f"unknown parent node {parent!r}{suggest(parent)}")
    # parent cycles
    state: dict[str, int] = {}
    for start in ids:
        chain: list[str] = []
        current: str | None = start
        while current is not None and state.get(current, 0) == 0:
            state[current] = 1
            chain.append(current)
            attrs = ids[current][0]
            parent = attrs.get("parent") if isinstance(attrs, Mapping) else None
            current = (
                parent if isinstance(parent, str) and parent in ids and parent != current else None
            )
        if current is not None and state.get(current) == 1:
            cycle = chain[chain.index(current) :]
            attrs, loaded = ids[cycle[0]]
            shown = " -> ".join([*cycle, cycle[0]])
            loaded.check.add(("nodes", cycle[0], "parent"), f"parent cycle: {shown}")
        for done in chain:
            state[done] = 2
    keys: dict[str, tuple[_Loaded, int]] = {}
    for i, pipe, loaded in merged.pipes:
        if not isinstance(pipe, Mapping):
            continue
        for end in ("from", "to"):
            node = pipe.get(end)
            end_path = ("pipes", i, end)
            if (
                isinstance(node, str)
                and not loaded.check.is_bad(end_path)
                and node not in ids
                and node not in extra
            ):
                loaded.check.add(end_path, f"unknown node {node!r}{suggest(node)}")
        src, dst = pipe.get("from"), pipe.get("to")
        if isinstance(src, str) and src == dst and not loaded.check.is_bad(("pipes", i, "to")):
            loaded.check.add(("pipes", i, "to"), f"a pipe cannot run from node {src!r} to itself")
        pipe_id = pipe.get("id")
        if isinstance(pipe_id, str) and not loaded.check.is_bad(("pipes", i, "id")):
            if pipe_id in keys:
                other, j = keys[pipe_id]
                line, column = other.doc.locate(("pipes", j, "id"))
                loaded.check.add(
                    ("pipes", i, "id"),
                    f"pipe id {pipe_id!r} is already used at {other.doc.file}:{line}:{column}",
                )
            else:
                keys[pipe_id] = (loaded, i)


def _boundary(value: Any) -> dict[str, float]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): float(v) for k, v in value.items()}
    return {"traffic": float(value)}


def _location(loaded: _Loaded, path: tuple[str | int, ...], *, key: bool = False) -> Location:
    line, column = loaded.doc.locate(path, key=key)
    return Location(loaded.doc.file, line, column)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _plain(value: Any) -> Any:
    """Deep copy of loaded data into plain dicts and lists, read-only at the top."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def build_node(node_id: str, attrs: Mapping[str, Any], location: Location) -> Node:
    """The :class:`Node` of valid node data (as checked by the schema)."""
    return Node(
        id=node_id,
        kind=attrs["kind"],
        label=_text(attrs.get("label")) or node_id,
        parent=_text(attrs.get("parent")),
        users=_number(attrs.get("users")),
        inflow=MappingProxyType(_boundary(attrs.get("inflow"))),
        outflow=MappingProxyType(_boundary(attrs.get("outflow"))),
        tags=tuple(attrs.get("tags", ())),
        genes=tuple(attrs.get("genes", ())),
        description=_text(attrs.get("description")),
        source=_text(attrs.get("source")),
        attrs=MappingProxyType(_plain(attrs.get("attrs", {}))),
        location=location,
    )


def build_pipe(key: str, attrs: Mapping[str, Any], index: int, location: Location) -> Pipe:
    """The :class:`Pipe` of valid pipe data (as checked by the schema)."""
    return Pipe(
        key=key,
        from_node=attrs["from"],
        to_node=attrs["to"],
        kind=attrs.get("kind", "traffic"),
        volume=_number(attrs.get("volume")),
        capacity=_number(attrs.get("capacity")),
        conversion=_number(attrs.get("conversion")),
        cost=_number(attrs.get("cost")),
        status=attrs.get("status", "open"),
        label=_text(attrs.get("label")),
        description=_text(attrs.get("description")),
        source=_text(attrs.get("source")),
        attrs=MappingProxyType(_plain(attrs.get("attrs", {}))),
        index=index,
        location=location,
    )


def pipe_key(attrs: Mapping[str, Any], taken: set[str], counts: dict[str, int]) -> str:
    """The key of a pipe: its ``id``, else ``from->to:kind`` with ``#2``, ``#3``... for repeats.

    ``taken`` (keys in use) and ``counts`` (repeats per base) are updated.

    Examples
    --------
    >>> taken, counts = set(), {}
    >>> [pipe_key({"from": "a", "to": "b"}, taken, counts) for _ in range(2)]
    ['a->b:traffic', 'a->b:traffic#2']
    """
    key = attrs.get("id")
    if isinstance(key, str):
        return key
    base = f"{attrs['from']}->{attrs['to']}:{attrs.get('kind', 'traffic')}"
    n = counts.get(base, 0)
    key = base if n == 0 else f"{base}#{n + 1}"
    while key in taken:
        n += 1
        key = f"{base}#{n + 1}"
    counts[base] = n + 1
    taken.add(key)
    return key


def _build(merged: _Merged, root: _Loaded, files: list[_Loaded]) -> Ecosystem:
    data = root.doc.data
    nodes = {
        node_id: build_node(node_id, attrs, _location(loaded, ("nodes", node_id), key=True))
        for node_id, (attrs, loaded) in merged.nodes.items()
    }
    taken: set[str] = {p["id"] for _, p, _ in merged.pipes if isinstance(p.get("id"), str)}
    counts: dict[str, int] = {}
    pipes = [
        build_pipe(pipe_key(attrs, taken, counts), attrs, index, _location(loaded, ("pipes", i)))
        for index, (i, attrs, loaded) in enumerate(merged.pipes)
    ]
    units = data.get("units", {})
    for loaded in files:
        extra = loaded.doc.data.get("units", {}) if isinstance(loaded.doc.data, Mapping) else {}
        units = {**extra, **units}
    return Ecosystem(
        name=data["name"],
        title=_text(data.get("title")) or data["name"],
        period=data.get("period", "month"),
        nodes=nodes,
        pipes=tuple(pipes),
        files=tuple(loaded.doc.file for loaded in [root, *[f for f in files if f is not root]]),
        units=MappingProxyType(dict(units)),
        description=_text(data.get("description")),
    )


def _fmt(x: float) -> str:
    return f"{x:,.6g}" if abs(x) < 1e15 else f"{x:.6g}"


def _warnings(eco: Ecosystem, tolerance: float) -> list[Diagnostic]:
    out: list[Diagnostic] = []

    def warn(location: Location, path: str, message: str) -> None:
        out.append(
            Diagnostic("warning", location.file, location.line, location.column, path, message)
        )

    per = eco.period
    touched: set[str] = set()
    ins: dict[tuple[str, str], float] = {}
    outs: dict[tuple[str, str], float] = {}
    for pipe in eco.pipes:
        touched.add(pipe.from_node)
        touched.add(pipe.to_node)
        path = format_path(["pipes", pipe.index])
        volume = pipe.volume or 0.0
        if not pipe.is_open and volume > 0:
            warn(
                pipe.location,
                path,
                f"blocked pipe {pipe.from_node} -> {pipe.to_node} has volume {_fmt(volume)}; "
                "a blocked pipe carries nothing (its volume is ignored)",
            )
            continue
        if pipe.capacity is not None and volume > pipe.capacity:
            warn(
                pipe.location,
                path,
                f"volume {_fmt(volume)} is above capacity {_fmt(pipe.capacity)} "
                f"({pipe.from_node} -> {pipe.to_node})",
            )
        if pipe.is_open:
            outs[(pipe.from_node, pipe.kind)] = outs.get((pipe.from_node, pipe.kind), 0.0) + volume
            ins[(pipe.to_node, pipe.kind)] = ins.get((pipe.to_node, pipe.kind), 0.0) + volume
    has_members = {n.parent for n in eco.nodes.values() if n.parent is not None}
    for node in eco.nodes.values():
        path = format_path(["nodes", node.id])
        if node.id not in touched and node.id not in has_members:
            warn(node.location, path, f"node {node.id!r} has no pipes: it is connected to nothing")
        for currency in CURRENCIES:
            p_in = ins.get((node.id, currency), 0.0)
            p_out = outs.get((node.id, currency), 0.0)
            b_in = node.inflow.get(currency, 0.0)
            b_out = node.outflow.get(currency, 0.0)
            total_in, total_out = b_in + p_in, b_out + p_out
            if total_in == 0 and total_out == 0:
                continue
            gap = total_in - total_out
            if abs(gap) > tolerance * max(total_in, total_out):
                warn(
                    node.location,
                    path,
                    f"{currency} does not balance at {node.id!r}: in {_fmt(total_in)} "
                    f"(inflow {_fmt(b_in)} + pipes {_fmt(p_in)}) vs out {_fmt(total_out)} "
                    f"(outflow {_fmt(b_out)} + pipes {_fmt(p_out)}); "
                    f"imbalance {gap:+,.6g} per {per}",
                )
    return out


# -- public API -------------------------------------------------------------------------


def _load(
    path: Path, shown: str, *, tolerance: float, cwd: Path, root_doc: Document | None = None
) -> tuple[Ecosystem | None, list[Diagnostic]]:
    files, problems = _load_tree(path, shown, cwd, root_doc)
    if not files:
        return None, problems
    root = files[-1]
    merged = _merge(files, root)
    tables = _tables(files, cwd)  # maps from tables: see ecograph.tablemap
    if not problems and all(
        isinstance(f.doc.data, Mapping) and not f.check.is_bad(()) for f in files
    ):
        _references(merged, tables.node_ids() if tables is not None else ())
    for loaded in files:
        problems.extend(loaded.check.out)
    if tables is not None:
        problems.extend(tables.problems)
    if any(d.severity == "error" for d in problems):
        return None, problems
    eco = _build(merged, root, files)
    if tables is not None:
        from ecograph.tablemap import combine

        with_tables, found = combine(
            eco,
            tables,
            name=eco.name,
            title=eco.title,
            period=eco.period,
            units=eco.units,
            description=eco.description,
            files=eco.files,
            tolerance=tolerance,
        )
        return with_tables, [*problems, *found]
    warnings = _warnings(eco, tolerance)
    eco = Ecosystem(**{**_fields(eco), "warnings": sort_diagnostics(warnings)})
    return eco, [*problems, *warnings]


def _tables(files: list[_Loaded], cwd: Path) -> Any:
    """The tables the maps name under ``tables:`` (an ecograph.tablemap.TableSet), read;
    None when no map names any. A missing path is an error at its entry."""
    entries: list[tuple[str, Path, str]] = []
    for loaded in files:
        data = loaded.doc.data
        named = data.get("tables") if isinstance(data, Mapping) else None
        if not isinstance(named, Mapping) or loaded.check.is_bad(("tables",)):
            continue
        for part in ("nodes", "pipes"):
            items = named.get(part)
            for i, item in enumerate(items if isinstance(items, list) else ()):
                if not isinstance(item, str) or loaded.check.is_bad(("tables", part, i)):
                    continue
                target = Path(os.path.normpath(loaded.path.parent / item))
                if not target.exists() and not target.is_symlink():
                    loaded.check.add(("tables", part, i), f"table file {item!r} does not exist")
                    continue
                entries.append((part, target, _display(target, cwd, None)))
    if not entries:
        return None
    from ecograph.tablemap import read_tables

    return read_tables(entries)


def _fields(eco: Ecosystem) -> dict[str, Any]:
    return {
        "name": eco.name,
        "title": eco.title,
        "period": eco.period,
        "nodes": eco.nodes,
        "pipes": eco.pipes,
        "files": eco.files,
        "units": eco.units,
        "description": eco.description,
    }


def load(
    path: str | os.PathLike[str],
    *,
    strict: bool = False,
    tolerance: float = DEFAULT_TOLERANCE,
) -> Ecosystem:
    """Load and validate a map file (and every file it includes).

    Parameters
    ----------
    path : str or path-like
        The map's YAML file. ``include`` paths are relative to the file that
        names them.
    strict : bool, default False
        Treat warnings as errors.
    tolerance : float, default 1e-3
        Relative tolerance of the flow-balance warning.

    Returns
    -------
    Ecosystem
        The validated map; its ``warnings`` hold what did not make it invalid.

    Raises
    ------
    MapError
        When the map (or an included map) has errors, or warnings with
        ``strict=True``; ``err.diagnostics`` lists every problem found,
        each with file, line and column.

    Examples
    --------
    >>> eco = load("ecosystems/minimal.yaml")  # doctest: +SKIP
    >>> try:
    ...     load("no-such-map.yaml")
    ... except MapError as err:
    ...     print(err)
    no-such-map.yaml: no such file
    """
    shown = os.fspath(path)
    cwd = Path.cwd()
    with gc_paused():
        eco, problems = _load(Path(shown).resolve(), shown, tolerance=tolerance, cwd=cwd)
    if eco is None or (strict and problems):
        raise MapError(problems)
    return eco


def loads(
    text: str,
    *,
    filename: str = "<string>",
    strict: bool = False,
    tolerance: float = DEFAULT_TOLERANCE,
    base_dir: str | os.PathLike[str] | None = None,
) -> Ecosystem:
    """Load and validate a map given as text.

    Parameters
    ----------
    text : str
        The YAML text of the map.
    filename : str, default "<string>"
        Name used in messages.
    strict, tolerance
        As for :func:`load`.
    base_dir : path-like, optional
        Directory that ``include`` paths are relative to (default: the current one).

    Examples
    --------
    >>> eco = loads("ecograph: 1\\nname: t\\nnodes: {a: {kind: pool}}\\n")
    >>> eco.nodes["a"].kind, [str(w) for w in eco.warnings]
    ('pool', ["<string>:3:9: warning: nodes.a: node 'a' has no pipes: it is connected to nothing"])
    >>> loads("ecograph: 1\\nname: t\\nnodes: {a: {kind: pol}}\\n")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ecograph.errors.MapError: <string>:3:19: nodes.a.kind: unknown kind 'pol' (did you mean...
    """
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    try:
        doc = parse_text(read_text(text.encode("utf-8"), filename), filename)
    except LoadFailure as failure:
        raise MapError(failure.diagnostics) from None
    root = (base / "<string>").resolve()
    eco, problems = _load(root, filename, tolerance=tolerance, cwd=base, root_doc=doc)
    if eco is None or (strict and problems):
        raise MapError(problems)
    return eco


@dataclass(frozen=True)
class CheckResult:
    """What :func:`check` found in one map file.

    Attributes
    ----------
    file : str
    ok : bool
        True when the map is valid (and, with ``strict``, has no warnings).
    diagnostics : tuple of Diagnostic
        Errors and warnings, in file order.
    summary : dict or None
        :meth:`Ecosystem.summary` of a valid map.
    """

    file: str
    ok: bool
    diagnostics: tuple[Diagnostic, ...]
    summary: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "file": self.file,
            "ok": self.ok,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "summary": self.summary,
        }


def expand_paths(patterns: Iterable[str]) -> list[str]:
    """Expand glob patterns (``ecosystems/*.yaml``) into files, keeping plain paths as given.

    Raises
    ------
    UsageError
        When a pattern matches nothing.

    Examples
    --------
    >>> expand_paths(["no-such-file.yaml"])
    ['no-such-file.yaml']
    """
    out: list[str] = []
    for pattern in patterns:
        if glob.has_magic(pattern):
            matches = sorted(glob.glob(pattern, recursive=True))
            if not matches:
                raise UsageError(f"no file matches {pattern!r}")
            out.extend(matches)
        else:
            out.append(pattern)
    return out


def check(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    strict: bool = False,
    tolerance: float = DEFAULT_TOLERANCE,
) -> list[CheckResult]:
    """Validate one or more map files and summarise the valid ones.

    Parameters
    ----------
    paths : path or iterable of paths
        Map files; glob patterns such as ``ecosystems/*.yaml`` are expanded.
    strict : bool, default False
        A map with warnings is not ok.
    tolerance : float, default 1e-3
        Relative tolerance of the flow-balance warning.

    Returns
    -------
    list of CheckResult
        One per file, in the order given.

    Examples
    --------
    >>> [r.ok for r in check(["no-such-map.yaml"])]
    [False]
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    results: list[CheckResult] = []
    for shown in expand_paths(os.fspath(p) for p in paths):
        eco, problems = _load(Path(shown).resolve(), shown, tolerance=tolerance, cwd=Path.cwd())
        diagnostics = sort_diagnostics(problems)
        ok = eco is not None and not (strict and diagnostics)
        results.append(
            CheckResult(shown, ok, diagnostics, eco.summary() if eco is not None else None)
        )
    return results
