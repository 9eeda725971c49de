"""Which pipes are drawn: one by one, rolled up where they touch a folded tail, within a budget.

A pipe between two drawn nodes is drawn as itself. A pipe with an end in a
folded long tail is rolled up with the others that join the same two drawn
nodes in the same currency and status (volumes and counts summed); a pipe
inside one folded tail is not drawn (the summary node counts it). If more
pipes remain than the edge budget, the smallest (by share of their
currency's volume) are left out and counted, never dropped silently;
bottleneck and blocked pipes go last (and empty ones, when highlighted).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ecograph.model import CURRENCIES, Ecosystem, Pipe
from ecograph.render.table import Ints, PipeTable

__all__ = ["EdgePlan", "PipePlan", "plan_pipes"]


@dataclass(frozen=True, slots=True)
class EdgePlan:
    """One drawn edge before styling.

    Attributes
    ----------
    id, source, target, currency : str
    volume : float or None
        Summed over open pipes that give one; None when none does.
    blocked, bottleneck : bool
    pipes : int
        Map pipes it stands for.
    pipe : Pipe or None
        The map pipe, when the edge is one pipe drawn as itself.
    empty : bool
        Every pipe it stands for is empty
        (:func:`ecograph.analysis.diagnose.empty_pipes`).
    """

    id: str
    source: str
    target: str
    currency: str
    volume: float | None
    blocked: bool
    bottleneck: bool
    pipes: int
    pipe: Pipe | None
    empty: bool = False


@dataclass(slots=True)
class PipePlan:
    """The drawn edges and what the folded tails and the budget hid.

    Attributes
    ----------
    edges : list of EdgePlan
        Pipes drawn as themselves (map order), then rolled-up ones.
    fold_pipes : list of int
        Per fold: pipes touching a folded node.
    fold_volume : list of dict
        Per fold: volume per currency of those pipes.
    left_out : int
        Map pipes not drawn because of the edge budget.
    left_out_volume : dict
        Their volume per currency.
    """

    edges: list[EdgePlan]
    fold_pipes: list[int]
    fold_volume: list[dict[str, float]]
    left_out: int = 0
    left_out_volume: dict[str, float] = field(default_factory=dict)


def plan_pipes(
    eco: Ecosystem,
    table: PipeTable,
    fold_of: Ints,
    fold_ids: list[str],
    *,
    cut: frozenset[str],
    budget: int,
    taken: set[str],
    empty: npt.NDArray[np.bool_] | None = None,
    keep_empty: bool = False,
) -> PipePlan:
    """Decide how each pipe is drawn.

    Parameters
    ----------
    eco : Ecosystem
    table : PipeTable
    fold_of : ndarray of int
        Per node (table order): index of the fold it is folded into, or -1.
    fold_ids : list of str
        Drawn id of each fold's summary node.
    cut : frozenset of str
        Keys of pipes on the highlighted minimum cut.
    budget : int
        Most edges drawn.
    taken : set of str
        Ids in use; ids made for rolled-up edges are added to it.
    empty : ndarray of bool, optional
        Per map pipe: whether it is empty; a rolled-up edge is empty when all
        its pipes are.
    keep_empty : bool, default False
        Keep empty pipes within the budget before any other (after bottleneck
        and blocked ones), as when they are highlighted.

    Examples
    --------
    >>> import numpy as np
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> from ecograph.render.table import pipe_table
    >>> eco = Ecosystem("m", nodes={"u": Node("u", "pool"), "a": Node("a", "partner"),
    ...     "b": Node("b", "partner")}, pipes=(Pipe("p1", "u", "a", volume=2.0),
    ...     Pipe("p2", "u", "b", volume=3.0), Pipe("p3", "a", "b", volume=1.0)))
    >>> plan = plan_pipes(eco, pipe_table(eco), np.array([-1, 0, 0]), ["fold:top"],
    ...                   cut=frozenset(), budget=10, taken=set())
    >>> [(e.source, e.target, e.volume, e.pipes) for e in plan.edges]
    [('u', 'fold:top', 5.0, 2)]
    >>> plan.fold_pipes, plan.fold_volume
    ([3], [{'traffic': 6.0}])
    """
    n, k, folds = len(table.ids), len(CURRENCIES), len(fold_ids)
    source, target, currency = table.source, table.target, table.currency
    carried = np.where(table.open, table.volume, 0.0)
    counted = table.given & table.open
    blocked = ~table.open
    on_cut = (
        np.fromiter((p.key in cut for p in eco.pipes), np.bool_, len(eco.pipes))
        if cut
        else np.zeros(len(eco.pipes), np.bool_)
    )
    if empty is None:
        empty = np.zeros(len(eco.pipes), np.bool_)
    fs, ft = fold_of[source], fold_of[target]

    # what each folded tail holds: every pipe touching it, counted once per fold
    at_s = fs >= 0
    at_t = (ft >= 0) & (ft != fs)
    fold_pipes = np.bincount(fs[at_s], minlength=folds) + np.bincount(ft[at_t], minlength=folds)
    fold_volume = (
        np.bincount(fs[at_s] * k + currency[at_s], weights=carried[at_s], minlength=folds * k)
        + np.bincount(ft[at_t] * k + currency[at_t], weights=carried[at_t], minlength=folds * k)
    ).reshape(folds, k)

    # drawn as themselves, or rolled up by (drawn source, drawn target, currency, blocked)
    rep = np.where(fold_of >= 0, n + fold_of, np.arange(n))
    rs, rt = rep[source], rep[target]
    direct = np.flatnonzero((fs < 0) & (ft < 0))
    roll = (rs != rt) & ((fs >= 0) | (ft >= 0))
    width = n + folds
    key = ((rs[roll] * width + rt[roll]) * k + currency[roll]) * 2 + blocked[roll]
    keys, inverse = np.unique(key, return_inverse=True)
    r_volume = np.bincount(inverse, weights=carried[roll], minlength=len(keys))
    r_given = np.bincount(inverse, weights=counted[roll], minlength=len(keys)) > 0
    r_pipes = np.bincount(inverse, minlength=len(keys))
    r_cut = np.bincount(inverse, weights=on_cut[roll], minlength=len(keys)) > 0
    r_empty = np.bincount(inverse, weights=empty[roll], minlength=len(keys)) == r_pipes
    r_blocked = (keys % 2).astype(bool)
    r_currency = (keys // 2) % k
    r_target = (keys // (2 * k)) % width
    r_source = keys // (2 * k * width)

    # the budget: keep bottleneck pipes, then blocked ones, then the largest shares
    keep_direct, keep_rolled = direct, np.arange(len(keys))
    left_out = 0
    left_volume = np.zeros(k)
    if len(direct) + len(keys) > budget:
        volumes = np.concatenate([carried[direct], r_volume])
        currencies = np.concatenate([currency[direct], r_currency])
        totals = np.bincount(currencies, weights=volumes, minlength=k)
        share = volumes / np.where(totals[currencies] > 0, totals[currencies], 1.0)
        marks = (
            np.concatenate([on_cut[direct], r_cut]).astype(int) * 4
            + np.concatenate([blocked[direct], r_blocked]).astype(int) * 2
        )
        if keep_empty:
            marks += np.concatenate([empty[direct], r_empty]).astype(int)
        order = np.lexsort((np.arange(len(share)), -share, -marks))
        chosen = np.zeros(len(share), np.bool_)
        chosen[order[:budget]] = True
        dropped = ~chosen
        left_out = int(
            np.count_nonzero(dropped[: len(direct)]) + r_pipes[dropped[len(direct) :]].sum()
        )
        left_volume = np.bincount(
            currencies[dropped], weights=volumes[dropped], minlength=k
        ).astype(np.float64)
        keep_direct = direct[chosen[: len(direct)]]
        keep_rolled = np.flatnonzero(chosen[len(direct) :])

    edges = []
    for i in keep_direct.tolist():
        pipe = eco.pipes[i]
        edges.append(
            EdgePlan(
                pipe.key,
                pipe.from_node,
                pipe.to_node,
                pipe.kind,
                pipe.volume,
                not pipe.is_open,
                bool(on_cut[i]),
                1,
                pipe,
                bool(empty[i]),
            )
        )

    def drawn_id(i: int) -> str:
        return table.ids[i] if i < n else fold_ids[i - n]

    for j in keep_rolled.tolist():
        s, t = drawn_id(int(r_source[j])), drawn_id(int(r_target[j]))
        name = CURRENCIES[int(r_currency[j])]
        base = f"rolled:{s}->{t}:{name}" + (":blocked" if r_blocked[j] else "")
        edge_id, n_same = base, 1
        while edge_id in taken:
            n_same += 1
            edge_id = f"{base}#{n_same}"
        taken.add(edge_id)
        edges.append(
            EdgePlan(
                edge_id,
                s,
                t,
                name,
                float(r_volume[j]) if r_given[j] else None,
                bool(r_blocked[j]),
                bool(r_cut[j]),
                int(r_pipes[j]),
                None,
                bool(r_empty[j]),
            )
        )
    return PipePlan(
        edges,
        fold_pipes.tolist(),
        [{CURRENCIES[c]: float(v) for c, v in enumerate(row) if v} for row in fold_volume.tolist()],
        left_out,
        {CURRENCIES[c]: float(v) for c, v in enumerate(left_volume.tolist()) if v},
    )
