"""The ``ecograph`` command group, its shared options, and the exit-code policy.

Every command mirrors one library function: flag names are the function's
keyword names, results go to standard output (a table, ``--format json`` or
``--format csv``), problems go to standard error as one line each. Exit codes
are :class:`ecograph.errors.ExitCode`: 0 fine, 1 invalid map or bad node id,
2 bad command line, 3 a bug in ecograph, 130 interrupted.

Other command modules (``flows``, ``network``, ``render``...) import
:data:`cli` and the option helpers from here and are registered at the bottom.
"""

from __future__ import annotations

import functools
import json
import math
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from ecograph._version import __version__
from ecograph.cache import check as check_maps
from ecograph.cache import load
from ecograph.errors import (
    EcographError,
    EcographWarning,
    ExitCode,
    MapError,
    UsageError,
    one_line,
)
from ecograph.formatting import format_number, to_csv, to_json, to_table
from ecograph.model import CURRENCIES, Ecosystem
from ecograph.validate import DEFAULT_TOLERANCE
from ecograph.validate import schema as map_schema

__all__ = [
    "Engine",
    "FiniteFloatRange",
    "allow_outside_option",
    "allow_outside_requested",
    "cache_option",
    "cli",
    "emit",
    "engine_options",
    "format_option",
    "kind_option",
    "load_map",
    "main",
    "map_argument",
]

F = TypeVar("F", bound=Callable[..., Any])

#: The map file of the command being run, for locating errors about node ids.
_current_map: list[str] = []
#: Whether the command being run may use the warm-load cache (False with --no-cache).
_use_cache: list[bool] = [True]


def blame(path: str) -> None:
    """Name ``path`` as the file the command is working on: an error with no file of its
    own (a closed loop, a bad option value met late) is printed after its name."""
    _current_map[:] = [path]


#: Set by ``--allow-outside`` for the command being run (reset when it ends).
_allow_outside: list[bool] = []


@click.group(
    context_settings={
        "help_option_names": ["-h", "--help"],
        "max_content_width": 92,
        "terminal_width": 92,
    }
)
@click.version_option(__version__, prog_name="ecograph")
def cli() -> None:
    """Ecosystem maps as code: validate, measure and draw platform ecosystems written in YAML.

    Example: ecograph check ecosystems/*.yaml
    """


# -- shared options -------------------------------------------------------------------


class FiniteFloatRange(click.FloatRange):
    """A :class:`click.FloatRange` that also refuses ``nan`` and ``inf`` (a usage error).

    Examples
    --------
    >>> FiniteFloatRange(min=0).convert("0.5", None, None)
    0.5
    >>> FiniteFloatRange(min=0).convert("nan", None, None)
    Traceback (most recent call last):
    ...
    click.exceptions.BadParameter: 'nan' is not a finite number.
    """

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        result = super().convert(value, param, ctx)
        if not math.isfinite(result):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return result


def _remember_allow_outside(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        _allow_outside[:] = [True]
    return value


def allow_outside_option(func: F) -> F:
    """``--allow-outside``: read included maps and a scenario's base outside the map's folder.

    Every command that reads a map or a scenario takes it; :func:`load_map` and
    :func:`allow_outside_requested` see it.
    """
    return click.option(
        "--allow-outside",
        is_flag=True,
        expose_value=False,
        callback=_remember_allow_outside,
        help="Also read included maps (and a scenario's base) outside the map's folder.",
    )(func)


def allow_outside_requested() -> bool:
    """True when the command being run was given ``--allow-outside``."""
    return bool(_allow_outside)


def map_argument(func: F) -> F:
    """The MAP argument: a YAML map file (with ``--allow-outside``, for its includes, and
    ``--no-cache``)."""
    func = cache_option(func)
    func = click.argument("map_path", metavar="MAP", type=click.Path(dir_okay=False))(func)
    return allow_outside_option(func)


def _set_cache(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    _use_cache[:] = [not value]
    return value


def cache_option(func: F) -> F:
    """``--no-cache``: read the map from its files (every command that loads a map has it).

    Listed last among the command's options, wherever the decorator sits.
    """
    func = click.option(
        "--no-cache",
        is_flag=True,
        expose_value=False,
        callback=_set_cache,
        help="Read the map from its files; neither use nor write the warm-load cache "
        "(large maps only; see ECOGRAPH_CACHE_DIR).",
    )(func)
    params: list[click.Parameter] = func.__click_params__  # type: ignore[attr-defined]
    params.insert(0, params.pop())  # click lists them in reverse
    return func


def format_option(func: F) -> F:
    """``--format table|json|csv``."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "json", "csv"]),
        default="table",
        show_default=True,
        help="Output: a readable table, one JSON document, or CSV.",
    )(func)


def kind_option(func: F) -> F:
    """``--currency CURRENCY`` (default traffic); ``--kind``, its former name, still works.

    The command receives it as ``kind`` (the map's own key for a pipe's currency)."""
    return click.option(
        "--currency",
        "--kind",
        "kind",
        type=click.Choice(list(CURRENCIES)),
        default="traffic",
        show_default=True,
        help="Currency layer to analyse; currencies are never mixed. --kind is its former name.",
    )(func)


@dataclass(frozen=True)
class Engine:
    """Where a command runs: ``local`` (this machine) or ``spark`` (a Spark master)."""

    name: str = "local"
    master: str = "local[*]"
    conf: dict[str, str] = field(default_factory=dict)

    @property
    def spark(self) -> bool:
        """True when the command runs on Spark."""
        return self.name == "spark"

    def load(self, map_path: str) -> Any:
        """The map as a :class:`ecograph.spark.SparkMap`, read and checked by Spark."""
        from ecograph import spark

        blame(map_path)
        session = spark.session(self.master, self.conf)
        return spark.read_map(session, map_path, allow_outside=allow_outside_requested())

    def refuse(self, what: str) -> click.UsageError:
        """The usage error (exit 2) for what the Spark engine does not run."""
        return click.UsageError(f"{what} is not available with --engine spark")


def _conf(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.UsageError(f"--spark-conf takes KEY=VALUE, not {item!r}")
        out[key.strip()] = value
    return out


def engine_options(func: F) -> F:
    """``--engine local|spark``, ``--spark-master URL``, ``--spark-conf KEY=VALUE``; the
    command receives them as one ``engine`` (:class:`Engine`)."""

    @functools.wraps(func)
    def wrapper(
        *args: Any,
        engine: str,
        spark_master: str | None,
        spark_conf: tuple[str, ...],
        **kwargs: Any,
    ) -> Any:
        conf = _conf(spark_conf)
        if engine != "spark" and (spark_master is not None or conf):
            raise click.UsageError("--spark-master and --spark-conf go with --engine spark")
        chosen = Engine(engine, spark_master or "local[*]", conf)
        return func(*args, engine=chosen, **kwargs)

    wrapper = click.option(
        "--spark-conf",
        multiple=True,
        metavar="KEY=VALUE",
        help="A Spark setting for --engine spark (repeatable), e.g. spark.executor.memory=8g.",
    )(wrapper)
    wrapper = click.option(
        "--spark-master",
        metavar="URL",
        help="Spark master for --engine spark: local[N], spark://HOST:PORT, yarn... "
        "[default: local[*]]",
    )(wrapper)
    wrapper = click.option(
        "--engine",
        type=click.Choice(["local", "spark"]),
        default="local",
        show_default=True,
        help="Run on this machine, or on Apache Spark from the map's tables "
        "(pip install 'ecograph[spark]').",
    )(wrapper)
    return wrapper  # type: ignore[return-value]


def load_map(path: str, *, strict: bool = False) -> Ecosystem:
    """Load a map for a command; its errors end the command with exit code 1.

    Warnings are summarised on standard error in one line.
    """
    blame(path)
    eco = load(path, strict=strict, allow_outside=allow_outside_requested(), cache=_use_cache[0])
    if eco.warnings:
        n = len(eco.warnings)
        click.echo(
            one_line(f"{path}: {n} warning{'s' if n != 1 else ''} (see 'ecograph check {path}')"),
            err=True,
        )
    return eco


def emit(result: Any, fmt: str, *, key_name: str = "node", sort_by: str | None = None) -> None:
    """Print a result in the chosen format to standard output."""
    if fmt == "json":
        click.echo(to_json(result))
    elif fmt == "csv":
        click.echo(to_csv(result, key_name=key_name), nl=False)
    else:
        click.echo(to_table(result, key_name=key_name, sort_by=sort_by))


# -- check and schema ----------------------------------------------------------------


@cli.command()
@click.argument("maps", metavar="MAP...", nargs=-1, required=True)
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1).")
@click.option(
    "--tolerance",
    type=FiniteFloatRange(min=0),
    default=DEFAULT_TOLERANCE,
    show_default=True,
    help="Relative tolerance of the flow-balance warning.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table: problems on stderr, summaries on stdout; json: one document on stdout.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print problems only, no summaries.")
@allow_outside_option
@cache_option
@engine_options
def check(
    maps: tuple[str, ...], strict: bool, tolerance: float, fmt: str, quiet: bool, engine: Engine
) -> None:
    """Validate maps (globs allowed) and summarise each valid one.

    Every error and warning is one line: file:line:column: path: message.
    Exit code 0 when every map is valid, 1 when one is not (or has warnings
    with --strict).

    With --engine spark, the tables of each map are read and checked by Spark
    (problems located at file: row N, column C; the flow-balance warnings are not
    computed there).

    Example: ecograph check ecosystems/*.yaml
    """
    if engine.spark:
        _check_on_spark(maps, fmt, quiet, engine)
        return
    try:
        results = check_maps(
            list(maps),
            strict=strict,
            tolerance=tolerance,
            allow_outside=allow_outside_requested(),
            cache=_use_cache[0],
        )
    except UsageError as exc:  # a glob that matches nothing
        raise click.UsageError(str(exc)) from None
    if fmt == "json":
        click.echo(to_json([r.to_dict() for r in results]))
    else:
        errors = warnings = 0
        for result in results:
            for diagnostic in result.diagnostics:
                click.echo(str(diagnostic), err=True)
                errors += diagnostic.severity == "error"
                warnings += diagnostic.severity == "warning"
            if result.summary is not None and not quiet:
                click.echo(_summary_text(result.file, result.summary))
        if len(results) > 1 or errors or warnings:
            bad = sum(not r.ok for r in results)
            click.echo(
                f"{len(results)} map{'s' if len(results) != 1 else ''} checked: "
                f"{bad} invalid, {errors} error{'s' if errors != 1 else ''}, "
                f"{warnings} warning{'s' if warnings != 1 else ''}",
                err=True,
            )
    if not all(r.ok for r in results):
        raise SystemExit(ExitCode.INVALID)


def _check_on_spark(maps: tuple[str, ...], fmt: str, quiet: bool, engine: Engine) -> None:
    from ecograph import spark

    documents, errors = [], 0
    for path in maps:
        try:
            sm = engine.load(path)
        except MapError as exc:
            errors += len(exc.diagnostics)
            documents.append(
                {
                    "file": path,
                    "ok": False,
                    "diagnostics": [d.to_dict() for d in exc.diagnostics],
                    "summary": None,
                }
            )
            if fmt == "table":
                for diagnostic in exc.diagnostics:
                    click.echo(str(diagnostic), err=True)
            continue
        s = spark.summary(sm)
        documents.append({"file": path, "ok": True, "diagnostics": [], "summary": s})
        if fmt == "table" and not quiet:
            click.echo(_summary_text(path, s))
    bad = sum(not d["ok"] for d in documents)
    if fmt == "json":
        click.echo(to_json(documents))
    elif len(maps) > 1 or errors:
        click.echo(
            f"{len(maps)} map{'s' if len(maps) != 1 else ''} checked: {bad} invalid, "
            f"{errors} error{'s' if errors != 1 else ''}, 0 warnings",
            err=True,
        )
    if bad:
        raise SystemExit(ExitCode.INVALID)


def _counts(mapping: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in mapping.items()) or "none"


def _summary_text(file: str, s: dict[str, Any]) -> str:
    n_nodes = sum(s["nodes"].values())
    n_pipes = sum(s["pipes"].values())
    blocked = f" ({s['blocked_pipes']} blocked)" if s["blocked_pipes"] else ""
    volume = ", ".join(f"{k} {format_number(v)}" for k, v in s["volume"].items()) or "none"
    lines = [
        one_line(f"{file}: valid — {s['title']} (per {s['period']})"),
        f"  nodes   {n_nodes:,}: {_counts(s['nodes'])}",
        f"  pipes   {n_pipes:,}: {_counts(s['pipes'])}{blocked}",
        f"  nesting depth {s['depth']}",
        f"  volume  {volume} per {s['period']}",
    ]
    if len(s["files"]) > 1:
        lines.append(one_line(f"  files   {', '.join(s['files'])}"))
    return "\n".join(lines)


@cli.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the schema to this file instead of standard output.",
)
def schema(output: str | None) -> None:
    """Print the JSON Schema of the map format (for editors and other tools).

    Point your editor's YAML language server at it with a first line
    '# yaml-language-server: $schema=PATH' in each map.

    Example: ecograph schema -o ecograph.schema.json
    """
    text = json.dumps(map_schema(), ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        from ecograph._io import write_atomic

        write_atomic(output, text.encode("utf-8"))


# -- the exit-code policy ----------------------------------------------------------------


_python_showwarning = warnings.showwarning


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """ecograph's own warnings as one line on standard error; others as Python shows them."""
    if issubclass(category, EcographWarning):
        where = f"{_current_map[0]}: " if _current_map else "ecograph: "
        click.echo(one_line(f"{where}warning: {message}"), err=True)
    else:
        _python_showwarning(message, category, filename, lineno, file, line)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code (see :class:`ExitCode`).

    Examples
    --------
    >>> main(["--version"])
    ecograph, version 0.1.0
    0
    """
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            cli.main(
                args=list(argv) if argv is not None else None,
                prog_name="ecograph",
                standalone_mode=False,
            )
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        vars(exc)["message"] = one_line(exc.message)  # typed Final by click; ours to escape
        exc.show()
        return int(ExitCode.USAGE)
    except click.exceptions.Abort:
        click.echo("ecograph: interrupted", err=True)
        return int(ExitCode.INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("ecograph: interrupted", err=True)
        return int(ExitCode.INTERRUPTED)
    except MapError as exc:
        for diagnostic in exc.diagnostics:
            click.echo(str(diagnostic), err=True)
        return int(ExitCode.INVALID)
    except UsageError as exc:
        where = f"{_current_map[0]}: " if _current_map else "ecograph: "
        click.echo(one_line(f"{where}error: {exc}"), err=True)
        return int(ExitCode.INVALID)
    except EcographError as exc:
        click.echo(one_line(f"ecograph: error: {exc}"), err=True)
        return int(ExitCode.INVALID)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else int(ExitCode.INVALID)
    except BrokenPipeError:
        # the reader went away (ecograph ... | head): not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return int(ExitCode.OK)
    except Exception as exc:  # the one place a bug is turned into a message
        if os.environ.get("ECOGRAPH_DEBUG"):
            traceback.print_exc()
        click.echo(
            one_line(f"ecograph: internal error: {type(exc).__name__}: {exc}") + "\n"
            "This is a bug in ecograph, not in your map. Please report it with the command "
            "you ran and the map (set ECOGRAPH_DEBUG=1 to see the traceback).",
            err=True,
        )
        return int(ExitCode.INTERNAL)
    finally:
        _current_map.clear()
        _allow_outside.clear()
        _use_cache[:] = [True]
    return int(ExitCode.OK)
