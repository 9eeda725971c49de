"""Advice: the actions that would raise one firm's traffic, revenue or net most per unit of cost.

The article asks what a small firm should do to get traffic it can turn into money:
open the pipe that is closed (the unsold garlic), widen the one that is too narrow,
pay for more where paid traffic is worth it ("适当地使用一些淘宝的收费服务,也不是不可以"),
plug into a pool that already flows past it, move to a pond whose genes fit it ("你的服务
或者产品,需要符合这个生态的基因": a cow in a fish pond drowns), and not hang on one giant
alone. :func:`advise` turns each of these into a **scenario
change** (the format of :mod:`ecograph.scenario`), measures it with the what-if
engine (:func:`ecograph.whatif`), and ranks what helps.

Candidates
----------
Drawn from the map for the node ``N`` and currency ``kind``: at most five of each
of the first four kinds and three of the last two, the most promising first by
the measure named:

``widen``
    Each pipe on ``N``'s minimum cut (:func:`ecograph.bottlenecks`) that is
    saturated (volume at least 90% of capacity) and whose widening raises the
    max-flow: its capacity and its volume are doubled (it stays as full as now);
    the widest first.
``open``
    Each blocked pipe with water upstream that leads toward ``N``: opened,
    carrying the volume it declares, else the median volume of its sender's
    comparable pipes (below; capped at its capacity), else its capacity; the
    pipes whose sender carries most first.
``buy``
    Each open pipe into ``N`` with a ``cost`` and a finite capacity above its
    volume: its volume raised to its capacity; the most room first.
``add-pipe``
    Each pool or channel that sends ``kind`` into ``N``'s host (its nearest
    container with genes, see :func:`ecograph.analysis.fit.host_of`) but not to
    ``N``: a new pipe to ``N`` (the five largest by throughflow).
``join``
    Each host whose genes fit ``N``'s tags better than its own host's
    (:func:`ecograph.analysis.fit.similarity`): ``N`` moves there, with a pipe
    from that host's largest pool or channel feeding its members (best three).
``second-source``
    When at least :data:`GIANT_SHARE` of ``N``'s traffic entered the map in one
    giant's tree (:func:`ecograph.dependency` ``sources``), a pipe from each of the
    three largest pools of other giants.

An added pipe has no observed figures, so its volume, ``cost`` and
``conversion`` are the medians of its sender's *comparable pipes*: its open
pipes with a volume above 0 to nodes like the head (partners and producers
count as one kind); ``why`` says so. A sender without such pipes is not proposed.

Gain and cost
-------------
Each candidate is applied with :func:`ecograph.whatif` (``targets: [N]``, volumes
re-traced as that engine does, ``reroute: lost``). Its **gain** is the change it
reports for ``N`` under the goal: ``traffic`` — the node's traffic
(throughflow, the ``affected`` section); ``revenue`` — its revenue; ``net`` — its
``net = revenue + income - spend`` (the ``value`` section, :func:`ecograph.value`).
Its **cost** is what ``N`` pays more for pipes per period (the rise of its
``spend`` in the same report; 0 when it does not rise): the map prices traffic,
not engineering, so widening a free pipe costs 0 by the map's figures.

Ranking
-------
Actions with a positive gain, cost-free ones first by gain, then by gain per
unit of cost. With a ``budget``, actions are taken down the ranking while their
costs add up to no more than it; an action touching a pipe or node that a
better one already changes is left out. ``top`` caps how many are kept. The
kept actions, together, are the advice's scenario (:meth:`Advice.to_scenario`);
``total`` is what :func:`ecograph.whatif` reports for all of them at once (not
the sum of the gains: actions share the same upstream traffic).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ecograph._suggest import did_you_mean
from ecograph.compiled import KIND_CODE, compiled
from ecograph.errors import UsageError
from ecograph.model import check_currency
from ecograph.results import Result

if TYPE_CHECKING:
    from ecograph.compare import Comparison
    from ecograph.model import Ecosystem
    from ecograph.scenario import Scenario

__all__ = ["ACTIONS", "GIANT_SHARE", "GOALS", "Action", "Advice", "advise", "measure"]

#: What an action can raise: the node's traffic, its revenue, or its net.
GOALS: tuple[str, ...] = ("traffic", "revenue", "net")
#: The kinds of action, in the order candidates are drawn.
ACTIONS: tuple[str, ...] = ("widen", "open", "buy", "add-pipe", "join", "second-source")
#: Share of a node's traffic entering in one giant's tree above which a second source is sought.
GIANT_SHARE = 0.9
_SATURATED = 0.9
_PER_ACTION = 5  # most candidates of each kind (the most promising by a cheap measure)
_HOSTS = 3
_SECOND_SOURCES = 3
_EPS = 1e-9


@dataclass(frozen=True)
class Action(Result):
    """One advised action.

    Attributes
    ----------
    action : str
        One of :data:`ACTIONS`.
    change : tuple of mapping
        The scenario changes that make it (as written in a scenario's
        ``changes``; most actions are one change, opening a pipe without a
        declared volume is two: ``open`` then ``set`` its volume).
    gain : float
        What :func:`ecograph.whatif` reports for the change under the goal.
    cost : float
        The rise of the node's spend per period (0 when it does not rise).
    why : str
        One sentence naming the pipes and nodes.
    """

    action: str
    change: tuple[Mapping[str, Any], ...]
    gain: float
    cost: float
    why: str

    @property
    def gain_per_cost(self) -> float:
        """Gain per unit of cost; ``inf`` for a cost-free action.

        Examples
        --------
        >>> Action("buy", (), 10.0, 4.0, "").gain_per_cost
        2.5
        """
        return self.gain / self.cost if self.cost > 0 else math.inf

    def to_dict(self) -> dict[str, Any]:
        """Plain data with the issue's keys (``gain_per_cost`` is ``inf`` for a free action).

        Examples
        --------
        >>> Action("open", ({"open": ["p"]},), 5.0, 0.0, "p is closed.").to_dict()["change"]
        [{'open': ['p']}]
        """
        return {
            "action": self.action,
            "change": [_plain(c) for c in self.change],
            "gain": self.gain,
            "cost": self.cost,
            "gain_per_cost": self.gain_per_cost,
            "why": self.why,
        }


@dataclass(frozen=True)
class Advice(Result):
    """What :func:`advise` found for one node.

    Attributes
    ----------
    node, goal, kind : str
    budget : float or None
    actions : tuple of Action
        The kept actions, best first.
    total_gain, total_cost : float
        What :func:`ecograph.whatif` reports for all kept actions together.
    considered : int
        How many candidate actions were measured.
    """

    node: str
    goal: str
    kind: str
    budget: float | None
    actions: tuple[Action, ...]
    total_gain: float
    total_cost: float
    considered: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: ``for``, ``goal``, ``actions`` as the issue fixes them, then
        ``kind``, ``budget``, ``total`` (``gain``, ``cost``) and ``considered``.

        Examples
        --------
        >>> Advice("shop", "traffic", "traffic", None, (), 0.0, 0.0, 0).to_dict()["for"]
        'shop'
        """
        return {
            "for": self.node,
            "goal": self.goal,
            "actions": [a.to_dict() for a in self.actions],
            "kind": self.kind,
            "budget": self.budget,
            "total": {"gain": self.total_gain, "cost": self.total_cost},
            "considered": self.considered,
        }

    def rows(self) -> list[dict[str, Any]]:
        """One row per kept action: ``action``, ``gain``, ``cost``, ``gain_per_cost``,
        ``why`` and its scenario ``change`` as JSON text.

        Examples
        --------
        >>> a = Action("open", ({"open": ["p"]},), 5.0, 0.0, "p is closed.")
        >>> Advice("shop", "traffic", "traffic", None, (a,), 5.0, 0.0, 1).rows()[0]["change"]
        '[{"open": ["p"]}]'
        """
        out = []
        for action in self.actions:
            row = action.to_dict()
            row["change"] = json.dumps(row["change"], ensure_ascii=False)
            out.append({"node": self.node, **row})
        return out

    def scenario_text(self, base: str | None = None, schema: str | None = None) -> str:
        """The kept actions as a scenario file (YAML text) that ``ecograph whatif`` runs.

        Parameters
        ----------
        base : str, optional
            The ``base`` map, relative to where the file will be written.
        schema : str, optional
            Path of the scenario JSON Schema, relative to where the file will be
            written: a first line ``# yaml-language-server: $schema=...`` lets an
            editor check the file.

        Examples
        --------
        >>> a = Action("open", ({"open": ["p"]},), 5.0, 0.0, "p is closed.")
        >>> print(Advice("shop", "traffic", "traffic", None, (a,), 5.0, 0.0, 1).scenario_text())
        # Written by 'ecograph advise --for shop --goal traffic': each action, best first,
        # after the sentence saying why. Run it with 'ecograph whatif'.
        scenario: 1
        name: advice-for-shop
        title: "Advice for shop (goal traffic)"
        targets: [shop]
        reroute: lost
        changes:
          # open: p is closed.
          - {open: [p]}
        <BLANKLINE>
        """
        text = _scenario_text(self.node, self.goal, self.actions, base)
        if schema is not None:
            text = f"# yaml-language-server: $schema={schema}\n{text}"
        return text

    def to_scenario(self) -> Scenario:
        """The kept actions as a :class:`ecograph.scenario.Scenario` (no base map).

        Examples
        --------
        >>> a = Action("open", ({"open": ["p"]},), 5.0, 0.0, "p is closed.")
        >>> s = Advice("shop", "traffic", "traffic", None, (a,), 5.0, 0.0, 1).to_scenario()
        >>> s.targets, [c.describe() for c in s.changes]
        (('shop',), ['open p'])
        """
        return _scenario(self.node, self.goal, self.actions)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _scenario_text(node: str, goal: str, actions: Sequence[Action], base: str | None = None) -> str:
    shown = " ".join(node.split())  # comments stay one line whatever an id holds
    lines = [
        f"# Written by 'ecograph advise --for {shown} --goal {goal}': each action, best first,",
        "# after the sentence saying why. Run it with 'ecograph whatif'.",
        "scenario: 1",
    ]
    if base is not None:
        lines.append(f"base: {_flow(base)}")
    lines += [
        f"name: {_flow(f'advice-for-{node}')}",
        f"title: {_flow(f'Advice for {node} (goal {goal})')}",
        f"targets: [{_flow(node)}]",
        "reroute: lost",
        "changes:" if actions else "changes: []",
    ]
    for a in actions:
        lines.append(f"  # {a.action}: {' '.join(a.why.split())}")
        lines.extend(f"  - {_flow(_plain(c))}" for c in a.change)
    return "\n".join(lines) + "\n"


#: Text written bare: names and relative paths that YAML reads back as the same text
#: (not starting with a digit or an indicator, not a word YAML reads as a boolean, null or
#: float); anything else is written as a JSON string.
_PLAIN = re.compile(r"[A-Za-z._/][A-Za-z0-9._/-]*")
_SPECIAL = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", ".inf", ".nan"}


def _flow(value: Any) -> str:
    """Plain data as one line of YAML flow style (the schema's keys bare, other text quoted
    as JSON strings, which YAML reads the same)."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_flow(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, str):
        if _PLAIN.fullmatch(value) and value.lower() not in _SPECIAL:
            return value
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value)


def _scenario(node: str, goal: str, actions: Sequence[Action]) -> Scenario:
    from ecograph.scenario import loads_scenario

    return loads_scenario(
        _scenario_text(node, goal, actions), filename="<advice>", check_base=False
    )


def measure(result: Comparison | Mapping[str, Any], node: str, goal: str) -> tuple[float, float]:
    """The gain and cost of a change for ``node``, read from a :func:`ecograph.whatif` report.

    Parameters
    ----------
    result : WhatIf or mapping
        What :func:`ecograph.whatif` returned, or its ``to_dict()`` (``node`` among
        its targets or the nodes the scenario names).
    node : str
    goal : {"traffic", "revenue", "net"}

    Returns
    -------
    (gain, cost)
        ``gain``: the change of the node's traffic (``affected``), revenue or
        net (``value``); ``cost``: the rise of its spend (``value``), 0 if none.

    Examples
    --------
    >>> report = {"affected": [{"node": "s", "traffic_delta": 40.0}], "value": [
    ...     {"node": "s", "revenue_before": 1.0, "revenue_after": 9.0, "spend_before": 2.0,
    ...      "spend_after": 5.0, "before": -1.0, "after": 4.0, "delta": 5.0}]}
    >>> [measure(report, "s", goal) for goal in ("traffic", "revenue", "net")]
    [(40.0, 3.0), (8.0, 3.0), (5.0, 3.0)]
    """
    _check_goal(goal)
    row = next((r for r in result["value"] if r["node"] == node), None)
    cost = 0.0
    if row is not None:
        cost = max(0.0, _diff(row["spend_before"], row["spend_after"]))
    if goal == "traffic":
        rec = next((r for r in result["affected"] if r["node"] == node), None)
        gain = float(rec["traffic_delta"] or 0.0) if rec is not None else 0.0
    elif row is None:
        gain = 0.0
    elif goal == "revenue":
        gain = _diff(row["revenue_before"], row["revenue_after"])
    else:
        gain = float(row["delta"] or 0.0)
    return gain, cost


def _diff(a: float | None, b: float | None) -> float:
    return float(f"{(b or 0.0) - (a or 0.0):.12g}")


def _check_goal(goal: str) -> None:
    if goal not in GOALS:
        raise UsageError(f"unknown goal {goal!r}; expected one of {', '.join(GOALS)}")


# -- candidates --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    action: str
    change: tuple[dict[str, Any], ...]
    why: str
    touches: frozenset[str]


def _num(x: float) -> str:
    """A figure for a sentence: whole numbers with separators, others to 4 significant digits."""
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:.4g}"


def _pipe(key: str, tail: str, head: str, kind: str) -> str:
    """A pipe in a sentence: its ends, and its key when that is not made of them.

    Examples
    --------
    >>> _pipe("a->b:traffic", "a", "b", "traffic"), _pipe("listing", "a", "b", "traffic")
    ('a -> b', 'listing (a -> b)')
    """
    if key == f"{tail}->{head}:{kind}":
        return f"{tail} -> {head}"
    return f"{key} ({tail} -> {head})"


def _figure(x: float) -> float | int:
    """A figure to write in a scenario: whole numbers as ints, others to 6 significant digits."""
    if float(x).is_integer() and abs(x) < 1e15:
        return int(x)
    return float(f"{x:.6g}")


class _Drawer:
    """Draws the candidate actions for one node from the compiled map."""

    def __init__(self, eco: Ecosystem, node: str, kind: str) -> None:
        from ecograph.analysis.flow import flow

        self.eco, self.node, self.kind = eco, node, kind
        self.cm = compiled(eco)
        self.lay = self.cm.layer(kind)
        self.t = self.cm.index[node]
        self.through = dict(flow(eco, currency=kind).throughflow)
        lay = self.lay
        self.senders = {int(s) for s in lay.src[lay.dst == self.t].tolist()}
        # partners and producers are one class of head, every other kind its own
        kinds = self.cm.kind.astype(np.int64)
        self.head_class = np.where(kinds == KIND_CODE["producer"], KIND_CODE["partner"], kinds)
        self.comparable_rows = lay.is_open & lay.volume_given & (lay.volume > 0)
        # a pool some other firm owns (its ``owner``, or a pool inside a partner) is not
        # anyone else's to draw from; pools of platforms and sub-ecosystems are shared
        cm = self.cm
        owner = np.maximum(cm.owner, 0)
        container = (cm.kind[owner] == KIND_CODE["platform"]) | (
            cm.kind[owner] == KIND_CODE["sub-ecosystem"]
        )
        self.private = (cm.owner >= 0) & ~container & (cm.owner != self.t)

    def ids(self, rows: Any) -> list[str]:
        return self.cm.names(rows)

    def comparable(self, s: int, head: int) -> tuple[dict[str, Any], str] | None:
        """Volume, cost and conversion of a new pipe from row ``s`` to row ``head`` (the medians
        of ``s``'s open pipes with a volume to nodes of the head's class: partners and
        producers, or the head's own kind), and the sentence saying so."""
        lay = self.lay
        same = self.head_class[lay.dst] == self.head_class[head]
        rows = np.flatnonzero(self.comparable_rows & same & (lay.src == s) & (lay.dst != head))
        if not len(rows):
            return None
        figures: dict[str, Any] = {"volume": _figure(float(np.median(lay.volume[rows])))}
        for name in ("cost", "conversion"):
            column = getattr(lay, name)[rows]
            given = column[~np.isnan(column)]
            if len(given):
                figures[name] = _figure(float(np.median(given)))
        names = self.ids(lay.dst[rows][:3])
        more = f" and {len(rows) - 3} more" if len(rows) > 3 else ""
        said = ", ".join(f"{k} {_num(v)}" for k, v in figures.items())
        how = (
            f"{said} taken from the median of its {len(rows)} comparable pipe"
            f"{'s' if len(rows) != 1 else ''} (to {', '.join(names)}{more})"
        )
        return figures, how

    def new_pipe(self, s: int) -> tuple[dict[str, Any], str] | None:
        found = self.comparable(s, self.t)
        if found is None:
            return None
        figures, how = found
        pipe = {"from": self.cm.ids[s], "to": self.node, "kind": self.kind, **figures}
        if self.kind == "traffic":
            del pipe["kind"]
        return {"add": {"pipes": [pipe]}}, how

    def draw(self) -> list[_Candidate]:
        out: list[_Candidate] = []
        out += self.widen_and_open()
        out += self.buy()
        out += self.add_pipes()
        out += self.join()
        out += self.second_source()
        return out

    def widen_and_open(self) -> list[_Candidate]:
        from ecograph.analysis.bottlenecks import bottlenecks

        try:
            found = bottlenecks(self.eco, self.node, currency=self.kind, threshold=_SATURATED)
        except UsageError:  # no source of this currency upstream
            return []
        out: list[_Candidate] = []
        saturated = {p["key"]: p for p in found["saturated"]}
        rising = {p["key"] for p in found["widening"] if p["gain_per_unit"] > 0}
        cut = [p for p in found["min_cut"] if p["key"] in saturated and p["key"] in rising]
        cut.sort(key=lambda p: -p["capacity"])  # doubling the widest adds the most
        for pipe in cut[:_PER_ACTION]:
            key = pipe["key"]
            volume, capacity = saturated[key]["volume"], saturated[key]["capacity"]
            change = {"set": {"pipe": key, "capacity": _figure(2 * capacity),
                              "volume": _figure(2 * volume)}}  # fmt: skip
            why = (
                f"{_pipe(key, pipe['from'], pipe['to'], self.kind)} is full ({_num(volume)} of "
                f"{_num(capacity)}) and on {self.node}'s minimum cut: widened to "
                f"{_num(2 * capacity)}, it carries twice as much if it stays as full"
            )
            out.append(_Candidate("widen", (change,), why, frozenset({f"pipe:{key}"})))
        lay = self.lay
        blocked = sorted(found["blocked"], key=lambda p: -self.through.get(p["from"], 0.0))
        for pipe in blocked[:_PER_ACTION]:  # the most water upstream first
            key = pipe["key"]
            row = self.cm.pipe_index[key]
            j = int(np.flatnonzero(lay.rows == row)[0])
            changes: list[dict[str, Any]] = [{"open": [key]}]
            upstream = self.through.get(pipe["from"], 0.0)
            if lay.volume_given[j]:
                how = f"it carries the {_num(float(lay.volume[j]))} it declares"
            else:
                found_figures = self.comparable(int(lay.src[j]), int(lay.dst[j]))
                capacity = float(lay.capacity[j])
                if found_figures is not None:
                    volume = min(float(found_figures[0]["volume"]), capacity)
                    how = (
                        f"volume {_num(volume)}, the median of {pipe['from']}'s comparable "
                        "pipes" + (" capped at its capacity" if volume == capacity else "")
                    )
                elif math.isfinite(capacity):
                    volume = capacity
                    how = f"volume {_num(volume)}, its capacity (no comparable pipe)"
                else:
                    continue
                changes.append({"set": {"pipe": key, "volume": _figure(volume)}})
            why = (
                f"{_pipe(key, pipe['from'], pipe['to'], self.kind)} is blocked while "
                f"{pipe['from']} carries {_num(upstream)}: opened, {how}"
            )
            out.append(_Candidate("open", tuple(changes), why, frozenset({f"pipe:{key}"})))
        return out

    def buy(self) -> list[_Candidate]:
        lay = self.lay
        rows = np.flatnonzero(
            (lay.dst == self.t)
            & lay.is_open
            & ~np.isnan(lay.cost)
            & np.isfinite(lay.capacity)
            & (lay.volume < lay.capacity)
        )
        out: list[_Candidate] = []
        room = lay.capacity[rows] - lay.volume[rows]
        for j in rows[np.argsort(-room, kind="stable")][:_PER_ACTION].tolist():  # most room first
            key = lay.keys[j]
            volume, capacity, cost = (float(lay.volume[j]), float(lay.capacity[j]),
                                      float(lay.cost[j]))  # fmt: skip
            sender = self.cm.ids[lay.src[j]]
            why = (
                f"{_pipe(key, sender, self.node, self.kind)} carries {_num(volume)} of its "
                f"{_num(capacity)} at "
                f"{_num(cost)} a unit: buy up to its capacity"
            )
            change = {"set": {"pipe": key, "volume": _figure(capacity)}}
            out.append(_Candidate("buy", (change,), why, frozenset({f"pipe:{key}"})))
        return out

    def _inside(self, host: int) -> Any:
        """Rows of the nodes inside ``host`` (at any depth)."""
        cm = self.cm
        inside = np.zeros(cm.n, np.bool_)
        current = cm.parent.copy()
        while (current >= 0).any():
            inside |= current == host
            current = np.where(current >= 0, cm.parent[np.maximum(current, 0)], -1)
        return inside

    def _feeders(self, inside: Any) -> list[int]:
        """Pools and channels sending open pipes of the currency into ``inside``, largest first,
        other than the node, pools another node owns, and senders that already reach the node."""
        cm, lay = self.cm, self.lay
        plumbing = (cm.kind == KIND_CODE["pool"]) | (cm.kind == KIND_CODE["channel"])
        into = lay.is_open & inside[lay.dst] & (lay.dst != self.t)
        rows = sorted({int(s) for s in lay.src[into].tolist()})
        found = [
            s
            for s in rows
            if plumbing[s] and s != self.t and s not in self.senders and not self.private[s]
        ]
        return sorted(found, key=lambda s: -self.through.get(cm.ids[s], 0.0))

    def add_pipes(self) -> list[_Candidate]:
        from ecograph.analysis.fit import host_of

        host = host_of(self.eco, self.node)
        if host is None:
            return []
        out: list[_Candidate] = []
        for s in self._feeders(self._inside(self.cm.index[host]))[:_PER_ACTION]:
            found = self.new_pipe(s)
            if found is None:
                continue
            change, how = found
            sender = self.cm.ids[s]
            why = (
                f"{sender} already sends {self.kind} into {host}, {self.node}'s host, but none "
                f"to {self.node}: a pipe from it, {how}"
            )
            out.append(_Candidate("add-pipe", (change,), why, frozenset({f"from:{sender}"})))
        return out

    def join(self) -> list[_Candidate]:
        from ecograph.analysis.fit import host_of, similarity

        eco, cm = self.eco, self.cm
        tags = eco.nodes[self.node].tags
        if not tags:
            return []
        current = host_of(eco, self.node)
        own = similarity(tags, eco.nodes[current].genes) if current is not None else 0.0
        mine = set(eco.ancestors_in_tree(self.node))
        scored = []
        for h, genes in enumerate(cm.genes):
            host = cm.ids[h]
            if not genes or host == current or host in mine or h == self.t:
                continue
            if self.node in eco.ancestors_in_tree(host):
                continue
            score = similarity(tags, genes)
            if score > own:
                scored.append((-score, h, score))
        out: list[_Candidate] = []
        for _, h, score in sorted(scored)[:_HOSTS]:
            host = cm.ids[h]
            feeders = self._feeders(self._inside(h))
            for s in feeders:
                found = self.new_pipe(s)
                if found is None:
                    continue
                change, how = found
                sender = cm.ids[s]
                before = f"{current}'s ({own:.2f})" if current is not None else "none before"
                why = (
                    f"{host}'s genes fit {self.node}'s tags better ({score:.2f}, against "
                    f"{before}): move {self.node} into {host} with a pipe from {sender}, {how}"
                )
                move = {"move": {"node": self.node, "parent": host}}
                touches = frozenset({"move", f"from:{sender}"})
                out.append(_Candidate("join", (move, change), why, touches))
                break
        return out

    def second_source(self) -> list[_Candidate]:
        from ecograph.analysis.dependency import dependency

        cm = self.cm
        dep = dependency(self.eco, self.node, currency=self.kind)
        roots = _roots(cm.parent)
        by_giant: dict[int, float] = {}
        for origin, share in dep.sources.items():
            r = int(roots[cm.index[origin]])
            by_giant[r] = by_giant.get(r, 0.0) + share
        if not by_giant:
            return []
        giant, share = max(by_giant.items(), key=lambda item: item[1])
        if share < GIANT_SHARE:
            return []
        pools = np.flatnonzero(
            (cm.kind == KIND_CODE["pool"]) & (roots != giant) & ~self.private
        ).tolist()
        pools = [p for p in pools if p not in self.senders and p != self.t]
        pools.sort(key=lambda p: -self.through.get(cm.ids[p], 0.0))
        out: list[_Candidate] = []
        for p in pools:
            if len(out) == _SECOND_SOURCES:
                break
            found = self.new_pipe(p)
            if found is None:
                continue
            change, how = found
            sender = cm.ids[p]
            why = (
                f"{share:.0%} of {self.node}'s {self.kind} enters the map in {cm.ids[giant]}'s "
                f"tree: a second source, a pipe from {sender} in {cm.ids[int(roots[p])]}, {how}"
            )
            out.append(_Candidate("second-source", (change,), why, frozenset({f"from:{sender}"})))
        return out


def _roots(parent: Any) -> Any:
    """Row of each node's top-level container (itself when it has no parent)."""
    root = np.arange(len(parent), dtype=np.int64)
    while True:
        up = parent[root]
        has = up >= 0
        if not has.any():
            return root
        root[has] = up[has]


# -- advise ----------------------------------------------------------------------------------


def advise(
    eco: Ecosystem,
    node: str,
    *,
    goal: str = "traffic",
    budget: float | None = None,
    top: int = 10,
    kind: str = "traffic",
) -> Advice:
    """The actions that would raise a node's traffic, revenue or net most per unit of cost.

    Parameters
    ----------
    eco : Ecosystem
        The map (not modified).
    node : str
        The firm advised.
    goal : {"traffic", "revenue", "net"}, default "traffic"
        What an action must raise (see the module docstring).
    budget : float, optional
        Most the kept actions may cost together per period (the rise of the
        node's spend); no limit by default.
    top : int, default 10
        Most actions kept.
    kind : str, default "traffic"
        The currency whose pipes are changed and whose arrivals convert.

    Returns
    -------
    Advice
        ``to_dict()`` gives ``{"for": node, "goal": ..., "actions": [...]}``
        and the ``total`` of the kept actions together; ``to_scenario()`` and
        ``scenario_text()`` give them as a scenario.

    Raises
    ------
    UsageError
        An unknown node, goal or currency, a budget that is negative or not a
        number, a ``top`` below 1.

    Notes
    -----
    Each candidate, and the kept actions together, is applied with
    :func:`ecograph.scenario.apply` (volumes of the whole map re-traced) and the
    node's traffic and value row are read from the changed map: the figures
    :func:`ecograph.whatif` reports, without comparing every other measure. The
    work is the number of candidates (at most 26: five of each of the first
    four kinds, three of the last two) times one ``apply``; on the synthetic
    map of ``benchmarks/`` that is below one ``whatif`` per candidate
    (``benchmarks/bench_advise.py``). The candidates are listed in the module
    docstring.

    Examples
    --------
    A shop gets 40 of the 100 visits of a pool, through a full pipe; the other
    60 leave the map. Doubled, the pipe takes 80 of the pool's 60 + 80 outlets,
    so it carries ``100 * 80 / 140``, about 17.14 more than now:

    >>> import ecograph
    >>> eco = ecograph.loads('''
    ... ecograph: 1
    ... name: tiny
    ... nodes:
    ...   users: {kind: pool, inflow: 100, outflow: 60}
    ...   shop:  {kind: partner, outflow: 40}
    ... pipes:
    ...   - {id: p, from: users, to: shop, volume: 40, capacity: 40}
    ... ''')
    >>> advice = advise(eco, "shop")
    >>> [(a.action, a.gain, a.cost) for a in advice.actions]
    [('widen', 17.1428571429, 0.0)]
    >>> advice.actions[0].change
    ({'set': {'pipe': 'p', 'capacity': 80, 'volume': 80}},)
    """
    check_currency(kind)
    _check_goal(goal)
    if node not in eco.nodes:
        raise UsageError(f"unknown node {node!r}{did_you_mean(node, eco.nodes)}")
    if budget is not None and not (isinstance(budget, int | float) and budget >= 0):
        raise UsageError(f"budget must be a number, 0 or more; got {budget!r}")
    if top < 1:
        raise UsageError(f"top must be at least 1, found {top}")
    candidates = _Drawer(eco, node, kind).draw()
    evaluate = _Evaluator(eco, node, goal, kind)
    measured: list[Action] = []
    touches: dict[int, frozenset[str]] = {}
    for c in candidates:
        gain, cost = evaluate(c.change)
        if gain > _EPS:
            touches[len(measured)] = c.touches
            measured.append(Action(c.action, c.change, gain, cost, c.why))
    order = sorted(
        range(len(measured)),
        key=lambda i: (measured[i].cost > 0, -measured[i].gain_per_cost, -measured[i].gain),
    )
    kept: list[Action] = []
    spent = 0.0
    used: set[str] = set()
    for i in order:
        a = measured[i]
        if len(kept) == top:
            break
        if used & touches[i]:
            continue
        if budget is not None and spent + a.cost > budget + _EPS:
            continue
        kept.append(a)
        used |= touches[i]
        spent += a.cost
    total_gain, total_cost = evaluate([c for a in kept for c in a.change])
    while budget is not None and kept and total_cost > budget + _EPS:  # actions that interact
        kept.pop()
        changes = [c for a in kept for c in a.change]
        total_gain, total_cost = evaluate(changes)
    return Advice(
        node=node,
        goal=goal,
        kind=kind,
        budget=None if budget is None else float(budget),
        actions=tuple(kept),
        total_gain=total_gain,
        total_cost=total_cost,
        considered=len(candidates),
    )


class _Evaluator:
    """Measures changes for one node as :func:`ecograph.whatif` would report them.

    ``whatif`` applies the scenario (:func:`ecograph.scenario.apply`) and compares
    every measure of both maps; a candidate needs only the node's traffic (from
    :func:`ecograph.flow`) and value row (from :func:`ecograph.value`), so this
    applies the scenario with the same function and computes those two on the
    changed map only (the base map's once), with ``compare``'s rules: the traffic
    delta as ``whatif`` rounds it, a value figure unchanged within its relative
    tolerance of 1e-9. ``tests/test_advise.py`` checks that both give the same figures.
    """

    def __init__(self, eco: Ecosystem, node: str, goal: str, kind: str) -> None:
        from ecograph.analysis.flow import flow
        from ecograph.analysis.value import value

        self.eco, self.node, self.goal, self.kind = eco, node, goal, kind
        self.traffic = flow(eco, currency=kind).throughflow.get(node)
        self.sheet = value(eco, currency=kind).nodes.get(node)

    def __call__(self, changes: Sequence[Mapping[str, Any]]) -> tuple[float, float]:
        from ecograph.analysis.flow import flow
        from ecograph.analysis.value import value
        from ecograph.scenario import apply

        if not changes:
            return 0.0, 0.0
        scenario = _scenario(self.node, self.goal, [Action("", tuple(changes), 0.0, 0.0, "")])
        after = apply(self.eco, scenario)
        old, new = self.sheet, value(after, currency=self.kind).nodes.get(self.node)
        # the value section lists the node when one of its figures moved beyond the tolerance
        listed = (
            old is not None and new is not None and any(_moved(old[f], new[f]) for f in _FIGURES)
        )
        cost = max(0.0, _diff(old["spend"], new["spend"])) if listed else 0.0  # type: ignore[index]
        if self.goal == "traffic":
            traffic = flow(after, currency=self.kind).throughflow.get(self.node)
            if self.traffic is None or traffic is None:
                return 0.0, cost
            return float(f"{traffic - self.traffic:.12g}"), cost
        if not listed:
            return 0.0, cost
        name = "revenue" if self.goal == "revenue" else "net"
        return _diff(old[name], new[name]), cost  # type: ignore[index]


_FIGURES = ("revenue", "spend", "income", "net")


def _moved(a: float, b: float) -> bool:
    """Differ as ``compare`` tells figures apart (relative tolerance 1e-9, floor 1)."""
    return bool(a != b and abs(a - b) > 1e-9 * max(abs(a), abs(b), 1.0))
