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
import numpy as np

from ecograph._perf import gc_paused
from ecograph._suggest import Suggester, did_you_mean
from ecograph.compiled import DOMAINS, compiled
from ecograph.errors import Diagnostic, MapError, UsageError, format_path, sort_diagnostics
from ecograph.errors import describe_value as _describe
from ecograph.errors import number_hint as _number_hint
from ecograph.loader import (
    MAX_NUMBER,
    Document,
    LoadFailure,
    ReadFailure,
    YMap,
    YSeq,
    parse_text,
    read_file,
    read_text,
)
from ecograph.model import CURRENCIES, Ecosystem, Location, Node, Pipe, pipe_key

__all__ = [
    "DEFAULT_TOLERANCE",
    "MAX_INCLUDE_DEPTH",
    "CheckResult",
    "check",
    "inside",
    "load",
    "loads",
    "parse_file",
    "real_path",
    "schema",
]

#: Relative tolerance of the balance warning: |in - out| > tolerance * max(in, out).
DEFAULT_TOLERANCE = 1e-3
#: Longest chain of includes (a map including a map including a map...).
MAX_INCLUDE_DEPTH = 64

_SCHEMA_FILE = "ecograph-1.schema.json"
_TEXT_FIELDS_NODE = ("label", "description", "parent", "source", "owner")
_TEXT_FIELDS_PIPE = ("id", "from", "to", "label", "description", "source")
_AMOUNTS_NODE = ("users", "price")
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
    return copy.deepcopy(schema_data())


@functools.cache
def schema_data() -> dict[str, Any]:
    """The map's JSON Schema as read from the package (cached; :func:`schema` gives a copy).

    Examples
    --------
    >>> schema_data()["properties"]["ecograph"]["const"]
    1
    """
    text = resources.files("ecograph").joinpath("schema", _SCHEMA_FILE).read_text("utf-8")
    result: dict[str, Any] = json.loads(text)
    return result


_EDITOR_SCALARS = ("string", "number", "boolean")


def checker_schema(part: Any) -> Any:
    """The shipped schema as the checker applies it, after the loader's own reading.

    The shipped schema is written for editors, which read a plain ``1.10`` or ``no``
    as a number or boolean (YAML 1.2) and see ``.nan`` as a number: its text fields
    also take numbers and booleans, and its amounts refuse NaN and infinity with
    ``maximum`` and ``not``. The checker has already put the written text back into
    text fields (:func:`keep_raw`) and says "must be a finite number" itself
    (:func:`finite_numbers`), so here text fields are text only and those two
    guards are left out. ``tests/test_schema_corpus.py`` shows both verdicts agree.

    Examples
    --------
    >>> checker_schema({"type": ["string", "number", "boolean"], "maxLength": 5})
    {'type': 'string', 'maxLength': 5}
    >>> checker_schema({"type": "number", "maximum": 1e300, "not": {"type": "number"}})
    {'type': 'number'}
    """
    if isinstance(part, list):
        return [checker_schema(item) for item in part]
    if not isinstance(part, dict):
        return part
    out = {key: checker_schema(value) for key, value in part.items()}
    kinds = out.get("type")
    if isinstance(kinds, list) and set(_EDITOR_SCALARS) <= set(kinds):
        kept = [k for k in kinds if k not in ("number", "boolean")]
        out["type"] = kept[0] if len(kept) == 1 else kept
    branches = out.get("anyOf")
    if (
        isinstance(branches, list)
        and branches[0].get("type") == "string"
        and all(b.get("type") in ("number", "boolean") for b in branches[1:])
    ):
        del out["anyOf"]
        out.update(branches[0])
    if isinstance(out.get("not"), dict) and out["not"].get("type") == "number":
        del out["not"]
        if out.get("maximum") == MAX_NUMBER:
            del out["maximum"]
    return out


@functools.cache
def _validators() -> dict[str, tuple[Callable[[Any], Any], jsonschema.Draft202012Validator]]:
    """Per part of a map (top level, one node, one pipe): a fast yes/no validator and
    a complete one.

    fastjsonschema compiles the schema to Python and answers "valid?" about 30x
    faster than jsonschema, but stops at the first error; jsonschema lists every
    error with its path. Each node and pipe is checked by the fast one first, and
    only the parts that fail are run through jsonschema for their messages.
    """
    full = checker_schema(schema())  # a copy: fastjsonschema.compile changes its schema
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


def parse_file(path: str | os.PathLike[str], shown: str) -> Document:
    """Read (see :func:`ecograph.loader.read_file`) and parse one YAML file.

    Raises
    ------
    LoadFailure
        The file cannot be read, or is not one YAML document of plain data.

    Examples
    --------
    >>> parse_file("/dev/null", "null.yaml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ecograph.loader.ReadFailure: null.yaml: is not a regular file (a device, FIFO or socket); ...
    """
    return parse_text(read_text(read_file(path, shown), shown), shown)


def real_path(path: str | os.PathLike[str]) -> Path:
    """The absolute path with every symbolic link resolved (never raises on a link loop).

    Raises
    ------
    ValueError
        When the path contains a NUL byte.

    Examples
    --------
    >>> real_path("/") == Path("/")
    True
    """
    text = os.fspath(path)
    if "\x00" in text:
        raise ValueError("the path contains a NUL byte")
    return Path(os.path.realpath(text))


def inside(path: Path, folder: Path) -> bool:
    """True when ``path`` is ``folder`` or lies below it (both resolved).

    Examples
    --------
    >>> inside(Path("/a/b/c.yaml"), Path("/a")), inside(Path("/ab.yaml"), Path("/a"))
    (True, False)
    """
    return path == folder or folder in path.parents


# -- pass 1: structure -----------------------------------------------------------


class Checker:
    """Collects diagnostics for one document, each located at its path in the document,
    each place and problem once.

    Examples
    --------
    >>> from ecograph.loader import parse_text
    >>> check = Checker(parse_text("name: m\\nperiod: fortnight\\n", "m.yaml"))
    >>> check.add(("period",), "unknown period 'fortnight'")
    >>> [str(d) for d in check.out], check.is_bad(("period",))
    (["m.yaml:2:9: period: unknown period 'fortnight'"], True)
    """

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.out: list[Diagnostic] = list(doc.diagnostics)
        self.bad: set[tuple[str | int, ...]] = set()
        # one error per place: where the loader reported one (a number too large, a
        # duplicate key), the schema's view of the same value is not repeated
        self.reported: set[tuple[int, int]] = {(d.line, d.column) for d in doc.diagnostics}
        # and each problem once (jsonschema gives one 'required' error per missing key,
        # each listing all of them)
        self.said: set[tuple[int, int, str]] = set()

    def add(
        self,
        path: Sequence[str | int],
        message: str,
        *,
        key: bool = False,
        severity: str = "error",
    ) -> None:
        line, column = self.doc.locate(tuple(path), key=key)
        if severity == "error":
            self.bad.add(tuple(path))
            if (line, column) in self.reported:
                return
        if (line, column, message) in self.said:
            return
        self.said.add((line, column, message))
        self.out.append(
            Diagnostic(severity, self.doc.file, line, column, format_path(path), message)
        )

    def is_bad(self, path: Sequence[str | int]) -> bool:
        """True when ``path`` or one of its parents already has an error."""
        t = tuple(path)
        return any(t[:i] in self.bad for i in range(len(t) + 1))


def _normalise_text_fields(doc: Document) -> None:
    """Keep ids and other text fields exactly as written when YAML read them as numbers."""
    data = doc.data
    if not isinstance(data, YMap):
        return
    for key in ("name", "title", "description"):
        if key in data:
            keep_raw(doc, data, key, (key,))
    items = data.get("include")
    if isinstance(items, YSeq):
        for i in range(len(items)):
            keep_raw(doc, items, i, ("include", i))
    normalise_parts(doc, data, ())


def keep_raw(
    doc: Document, container: YMap | YSeq, key: str | int, path: tuple[str | int, ...]
) -> None:
    """Put back the text of a plain scalar that YAML read as a number, boolean or null.

    Examples
    --------
    >>> from ecograph.loader import parse_text
    >>> doc = parse_text("label: 1.10\\n", "m.yaml")
    >>> keep_raw(doc, doc.data, "label", ("label",))
    >>> doc.data["label"]
    '1.10'
    """
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
                    keep_raw(doc, node, key, (*prefix, "nodes", node_id, key))
            for key in ("tags", "genes"):
                words = node.get(key)
                if isinstance(words, YSeq):
                    for i in range(len(words)):
                        keep_raw(doc, words, i, (*prefix, "nodes", node_id, key, i))
    pipes = data.get("pipes")
    if isinstance(pipes, YSeq):
        for i, pipe in enumerate(pipes):
            if isinstance(pipe, YMap):
                for key in _TEXT_FIELDS_PIPE:
                    if key in pipe:
                        keep_raw(doc, pipe, key, (*prefix, "pipes", i, key))


def _schema_errors(check: Checker) -> None:
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
        translate_errors(error, check)
    part_errors(check, data, ())


def part_errors(check: Checker, data: Mapping[str, Any], prefix: tuple[str | int, ...]) -> None:
    """Schema errors of each node under ``data["nodes"]`` and pipe under ``data["pipes"]``.

    Shared by maps and by the ``add`` changes of scenarios.
    """
    nodes = data.get("nodes")
    if isinstance(nodes, Mapping):
        for node_id, node in nodes.items():
            for error in _errors("node", node):
                translate_errors(error, check, (*prefix, "nodes", node_id))
    pipes = data.get("pipes")
    if isinstance(pipes, list):
        for i, pipe in enumerate(pipes):
            for error in _errors("pipe", pipe):
                translate_errors(error, check, (*prefix, "pipes", i))
    finite_numbers(check, data, prefix)


def versioned_errors(
    check: Checker,
    validators: tuple[Callable[[Any], Any], jsonschema.Draft202012Validator],
    data: Any,
    *,
    version_key: str,
    what: str,
) -> None:
    """Add the schema errors of a whole document to ``check``: the fast validator first,
    the complete one only when it fails; a wrong version under ``version_key`` said plainly.

    Shared by the file formats beside maps (scenarios, series).

    Examples
    --------
    >>> from ecograph.loader import parse_text
    >>> schema = {"type": "object", "properties": {"scenario": {"const": 1}}}
    >>> both = (fastjsonschema.compile(schema), jsonschema.Draft202012Validator(schema))
    >>> check = Checker(parse_text("scenario: 2\\n", "s.yaml"))
    >>> versioned_errors(check, both, check.doc.data, version_key="scenario", what="scenario")
    >>> check.out[0].message
    "unsupported scenario version 2; this ecograph reads version 1 (write 'scenario: 1')"
    """
    fast, full = validators
    try:
        fast(data)
        return
    except fastjsonschema.JsonSchemaValueException:
        pass
    for error in full.iter_errors(data):
        if error.validator == "const" and tuple(error.absolute_path) == (version_key,):
            check.add(
                (version_key,),
                f"unsupported {what} version {error.instance!r}; this ecograph reads version 1 "
                f"(write '{version_key}: 1')",
            )
            continue
        translate_errors(error, check)


def translate_errors(
    error: jsonschema.ValidationError, check: Checker, prefix: tuple[str | int, ...] = ()
) -> None:
    """Add one JSON Schema error to ``check`` as ecograph says it: what was expected, what
    was found, a hint, at the error's path (under ``prefix``).

    Examples
    --------
    >>> import jsonschema
    >>> from ecograph.loader import parse_text
    >>> check = Checker(parse_text("users: many\\n", "m.yaml"))
    >>> error = next(jsonschema.Draft202012Validator({"properties": {"users": {
    ...     "type": "number"}}}).iter_errors(check.doc.data))
    >>> translate_errors(error, check)
    >>> print(check.out[0])
    m.yaml:1:8: users: expected a number, found text 'many'
    """
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
                translate_errors(sub, check, prefix)
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
            "domain": "domain",
            "paid_by": "payer",
        }.get(str(field_name), "value")
        if path[:1] == ("pipes",) and field_name == "kind":
            noun = "currency"
        if not isinstance(value, str):  # nothing, a number, a list: say what was found
            check.add(path, f"expected a {noun}, one of {', '.join(options)}; found {shown}")
            return
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


def finite_numbers(check: Checker, data: Mapping[str, Any], prefix: tuple[str | int, ...]) -> None:
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
    check: Checker
    path: Path


def _display(path: Path, base: Path, given: str | None) -> str:
    if given is not None:
        return given
    try:
        return os.path.relpath(path, base)
    except ValueError:  # pragma: no cover - different drive on Windows
        return str(path)


def _outside(what: str, item: str, tree: Path, cwd: Path) -> str:
    """The refusal of a file a map names outside its folder (includes and tables alike)."""
    return (
        f"{what} {item!r} is outside the map's folder {_display(tree, cwd, None)}; not read "
        "(allow it with --allow-outside, or allow_outside=True)"
    )


def _load_tree(
    root: Path,
    shown_root: str,
    cwd: Path,
    root_doc: Document | None = None,
    *,
    allow_outside: bool = False,
    folder: Path | None = None,
) -> tuple[list[_Loaded], list[Diagnostic]]:
    """Parse the root file and every file it includes, depth-first, includes first.

    Included files must lie inside ``folder`` (default: the root file's folder),
    symbolic links resolved, unless ``allow_outside``.
    """
    order: list[_Loaded] = []
    problems: list[Diagnostic] = []
    seen: dict[Path, _Loaded] = {}
    tree = folder if folder is not None else root.parent

    def visit(path: Path, shown: str, chain: tuple[Path, ...], data: bytes | None = None) -> None:
        try:
            if root_doc is not None and not chain:
                doc = root_doc
            elif data is not None:
                doc = parse_text(read_text(data, shown), shown)
            else:
                doc = parse_file(path, shown)
        except LoadFailure as failure:
            problems.extend(failure.diagnostics)
            return
        check = Checker(doc)
        _schema_errors(check)
        loaded = _Loaded(doc, check, path)
        seen[path] = loaded
        includes = doc.data.get("include") if isinstance(doc.data, Mapping) else None
        if isinstance(includes, list):
            for i, item in enumerate(includes):
                if not isinstance(item, str) or check.is_bad(("include", i)):
                    continue
                at = ("include", i)
                try:
                    target = real_path(path.parent / item)
                except ValueError:
                    check.add(at, f"included path {item!r} contains a NUL byte")
                    continue
                if target in chain or target == path:
                    cycle = " -> ".join(_display(p, cwd, None) for p in (*chain, path, target))
                    check.add(at, f"include cycle: {cycle}")
                    continue
                if target in seen:
                    continue
                if not allow_outside and not inside(target, tree):
                    check.add(at, _outside("included file", item, tree, cwd))
                    continue
                if len(chain) + 1 >= MAX_INCLUDE_DEPTH:
                    check.add(at, f"includes nest deeper than {MAX_INCLUDE_DEPTH} files; not read")
                    continue
                target_shown = _display(target, cwd, None)
                try:
                    content = read_file(target, target_shown)
                except ReadFailure as failure:
                    reason = {"does not exist": "does not exist", "is a directory": ""}.get(
                        failure.reason, failure.reason
                    )
                    if reason:
                        check.add(at, f"included file {item!r} {reason}")
                    else:
                        check.add(at, f"included path {item!r} is a directory")
                    continue
                visit(target, target_shown, (*chain, path), content)
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
        _pool_keys(loaded, node_id, attrs, ids, suggest)
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


def _pool_keys(
    loaded: _Loaded,
    node_id: str,
    attrs: Mapping[str, Any],
    ids: Mapping[str, Any],
    suggest: Callable[[str], str],
) -> None:
    """Errors for ``domain`` and ``owner``: pools only, and the owner must exist."""
    kind = attrs.get("kind")
    for key in ("domain", "owner"):
        path = ("nodes", node_id, key)
        if key not in attrs or loaded.check.is_bad(path) or not isinstance(kind, str):
            continue
        if kind != "pool":
            loaded.check.add(
                path,
                f"{key!r} is only for pools (kind: pool), and {node_id!r} is a {kind}; "
                "move it to the pool that holds this node's users",
                key=True,
            )
    owner = attrs.get("owner")
    path = ("nodes", node_id, "owner")
    if isinstance(owner, str) and kind == "pool" and not loaded.check.is_bad(path):
        if owner == node_id:
            loaded.check.add(path, f"pool {node_id!r} cannot be its own owner")
        elif owner not in ids:
            loaded.check.add(path, f"unknown owner node {owner!r}{suggest(owner)}")


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


def plain_data(value: Any) -> Any:
    """Deep copy of loaded data into plain dicts and lists (no positions kept).

    Examples
    --------
    >>> from ecograph.loader import parse_text
    >>> plain_data(parse_text("a: {b: [1, 2]}\\n", "m.yaml").data)
    {'a': {'b': [1, 2]}}
    """
    if isinstance(value, Mapping):
        return {k: plain_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_data(v) for v in value]
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
        attrs=MappingProxyType(plain_data(attrs.get("attrs", {}))),
        location=location,
        price=_number(attrs.get("price")),
        domain=_text(attrs.get("domain")),
        owner=_text(attrs.get("owner")),
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
        attrs=MappingProxyType(plain_data(attrs.get("attrs", {}))),
        index=index,
        location=location,
        paid_by=attrs.get("paid_by", "to"),
    )


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


def map_warnings(eco: Ecosystem, tolerance: float) -> list[Diagnostic]:
    """Warnings of a valid map: blocked pipes with volume, volume above capacity, nodes
    with no pipes, and flows that do not balance, in that order (pipes in map order, then
    nodes in map order). Computed on the compiled columns; objects are read only for the
    pipes and nodes warned about.

    Examples
    --------
    >>> eco = loads("ecograph: 1\\nname: m\\nnodes:\\n  a: {kind: pool, inflow: 5}\\n"
    ...             "  b: {kind: partner}\\npipes:\\n  - {from: a, to: b, volume: 3}\\n")
    >>> [w.message.split(":")[0] for w in map_warnings(eco, 1e-3)]
    ["traffic does not balance at 'a'", "traffic does not balance at 'b'"]
    """
    out: list[Diagnostic] = []

    def warn(location: Location, path: str, message: str) -> None:
        out.append(
            Diagnostic("warning", location.file, location.line, location.column, path, message)
        )

    cm = compiled(eco)
    volume = np.where(np.isnan(cm.volume), 0.0, cm.volume)
    blocked = ~cm.open & (volume > 0)
    over = cm.open & (volume > cm.capacity)
    for i in np.flatnonzero(blocked | over).tolist():
        pipe = eco.pipes[i]
        path = format_path(["pipes", pipe.index])
        amount = float(volume[i])
        if blocked[i]:
            warn(
                pipe.location,
                path,
                f"blocked pipe {pipe.from_node} -> {pipe.to_node} has volume {_fmt(amount)}; "
                "a blocked pipe carries nothing (its volume is ignored)",
            )
        else:
            warn(
                pipe.location,
                path,
                f"volume {_fmt(amount)} is above capacity {_fmt(float(cm.capacity[i]))} "
                f"({pipe.from_node} -> {pipe.to_node})",
            )
    out.extend(_economics_warnings(eco))
    connected = np.zeros(cm.n, dtype=np.bool_)
    connected[cm.src] = True
    connected[cm.dst] = True
    connected[cm.parent[cm.parent >= 0]] = True  # a container is connected through its members
    into, away = cm.pipe_sums
    with np.errstate(over="ignore", invalid="ignore"):  # a huge --tolerance overflows to inf
        total_in, total_out = cm.inflow + into, cm.outflow + away
        gap = total_in - total_out
        unbalanced = (np.abs(gap) > tolerance * np.maximum(total_in, total_out)) & (
            (total_in != 0) | (total_out != 0)
        )
    per = eco.period
    for row in np.flatnonzero(~connected | unbalanced.any(axis=1)).tolist():
        node = eco.nodes[cm.ids[row]]
        path = format_path(["nodes", node.id])
        if not connected[row]:
            warn(node.location, path, f"node {node.id!r} has no pipes: it is connected to nothing")
        for c in np.flatnonzero(unbalanced[row]).tolist():
            currency = CURRENCIES[c]
            p_in, p_out = float(into[row, c]), float(away[row, c])
            b_in, b_out = float(cm.inflow[row, c]), float(cm.outflow[row, c])
            t_in, t_out = b_in + p_in, b_out + p_out
            warn(
                node.location,
                path,
                f"{currency} does not balance at {node.id!r}: in {_fmt(t_in)} "
                f"(inflow {_fmt(b_in)} + pipes {_fmt(p_in)}) vs out {_fmt(t_out)} "
                f"(outflow {_fmt(b_out)} + pipes {_fmt(p_out)}); "
                f"imbalance {t_in - t_out:+,.6g} per {per}",
            )
    return out


def _economics_warnings(eco: Ecosystem) -> list[Diagnostic]:
    """Converting pipes into nodes without a price; private pools that belong to nobody."""
    out: list[Diagnostic] = []
    nodes = eco.nodes
    cm = compiled(eco)
    converting = (cm.conversion > 0) & np.isnan(cm.price[cm.dst])
    for i in np.flatnonzero(converting).tolist():
        pipe = eco.pipes[i]
        if pipe.conversion:
            at = pipe.location
            out.append(
                Diagnostic(
                    "warning",
                    at.file,
                    at.line,
                    at.column,
                    format_path(["pipes", pipe.index, "conversion"]),
                    f"pipe {pipe.from_node} -> {pipe.to_node} converts {_fmt(pipe.conversion)} "
                    f"of its flow at {pipe.to_node!r}, which has no price: its orders earn "
                    f"nothing (give {pipe.to_node!r} a price)",
                )
            )
    unowned = (cm.domain == DOMAINS.index("private")) & (cm.owner < 0) & (cm.parent < 0)
    for row in np.flatnonzero(unowned).tolist():
        node = nodes[cm.ids[row]]
        if node.domain == "private" and node.owner is None and node.parent is None:
            at = node.location
            out.append(
                Diagnostic(
                    "warning",
                    at.file,
                    at.line,
                    at.column,
                    format_path(["nodes", node.id]),
                    f"private pool {node.id!r} has no owner and no parent: say whose it is "
                    "(owner: NODE)",
                )
            )
    return out


# -- public API -------------------------------------------------------------------------


def load_checked(
    path: Path | None,
    shown: str,
    *,
    tolerance: float,
    cwd: Path,
    root_doc: Document | None = None,
    allow_outside: bool = False,
    folder: Path | None = None,
) -> tuple[Ecosystem | None, list[Diagnostic]]:
    """Load, check and build a map file with everything it includes and the tables it
    names: the map (None when it has errors) and every diagnostic, never raising for a
    problem of the map. What :func:`load`, :func:`check` and the warm-load cache call.

    Examples
    --------
    >>> eco, problems = load_checked(Path("no-such.yaml"), "no-such.yaml", tolerance=1e-3,
    ...                              cwd=Path.cwd())
    >>> eco, [str(p) for p in problems]
    (None, ['no-such.yaml: no such file'])
    """
    if path is None:  # a path that cannot name a file (a NUL byte)
        return None, [Diagnostic("error", shown, 0, 0, "", "the path contains a NUL byte")]
    files, problems = _load_tree(
        path, shown, cwd, root_doc, allow_outside=allow_outside, folder=folder
    )
    if not files:
        return None, problems
    root = files[-1]
    merged = _merge(files, root)
    tree = folder if folder is not None else real_path(path).parent
    tables = _tables(files, cwd, tree, allow_outside)  # maps from tables: ecograph.tablemap
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
    warnings = map_warnings(eco, tolerance)
    eco = Ecosystem(**{**_fields(eco), "warnings": sort_diagnostics(warnings)})
    return eco, [*problems, *warnings]


def _tables(files: list[_Loaded], cwd: Path, tree: Path, allow_outside: bool) -> Any:
    """The tables the maps name under ``tables:`` (an ecograph.tablemap.TableSet), read;
    None when no map names any. A missing path is an error at its entry, and so is a
    table outside the map's folder (``tree``, links resolved) unless ``allow_outside``:
    as for includes, a map from a stranger must not make ecograph read, and quote, a
    file elsewhere on the machine."""
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
                try:
                    real = real_path(target)
                except ValueError:
                    loaded.check.add(("tables", part, i), f"table path {item!r} is not usable")
                    continue
                if not allow_outside and not inside(real, tree):
                    loaded.check.add(("tables", part, i), _outside("table file", item, tree, cwd))
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


def _real_or_none(path: str) -> Path | None:
    try:
        return real_path(path)
    except ValueError:
        return None


def load(
    path: str | os.PathLike[str],
    *,
    strict: bool = False,
    tolerance: float = DEFAULT_TOLERANCE,
    allow_outside: bool = False,
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
    allow_outside : bool, default False
        Read included files outside the map's folder (symbolic links resolved);
        by default such an include is an error and the file is not read.

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
        eco, problems = load_checked(
            _real_or_none(shown),
            shown,
            tolerance=tolerance,
            cwd=cwd,
            allow_outside=allow_outside,
        )
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
    allow_outside: bool = False,
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
        Included files must lie inside it unless ``allow_outside``.
    allow_outside : bool, default False
        As for :func:`load`.

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
    try:
        folder = real_path(base)
    except ValueError:
        raise UsageError("base_dir contains a NUL byte") from None
    eco, problems = load_checked(
        folder / "<string>",
        filename,
        tolerance=tolerance,
        cwd=base,
        root_doc=doc,
        allow_outside=allow_outside,
        folder=folder,
    )
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
    allow_outside: bool = False,
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
    allow_outside : bool, default False
        As for :func:`load`.

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
        eco, problems = load_checked(
            _real_or_none(shown),
            shown,
            tolerance=tolerance,
            cwd=Path.cwd(),
            allow_outside=allow_outside,
        )
        diagnostics = sort_diagnostics(problems)
        ok = eco is not None and not (strict and diagnostics)
        results.append(
            CheckResult(shown, ok, diagnostics, eco.summary() if eco is not None else None)
        )
    return results
