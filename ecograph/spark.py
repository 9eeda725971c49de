"""The Spark engine: the same analyses, past one machine, on Apache Spark DataFrames.

A platform's own map at the merchant level (tens of millions of partners, billions of
pipes) does not fit one machine. This module runs ecograph's analyses on an existing
distributed engine, Spark, from the same node and pipe tables a map names under
``tables:`` (CSV or Parquet, on local disk, HDFS or S3), with plain DataFrame joins
and aggregations (no home-made parallel code, no jar beyond Spark's own).

What stays distributed and what is collected
--------------------------------------------
The pipes (the large side) are never collected: every per-node sum, every iteration
(hop counts, traced traffic, PageRank) is a join or a group-by over them. A per-node
vector (one number per node) is collected to the driver when the result lists every
node, as the one-machine engine's output does; so the driver needs memory for the
nodes, not for the pipes.

Which analyses
--------------
``check`` (duplicate ids, unknown references, numbers out of range, unknown kinds and
currencies, parent cycles), node sums, ``longtail``, the economics ``value`` sheet,
``flow`` (throughflow, TST, APL, boundary/direct/indirect indices; the cycling index
from the pipes on cycles, collected when at most :data:`CYCLE_LIMIT` of them, else
reported as unavailable), ``reach`` (hop counts by iterative joins; traced traffic by
Jacobi iteration to :data:`TOLERANCE`), ``centrality`` (PageRank by power iteration as
the one-machine engine does it, degree, in- and out-degree) and ``diagnose`` (the
statuses reachability decides: ``empty-pipe``, ``blocked-pipe``). Every figure equals
the one-machine engine's to 1e-6 relative (the tests compare them).

pyspark is imported here only, lazily: ``pip install 'ecograph[spark]'``.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import socket
import sys
import tempfile
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ecograph._suggest import did_you_mean
from ecograph.errors import Diagnostic, EcographError, MapError, UsageError
from ecograph.loader import MAX_NUMBER
from ecograph.model import CURRENCIES, NODE_KINDS, PERIODS, Ecosystem

__all__ = [
    "COMMANDS",
    "CYCLE_LIMIT",
    "METRICS",
    "TOLERANCE",
    "NodeSums",
    "SparkEngineError",
    "SparkMap",
    "centrality",
    "check",
    "diagnose",
    "flow",
    "from_ecosystem",
    "from_frames",
    "log_file",
    "longtail",
    "node_sums",
    "reach",
    "read_map",
    "session",
    "spark_errors",
    "summary",
    "value",
]

#: The CLI commands that take ``--engine spark``.
COMMANDS: tuple[str, ...] = (
    "check",
    "flow",
    "reach",
    "centrality",
    "longtail",
    "value",
    "diagnose",
)
#: Centrality metrics the Spark engine computes (the others need all-pairs paths or
#: eigen-solvers that do not distribute well; the command says so and exits 2).
METRICS: tuple[str, ...] = ("pagerank", "degree", "in-degree", "out-degree")
#: Stopping rule of the iterations (traced traffic, PageRank): the L1 change of the
#: vector, relative to its size.
TOLERANCE = 1e-10
#: The most pipes on cycles ``flow`` collects to compute the cycling index exactly.
CYCLE_LIMIT = 200_000
#: The most rounds of an iteration before it gives up (and says so).
MAX_ROUNDS = 10_000
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_NODE_NUMBERS = ("users", "price")
_PIPE_NUMBERS = ("volume", "capacity", "conversion", "cost")


class SparkEngineError(EcographError):
    """Spark could not do what was asked; the message names Spark's log file."""


# -- the session ---------------------------------------------------------------------------


def log_file() -> Path:
    """Where Spark's own log (and any Java stack trace) goes: ``$ECOGRAPH_SPARK_LOG``, else
    ``ecograph-spark.log`` in the temporary directory.

    Examples
    --------
    >>> log_file().name
    'ecograph-spark.log'
    """
    given = os.environ.get("ECOGRAPH_SPARK_LOG")
    return Path(given) if given else Path(tempfile.gettempdir()) / "ecograph-spark.log"


_LOG4J = """\
rootLogger.level = warn
rootLogger.appenderRef.file.ref = file
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log}
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = %d{{yy/MM/dd HH:mm:ss}} %p %c{{1}}: %m%n
"""


@contextlib.contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """Send this process's file descriptor 2 (and so the JVM it starts) to ``path``."""
    sys.stderr.flush()
    saved = os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.dup2(fd, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(fd)


def _master_answers(master: str) -> bool:
    """A ``spark://host:port[,host:port]`` master accepts a connection (others: True)."""
    if not master.startswith("spark://"):
        return True
    for part in master[len("spark://") :].split(","):
        host, _, port = part.rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=5):
                return True
        except (OSError, ValueError):
            continue
    return False


def session(master: str = "local[*]", conf: Mapping[str, str] | None = None) -> Any:
    """The Spark session the engine runs on (the active one when there is one).

    Spark's own log and the JVM's output go to :func:`log_file`, never to the
    terminal.

    Parameters
    ----------
    master : str, default "local[*]"
        The master URL: ``local[N]``, ``spark://host:port``, ``yarn``, ``k8s://...``.
    conf : mapping, optional
        Spark settings (``spark.executor.memory`` ...), applied over the engine's
        defaults (no web UI; 8 shuffle partitions in local mode).

    Returns
    -------
    pyspark.sql.SparkSession

    Raises
    ------
    UsageError
        pyspark is not installed.
    SparkEngineError
        The master does not answer, or Spark fails to start.

    Examples
    --------
    >>> spark = session("local[1]")
    >>> spark.range(3).count()
    3
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UsageError("the Spark engine needs pyspark: pip install 'ecograph[spark]'") from None
    _python_logs_to(log_file())
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if not _master_answers(master):
        raise SparkEngineError(f"the Spark master {master} does not answer")
    log = log_file()
    log.parent.mkdir(parents=True, exist_ok=True)
    props = log.with_name(log.name + ".log4j2.properties")
    props.write_text(_LOG4J.format(log=str(log)), encoding="utf-8")
    options = f"-Dlog4j2.configurationFile=file:{props}"
    before = os.environ.get("PYSPARK_SUBMIT_ARGS")
    os.environ["PYSPARK_SUBMIT_ARGS"] = f'--driver-java-options "{options}" pyspark-shell'
    builder = (
        SparkSession.builder.master(master)
        .appName("ecograph")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.executor.extraJavaOptions", options)
        .config("spark.sql.session.timeZone", "UTC")
    )
    if master.startswith("local"):
        builder = builder.config("spark.sql.shuffle.partitions", "8")
    for key, val in (conf or {}).items():
        builder = builder.config(key, val)
    try:
        with _stderr_to(log), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return builder.getOrCreate()
    except Exception as exc:  # py4j and pyspark raise many kinds; one line, log named
        raise SparkEngineError(_one_line(exc)) from None
    finally:
        if before is None:
            os.environ.pop("PYSPARK_SUBMIT_ARGS", None)
        else:
            os.environ["PYSPARK_SUBMIT_ARGS"] = before


def _python_logs_to(path: Path) -> None:
    """PySpark's own Python loggers write to the log file, not the terminal."""
    import logging

    for name in ("DataFrameQueryContextLogger", "py4j", "pyspark"):
        logger = logging.getLogger(name)
        if not any(getattr(h, "baseFilename", None) == str(path) for h in logger.handlers):
            path.parent.mkdir(parents=True, exist_ok=True)
            logger.addHandler(logging.FileHandler(path, encoding="utf-8"))
        logger.propagate = False


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = next((t.strip() for t in text if t.strip()), type(exc).__name__)
    return f"Spark failed: {first[:300]} (Spark's log: {log_file()})"


@contextlib.contextmanager
def spark_errors() -> Iterator[None]:
    """Turn a Spark or Java failure inside the block into one :class:`SparkEngineError`.

    Examples
    --------
    >>> with spark_errors():
    ...     1 + 1
    2
    """
    try:
        yield
    except EcographError:
        raise
    except Exception as exc:
        module = type(exc).__module__ or ""
        if module.startswith(("pyspark", "py4j")):
            raise SparkEngineError(_one_line(exc)) from None
        raise


# -- the map as two DataFrames ----------------------------------------------------------------


@dataclass(frozen=True)
class SparkMap:
    """A map as two Spark DataFrames, in the compiled map's column names.

    Attributes
    ----------
    nodes : pyspark.sql.DataFrame
        ``order`` (map order, from 0), ``id``, ``kind``, ``label``, ``parent``,
        ``users``, ``inflow_<currency>``, ``outflow_<currency>``, ``price``,
        ``owner``, ``domain``, and where the row was written (``file``, ``row``).
    pipes : pyspark.sql.DataFrame
        ``order``, ``key``, ``from``, ``to``, ``kind`` (the currency), ``volume``
        (null: not given), ``capacity`` (null: unbounded), ``cost``,
        ``conversion``, ``status``, ``paid_by``, ``file``, ``row``.
    name, title, period : str
        The map's own fields.
    """

    nodes: Any
    pipes: Any
    name: str
    title: str = ""
    period: str = "month"
    files: tuple[str, ...] = ()

    @property
    def spark(self) -> Any:
        """The session the DataFrames belong to."""
        return self.nodes.sparkSession


def from_ecosystem(spark: Any, eco: Ecosystem) -> SparkMap:
    """A loaded (small) map as Spark DataFrames: for tests and for YAML maps.

    Examples
    --------
    >>> import ecograph
    >>> eco = ecograph.loads("ecograph: 1\\nname: m\\nnodes: {a: {kind: pool}}")
    >>> from_ecosystem(session(), eco).nodes.count()
    1
    """
    from pyspark.sql import types as T

    from ecograph.compiled import compiled

    nodes_t, pipes_t = compiled(eco).to_arrow()
    node_cols = ["id", "kind", "label", "parent", "users"]
    node_cols += [f"{s}_{c}" for c in CURRENCIES for s in ("inflow", "outflow")]
    node_cols += ["price", "owner", "domain"]
    pipe_cols = ["key", "from", "to", "kind", "volume", "capacity", "cost", "conversion"]
    pipe_cols += ["status", "paid_by"]

    def rows(table: Any, cols: list[str], where: Sequence[Any]) -> list[tuple[Any, ...]]:
        data = [table.column(c).to_pylist() for c in cols]
        out = []
        for i in range(table.num_rows):
            values = [_plain(d[i]) for d in data]
            out.append((i, *values, where[i][0], where[i][1], 0))
        return out

    def schema(cols: list[str], numbers: set[str]) -> Any:
        fields = [T.StructField("order", T.LongType(), False)]
        for c in cols:
            kind = T.DoubleType() if c in numbers else T.StringType()
            fields.append(T.StructField(c, kind, True))
        fields += [
            T.StructField("file", T.StringType(), True),
            T.StructField("row", T.LongType(), True),
            T.StructField("_file_no", T.LongType(), False),
        ]
        return T.StructType(fields)

    node_where = [(n.location.file, n.location.line) for n in eco.nodes.values()]
    pipe_where = [(p.location.file, p.location.line) for p in eco.pipes]
    node_numbers = {"users", "price", *(c for c in node_cols if "flow_" in c)}
    pipe_numbers = {"volume", "capacity", "cost", "conversion"}
    with spark_errors():
        nodes = spark.createDataFrame(
            rows(nodes_t, node_cols, node_where), schema(node_cols, node_numbers)
        )
        pipes = spark.createDataFrame(
            rows(pipes_t, pipe_cols, pipe_where), schema(pipe_cols, pipe_numbers)
        )
    return SparkMap(
        nodes.persist(), pipes.persist(), eco.name, eco.title, eco.period, tuple(eco.files)
    )


def _typed(sm: SparkMap) -> SparkMap:
    """Numbers as doubles and the map order of the nodes, once the tables are valid."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    nodes = sm.nodes
    for c in ("users", "price", *(f"{s}_{c}" for c in CURRENCIES for s in ("inflow", "outflow"))):
        nodes = nodes.withColumn(c, F.col(c).try_cast("double"))
    nodes = nodes.withColumn("order", F.row_number().over(Window.orderBy("_file_no", "row")) - 1)
    pipes = sm.pipes
    for c in _PIPE_NUMBERS:
        pipes = pipes.withColumn(c, F.col(c).try_cast("double"))
    return SparkMap(nodes.persist(), pipes.persist(), sm.name, sm.title, sm.period, sm.files)


def _plain(x: Any) -> Any:
    if isinstance(x, float) and math.isnan(x):
        return None
    return x


def _table_paths(
    data: Mapping[str, Any], base: Path, shown: str, allow_outside: bool
) -> dict[str, list[str]]:
    from ecograph.validate import inside, real_path

    named = data.get("tables")
    out: dict[str, list[str]] = {"nodes": [], "pipes": []}
    problems: list[Diagnostic] = []
    for part in ("nodes", "pipes"):
        items = named.get(part) if isinstance(named, Mapping) else None
        for i, item in enumerate(items if isinstance(items, list) else []):
            where = f"tables.{part}[{i}]"
            if not isinstance(item, str) or not item:
                problems.append(Diagnostic("error", shown, 0, 0, where, "must be a path"))
                continue
            if _URI.match(item):
                out[part].append(item)
                continue
            target = Path(os.path.normpath(base / item))
            if not target.exists():
                problems.append(
                    Diagnostic("error", shown, 0, 0, where, f"table file {item!r} does not exist")
                )
                continue
            if not allow_outside and not inside(real_path(target), real_path(base)):
                problems.append(
                    Diagnostic(
                        "error",
                        shown,
                        0,
                        0,
                        where,
                        f"table file {item!r} lies outside the map's folder; "
                        "pass --allow-outside to read it",
                    )
                )
                continue
            out[part].append(str(target))
    if problems:
        raise MapError(problems)
    return out


def read_map(spark: Any, path: str, *, allow_outside: bool = False) -> SparkMap:
    """Read a map for the Spark engine.

    A map whose nodes and pipes are in tables (``tables:``) is read by Spark
    itself, table by table, and checked there (:func:`check`); table paths may be
    relative to the map, or URIs Spark reads (``hdfs://``, ``s3a://``, ``file://``).
    A map written in YAML is loaded and checked on this machine and handed to Spark
    (:func:`from_ecosystem`). A map with both is refused: the engine reads one or the
    other.

    Raises
    ------
    MapError
        The map or a table has errors (all of them, located).
    UsageError
        YAML nodes or pipes beside tables, or ``include``.
    """
    import ecograph
    from ecograph.validate import parse_file

    shown = path
    doc = parse_file(path, shown)
    data = doc.data
    if not isinstance(data, Mapping) or "tables" not in data:
        return from_ecosystem(spark, ecograph.load(path, allow_outside=allow_outside))
    inline = [k for k in ("nodes", "pipes", "include") if data.get(k)]
    if inline:
        raise UsageError(
            f"{path}: the Spark engine reads a map's nodes and pipes from its tables or from "
            f"YAML, not both; move the YAML {' and '.join(inline)} into the tables"
        )
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise MapError([Diagnostic("error", shown, 0, 0, "name", "the map needs a name")])
    period = data.get("period", "month")
    if period not in PERIODS:
        raise MapError(
            [
                Diagnostic(
                    "error",
                    shown,
                    0,
                    0,
                    "period",
                    f"unknown period {period!r}{did_you_mean(str(period), PERIODS)}",
                )
            ]
        )
    paths = _table_paths(data, Path(path).resolve().parent, shown, allow_outside)
    base = Path(path).resolve().parent
    raw_nodes = [_read_table(spark, p, _shown(p, base)) for p in paths["nodes"]]
    raw_pipes = [_read_table(spark, p, _shown(p, base)) for p in paths["pipes"]]
    title = data.get("title")
    return from_frames(
        spark,
        raw_nodes,
        raw_pipes,
        name=name,
        title=title if isinstance(title, str) and title else name,
        period=str(period),
        files=(path, *(_shown(p, base) for p in (*paths["nodes"], *paths["pipes"]))),
    )


def _shown(path: str, base: Path) -> str:
    if _URI.match(path):
        return path
    try:
        return os.path.relpath(path)
    except ValueError:
        return path


def _read_table(spark: Any, path: str, shown: str) -> tuple[Any, str]:
    """One table as a DataFrame of text or typed columns, with its row numbers."""
    suffix = Path(path.split("?")[0]).suffix.lower()
    with spark_errors():
        if suffix in (".parquet", ".pq"):
            from pyspark.sql import functions as F

            # Parquet knows each row's place in its file
            raw = spark.read.parquet(path)
            return raw.select("*", F.col("_metadata.row_index").alias("__row")), shown
        elif suffix in (".csv", ".tsv"):
            df = (
                spark.read.option("header", True)
                .option("multiLine", True)
                .option("escape", '"')
                .option("sep", "\t" if suffix == ".tsv" else ",")
                .option("encoding", "UTF-8")
                .csv(path)
            )
        else:
            raise MapError(
                [Diagnostic("error", shown, 0, 0, "", "a table must end in .csv or .parquet")]
            )
        return _numbered(df), shown


def _numbered(df: Any) -> Any:
    """``df`` with ``__row``: its position in the file from 0 (an order-keeping
    zipWithIndex in DataFrame terms: per-partition counts, then offsets; a CSV read
    with ``multiLine`` is one partition per file, in file order)."""
    from pyspark.sql import functions as F

    df = df.withColumn("_mid", F.monotonically_increasing_id())
    df = df.withColumn("_part", F.shiftright("_mid", 33)).persist()
    counts = sorted((r["_part"], r["count"]) for r in df.groupBy("_part").count().collect())
    offsets, total = [], 0
    for part, count in counts:
        offsets.append((part, total))
        total += count
    spark = df.sparkSession
    table = spark.createDataFrame(offsets or [(0, 0)], "_part long, _offset long")
    low = (1 << 33) - 1
    out = df.join(F.broadcast(table), "_part").withColumn(
        "__row", F.col("_offset") + F.expr(f"_mid & {low}")
    )
    return out.drop("_mid", "_part", "_offset")


def from_frames(
    spark: Any,
    nodes: Sequence[Any],
    pipes: Sequence[Any],
    *,
    name: str = "map",
    title: str = "",
    period: str = "month",
    files: Sequence[str] = (),
) -> SparkMap:
    """Check node and pipe tables on Spark and give the map they make.

    Parameters
    ----------
    spark : SparkSession
    nodes, pipes : sequence
        Each item a Parquet or CSV path, a Spark DataFrame (named by its position),
        or a ``(DataFrame with a `__row` column, file name)`` pair. The columns are those
        of ``ecograph export --format csv``: ``id, kind`` and ``from, to`` required.

    Raises
    ------
    MapError
        Every problem found (the first :data:`~ecograph.tablemap.LIMIT`, then a count),
        each at ``file: row N, column C``.
    """

    def frames(items: Sequence[Any], part: str) -> list[tuple[Any, str]]:
        out = []
        for i, item in enumerate(items):
            if isinstance(item, tuple):
                out.append(item)
            elif isinstance(item, str | os.PathLike):
                out.append(_read_table(spark, str(item), str(item)))
            else:
                out.append((_numbered(item), f"<{part} frame {i + 1}>"))
        return out

    with spark_errors():
        node_frames = frames(nodes, "nodes")
        pipe_frames = frames(pipes, "pipes")
        problems: list[Diagnostic] = []
        node_df = _normalise(node_frames, "nodes", problems)
        pipe_df = _normalise(pipe_frames, "pipes", problems)
        if problems:
            raise MapError(problems)
        raw = SparkMap(
            node_df.persist(), _keys(pipe_df).persist(), name, title, period, tuple(files)
        )
        found = check(raw)
        if found:
            raise MapError(found)
        return _typed(raw)


def _normalise(frames: list[tuple[Any, str]], part: str, problems: list[Diagnostic]) -> Any:
    """Union the tables of one part in the compiled column names; typed numbers."""
    from functools import reduce

    from pyspark.sql import functions as F

    from ecograph.tablemap import NODE_COLUMNS, PIPE_COLUMNS

    flows = [f"{s}.{c}" for c in CURRENCIES for s in ("inflow", "outflow")]
    known = set(NODE_COLUMNS if part == "nodes" else PIPE_COLUMNS)
    if part == "nodes":
        known |= {*flows, "inflow", "outflow"}
    required = ("id", "kind") if part == "nodes" else ("from", "to")
    out = []
    for file_no, (df, shown) in enumerate(frames):
        cols = [c for c in df.columns if c != "__row"]
        bad = [c for c in cols if c not in known and not c.startswith("attrs.")]
        for c in bad:
            problems.append(
                Diagnostic(
                    "error",
                    f"{shown}: column {c}",
                    0,
                    0,
                    "",
                    f"unknown column {c!r}{did_you_mean(c, sorted(known))}",
                )
            )
        missing = [c for c in required if c not in cols]
        if missing:
            problems.append(
                Diagnostic(
                    "error",
                    shown,
                    0,
                    0,
                    "",
                    f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
                )
            )
        if bad or missing:
            continue

        def text(c: str, df: Any = df, cols: list[str] = cols) -> Any:
            if c not in cols:
                return F.lit(None).cast("string")
            value = F.trim(F.col(f"`{c}`").cast("string"))
            return F.when(value == "", None).otherwise(value)

        def number(c: str, df: Any = df, cols: list[str] = cols) -> Any:
            if c not in cols:
                return F.lit(None).cast("string")
            return F.col(f"`{c}`").cast("string")

        if part == "nodes":
            canonical = {"inflow": "inflow.traffic", "outflow": "outflow.traffic"}
            present = {canonical.get(c, c): c for c in cols}
            select = [
                text("id").alias("id"),
                text("kind").alias("kind"),
                text("label").alias("label"),
                text("parent").alias("parent"),
                number("users").alias("users"),
            ]
            for c in CURRENCIES:
                for s in ("inflow", "outflow"):
                    given = present.get(f"{s}.{c}")
                    select.append(
                        number(given).alias(f"{s}_{c}")
                        if given
                        else F.lit(None).cast("string").alias(f"{s}_{c}")
                    )
            select += [
                number("price").alias("price"),
                text("owner").alias("owner"),
                text("domain").alias("domain"),
            ]
        else:
            select = [
                text("id").alias("id"),
                text("from").alias("from"),
                text("to").alias("to"),
                F.coalesce(text("kind"), F.lit("traffic")).alias("kind"),
                number("volume").alias("volume"),
                number("capacity").alias("capacity"),
                number("cost").alias("cost"),
                number("conversion").alias("conversion"),
                F.coalesce(text("status"), F.lit("open")).alias("status"),
                F.coalesce(text("paid_by"), F.lit("to")).alias("paid_by"),
            ]
        select += [
            F.lit(shown).alias("file"),
            F.lit(file_no).alias("_file_no"),
            F.col("__row").alias("row"),
        ]
        out.append(df.select(*select))
    if not out:
        return None
    return reduce(lambda a, b: a.unionByName(b), out)


def _keys(pipes: Any) -> Any:
    """Pipe keys as :func:`ecograph.model.pipe_key` makes them: the ``id``, else
    ``from->to:kind`` with ``#2``, ``#3``... for repeats in table order."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    base = F.concat_ws("", F.col("from"), F.lit("->"), F.col("to"), F.lit(":"), F.col("kind"))
    w = Window.partitionBy("from", "to", "kind", F.col("id").isNull()).orderBy("_file_no", "row")
    nth = F.row_number().over(w)
    key = F.when(F.col("id").isNotNull(), F.col("id")).otherwise(
        F.when(nth == 1, base).otherwise(F.concat(base, F.lit("#"), nth.cast("string")))
    )
    order = Window.orderBy("_file_no", "row")
    return pipes.withColumn("key", key).withColumn("order", F.row_number().over(order) - 1)


# -- check ------------------------------------------------------------------------------------


def check(sm: SparkMap, *, limit: int = 100) -> list[Diagnostic]:
    """Every problem of a map read by Spark, located ``file: row N, column C``.

    Checks: numbers (text that is no number, NaN, infinite, negative, beyond
    1e300, conversions outside [0, 1]), empty and duplicate ids, unknown node kinds,
    currencies and statuses, pipes and parents naming unknown nodes, parent cycles.
    The row checks of a table are one pass (each row yields its problems), the
    duplicates a window, the references anti-joins; all of them one query.

    Returns
    -------
    list of Diagnostic
        The first ``limit`` problems in file and row order, then a count of the rest.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    nodes, pipes = sm.nodes, sm.pipes
    node_path = F.concat(F.lit("nodes."), F.coalesce(F.col("id"), F.lit("?")))
    pipe_path = F.concat(F.lit("pipes["), F.col("row").cast("string"), F.lit("]"))
    Rule = tuple[Any, str, Any, Any]  # condition, column, path, message

    def rows(df: Any, rules: list[Rule]) -> Any:
        found = F.array(
            *(
                F.when(cond, F.struct(F.lit(c).alias("c"), p.alias("p"), m.alias("m")))
                for cond, c, p, m in rules
            )
        )
        return df.select(
            "file",
            "row",
            "_file_no",
            F.explode(F.filter(found, lambda x: x.isNotNull())).alias("x"),
        ).select("file", "row", "_file_no", "x.c", "x.p", "x.m")

    def numbers(path: Any, cols: list[str]) -> list[Rule]:
        out: list[Rule] = []
        for c in cols:
            raw = F.col(c).cast("string")
            x = F.col(c).try_cast("double")
            shown = c.replace("_", ".") if "flow_" in c else c
            p = F.concat(path, F.lit(f".{shown}"))
            out += [
                (
                    raw.isNotNull() & x.isNull(),
                    shown,
                    p,
                    F.concat(F.lit("expected a number, found text '"), raw, F.lit("'")),
                ),
                (
                    F.isnan(x) | (F.abs(x) == float("inf")),
                    shown,
                    p,
                    F.concat(F.lit("must be a finite number, found "), raw),
                ),
                (x < 0, shown, p, F.concat(F.lit("must be 0 or more, found "), raw)),
                (x > MAX_NUMBER, shown, p, F.concat(F.lit("must be at most 1e300, found "), raw)),
            ]
            if c == "conversion":
                out.append(
                    (x > 1, shown, p, F.concat(F.lit("must be between 0 and 1, found "), raw))
                )
        return out

    def enum(column: str, path: Any, options: Sequence[str], noun: str) -> Rule:
        listed = ", ".join(options)
        return (
            F.col(column).isNotNull() & ~F.col(column).isin(*options),
            column,
            F.concat(path, F.lit(f".{column}")),
            F.concat(
                F.lit(f"unknown {noun} '"), F.col(column), F.lit(f"'; expected one of {listed}")
            ),
        )

    flows = [f"{s}_{c}" for c in CURRENCIES for s in ("inflow", "outflow")]
    node_rules: list[Rule] = [
        (F.col("id").isNull(), "id", node_path, F.lit("a node needs an id")),
        (F.col("kind").isNull(), "kind", node_path, F.lit("a node needs a kind")),
        (
            F.col("id").rlike(r"\s"),
            "id",
            node_path,
            F.concat(F.lit("node id '"), F.col("id"), F.lit("' must not contain whitespace")),
        ),
        enum("kind", node_path, NODE_KINDS, "node kind"),
        enum("domain", node_path, ("public", "private"), "domain"),
        *numbers(node_path, ["users", "price", *flows]),
    ]
    pipe_rules: list[Rule] = [
        enum("kind", pipe_path, CURRENCIES, "currency"),
        enum("status", pipe_path, ("open", "blocked"), "status"),
        enum("paid_by", pipe_path, ("to", "from"), "paid_by"),
        *(
            (
                F.col(end).isNull(),
                end,
                F.concat(pipe_path, F.lit(f".{end}")),
                F.lit(f"a pipe needs '{end}'"),
            )
            for end in ("from", "to")
        ),
        *numbers(pipe_path, list(_PIPE_NUMBERS)),
    ]
    found = [rows(nodes, node_rules), rows(pipes, pipe_rules)]

    first = Window.partitionBy("id").orderBy("_file_no", "row")
    again = (
        nodes.where(F.col("id").isNotNull())
        .withColumn("_n", F.row_number().over(first))
        .withColumn("_first_file", F.first("file").over(first))
        .withColumn("_first_row", F.first("row").over(first))
        .where(F.col("_n") > 1)
    )
    found.append(
        again.select(
            "file",
            "row",
            "_file_no",
            F.lit("id").alias("c"),
            node_path.alias("p"),
            F.concat(
                F.lit("node '"),
                F.col("id"),
                F.lit("' is already defined at "),
                F.col("_first_file"),
                F.lit(": row "),
                (F.col("_first_row") + 1).cast("string"),
            ).alias("m"),
        )
    )
    used = Window.partitionBy("key").orderBy("_file_no", "row")
    found.append(
        pipes.withColumn("_n", F.row_number().over(used))
        .where(F.col("_n") > 1)
        .select(
            "file",
            "row",
            "_file_no",
            F.lit("id").alias("c"),
            F.concat(pipe_path, F.lit(".id")).alias("p"),
            F.concat(F.lit("pipe id '"), F.col("key"), F.lit("' is already used")).alias("m"),
        )
    )
    ids = nodes.select(F.col("id").alias("_known")).where(F.col("_known").isNotNull()).distinct()
    for df, column, path, noun in (
        (nodes, "parent", node_path, "parent node"),
        (nodes, "owner", node_path, "owner node"),
        (pipes, "from", pipe_path, "node"),
        (pipes, "to", pipe_path, "node"),
    ):
        dangling = df.where(F.col(column).isNotNull()).join(
            ids, F.col(column) == F.col("_known"), "left_anti"
        )
        found.append(
            dangling.select(
                "file",
                "row",
                "_file_no",
                F.lit(column).alias("c"),
                F.concat(path, F.lit(f".{column}")).alias("p"),
                F.concat(F.lit(f"unknown {noun} '"), F.col(column), F.lit("'")).alias("m"),
            )
        )
    every = found[0]
    for df in found[1:]:
        every = every.unionByName(df)
    shown = every.orderBy("_file_no", "row", "c").limit(limit + 1).collect()
    problems = [(r["_file_no"], r["file"], r["row"], r["c"], r["p"], r["m"]) for r in shown]
    total = every.count() if len(shown) > limit else len(shown)
    cycles = _parent_cycles(nodes)
    problems += cycles
    total += len(cycles)
    problems.sort(key=lambda p: (p[0], p[2]))
    out = [
        Diagnostic("error", f"{f}: row {r + 1}, column {c}", 0, 0, p, m)
        for _, f, r, c, p, m in problems[:limit]
    ]
    rest = total - len(out)
    if rest > 0:
        out.append(
            Diagnostic(
                "error",
                problems[0][1],
                0,
                0,
                "",
                f"... and {rest:,} more problem{'s' if rest != 1 else ''} in the tables",
            )
        )
    return out


def _parent_cycles(nodes: Any) -> list[tuple[int, str, int, str, str, str]]:
    """Nodes on a parent cycle: round r pairs each node with its r-th ancestor and drops
    the nodes whose chain has ended; a round that drops none means every node left has
    endless ancestry (a finite chain of depth d has a node at every depth below d).
    Those few are collected and their cycles named. Rounds: the nesting depth + 1."""
    from pyspark.sql import functions as F

    links = nodes.where(F.col("parent").isNotNull()).select(
        F.col("id").alias("node"), F.col("parent").alias("up")
    )
    edges = links.select(F.col("node").alias("_n"), F.col("up").alias("_up")).persist()
    current = links
    size = current.count()
    while size:
        step = current.join(edges, current["up"] == edges["_n"], "inner").select(
            "node", F.col("_up").alias("up")
        )
        step = step.localCheckpoint()
        now = step.count()
        if now == size:
            break
        current, size = step, now
    if not size:
        return []
    endless = {r["node"] for r in current.select("node").collect()}
    info = (
        nodes.where(F.col("id").isin(*endless))
        .select("id", "parent", "file", "row", "_file_no")
        .collect()
    )
    parent = {r["id"]: r["parent"] for r in info}
    where = {r["id"]: (r["_file_no"], r["row"], r["file"]) for r in info}
    out = []
    seen: set[str] = set()
    for start in sorted(endless, key=lambda n: where[n]):
        path, at = [], start
        while at not in path and at in parent:
            path.append(at)
            at = parent[at]
        if at not in path:
            continue
        loop = path[path.index(at) :]
        if loop[0] in seen:
            continue
        seen.update(loop)
        first = min(loop, key=lambda n: where[n])
        i = loop.index(first)
        loop = loop[i:] + loop[:i]
        names = [*loop, loop[0]]
        file_no, row, file = where[first]
        out.append(
            (
                file_no,
                file,
                row,
                "parent",
                f"nodes.{first}.parent",
                f"parent cycle: {' -> '.join(names)}",
            )
        )
    return out


# -- per-node sums -------------------------------------------------------------------------------


def _check_currency(currency: str) -> None:
    if currency not in CURRENCIES:
        raise UsageError(f"unknown currency {currency!r}{did_you_mean(currency, CURRENCIES)}")


def _live(sm: SparkMap, currency: str) -> Any:
    """The open pipes of one currency: ``from``, ``to``, ``volume`` (null: not given)."""
    from pyspark.sql import functions as F

    return sm.pipes.where((F.col("kind") == currency) & (F.col("status") == "open")).select(
        "from", "to", "volume"
    )


@dataclass(frozen=True)
class NodeSums:
    """One currency's sums per node, in map order (collected: one number per node).

    Attributes
    ----------
    ids, kinds, labels, parents : tuple of str
    inflow, outflow : ndarray
        Declared boundary flows.
    pipe_in, pipe_out : ndarray
        Volume of open pipes arriving and leaving.
    imbalance : ndarray
        ``inflow + pipe_in - outflow - pipe_out``.
    """

    ids: tuple[str, ...]
    kinds: tuple[str, ...]
    labels: tuple[str, ...]
    parents: tuple[str | None, ...]
    inflow: Any
    outflow: Any
    pipe_in: Any
    pipe_out: Any

    @property
    def imbalance(self) -> Any:
        """``inflow + pipe_in - outflow - pipe_out`` per node."""
        return self.inflow + self.pipe_in - self.outflow - self.pipe_out

    @property
    def throughflow(self) -> Any:
        """``max(in, out)`` per node."""
        return np.maximum(self.inflow + self.pipe_in, self.outflow + self.pipe_out)


def node_sums(sm: SparkMap, currency: str = "traffic") -> NodeSums:
    """What each node declares, receives and sends of one currency: two group-bys over
    the pipes, one join with the nodes.

    Examples
    --------
    >>> import ecograph
    >>> eco = ecograph.loads('''
    ... ecograph: 1
    ... name: m
    ... nodes: {p: {kind: pool, inflow: 5}, a: {kind: partner, outflow: 5}}
    ... pipes: [{from: p, to: a, volume: 5}]
    ... ''')
    >>> s = node_sums(from_ecosystem(session(), eco))
    >>> s.pipe_in.tolist(), s.imbalance.tolist()
    ([0.0, 5.0], [0.0, 0.0])
    """
    from pyspark.sql import functions as F

    _check_currency(currency)
    with spark_errors():
        live = _live(sm, currency).where(F.col("volume").isNotNull())
        out = live.groupBy(F.col("from").alias("id")).agg(F.sum("volume").alias("_out"))
        into = live.groupBy(F.col("to").alias("id")).agg(F.sum("volume").alias("_in"))
        rows = (
            sm.nodes.select(
                "order",
                "id",
                "kind",
                "label",
                "parent",
                F.coalesce(F.col(f"inflow_{currency}"), F.lit(0.0)).alias("_inflow"),
                F.coalesce(F.col(f"outflow_{currency}"), F.lit(0.0)).alias("_outflow"),
            )
            .join(out, "id", "left")
            .join(into, "id", "left")
            .orderBy("order")
            .collect()
        )

    def numbers(name: str) -> Any:
        return np.array([r[name] or 0.0 for r in rows], dtype=np.float64)

    return NodeSums(
        ids=tuple(r["id"] for r in rows),
        kinds=tuple(r["kind"] for r in rows),
        labels=tuple(r["label"] or r["id"] for r in rows),
        parents=tuple(r["parent"] for r in rows),
        inflow=numbers("_inflow"),
        outflow=numbers("_outflow"),
        pipe_in=numbers("_in"),
        pipe_out=numbers("_out"),
    )


def _members(sums: NodeSums, group: str) -> set[str]:
    children: dict[str, list[str]] = {}
    for node, parent in zip(sums.ids, sums.parents, strict=True):
        if parent is not None:
            children.setdefault(parent, []).append(node)
    out: set[str] = set()
    stack = list(children.get(group, []))
    while stack:
        node = stack.pop()
        if node not in out:
            out.add(node)
            stack.extend(children.get(node, []))
    return out


def longtail(
    sm: SparkMap,
    *,
    group: str | None = None,
    currency: str = "traffic",
    kinds: Sequence[str] = ("partner", "producer"),
    top: int = 10,
) -> Any:
    """:func:`ecograph.longtail` on Spark: what each partner and producer received is
    summed by Spark; the figures follow from those sums as on one machine.

    Returns
    -------
    ecograph.analysis.longtail.LongTail
    """
    from ecograph.analysis.longtail import check_kinds, summarise

    kinds = check_kinds(kinds)
    if isinstance(top, bool) or not isinstance(top, int) or top < 0:
        raise UsageError(f"top must be a whole number >= 0, not {top!r}")
    sums = node_sums(sm, currency)
    wanted = set(kinds)
    if group is not None:
        if group not in sums.ids:
            raise UsageError(f"unknown node {group!r}{did_you_mean(group, sums.ids)}")
        inside = _members(sums, group)
    received = sums.inflow + sums.pipe_in
    got: dict[str, float] = {}
    labels: dict[str, str] = {}
    for i, node in enumerate(sums.ids):
        if sums.kinds[i] in wanted and (group is None or node in inside):
            got[node] = float(received[i])
            labels[node] = sums.labels[i]
    if not got:
        where = f" among the members of {group!r}" if group is not None else ""
        raise UsageError(
            f"no {' or '.join(kinds)} nodes{where} in map {sm.name!r}; "
            "choose other node kinds (--node-kind) or another group"
        )
    return summarise(
        got,
        labels=labels,
        currency=currency,
        kinds=tuple(kinds),
        group=group,
        top=top,
        period=sm.period,
        title=sm.title,
    )


# -- flow ----------------------------------------------------------------------------------------


def _core(sm: SparkMap, currency: str) -> Any:
    """The pipes with volume that lie on or between cycles: pipes whose start receives
    and whose end sends are kept, round after round, until none goes (a map without
    cycles keeps none)."""
    from pyspark.sql import functions as F

    edges = (
        _live(sm, currency)
        .where(F.col("volume") > 0)
        .groupBy("from", "to")
        .agg(F.sum("volume").alias("volume"))
        .persist()
    )
    size = edges.count()
    for _ in range(MAX_ROUNDS):
        if size == 0:
            break
        receives = edges.select(F.col("to").alias("from")).distinct()
        sends = edges.select(F.col("from").alias("to")).distinct()
        kept = edges.join(receives, "from", "left_semi").join(sends, "to", "left_semi")
        kept = kept.localCheckpoint()
        now = kept.count()
        edges, grown = kept, size - now
        size = now
        if grown == 0:
            break
    return edges, size


def _core_arrays(sm: SparkMap, currency: str, sums: NodeSums) -> Any:
    """The core's pipes collected as a small compiled layer whose throughflow equals the
    whole map's (what enters the core from elsewhere becomes boundary inflow), or None
    when there is no cycle; raises when the core exceeds :data:`CYCLE_LIMIT` pipes."""
    from ecograph.analysis._linalg import FlowArrays
    from ecograph.compiled import CURRENCY_CODE, from_columns

    edges, size = _core(sm, currency)
    if size == 0:
        return None
    if size > CYCLE_LIMIT:
        return size
    rows = edges.collect()
    names = sorted({r["from"] for r in rows} | {r["to"] for r in rows})
    at = {n: i for i, n in enumerate(names)}
    where = {n: i for i, n in enumerate(sums.ids)}
    src = np.array([at[r["from"]] for r in rows], dtype=np.int64)
    dst = np.array([at[r["to"]] for r in rows], dtype=np.int64)
    vol = np.array([r["volume"] for r in rows], dtype=np.float64)
    k = len(names)
    core_in = np.bincount(dst, weights=vol, minlength=k)
    core_out = np.bincount(src, weights=vol, minlength=k)
    T = sums.throughflow[[where[n] for n in names]]
    c = CURRENCY_CODE[currency]
    inflow = np.zeros((k, len(CURRENCIES)))
    outflow = np.zeros((k, len(CURRENCIES)))
    inflow[:, c] = np.maximum(T - core_in, 0.0)
    outflow[:, c] = np.maximum(T - core_out, 0.0)
    cm = from_columns(
        ids=tuple(names),
        kind=np.zeros(k, dtype=np.int8),
        keys=tuple(f"core{i}" for i in range(len(rows))),
        src=src,
        dst=dst,
        currency=np.full(len(rows), c, dtype=np.int8),
        volume=vol,
        inflow=inflow,
        outflow=outflow,
    )
    return FlowArrays(cm.layer(currency))


def flow(sm: SparkMap, *, currency: str = "traffic") -> Any:
    """:func:`ecograph.flow` on Spark.

    Throughflow, TST, APL and the boundary, direct and indirect flow indices follow
    from per-node sums (no solve). The cycling index needs the diagonal of the
    integral flow matrix on cycles: the pipes on or between cycles are found by
    joins and, when at most :data:`CYCLE_LIMIT`, collected and solved exactly per
    strongly connected component; otherwise (or when a component is too large for
    the exact inverse) the cycling index is None ("unavailable"), never sampled.

    Returns
    -------
    ecograph.analysis.flow.FlowAnalysis
    """
    from ecograph.analysis.flow import cycled_throughflow, indices

    sums = node_sums(sm, currency)
    with spark_errors():
        core = _core_arrays(sm, currency, sums)
    cycled: float | None
    closed = 0.0
    if core is None:
        cycled = 0.0
    elif isinstance(core, int):
        cycled = None
    else:
        value, _ = cycled_throughflow(core, samples=0)
        cycled = None if math.isnan(value) else value
        closed = float(core.throughflow[core.closed].sum())
    if (sums.pipe_in < 0).any() or (sums.inflow < 0).any():  # pragma: no cover - checked
        raise UsageError("negative volume")
    return indices(
        currency,
        sums.ids,
        inflow=sums.inflow,
        outflow=sums.outflow,
        pipe_in=sums.pipe_in,
        pipe_out=sums.pipe_out,
        cycled=cycled,
        closed_throughflow=closed,
    )


# -- reach ---------------------------------------------------------------------------------------


def _hops(sm: SparkMap, currency: str, source: str, limit: int | None) -> dict[str, int]:
    """Fewest open pipes from ``source`` to each node: one join per level."""
    edges = _live(sm, currency).select("from", "to").distinct().persist()
    start = sm.spark.createDataFrame([(source,)], "id string")
    return {r["id"]: r["hops"] for r in _search(start, edges, limit).collect()}


def _jacobi(
    sm: SparkMap, currency: str, source: str, start: float, T: dict[str, float], closed: set[str]
) -> tuple[dict[str, float], int]:
    """``x = start * e_s + P^T x`` with ``P[i, j] = F[i, j] / T_i`` (closed rows and
    columns dropped), iterated until the L1 change is below ``TOLERANCE * start``."""
    from pyspark.sql import functions as F

    spark = sm.spark
    scale = spark.createDataFrame(
        [(k, 1.0 / v) for k, v in T.items() if v > 0 and k not in closed] or [("", 0.0)],
        "from string, _inv double",
    )
    edges = (
        _live(sm, currency)
        .where(F.col("volume") > 0)
        .groupBy("from", "to")
        .agg(F.sum("volume").alias("volume"))
        .join(scale, "from")
        .select("from", "to", (F.col("volume") * F.col("_inv")).alias("p"))
    )
    if closed:
        edges = edges.where(~F.col("to").isin(*closed))
    edges = edges.persist()
    x = spark.createDataFrame([(source, start)], "id string, x double")
    for rounds in range(1, MAX_ROUNDS + 1):
        passed = (
            x.join(edges, x["id"] == edges["from"])
            .groupBy(F.col("to").alias("id"))
            .agg(F.sum(F.col("x") * F.col("p")).alias("x"))
        )
        seed = spark.createDataFrame([(source, start)], "id string, x double")
        new = passed.unionByName(seed).groupBy("id").agg(F.sum("x").alias("x")).localCheckpoint()
        change = (
            new.withColumnRenamed("x", "_new")
            .join(x.withColumnRenamed("x", "_old"), "id", "full_outer")
            .select(F.sum(F.abs(F.coalesce("_new", F.lit(0.0)) - F.coalesce("_old", F.lit(0.0)))))
            .first()[0]
        )
        x = new
        if change <= TOLERANCE * start:
            return {r["id"]: r["x"] for r in x.collect()}, rounds
    raise SparkEngineError(
        f"traced traffic did not converge in {MAX_ROUNDS} rounds (tolerance {TOLERANCE})"
    )


def reach(sm: SparkMap, source: str, *, currency: str = "traffic", hops: int | None = None) -> Any:
    """:func:`ecograph.reach` on Spark: hop counts by one join per level; the traffic
    of ``source`` arriving at each node by Jacobi iteration of ``x = T_s e_s + P^T x``
    (the same row of the Leontief inverse the one-machine engine solves for) until the
    L1 change is below :data:`TOLERANCE` of ``T_s`` (exact after as many rounds as
    the longest path on a map without cycles). Max-flow (``to``) is not offered.

    Returns
    -------
    ecograph.analysis.reach.Reach
    """
    from ecograph.analysis._linalg import tidy
    from ecograph.analysis.reach import Reach

    if hops is not None and hops < 0:
        raise UsageError(f"hops must be 0 or more, not {hops}")
    sums = node_sums(sm, currency)
    if source not in sums.ids:
        raise UsageError(f"unknown node {source!r}{did_you_mean(source, sums.ids)}")
    where = {n: i for i, n in enumerate(sums.ids)}
    s = where[source]
    T = sums.throughflow
    with spark_errors():
        hop_map = _hops(sm, currency, source, hops)
        order = sorted(hop_map, key=lambda n: (hop_map[n], where[n]))
        hop_map = {n: hop_map[n] for n in order}
        sent = float(sums.pipe_out[s])
        n = len(sums.ids)
        arrived = np.zeros(n)
        leaving = np.zeros(n)
        core = _core_arrays(sm, currency, sums) if sent > 0 else None
        if isinstance(core, int):
            raise SparkEngineError(
                f"{core:,} pipes lie on cycles, more than the engine collects ({CYCLE_LIMIT:,})"
            )
        closed = set()
        if core is not None:
            closed = {core.ids[i] for i in np.flatnonzero(core.closed)}
        if core is not None and sent > 0 and source in closed:
            labels = core.components
            mine = labels[core.index[source]]
            for i in np.flatnonzero(labels == mine):
                arrived[where[core.ids[i]]] = math.inf
        elif sent > 0:
            T_s = float(T[s])
            passing, _ = _jacobi(
                sm, currency, source, T_s, dict(zip(sums.ids, T.tolist(), strict=True)), closed
            )
            for node, value in passing.items():
                arrived[where[node]] = max(value, 0.0)
            arrived[s] = max(arrived[s] - T_s, 0.0)
            boundary_out = sums.outflow + np.maximum(
                sums.inflow + sums.pipe_in - sums.outflow - sums.pipe_out, 0.0
            )
            leak = np.divide(boundary_out, T, out=np.zeros(n), where=T > 0)
            leaving = arrived * leak
    arrived, leaving = tidy(arrived), tidy(leaving)
    reached = [x for x in order if x != source]
    back = _returns_to(sm, currency, source, set(order))
    if back:
        reached = order
    traffic = {x: float(arrived[where[x]]) for x in reached}
    left = np.flatnonzero(leaving > 0)
    return Reach(
        source=source,
        kind=currency,
        hops=hop_map,
        traffic=traffic,
        leaving={sums.ids[i]: float(leaving[i]) for i in left.tolist()},
        sent=sent,
    )


def _returns_to(sm: SparkMap, currency: str, source: str, reached: set[str]) -> bool:
    from pyspark.sql import functions as F

    into = _live(sm, currency).where(F.col("to") == source).select("from").distinct().collect()
    return any(r["from"] in reached for r in into)


# -- centrality ------------------------------------------------------------------------------------


def centrality(
    sm: SparkMap,
    metric: str,
    *,
    currency: str = "traffic",
    top: int | None = None,
    alpha: float | None = None,
) -> Any:
    """:func:`ecograph.centrality` on Spark for :data:`METRICS`: degrees by counting
    distinct counterparts; PageRank by the one-machine engine's power iteration
    (uniform teleport, dangling nodes spread uniformly, stopped when the L1 change is
    below 1e-10), one join and two sums per round.

    Raises
    ------
    UsageError
        A metric the engine does not compute, ``top`` below 1, ``alpha`` outside (0, 1).
    """
    from pyspark.sql import functions as F

    from ecograph.analysis.centrality import PAGERANK_TOL, checked_options, ranking

    if metric not in METRICS:
        raise UsageError(f"the Spark engine computes {', '.join(METRICS)}, not {metric!r}")
    alpha = checked_options(top, alpha)
    _check_currency(currency)
    spark = sm.spark
    with spark_errors():
        nodes = sm.nodes.select("order", "id").persist()
        ids = [r["id"] for r in nodes.orderBy("order").collect()]
        n = len(ids)
        pairs = (
            _live(sm, currency)
            .groupBy("from", "to")
            .agg(F.sum(F.coalesce(F.col("volume"), F.lit(0.0))).alias("w"))
            .persist()
        )
        weighted = pairs.where(F.col("w") > 0).limit(1).count() > 0
        if metric.endswith("degree"):
            out = pairs.groupBy(F.col("from").alias("id")).count().withColumnRenamed("count", "o")
            into = pairs.groupBy(F.col("to").alias("id")).count().withColumnRenamed("count", "i")
            got = {
                r["id"]: (r["o"] or 0, r["i"] or 0)
                for r in out.join(into, "id", "full_outer").collect()
            }
            use_out = metric in ("degree", "out-degree")
            use_in = metric in ("degree", "in-degree")
            values = np.array(
                [float(o * use_out + i * use_in) for o, i in (got.get(x, (0, 0)) for x in ids)]
            )
        else:
            values = _pagerank(spark, nodes, pairs, n, weighted, alpha, PAGERANK_TOL, ids)
    return ranking(metric, ids, values, kind=currency, weighted=weighted, top=top)


def _pagerank(
    spark: Any,
    nodes: Any,
    pairs: Any,
    n: int,
    weighted: bool,
    alpha: float,
    tol: float,
    ids: list[str],
) -> Any:
    from pyspark.sql import functions as F

    if n == 0:
        return np.zeros(0)
    w = F.col("w") if weighted else F.lit(1.0)
    edges = pairs.select("from", "to", w.alias("w")).where(F.col("w") > 0)
    out = edges.groupBy("from").agg(F.sum("w").alias("_out"))
    edges = edges.join(out, "from").select("from", "to", (F.col("w") / F.col("_out")).alias("p"))
    edges = edges.persist()
    flagged = (
        nodes.select("id")
        .join(out.select(F.col("from").alias("id"), F.lit(False).alias("_d")), "id", "left")
        .select("id", F.col("_d").isNull().alias("dangling"))
        .persist()
    )
    x = flagged.select("id", "dangling", F.lit(1.0 / n).alias("x")).localCheckpoint()
    lost = float(x.where("dangling").agg(F.sum("x")).first()[0] or 0.0)
    for _ in range(10_000):
        passed = (
            x.join(edges, x["id"] == edges["from"])
            .groupBy(F.col("to").alias("id"))
            .agg(F.sum(F.col("x") * F.col("p")).alias("_in"))
        )
        new = (
            flagged.join(passed, "id", "left")
            .select(
                "id",
                "dangling",
                (
                    alpha * (F.coalesce("_in", F.lit(0.0)) + F.lit(lost / n))
                    + F.lit((1.0 - alpha) / n)
                ).alias("x"),
            )
            .localCheckpoint()
        )
        # one pass for the change and for what the dangling nodes hold next round
        stats = (
            new.join(x.select("id", F.col("x").alias("_old")), "id")
            .agg(
                F.sum(F.abs(F.col("x") - F.col("_old"))).alias("change"),
                F.sum(F.when(F.col("dangling"), F.col("x")).otherwise(0.0)).alias("lost"),
            )
            .first()
        )
        x, lost = new, float(stats["lost"] or 0.0)
        if stats["change"] < tol:
            break
    got = {r["id"]: r["x"] for r in x.collect()}
    return np.array([got[i] for i in ids], dtype=np.float64)


# -- summary ---------------------------------------------------------------------------------------


def summary(sm: SparkMap, files: Sequence[str] | None = None) -> dict[str, Any]:
    """``check``'s overview of a map on Spark (as :meth:`ecograph.Ecosystem.summary`):
    nodes per kind, pipes and volume per currency, blocked pipes, nesting depth.

    The depth is found one level per join (parent of parent...).
    """
    from pyspark.sql import functions as F

    with spark_errors():
        kinds = {r["kind"]: r["count"] for r in sm.nodes.groupBy("kind").count().collect()}
        per = {
            r["kind"]: (r["n"], r["v"] or 0.0, r["b"])
            for r in sm.pipes.groupBy("kind")
            .agg(
                F.count(F.lit(1)).alias("n"),
                F.sum(
                    F.when(F.col("status") == "open", F.coalesce("volume", F.lit(0.0))).otherwise(
                        0.0
                    )
                ).alias("v"),
                F.sum(F.when(F.col("status") == "open", 0).otherwise(1)).alias("b"),
            )
            .collect()
        }
        links = sm.nodes.where(F.col("parent").isNotNull()).select(
            F.col("id").alias("node"), F.col("parent").alias("up")
        )
        parents = links.select(F.col("node").alias("_n"), F.col("up").alias("_up")).persist()
        depth = 0
        current = links
        while current.limit(1).count():
            depth += 1
            current = (
                current.join(parents, current["up"] == parents["_n"])
                .select("node", F.col("_up").alias("up"))
                .localCheckpoint()
            )
    return {
        "name": sm.name,
        "title": sm.title,
        "period": sm.period,
        "files": list(sm.files if files is None else files),
        "nodes": {k: int(kinds[k]) for k in NODE_KINDS if k in kinds},
        "pipes": {c: int(per[c][0]) for c in CURRENCIES if c in per},
        "blocked_pipes": int(sum(v[2] for v in per.values())),
        "depth": depth,
        "volume": {c: float(per[c][1]) for c in CURRENCIES if c in per},
    }


# -- value ---------------------------------------------------------------------------------------


def value(sm: SparkMap, *, currency: str = "traffic") -> Any:
    """:func:`ecograph.value` (per node, not ``by_group``) on Spark: each pipe gives its
    amounts to its two ends, and one group-by sums them per node.

    Returns
    -------
    ecograph.analysis.value.Value
        Per node (map order) the value sheet (:data:`ecograph.analysis.value.FIELDS`).
    """
    from pyspark.sql import functions as F

    from ecograph.analysis._linalg import tidy
    from ecograph.analysis.value import FIELDS, Value

    _check_currency(currency)
    p = sm.pipes
    carried = F.when(
        (F.col("status") == "open") & F.col("volume").isNotNull(), F.col("volume")
    ).otherwise(0.0)
    flows = F.col("kind") == currency
    capital = F.col("kind") == "capital"
    paid = carried * F.coalesce(F.col("cost"), F.lit(0.0))
    to_pays = F.col("paid_by") != "from"
    zero = F.lit(0.0)

    def side(node: str, fields: dict[str, Any]) -> Any:
        cols = [F.col(node).alias("id")]
        cols += [fields.get(name, zero).alias(name) for name in _SHEET]
        return p.select(*cols)

    head = side(
        "to",
        {
            "received": F.when(flows, carried).otherwise(zero),
            "converted": F.when(flows, carried * F.coalesce("conversion", zero)).otherwise(zero),
            "spend": F.when(to_pays, paid).otherwise(zero),
            "income": F.when(to_pays, zero).otherwise(paid),
            "capital_in": F.when(capital, carried).otherwise(zero),
        },
    )
    tail = side(
        "from",
        {
            "spend": F.when(to_pays, zero).otherwise(paid),
            "income": F.when(to_pays, paid).otherwise(zero),
            "capital_out": F.when(capital, carried).otherwise(zero),
        },
    )
    with spark_errors():
        sums = head.unionByName(tail).groupBy("id").agg(*(F.sum(n).alias(n) for n in _SHEET))
        rows = (
            sm.nodes.select("order", "id", F.coalesce("price", zero).alias("_price"))
            .join(sums, "id", "left")
            .orderBy("order")
            .collect()
        )
    ids = [r["id"] for r in rows]
    cols = {n: np.array([r[n] or 0.0 for r in rows]) for n in _SHEET}
    price = np.array([r["_price"] for r in rows])
    cols["revenue"] = cols["converted"] * price
    cols["net"] = cols["revenue"] + cols["income"] - cols["spend"]
    shown = {name: tidy(cols[name]).tolist() for name in FIELDS}
    return Value(
        currency,
        False,
        nodes={node: {name: shown[name][i] for name in FIELDS} for i, node in enumerate(ids)},
    )


_SHEET = ("received", "converted", "spend", "income", "capital_in", "capital_out")


# -- diagnose ------------------------------------------------------------------------------------


def _search(starts: Any, edges: Any, limit: int | None = None) -> Any:
    """Breadth-first search by joins: the nodes reachable from ``starts`` (a DataFrame
    of ``id``) along ``edges`` (``from``, ``to``) with their hop counts (``id``,
    ``hops``), one join of the frontier per level, at most ``limit`` levels."""
    from pyspark.sql import functions as F

    seen = starts.select("id").distinct().withColumn("hops", F.lit(0).cast("long"))
    seen = seen.localCheckpoint()
    frontier = seen.select("id")
    level = 0
    while limit is None or level < limit:
        step = (
            frontier.join(edges, frontier["id"] == edges["from"])
            .select(F.col("to").alias("id"))
            .distinct()
            .join(seen, "id", "left_anti")
            .localCheckpoint()
        )
        if step.count() == 0:
            break
        level += 1
        seen = seen.unionByName(step.withColumn("hops", F.lit(level).cast("long")))
        seen = seen.localCheckpoint()
        frontier = step
    return seen


def diagnose(sm: SparkMap, *, currency: str = "traffic", node: str | None = None) -> dict[str, Any]:
    """:func:`ecograph.diagnose` on Spark, for the statuses reachability decides.

    A partner, producer or channel that has pipes or boundary flow of ``currency``
    and that no node with boundary inflow reaches over open pipes is ``blocked-pipe``
    when it would be reached with every pipe open, else ``empty-pipe``: two
    multi-source searches, one join per level. Only those nodes are listed: every
    other status needs the one-machine engine. The ``empty-pipe`` evidence (the
    nodes feeding it) is the one-machine engine's; ``blocked-pipe`` names no pipes
    (finding them is one search per node).

    Returns
    -------
    dict of str to ecograph.analysis.diagnose.Diagnosis
        The dry nodes (or ``node``, when it is one), in map order.
    """
    from pyspark.sql import functions as F

    from ecograph.analysis.diagnose import DIAGNOSED_KINDS, Diagnosis, Finding

    _check_currency(currency)
    with spark_errors():
        if node is not None and sm.nodes.where(F.col("id") == node).limit(1).count() == 0:
            raise UsageError(f"unknown node {node!r}")
        pipes = sm.pipes.where(F.col("kind") == currency).select("from", "to", "status")
        pipes = pipes.persist()
        all_edges = pipes.select("from", "to").distinct().persist()
        open_edges = pipes.where(F.col("status") == "open").select("from", "to").distinct()
        inflow = F.coalesce(F.col(f"inflow_{currency}"), F.lit(0.0))
        outflow = F.coalesce(F.col(f"outflow_{currency}"), F.lit(0.0))
        starts = sm.nodes.where(inflow > 0).select("id")
        wet = _search(starts, open_edges.persist()).select("id")
        wet_all = _search(starts, all_edges).select("id")
        ends = all_edges.select(F.col("from").alias("id")).unionByName(
            all_edges.select(F.col("to").alias("id"))
        )
        touched = ends.unionByName(
            sm.nodes.where((inflow != 0) | (outflow != 0)).select("id")
        ).distinct()
        dry = (
            sm.nodes.where(F.col("kind").isin(*DIAGNOSED_KINDS))
            .select("id", "order")
            .join(touched, "id", "left_semi")
            .join(wet, "id", "left_anti")
        )
        if node is not None:
            dry = dry.where(F.col("id") == node)
        blocked = {r["id"] for r in dry.join(wet_all, "id", "left_semi").collect()}
        rows = dry.orderBy("order").collect()
        names = [r["id"] for r in rows]
        feeders: dict[str, list[tuple[int, str]]] = {}
        received: dict[str, float] = {}
        if names:
            into = sm.pipes.where(
                (F.col("kind") == currency)
                & (F.col("status") == "open")
                & F.col("to").isin(*names)
                & F.col("volume").isNotNull()
            )
            for r in into.groupBy("to").agg(F.sum("volume").alias("v")).collect():
                received[r["to"]] = float(r["v"])
            order = sm.nodes.select(F.col("id").alias("from"), F.col("order").alias("_o"))
            for r in (
                pipes.where((F.col("status") == "open") & F.col("to").isin(*names))
                .where(F.col("from") != F.col("to"))
                .select("from", "to")
                .distinct()
                .join(order, "from")
                .collect()
            ):
                feeders.setdefault(r["to"], []).append((r["_o"], r["from"]))
    out: dict[str, Any] = {}
    for name in names:
        if name in blocked:
            finding = Finding(
                "blocked-pipe",
                1.0,
                "traffic is upstream but every path to it is blocked "
                "(the pipes: 'ecograph diagnose --node' on one machine)",
                {},
            )
        else:
            fed = [n for _, n in sorted(feeders.get(name, []))]
            reason = "no pool or other source reaches it: " + (
                f"the nodes feeding it ({', '.join(fed)}) receive no {currency} themselves"
                if fed
                else f"no open {currency} pipe leads to it"
            )
            finding = Finding("empty-pipe", 1.0, reason, {"feeders": fed})
        out[name] = Diagnosis(
            node=name,
            status=finding.finding,
            findings=(finding,),
            evidence={"received": received.get(name, 0.0)},
            reasons=(finding.reason,),
        )
    return out
