"""Folding the long tail: which nodes a large map draws as one summary node per group.

Only leaves of the membership tree are folded (groups stay, so the structure
is always visible). Each group keeps its few largest members and then leaves
are kept largest first across the map, until the drawn nodes (kept nodes plus
one summary node per group that folded something) fit the budget.

Notes
-----
Sorting dominates: O(n log n) for n nodes, on numpy arrays (a 100,000-node
map plans in well under a second).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ecograph.model import Ecosystem

__all__ = ["MIN_KEEP", "FoldPlan", "plan_folds"]

#: Every group keeps at least this many of its largest members when it can.
MIN_KEEP = 3


@dataclass(frozen=True, slots=True)
class FoldPlan:
    """The leaves of one group that are folded.

    Attributes
    ----------
    group : str or None
        The group (parent) whose leaves are folded; None for top-level leaves.
    ids : tuple of str
        Folded node ids, largest first.
    """

    group: str | None
    ids: tuple[str, ...]


def plan_folds(
    eco: Ecosystem, weight: Sequence[float] | np.ndarray, max_nodes: int
) -> tuple[FoldPlan, ...]:
    """Decide which leaves to fold so that at most ``max_nodes`` nodes are drawn.

    Parameters
    ----------
    eco : Ecosystem
    weight : sequence of float
        How much each node matters, in the order of ``eco.nodes`` (larger is
        kept first); ties keep file order.
    max_nodes : int
        The node budget. A map within it folds nothing. When the groups alone
        exceed it, every leaf that can be folded is.

    Returns
    -------
    tuple of FoldPlan
        One per group that folds two or more members (a lone folded member
        would take a summary node's place: it is drawn as itself), groups in
        file order, top-level leaves first.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node
    >>> nodes = {"p": Node("p", "platform")}
    >>> nodes.update({f"a{i}": Node(f"a{i}", "partner", parent="p") for i in range(10)})
    >>> eco = Ecosystem("m", nodes=nodes)
    >>> plan = plan_folds(eco, [0.0, *range(10)], max_nodes=6)
    >>> [(f.group, f.ids) for f in plan]
    [('p', ('a5', 'a4', 'a3', 'a2', 'a1', 'a0'))]
    >>> plan_folds(eco, [0.0] * 11, max_nodes=11)
    ()
    """
    n = len(eco.nodes)
    if n <= max_nodes:
        return ()
    ids = list(eco.nodes)
    index = {node_id: i for i, node_id in enumerate(ids)}
    parent = np.fromiter(
        (-1 if node.parent is None else index[node.parent] for node in eco.nodes.values()),
        np.int64,
        n,
    )
    w = np.asarray(weight, dtype=np.float64)
    has_members = np.zeros(n, np.bool_)
    has_members[parent[parent >= 0]] = True
    leaves = np.flatnonzero(~has_members)
    group = parent[leaves]
    structural = n - len(leaves)

    # rank of each leaf inside its group, largest first
    by_group = np.lexsort((leaves, -w[leaves], group))
    sorted_groups = group[by_group]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    sizes = np.diff(np.r_[starts, len(leaves)])
    rank = np.empty(len(leaves), np.int64)
    rank[by_group] = np.arange(len(leaves)) - np.repeat(starts, sizes)

    # keep order: every group's first MIN_KEEP, then the largest leaves of the map
    ranked = np.lexsort((leaves, -w[leaves], rank >= MIN_KEEP))
    # a group adds one drawn node (its summary, or a lone folded leaf) iff its last-ranked
    # leaf is folded, so drawn(keep) never decreases: bisect for the largest keep that fits
    ranked_groups = group[ranked]
    _, last_reversed = np.unique(ranked_groups[::-1], return_index=True)
    lasts = np.sort(len(ranked) - 1 - last_reversed)

    def drawn(keep: int) -> int:
        return structural + keep + len(lasts) - int(np.searchsorted(lasts, keep, side="left"))

    low, high = 0, len(ranked)  # drawn(0) may exceed the budget: then fold all that can be
    while low < high:
        middle = (low + high + 1) // 2
        if drawn(middle) <= max_nodes:
            low = middle
        else:
            high = middle - 1

    # the folded leaves, by group (file order, top level first), largest first
    members = leaves[ranked[low:]]
    member_groups = group[ranked[low:]]
    order = np.lexsort((members, -w[members], member_groups))
    members, member_groups = members[order], member_groups[order]
    out: list[FoldPlan] = []
    starts = np.flatnonzero(np.r_[True, member_groups[1:] != member_groups[:-1]])
    ends = np.r_[starts[1:], len(members)]
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        if end - start < 2:
            continue
        g = int(member_groups[start])
        out.append(
            FoldPlan(None if g < 0 else ids[g], tuple(ids[i] for i in members[start:end].tolist()))
        )
    return tuple(out)
