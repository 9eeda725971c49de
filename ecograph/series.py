"""Series: one ecosystem mapped at several dates, read and checked as one input.

A series file lists snapshot maps (the JSON Schema is
``ecograph/schema/ecograph-series-1.schema.json``)::

    ecograph-series: 1
    title: Rural Taobao, three years
    snapshots:                      # oldest first
      - {date: 2017, map: 2017.yaml}   # maps are relative to this file
      - {date: 2018, map: 2018.yaml}
      - {date: 2019, map: 2019.yaml}

Dates are ISO dates (``2024-03-31``) or periods: a year (``2024``), a quarter
(``2024-Q1``) or a month (``2024-03``), all written the same way, strictly
increasing. Every snapshot is a full map (includes and tables allowed), checked
like any map; all of them must be per the same ``period`` and count each currency
in the same ``units``, or their figures could not be compared. Node ids are
matched across snapshots by id.

:func:`load_series` reports every problem at once, each located: in the series
file (``series.yaml:4:21: snapshots[1].map: map 'q2.yaml' does not exist``) or in
the snapshot map that has it.
"""

from __future__ import annotations

import copy
import datetime
import functools
import json
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import fastjsonschema
import jsonschema

from ecograph._perf import gc_paused
from ecograph.errors import Diagnostic, MapError, sort_diagnostics
from ecograph.loader import Document, LoadFailure, YMap, YSeq, read_file
from ecograph.model import Ecosystem, Location
from ecograph.validate import (
    DEFAULT_TOLERANCE,
    Checker,
    inside,
    keep_raw,
    load_checked,
    parse_file,
    real_path,
    versioned_errors,
)

__all__ = [
    "DATE_FORMS",
    "Series",
    "Snapshot",
    "is_series",
    "load_series",
    "parse_date",
    "series_schema",
]

_SCHEMA_FILE = "ecograph-series-1.schema.json"
#: How a snapshot's date may be written, most coarse first.
DATE_FORMS: tuple[str, ...] = ("year", "quarter", "month", "day")
_SERIES_KEY = re.compile(rb"^[\"']?ecograph-series[\"']?[ \t]*:", re.MULTILINE)
#: Files larger than this are never taken for a series (a series names a few maps).
_SERIES_SIZE = 1 << 20
_DATE = re.compile(r"^([0-9]{4})(?:-Q([1-4])|-([0-9]{2})(?:-([0-9]{2}))?)?$")


def is_series(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is a small regular file with a top-level ``ecograph-series:`` key:
    how ``ecograph render`` tells a series from a map (anything else is read as a map,
    whose loader reports what is wrong with it).

    Examples
    --------
    >>> is_series("ecosystems/series/rural-taobao.yaml"), is_series("ecosystems/alibaba.yaml")
    (True, False)
    >>> is_series("no-such-file.yaml")
    False
    """
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > _SERIES_SIZE:
            return False
        data = read_file(path, os.fspath(path), what="series file")
    except (OSError, ValueError, LoadFailure):
        return False
    return _SERIES_KEY.search(data) is not None


def parse_date(text: str) -> tuple[datetime.date, str]:
    """The first day of a snapshot's date or period, and how it is written.

    Parameters
    ----------
    text : str
        ``2024``, ``2024-Q2``, ``2024-03`` or ``2024-03-31``.

    Returns
    -------
    (datetime.date, str)
        The first day, and one of :data:`DATE_FORMS`.

    Raises
    ------
    ValueError
        Anything else, or a day that does not exist (``2023-02-29``).

    Examples
    --------
    >>> parse_date("2024-Q2")
    (datetime.date(2024, 4, 1), 'quarter')
    >>> parse_date("2024-03-31")[1], parse_date("2019")[0]
    ('day', datetime.date(2019, 1, 1))
    >>> parse_date("2023-02-29")
    Traceback (most recent call last):
    ...
    ValueError: 2023-02-29 is not a day of the calendar (day is out of range for month)
    """
    match = _DATE.match(text)
    if match is None:
        raise ValueError(
            f"{text!r} is not a date; write an ISO date (2024-03-31), a month (2024-03), "
            "a quarter (2024-Q1) or a year (2024)"
        )
    year, quarter, month, day = match.groups()
    try:
        if quarter is not None:
            return datetime.date(int(year), 3 * int(quarter) - 2, 1), "quarter"
        if day is not None:
            return datetime.date(int(year), int(month), int(day)), "day"
        if month is not None:
            return datetime.date(int(year), int(month), 1), "month"
        return datetime.date(int(year), 1, 1), "year"
    except ValueError as exc:
        raise ValueError(f"{text} is not a day of the calendar ({exc})") from None


@dataclass(frozen=True)
class Snapshot:
    """One dated map of a series.

    Attributes
    ----------
    date : str
        As written (``2024-03``).
    start : datetime.date
        First day of ``date``.
    label : str
        The snapshot's name (its ``label``, else its date).
    map : Ecosystem
        The snapshot's map, checked like any map.
    file : str
        The map file as the series names it, resolved against the series' folder.
    location : Location
        Where the snapshot is written in the series file.
    """

    date: str
    start: datetime.date
    label: str
    map: Ecosystem
    file: str
    location: Location


@dataclass(frozen=True)
class Series:
    """A checked series: its snapshots in date order (see the module notes).

    Attributes
    ----------
    file : str
        The series file as named.
    title : str
    description : str or None
    snapshots : tuple of Snapshot
        Oldest first.
    date_form : str
        How the dates are written, one of :data:`DATE_FORMS`.
    period : str
        The period every snapshot's figures are per.
    units : Mapping[str, str]
        Units of each currency, as the snapshot maps declare them.
    warnings : tuple of Diagnostic
        The snapshot maps' warnings (a series with errors does not load).
    """

    file: str
    title: str
    description: str | None
    snapshots: tuple[Snapshot, ...]
    date_form: str
    period: str
    units: dict[str, str] = field(default_factory=dict)
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def dates(self) -> tuple[str, ...]:
        """The snapshots' dates, oldest first."""
        return tuple(s.date for s in self.snapshots)

    @property
    def files(self) -> tuple[str, ...]:
        """Every file read: the series, then each map's files (no file twice)."""
        out = [self.file]
        for snapshot in self.snapshots:
            out.extend(snapshot.map.files)
        return tuple(dict.fromkeys(out))

    def __repr__(self) -> str:
        return f"<Series {self.title!r}: {len(self.snapshots)} snapshots, {self.date_form}ly>"


@functools.cache
def _schema_text() -> str:
    return resources.files("ecograph").joinpath("schema", _SCHEMA_FILE).read_text("utf-8")


def series_schema() -> dict[str, Any]:
    """The JSON Schema of the series format (version 1), as a dict.

    Examples
    --------
    >>> series_schema()["properties"]["ecograph-series"]["const"]
    1
    """
    result: dict[str, Any] = json.loads(_schema_text())
    return result


@functools.cache
def _validator() -> tuple[Callable[[Any], Any], jsonschema.Draft202012Validator]:
    """A fast yes/no validator and a complete one; dates are checked apart (clearer words)."""
    schema = series_schema()
    del schema["$defs"]["snapshot"]["properties"]["date"]["pattern"]
    return fastjsonschema.compile(copy.deepcopy(schema)), jsonschema.Draft202012Validator(schema)


def _check_structure(check: Checker) -> None:
    data = check.doc.data
    if data is None:
        check.add((), "the series is empty; a series starts with 'ecograph-series: 1'")
        return
    if not isinstance(data, YMap):
        check.add((), "the top level must be a mapping (ecograph-series: 1, snapshots: [...])")
        return
    if "ecograph" in data and "ecograph-series" not in data:
        check.add(
            (),
            "this is a map, not a series (a series starts with 'ecograph-series: 1' and lists "
            "snapshots: [{date: 2024-03, map: march.yaml}, ...])",
        )
        return
    for key in ("title", "description"):
        if key in data:
            keep_raw(check.doc, data, key, (key,))
    snapshots = data.get("snapshots")
    if isinstance(snapshots, YSeq):
        for i, item in enumerate(snapshots):
            if isinstance(item, YMap):
                for key in ("date", "map", "label"):
                    if key in item and item[key] is not None:
                        keep_raw(check.doc, item, key, ("snapshots", i, key))
    versioned_errors(check, _validator(), data, version_key="ecograph-series", what="series")


def _check_dates(check: Checker) -> list[tuple[datetime.date, str] | None]:
    """Each snapshot's parsed date (None where it is wrong); the rules between dates."""
    snapshots = check.doc.data.get("snapshots") if isinstance(check.doc.data, YMap) else None
    if not isinstance(snapshots, YSeq):
        return []
    parsed: list[tuple[datetime.date, str] | None] = []
    first_form: tuple[int, str] | None = None
    seen: dict[str, int] = {}
    previous: tuple[int, datetime.date, str] | None = None
    for i, item in enumerate(snapshots):
        at: tuple[str | int, ...] = ("snapshots", i, "date")
        text = item.get("date") if isinstance(item, YMap) else None
        if not isinstance(text, str) or check.is_bad(at):
            parsed.append(None)
            continue
        try:
            start, form = parse_date(text)
        except ValueError as exc:
            check.add(at, str(exc))
            parsed.append(None)
            continue
        parsed.append((start, form))
        if first_form is None:
            first_form = (i, form)
        elif form != first_form[1]:
            check.add(
                at,
                f"{text} is a {form}, but snapshots[{first_form[0]}] gives a {first_form[1]}; "
                "write every snapshot's date the same way",
            )
            continue
        if text in seen:
            check.add(at, f"duplicate date {text} (also snapshots[{seen[text]}]); one map a date")
            continue
        seen[text] = i
        if previous is not None and start <= previous[1]:
            check.add(
                at,
                f"dates out of order: {text} comes after {previous[2]} (snapshots[{previous[0]}]); "
                "list snapshots oldest first",
            )
            continue
        previous = (i, start, text)
    return parsed


def _check_maps(
    check: Checker, folder: Path, series_real: Path | None, allow_outside: bool
) -> list[Path | None]:
    """Each snapshot's map as a resolved path (None where it cannot be read), each problem
    at its ``map:`` value."""
    snapshots = check.doc.data.get("snapshots") if isinstance(check.doc.data, YMap) else None
    if not isinstance(snapshots, YSeq):
        return []
    allowed = [real_path(folder), real_path(os.getcwd())]
    out: list[Path | None] = []
    for i, item in enumerate(snapshots):
        at: tuple[str | int, ...] = ("snapshots", i, "map")
        name = item.get("map") if isinstance(item, YMap) else None
        out.append(None)
        if not isinstance(name, str) or check.is_bad(at):
            continue
        try:
            target = real_path(folder / name)
        except ValueError:
            check.add(at, f"map {name!r} contains a NUL byte")
            continue
        if series_real is not None and target == series_real:
            check.add(at, f"the series names itself ({name!r}) as a snapshot map; name a map")
            continue
        if not allow_outside and not any(inside(target, f) for f in allowed):
            check.add(
                at,
                f"map {name!r} is outside the series' folder and the current folder; not read "
                "(allow it with --allow-outside, or allow_outside=True)",
            )
            continue
        try:
            info = os.stat(target)
        except FileNotFoundError:
            check.add(at, f"map {name!r} does not exist")
            continue
        except OSError as exc:
            check.add(at, f"map {name!r} cannot be read ({exc.strerror})")
            continue
        if stat.S_ISDIR(info.st_mode):
            check.add(at, f"map {name!r} is a directory")
        elif not stat.S_ISREG(info.st_mode):
            check.add(at, f"map {name!r} is not a regular file (a device, FIFO or socket)")
        else:
            out[-1] = target
    return out


def _comparable(check: Checker, maps: list[tuple[int, Ecosystem]]) -> None:
    """Every snapshot per the same period and in the same units as the first."""
    if not maps:
        return
    i0, first = maps[0]
    for i, eco in maps[1:]:
        at: tuple[str | int, ...] = ("snapshots", i, "map")
        if eco.period != first.period:
            check.add(
                at,
                f"map is per {eco.period}, but snapshots[{i0}]'s map is per {first.period}; "
                "every snapshot must be per the same period",
            )
        for currency in sorted(set(eco.units) | set(first.units)):
            mine, theirs = eco.units.get(currency), first.units.get(currency)
            if mine != theirs:
                check.add(
                    at,
                    f"map counts {currency} in {mine or 'no declared unit'}, but snapshots[{i0}]"
                    f"'s map in {theirs or 'no declared unit'}; every snapshot must use the "
                    "same units",
                )


def _from_document(
    doc: Document, shown: str, series_real: Path | None, *, allow_outside: bool, tolerance: float
) -> Series:
    check = Checker(doc)
    _check_structure(check)
    dates = _check_dates(check)
    folder = Path(shown).parent
    paths = _check_maps(check, folder, series_real, allow_outside)
    problems = list(check.out)
    if any(d.severity == "error" for d in problems):
        raise MapError(problems)
    data = doc.data
    loaded: list[tuple[int, Ecosystem]] = []
    warnings: list[Diagnostic] = []
    cwd = Path.cwd()
    for i, path in enumerate(paths):
        name = os.path.normpath(os.path.join(folder, data["snapshots"][i]["map"]))
        with gc_paused():  # as ecograph.load: no collector passes over a map being built
            eco, found = load_checked(
                path, name, tolerance=tolerance, cwd=cwd, allow_outside=allow_outside
            )
        problems.extend(d for d in found if d.severity == "error")
        warnings.extend(d for d in found if d.severity == "warning")
        if eco is not None:
            loaded.append((i, eco))
    if any(d.severity == "error" for d in problems):
        raise MapError(problems)
    _comparable(check, loaded)
    if check.out:
        raise MapError(check.out)
    snapshots = []
    for (i, eco), parsed in zip(loaded, dates, strict=True):
        if parsed is None:  # not reached: a date that does not parse is an error above
            raise MapError(check.out)
        item = data["snapshots"][i]
        line, column = doc.locate(("snapshots", i))
        snapshots.append(
            Snapshot(
                date=item["date"],
                start=parsed[0],
                label=item.get("label", item["date"]),
                map=eco,
                file=os.path.normpath(os.path.join(folder, item["map"])),
                location=Location(doc.file, line, column),
            )
        )
    first = snapshots[0].map
    stem = Path(shown).stem if shown != "<string>" else "series"
    return Series(
        file=shown,
        title=data.get("title", first.title or stem),
        description=data.get("description"),
        snapshots=tuple(snapshots),
        date_form=dates[0][1] if dates[0] else "day",
        period=first.period,
        units=dict(first.units),
        warnings=sort_diagnostics(warnings),
    )


def load_series(
    path: str | os.PathLike[str],
    *,
    allow_outside: bool = False,
    tolerance: float = DEFAULT_TOLERANCE,
) -> Series:
    """Read and check a series file and every snapshot map it names.

    Parameters
    ----------
    path : str or path-like
        The series' YAML file; its ``map`` paths are relative to it.
    allow_outside : bool, default False
        Read maps (and their includes) outside the series' folder and the current
        folder; by default such a map is an error at its ``map:`` and is not read.
    tolerance : float, default 1e-3
        Relative tolerance of the maps' flow-balance warning.

    Returns
    -------
    Series

    Raises
    ------
    MapError
        Every problem at once, each located: a missing map, a date that is not one,
        written another way than the others, repeated or out of order, a series that
        names itself, maps per different periods or in different units, and every
        error of every snapshot map.

    Examples
    --------
    >>> s = load_series("ecosystems/series/rural-taobao.yaml")  # doctest: +SKIP
    >>> try:
    ...     load_series("no-such-series.yaml")
    ... except MapError as err:
    ...     print(err)
    no-such-series.yaml: no such file
    """
    shown = os.fspath(path)
    try:
        doc = parse_file(shown, shown)
        series_real: Path | None = real_path(shown)
    except LoadFailure as failure:
        raise MapError(failure.diagnostics) from None
    except ValueError:  # a NUL byte
        nul = Diagnostic("error", shown, 0, 0, "", "the path contains a NUL byte")
        raise MapError([nul]) from None
    return _from_document(doc, shown, series_real, allow_outside=allow_outside, tolerance=tolerance)
