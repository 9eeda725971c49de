"""Maps written as YAML that ecograph reads back exactly (import, export and ``--tables``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from ecograph.loader import resolve_plain
from ecograph.model import Ecosystem

__all__ = ["map_head", "map_yaml", "tables_map"]


class _Flow(dict[str, Any]):
    """A mapping written on one line: ``{kind: partner, parent: app}``."""


class _FlowList(list[Any]):
    """A sequence written on one line: ``[nodes.parquet]``."""


# libyaml's emitter when PyYAML has it: ~10x faster than the pure-Python one
_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[misc]
    """Quotes every string that ecograph's YAML 1.2 reader would read as something else."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    try:
        resolved = resolve_plain(data)
    except ValueError:  # a number too large to read: quoted, it stays text
        resolved = None
    ambiguous = data == "<<" or not isinstance(resolved, str) or resolved != data
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="'" if ambiguous else None)


def _represent_flow(dumper: yaml.SafeDumper, data: _Flow) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", list(data.items()), flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Flow, _represent_flow)
_Dumper.add_representer(
    _FlowList,
    lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True),
)


def _dump(data: Any) -> str:
    text: str = yaml.dump(
        data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100, indent=2
    )
    return text


def map_yaml(data: Mapping[str, Any]) -> str:
    """A map's data as readable YAML that ecograph reads back exactly.

    Top-level keys first, then ``nodes`` with one flow mapping per node and
    ``pipes`` with one per pipe. Any text that YAML 1.2 would read as a number,
    boolean or null (``no`` stays ``no``, but ``1e9``, ``1.10``, ``null`` and
    ``true`` are quoted) is quoted, so ids and labels survive as written.

    Examples
    --------
    >>> print(map_yaml({"ecograph": 1, "name": "t", "nodes": {"1e9": {"kind": "pool"},
    ...     "no": {"kind": "partner", "label": "true"}}, "pipes": [{"from": "1e9", "to": "no"}]}))
    ecograph: 1
    name: t
    <BLANKLINE>
    nodes:
      '1e9': {kind: pool}
      'no': {kind: partner, label: 'true'}
    <BLANKLINE>
    pipes:
    - {from: '1e9', to: 'no'}
    <BLANKLINE>
    """
    head = {k: v for k, v in data.items() if k not in ("nodes", "pipes")}
    if isinstance(head.get("units"), dict):
        head["units"] = _Flow(head["units"])
    parts = [_dump(head)]
    nodes = data.get("nodes")
    if nodes:
        parts.append(_dump({"nodes": {k: _Flow(v) for k, v in nodes.items()}}))
    pipes = data.get("pipes")
    if pipes:
        parts.append(_dump({"pipes": [_Flow(p) for p in pipes]}))
    return "\n".join(parts)


def map_head(eco: Ecosystem) -> dict[str, Any]:
    """A map's own top-level keys (name, title, description, period, units), defaults left out.

    Examples
    --------
    >>> head = map_head(Ecosystem("m", title="My map", units={"traffic": "visits"}))
    >>> head["title"], head["period"], head["units"]
    ('My map', 'month', {'traffic': 'visits'})
    """
    data: dict[str, Any] = {"ecograph": 1, "name": eco.name}
    if eco.title != eco.name:
        data["title"] = eco.title
    if eco.description is not None:
        data["description"] = eco.description
    data["period"] = eco.period
    if eco.units:
        data["units"] = dict(eco.units)
    return data


def tables_map(eco: Ecosystem, nodes: str, pipes: str) -> str:
    """The YAML of a map that holds ``eco``'s own keys and names its two tables.

    ``nodes`` and ``pipes`` are paths as the map should name them (relative to
    the map's folder, ``/`` separated).

    Examples
    --------
    >>> eco = Ecosystem("m", title="天猫 Tmall")
    >>> print(tables_map(eco, "nodes.parquet", "pipes.parquet"), end="")
    ecograph: 1
    name: m
    title: 天猫 Tmall
    period: month
    tables:
      nodes: [nodes.parquet]
      pipes: [pipes.parquet]
    """
    data = map_head(eco)
    data["tables"] = {"nodes": _FlowList([nodes]), "pipes": _FlowList([pipes])}
    return map_yaml(data)
