"""The map's pipes as numpy arrays, built once per drawing, so large maps draw in seconds.

A map with 100,000 partners and a million pipes is folded down to a few
thousand drawn nodes; every per-pipe step before that (sums per node, rolling
the folded tail's pipes up) runs on these arrays instead of Python objects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ecograph.compiled import compiled
from ecograph.model import Ecosystem

__all__ = ["PipeTable", "pipe_table"]

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class PipeTable:
    """Pipes and per-node sums as arrays; node ``i`` is ``ids[i]``, currency ``c`` is
    ``CURRENCIES[c]``.

    Attributes
    ----------
    ids : tuple of str
        Node ids in file order.
    source, target : ndarray of int
        Node index of each pipe's ends, in pipe order.
    currency : ndarray of int
    volume : ndarray of float
        0 where the volume is not given.
    given : ndarray of bool
        Whether the pipe gives a volume.
    open : ndarray of bool
    volume_in, volume_out : ndarray of float, shape (nodes, currencies)
        Volume of open pipes in and out of each node.
    pipes_in, pipes_out : ndarray of int
        Pipes of any currency and status.
    inflow, outflow : ndarray of float, shape (nodes, currencies)
        Boundary flows.
    """

    ids: tuple[str, ...]
    source: Ints
    target: Ints
    currency: Ints
    volume: Floats
    given: Bools
    open: Bools
    volume_in: Floats
    volume_out: Floats
    pipes_in: Ints
    pipes_out: Ints
    inflow: Floats
    outflow: Floats

    def through(self) -> Floats:
        """Flow through each node per currency: the larger of all in and all out.

        Returns
        -------
        ndarray of float, shape (nodes, currencies)
        """
        return np.maximum(self.volume_in + self.inflow, self.volume_out + self.outflow)


def pipe_table(eco: Ecosystem) -> PipeTable:
    """The arrays of a map, read from its compiled form.

    Examples
    --------
    >>> from ecograph.model import Ecosystem, Node, Pipe
    >>> eco = Ecosystem("m", nodes={"a": Node("a", "pool", inflow={"traffic": 7.0}),
    ...     "b": Node("b", "partner")},
    ...     pipes=(Pipe("p", "a", "b", volume=5.0), Pipe("q", "a", "b", status="blocked")))
    >>> t = pipe_table(eco)
    >>> t.volume_in[1].tolist(), t.pipes_out.tolist(), t.through()[0].tolist()
    ([5.0, 0.0, 0.0, 0.0], [2, 0], [7.0, 0.0, 0.0, 0.0])
    """
    cm = compiled(eco)
    volume_in, volume_out = cm.pipe_sums
    given = ~np.isnan(cm.volume)
    currency = cm.currency.astype(np.int64)
    return PipeTable(
        ids=cm.ids,
        source=cm.src,
        target=cm.dst,
        currency=currency,
        volume=np.where(given, cm.volume, 0.0),
        given=given,
        open=cm.open,
        volume_in=volume_in,
        volume_out=volume_out,
        pipes_in=np.bincount(cm.dst, minlength=cm.n),
        pipes_out=np.bincount(cm.src, minlength=cm.n),
        inflow=cm.inflow,
        outflow=cm.outflow,
    )
