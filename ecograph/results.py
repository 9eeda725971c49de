"""The common base of analysis results: frozen data with the same three ways out.

Every analysis returns a frozen dataclass deriving from :class:`Result`. Its fields
hold plain data (dicts, lists, tuples, str, numbers), so ``dataclasses.asdict``,
``copy.deepcopy``, pickling and ``pandas.DataFrame(result.field)`` work as for any
dataclass, and every result has the same methods:

``to_dict()``
    JSON-ready data (what ``--format json`` prints).
``rows()``
    The result's main table, one dict per row (what ``--format csv`` writes).
``to_frame()``
    The same table as a :class:`pandas.DataFrame` (pandas is imported only here;
    ``pip install 'ecograph[pandas]'``).

Iterating a result gives its rows, so ``pandas.DataFrame(result)`` is its table too.

One exception: :func:`ecograph.diagnose` returns a
:class:`~ecograph.analysis.diagnose.Diagnoses`, a ``dict`` of node id to
:class:`~ecograph.analysis.diagnose.Diagnosis` (each a result) that has the same three
methods; a dict, so ``for node in diagnose(eco)`` keeps giving node ids.

Results that used to be plain dicts (those of ``bottlenecks``, ``centrality``,
``cheapest``, ``funnel``, ``value``, ``compare``, ``diff`` and ``whatif``) derive from
:class:`MappingResult`: a read-only mapping of the keys the dict had. ``result["key"]``,
``keys()``, ``items()``, ``values()``, ``get()``, ``len()`` and ``in`` answer as the dict
did, so ``dict(result)``, ``{**result}`` and ``for k, v in result.items()`` keep working.
Iteration alone differs: ``for row in result`` gives the rows, as for every result, because
pandas builds a DataFrame of a mapping that is not a ``dict`` from what iterating it gives
(were it the keys, ``pandas.DataFrame(result)`` would be a column of key names, silently).
Code that iterated the dict for its keys iterates ``result.keys()``. For the same reason a
:class:`MappingResult` is not registered as a :class:`collections.abc.Mapping`. A key the
dict did not have raises ``KeyError``, as the dict did (``get`` returns the default).
"""

from __future__ import annotations

import dataclasses
from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from typing import TYPE_CHECKING, Any, ClassVar

from ecograph.compiled import compiled
from ecograph.errors import UsageError
from ecograph.formatting import plain, table_columns, table_rows

if TYPE_CHECKING:
    import pandas as pd

    from ecograph.model import Ecosystem

__all__ = ["MappingResult", "Result", "frame", "nodes_frame", "pipes_frame", "sections_frame"]


def frame(rows: list[dict[str, Any]], columns: list[str] | None = None) -> pd.DataFrame:
    """A pandas DataFrame of ``rows`` (dicts), importing pandas only now.

    Raises
    ------
    UsageError
        pandas is not installed.

    Examples
    --------
    >>> frame([{"node": "a", "x": 1.0}, {"node": "b", "x": 2.5}])
      node    x
    0    a  1.0
    1    b  2.5
    """
    pd = _pandas()
    if columns is None:
        columns = list(dict.fromkeys(k for row in rows for k in row))
    return pd.DataFrame.from_records(rows, columns=columns)


def sections_frame(
    sections: Mapping[str, list[dict[str, Any]]], *, column: str = "section"
) -> pd.DataFrame:
    """One DataFrame of several named lists of records, ``column`` naming each row's list.

    The table :func:`frame` gives of the rows ``{column: name, **record}`` (same columns
    in the same order, same dtypes), built list by list and joined: a few times quicker
    than one dict per row on large results.

    Examples
    --------
    >>> sections_frame({"traffic": [{"node": "a", "delta": -2.0}],
    ...                 "volumes": [{"key": "a->b", "delta": None}]})
       section node  delta   key
    0  traffic    a   -2.0   NaN
    1  volumes  NaN    NaN  a->b
    """
    pd = _pandas()
    parts = []
    for name, records in sections.items():
        if records:
            part = pd.DataFrame.from_records(records)
            part.insert(0, column, name)
            parts.append(part)
    if not parts:
        return frame([])
    return pd.concat(parts, ignore_index=True, sort=False).infer_objects()


def _pandas() -> Any:
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is in the test extra
        raise UsageError("tables need pandas: pip install 'ecograph[pandas]'") from None
    return pd


def nodes_frame(eco: Ecosystem) -> pd.DataFrame:
    """The map's nodes as a pandas DataFrame, one row per node in map order.

    Built from the compiled map's columns (no ``Node`` objects are made, so it is
    quick on a table-sized map). Columns: ``id``, ``kind``, ``label``, ``parent``,
    ``users``, ``inflow_<currency>`` and ``outflow_<currency>`` for every currency
    (0.0 where none), ``tags`` and ``genes`` (lists), ``price``, ``owner``,
    ``domain``. Missing values are None (text) or NaN (numbers).

    Examples
    --------
    >>> import ecograph
    >>> eco = ecograph.loads('''
    ... ecograph: 1
    ... name: tiny
    ... nodes:
    ...   users: {kind: pool, inflow: 100, users: 1000}
    ...   shop:  {kind: partner, outflow: 100, price: 9.5}
    ... pipes:
    ...   - {from: users, to: shop, volume: 100}
    ... ''')
    >>> nodes_frame(eco)[["id", "kind", "users", "inflow_traffic", "price"]]
          id     kind   users  inflow_traffic  price
    0  users     pool  1000.0           100.0    NaN
    1   shop  partner     NaN             0.0    9.5
    """
    _pandas()
    return compiled(eco).nodes_arrow().to_pandas()


def pipes_frame(eco: Ecosystem) -> pd.DataFrame:
    """The map's pipes as a pandas DataFrame, one row per pipe in map order.

    Built from the compiled map's columns. Columns: ``key`` (the pipe key of the
    graph and the results), ``from``, ``to``, ``kind`` (the currency, as the map
    spells it), ``volume`` (NaN when the map gives none), ``capacity`` (``inf`` when
    unbounded), ``cost``, ``conversion`` (NaN when not given), ``status``,
    ``paid_by``.

    Examples
    --------
    >>> import ecograph
    >>> eco = ecograph.loads('''
    ... ecograph: 1
    ... name: tiny
    ... nodes:
    ...   users: {kind: pool, inflow: 100}
    ...   shop:  {kind: partner, outflow: 100}
    ... pipes:
    ...   - {from: users, to: shop, volume: 100}
    ... ''')
    >>> pipes_frame(eco)[["key", "from", "to", "volume", "capacity"]]
                       key   from    to  volume  capacity
    0  users->shop:traffic  users  shop   100.0       inf
    """
    pd = _pandas()
    cm = compiled(eco)
    df = cm.pipes_arrow().to_pandas()
    df["capacity"] = pd.Series(cm.capacity, dtype="float64")  # inf, not null, when unbounded
    return df


class Result:
    """Base of every analysis result (each a frozen dataclass).

    Subclasses set ``key_name`` (the heading of the first column of per-node tables)
    and may override :meth:`to_dict` (the default converts every field) or
    :meth:`rows` (the default is the table ``--format csv`` writes of ``to_dict()``).

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Ranked(Result):
    ...     metric: str
    ...     values: dict[str, float]
    >>> r = Ranked("pagerank", {"a": 0.6, "b": 0.4})
    >>> r.to_dict()
    {'metric': 'pagerank', 'values': {'a': 0.6, 'b': 0.4}}
    >>> r.rows()
    [{'node': 'a', 'values': 0.6}, {'node': 'b', 'values': 0.4}]
    >>> r["values"]["a"]
    0.6
    """

    key_name: ClassVar[str] = "node"

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data (tuples as lists, non-finite numbers kept)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        converted: dict[str, Any] = plain(out, finite=False)
        return converted

    def rows(self) -> list[dict[str, Any]]:
        """The result's main table: one dict per row, the columns of ``--format csv``."""
        return table_rows(self.to_dict(), key_name=self.table_key(), converted=True)

    def table_key(self) -> str:
        """Heading of the first column of the per-node table (``node``, ``group``...)."""
        return self.key_name

    def to_frame(self) -> pd.DataFrame:
        """:meth:`rows` as a pandas DataFrame (one row per node, pipe or record)."""
        if type(self).rows is Result.rows:  # the default table: built column by column
            columns = table_columns(self.to_dict(), key_name=self.table_key(), converted=True)
            if columns is not None:
                return _pandas().DataFrame(columns)
        return frame(self.rows())

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """The rows, so that ``pandas.DataFrame(result)`` is the result's table."""
        return iter(self.rows())

    def __getitem__(self, key: str) -> Any:
        """``result["field"]``: the value under ``key`` in :meth:`to_dict`'s terms, for code
        written when the result was a dict."""
        if isinstance(key, str) and key in {f.name for f in dataclasses.fields(self)}:  # type: ignore[arg-type]
            return getattr(self, key)
        try:
            return self.to_dict()[key]
        except KeyError:
            raise KeyError(key) from None


class MappingResult(Result):
    """A result that used to be a plain dict: also a read-only mapping of that dict's keys.

    The keys are those of :meth:`to_dict` (what the dict had, what ``--format json``
    prints); each answers with the value the dict had. Iterating gives the rows
    (:meth:`Result.__iter__`), not the keys: see the module notes for why.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Flow(MappingResult):
    ...     target: str
    ...     by_source: list[dict[str, float]]
    >>> r = Flow("shop", [{"source": "a", "flow": 2.0}, {"source": "b", "flow": 1.0}])
    >>> list(r.keys()), len(r), "target" in r, r.get("missing", 0)
    (['target', 'by_source'], 2, True, 0)
    >>> dict(r) == r.to_dict(), {**r}["target"]
    (True, 'shop')
    >>> [row["flow"] for row in r]  # iteration gives the rows
    [2.0, 1.0]
    """

    def _keys(self) -> list[str]:
        """The keys the dict had: the fields, unless :meth:`to_dict` is overridden."""
        if type(self).to_dict is Result.to_dict:
            return [f.name for f in dataclasses.fields(self)]  # type: ignore[arg-type]
        return list(self.to_dict())

    def keys(self) -> KeysView[str]:
        """The keys the dict had (those of :meth:`to_dict`), in its order."""
        return dict.fromkeys(self._keys()).keys()

    def _mapping(self) -> dict[str, Any]:
        """The dict itself: each key's value as ``result[key]`` gives it, with
        :meth:`to_dict` made at most once (a field answers as itself)."""
        names = {f.name for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        keys = self._keys()
        made = {} if all(key in names for key in keys) else self.to_dict()
        return {key: getattr(self, key) if key in names else made[key] for key in keys}

    def items(self) -> ItemsView[str, Any]:
        """``(key, value)`` pairs, as the dict's ``items()`` gave."""
        return self._mapping().items()

    def values(self) -> ValuesView[Any]:
        """The values, as the dict's ``values()`` gave."""
        return self._mapping().values()

    def get(self, key: str, default: Any = None) -> Any:
        """``result[key]``, or ``default`` when the dict had no such key."""
        if key not in self._keys():
            return default
        return self[key]

    def __contains__(self, key: object) -> bool:
        """Whether the dict had ``key``."""
        return key in self._keys()

    def __len__(self) -> int:
        """How many keys the dict had."""
        return len(self._keys())
