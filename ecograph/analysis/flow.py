"""Flow analysis: ecological network analysis (ENA) of one currency of a map.

Traffic pipes are flows of a conserved currency between compartments, the
same mathematics as energy or nutrient flows in a food web. :func:`flow`
computes the throughflow-based figures of ENA as R's enaR computes them in
``enaFlow`` (Lau, Borrett et al.; Finn 1976; Fath & Patten 1999): throughflow
per node, total system throughflow, average path length, the Finn cycling
index, and the split of throughflow into boundary, direct and indirect flow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ecograph._aliases import renamed
from ecograph.analysis._linalg import FlowArrays, layer_arrays, sampled_return, tidy
from ecograph.results import Result

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from ecograph.model import Ecosystem

    FloatArray = NDArray[np.float64]

__all__ = ["FlowAnalysis", "cycled_throughflow", "flow", "indices"]

#: Random walks used for the cycling of components larger than EXACT_LIMIT.
DEFAULT_SAMPLES = 200_000


@dataclass(frozen=True)
class FlowAnalysis(Result):
    """What :func:`flow` found (definitions in the Notes of :func:`flow`).

    Attributes
    ----------
    kind : str
    throughflow : dict of str to float
        ``T_i`` of every node of the map (0.0 where the currency does not pass).
    total_system_throughflow : float
        TST.
    boundary_input : float
        Total boundary inflow (enaR's ``Boundary``), imbalances included.
    average_path_length : float or None
        APL = TST / boundary input; None when nothing enters the map.
    cycling_index : float or None
        Finn cycling index; None when TST is 0.
    boundary_flow_index, direct_flow_index, indirect_flow_index : float or None
        enaR's BFI, DFI, IFI; None when TST is 0.
    imbalance : dict of str to float
        In minus out per node, as declared (before any closing).
    cycling_index_stderr : float
        Standard error of ``cycling_index``: 0.0 when it is exact, positive when
        part of it was sampled (components above the exact limit).
    cycled_throughflow : float
        ``TST_c``, the cycled part of TST.
    """

    kind: str
    throughflow: dict[str, float]
    total_system_throughflow: float
    boundary_input: float
    average_path_length: float | None
    cycling_index: float | None
    boundary_flow_index: float | None
    direct_flow_index: float | None
    indirect_flow_index: float | None
    imbalance: dict[str, float]
    cycling_index_stderr: float = 0.0
    cycled_throughflow: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data with the keys of the issue, plus ``cycling_index_stderr``.

        Examples
        --------
        >>> from ecograph.model import Ecosystem
        >>> sorted(flow(Ecosystem("empty")).to_dict())  # doctest: +NORMALIZE_WHITESPACE
        ['average_path_length', 'boundary_flow_index', 'cycling_index', 'cycling_index_stderr',
         'direct_flow_index', 'imbalance', 'indirect_flow_index', 'throughflow',
         'total_system_throughflow']
        """
        return {
            "throughflow": dict(self.throughflow),
            "total_system_throughflow": self.total_system_throughflow,
            "average_path_length": self.average_path_length,
            "cycling_index": self.cycling_index,
            "boundary_flow_index": self.boundary_flow_index,
            "direct_flow_index": self.direct_flow_index,
            "indirect_flow_index": self.indirect_flow_index,
            "imbalance": dict(self.imbalance),
            "cycling_index_stderr": self.cycling_index_stderr,
        }


@renamed(kind="currency")
def flow(
    eco: Ecosystem,
    *,
    currency: str = "traffic",
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
) -> FlowAnalysis:
    """Ecological network analysis of the flows of one currency.

    Parameters
    ----------
    eco : Ecosystem
        A loaded map (not modified).
    currency : str, default "traffic"
        (``kind=``, the former name, is still accepted.)
        The currency analysed; the others are ignored.
    samples : int, default 200000
        Random walks used to estimate the cycling of strongly connected
        components of more than :data:`~ecograph.analysis._linalg.EXACT_LIMIT`
        nodes (2,000), whose exact figure needs the diagonal of an inverse
        too large to form; smaller components are always exact.
    seed : int, default 0
        Seed of those walks (the result is reproducible).

    Returns
    -------
    FlowAnalysis

    Examples
    --------
    The oyster reef model of Dame & Patten (1981), as shipped with enaR (flows
    in kcal m^-2 day^-1); the outflows of meiofauna and detritus are 0.0001
    and 0.0005 below the published ones so that every node balances, which is
    what enaR's input-oriented throughflow assumes:

    >>> import ecograph
    >>> eco = ecograph.loads('''
    ... ecograph: 1
    ... name: oyster-reef
    ... nodes:
    ...   filter-feeders:  {kind: producer, inflow: 41.47, outflow: 25.1655}
    ...   microbiota:      {kind: producer, outflow: 5.7601}
    ...   meiofauna:       {kind: producer, outflow: 3.5793}
    ...   deposit-feeders: {kind: producer, outflow: 0.4303}
    ...   predators:       {kind: producer, outflow: 0.3594}
    ...   detritus:        {kind: pool, outflow: 6.1754}
    ... pipes:
    ...   - {from: filter-feeders, to: predators, volume: 0.5135}
    ...   - {from: filter-feeders, to: detritus, volume: 15.791}
    ...   - {from: microbiota, to: meiofauna, volume: 1.206}
    ...   - {from: microbiota, to: deposit-feeders, volume: 1.206}
    ...   - {from: meiofauna, to: deposit-feeders, volume: 0.6609}
    ...   - {from: meiofauna, to: detritus, volume: 4.2403}
    ...   - {from: deposit-feeders, to: predators, volume: 0.1721}
    ...   - {from: deposit-feeders, to: detritus, volume: 1.9076}
    ...   - {from: predators, to: detritus, volume: 0.3262}
    ...   - {from: detritus, to: microbiota, volume: 8.1721}
    ...   - {from: detritus, to: meiofauna, volume: 7.2745}
    ...   - {from: detritus, to: deposit-feeders, volume: 0.6431}
    ... ''')
    >>> f = flow(eco)
    >>> round(f.total_system_throughflow, 4), round(f.average_path_length, 6)
    (83.5833, 2.015512)
    >>> round(f.cycling_index, 7), round(f.boundary_flow_index, 7)
    (0.1101686, 0.4961517)
    >>> round(f.direct_flow_index, 7), round(f.indirect_flow_index, 7)
    (0.1950689, 0.3087794)

    These are the figures enaR prints for ``enaFlow(oyster)$ns`` in its
    vignette (Lau & Borrett, "enaR: Ecosystem Network Analysis with R").

    Notes
    -----
    Definitions, each as in enaR's ``enaFlow`` (Lau, Borrett et al.), with
    ``F`` the volumes of open pipes, ``z`` boundary inflow, ``T``
    throughflow, ``G = F / T`` (row-wise: the share of ``T_i`` sent to each
    ``j``) and ``N = (I - G)^{-1}``:

    - throughflow ``T_i``: what passes node ``i`` per period, ``z_i`` plus
      its pipe inflow (enaR: input-oriented throughflow, "assuming steady
      state"; Fath & Patten 1999);
    - total system throughflow ``TST = sum_i T_i`` (Finn 1976);
    - average path length ``APL = TST / sum_i z_i`` (Finn 1976; enaR's
      ``APL = TST / Boundary``; a.k.a. network aggradation);
    - Finn cycling index ``FCI = TST_c / TST`` with cycled throughflow
      ``TST_c = sum_i (N_ii - 1) / N_ii * T_i`` (Finn 1980, as in enaR);
    - boundary flow index ``BFI = Boundary / TST``; direct flow index
      ``DFI = sum(G z) / TST``; indirect flow index
      ``IFI = sum((N - I - G) z) / TST`` (Borrett et al. 2006; enaR's BFI,
      DFI, IFI, which it calls "intensities"). Since ``N z = T``,
      ``sum((N - I - G) z) = TST - Boundary - sum(G z)`` and the three add
      up to 1.

    Unbalanced maps: enaR refuses them (or balances them by adjusting every
    flow, ``balance()``). Here no declared volume is changed: each node's
    imbalance is closed at the boundary (what a node sends beyond what it
    receives enters the map there; what it receives beyond what it sends
    leaves there), so ``T_i = max(in_i, out_i)`` and input- and
    output-oriented throughflow agree. For a balanced map this is exactly
    enaR; ``imbalance`` reports what was closed. Flow circulating in a closed
    loop (no boundary flow in or out) counts in TST and as fully cycled, but
    not in the boundary, direct or indirect flow, which then add up to less
    than 1.

    Cost: everything but FCI is ``O(n + m)`` with no solve (``N z = T`` is an
    identity). FCI needs ``N_ii``, which depends only on the node's strongly
    connected component: 1 outside cycles, a dense inverse per component of
    up to 2,000 nodes (``O(k^3)``), and for larger components an unbiased
    estimate from ``samples`` random walks started in proportion to
    throughflow (``(N_ii - 1) / N_ii`` is the chance that a unit passing ``i``
    comes back to it), standard error in ``cycling_index_stderr``.
    """
    arrays = layer_arrays(eco, currency)
    cycled, stderr = cycled_throughflow(arrays, samples=samples, seed=seed)
    return indices(
        currency,
        arrays.ids,
        inflow=arrays.inflow,
        outflow=arrays.outflow,
        pipe_in=arrays.pipe_in,
        pipe_out=arrays.pipe_out,
        cycled=cycled,
        cycled_stderr=stderr,
        closed_throughflow=float(arrays.throughflow[arrays.closed].sum()),
    )


def indices(
    currency: str,
    ids: Sequence[str],
    *,
    inflow: FloatArray,
    outflow: FloatArray,
    pipe_in: FloatArray,
    pipe_out: FloatArray,
    cycled: float | None,
    cycled_stderr: float = 0.0,
    closed_throughflow: float = 0.0,
) -> FlowAnalysis:
    """The figures of :func:`flow` from per-node sums (what any engine can compute).

    Parameters
    ----------
    currency : str
        The currency.
    ids : sequence of str
        Node ids, in the order of the arrays.
    inflow, outflow : ndarray
        Declared boundary flows per node.
    pipe_in, pipe_out : ndarray
        Volume of open pipes arriving at and leaving each node.
    cycled : float or None
        Cycled throughflow ``TST_c`` (None: not computed; the cycling index is then None).
    cycled_stderr : float, default 0.0
        Its standard error when estimated.
    closed_throughflow : float, default 0.0
        Throughflow of the nodes in closed loops.

    Returns
    -------
    FlowAnalysis

    Examples
    --------
    A chain ``a -> b`` carrying 10 that enter at ``a`` and leave at ``b``:

    >>> import numpy as np
    >>> f = indices("traffic", ["a", "b"], inflow=np.array([10.0, 0]),
    ...             outflow=np.array([0, 10.0]), pipe_in=np.array([0, 10.0]),
    ...             pipe_out=np.array([10.0, 0]), cycled=0.0)
    >>> f.total_system_throughflow, f.average_path_length, f.direct_flow_index
    (20.0, 2.0, 0.5)
    """
    total_in = inflow + pipe_in
    total_out = outflow + pipe_out
    T = np.maximum(total_in, total_out)
    boundary_in = inflow + np.maximum(total_out - total_in, 0.0)
    tst = float(T.sum())
    boundary = float(boundary_in.sum())
    passed_on = np.divide(pipe_out, T, out=np.zeros_like(T), where=T > 0)
    direct = float((boundary_in * passed_on).sum())
    indirect = max(tst - closed_throughflow - boundary - direct, 0.0)
    imbalance = total_in - total_out
    scale = np.maximum(total_in, total_out)
    imbalance = np.where(np.abs(imbalance) <= 1e-12 * scale, 0.0, imbalance)

    def ratio(num: float | None, den: float) -> float | None:
        return _tidy(num / den) if den > 0 and num is not None else None

    return FlowAnalysis(
        kind=currency,
        throughflow=dict(zip(ids, tidy(T).tolist(), strict=True)),
        total_system_throughflow=_tidy(tst),
        boundary_input=_tidy(boundary),
        average_path_length=ratio(tst, boundary),
        cycling_index=ratio(cycled, tst),
        boundary_flow_index=ratio(boundary, tst),
        direct_flow_index=ratio(direct, tst),
        indirect_flow_index=ratio(indirect, tst),
        imbalance=dict(zip(ids, tidy(imbalance).tolist(), strict=True)),
        cycling_index_stderr=cycled_stderr / tst if tst > 0 else 0.0,
        cycled_throughflow=_tidy(cycled) if cycled is not None else math.nan,
    )


def _tidy(value: float) -> float:
    return float(tidy(np.array([value]))[0])


def cycled_throughflow(
    arrays: FlowArrays, *, samples: int = DEFAULT_SAMPLES, seed: int = 0
) -> tuple[float, float]:
    """``TST_c = sum_i T_i (N_ii - 1) / N_ii`` and its standard error (0 when exact).

    ``samples=0`` never samples: components too large for the exact inverse then
    make the result ``nan``.

    Examples
    --------
    >>> import ecograph
    >>> from ecograph.analysis._linalg import layer_arrays
    >>> eco = ecograph.loads('''
    ... ecograph: 1
    ... name: loop
    ... nodes:
    ...   a: {kind: pool, inflow: 10}
    ...   b: {kind: partner, outflow: 10}
    ... pipes:
    ...   - {from: a, to: b, volume: 15}
    ...   - {from: b, to: a, volume: 5}
    ... ''')
    >>> cycled_throughflow(layer_arrays(eco, "traffic"))  # T = 15 each; 1/3 comes back
    (10.0, 0.0)
    """
    T = arrays.throughflow
    cyclic = np.flatnonzero(arrays.cyclic & (T > 0))
    if len(cyclic) == 0:
        return 0.0, 0.0
    diag, known = arrays.integral_diagonal(cyclic)
    exact_part = cyclic[known]
    n_ii = diag[known]
    with np.errstate(invalid="ignore"):
        returned = np.where(np.isinf(n_ii), 1.0, (n_ii - 1.0) / n_ii)
    cycled = float((T[exact_part] * returned).sum())
    stderr = 0.0
    if not known.all():
        big = np.zeros(arrays.n, dtype=np.bool_)
        big[cyclic[~known]] = True
        if samples == 0:
            return math.nan, 0.0
        estimate, stderr = sampled_return(arrays, big, samples, seed)
        cycled += estimate
    return cycled, stderr if math.isfinite(stderr) else 0.0
