"""Independent dense references shared by the flow, reach and dependency tests.

Built from the networkx graph (``flow_layer``) with numpy, not from
``ecograph.analysis``: a second path to the same numbers.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from ecograph.graph import flow_layer
from ecograph.model import Ecosystem


def closed_dense(eco: Ecosystem, kind: str = "traffic") -> dict[str, Any]:
    """ecograph's documented closing, densely: each node's imbalance closed at the boundary.

    Returns the layer ``D``, node ``ids``, flow matrix ``F``, throughflow ``T``
    (max of in and out), closed boundary inflow ``z`` and outflow ``y``, routing
    matrix ``P`` (``F`` divided by the sender's throughflow) and ``I-P``.
    """
    D = flow_layer(eco.graph, kind)
    ids = list(D.nodes)
    F = nx.to_numpy_array(D, nodelist=ids, weight="volume")
    z = np.array([D.nodes[v]["inflow"] for v in ids])
    y = np.array([D.nodes[v]["outflow"] for v in ids])
    total_in, total_out = F.sum(axis=0) + z, F.sum(axis=1) + y
    T = np.maximum(total_in, total_out)
    P = np.divide(F, T[:, np.newaxis], out=np.zeros_like(F), where=T[:, np.newaxis] > 0)
    return {
        "D": D,
        "ids": ids,
        "F": F,
        "T": T,
        "z": z + np.maximum(total_out - total_in, 0),
        "y": y + np.maximum(total_in - total_out, 0),
        "P": P,
        "I-P": np.eye(len(ids)) - P,
    }
