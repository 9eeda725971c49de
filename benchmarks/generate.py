"""A large synthetic ecosystem for benchmarks: seeded, balanced, built in seconds.

``generate()`` builds the model objects directly (no YAML) with numpy:

- ``platforms`` platforms, each with one user pool (boundary ``inflow`` of
  traffic) and one fund (boundary ``inflow`` of capital);
- ``sub_ecosystems`` sub-ecosystems nested under the platforms, with ``genes``;
- ``partners`` partners nested under the sub-ecosystems (heavy-tailed group
  sizes), with ``tags``;
- about ``pipes`` pipes in all: pool -> platform, pool -> sub-ecosystem,
  platform -> sub-ecosystem, sub-ecosystem -> each of its partners, partner ->
  partner pipes whose out- and in-degrees follow a power law (Pareto weights,
  tail exponent 1.5; 80 % stay inside the partner's sub-ecosystem), a few
  partner -> sub-ecosystem referral pipes (cycles), capital pipes from the funds,
  and blocked pipes (no volume). Repeated pairs are parallel pipes, keyed
  ``<from>-><to>:<kind>#2`` like the loader keys them.

Volumes are exact and balanced: every node keeps a share of its throughflow
(its boundary ``outflow``: pools 0, platforms 0.2, sub-ecosystems 0.3,
partners 0.4-0.9, everything for a node without out-pipes) and routes the rest
over its open pipes in fixed random proportions. Throughflow solves
``T = z + P^T T`` (fixed-point iteration, P substochastic), volumes are
``T_u * share_uv`` and each node's ``outflow`` is then set to what comes in
minus what goes out, so every node balances to floating-point precision.
Capacities are whole numbers: ``ceil(volume * f)`` with ``f`` in [1.00, 1.05)
for one pipe in ten (saturated), ``1 + Exp(0.6)`` otherwise, and no capacity
(unbounded) for one partner pipe in twenty.

Run ``python benchmarks/generate.py [--partners N] [--pipes M] [--out FILE]``
to write the map as JSON (the same keys as a YAML map) for inspection, or with
``--parquet DIR`` (``--csv DIR``) as tables and a ``DIR/map.yaml`` that names them.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from ecograph._perf import fast_constructor
from ecograph.model import Ecosystem, Location, Node, Pipe

__all__ = ["generate", "to_document", "write_tables"]

_EMPTY: MappingProxyType[str, Any] = MappingProxyType({})
_WHERE = Location("<generated>", 0, 0)
_GENES = ("commerce", "office", "social", "payments", "media", "logistics", "hardware", "games")


def _pareto(rng: np.random.Generator, n: int, a: float = 1.5) -> np.ndarray:
    """Heavy-tailed positive weights (Pareto, minimum 1, tail exponent ``a``)."""
    return rng.pareto(a, n) + 1.0


def _pick_within(
    rng: np.random.Generator,
    groups: np.ndarray,
    weights: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    order: np.ndarray,
    cum: np.ndarray,
) -> np.ndarray:
    """For each group id in ``groups``, draw one member weighted by ``weights``."""
    lo = np.where(starts[groups] > 0, cum[starts[groups] - 1], 0.0)
    hi = cum[ends[groups] - 1]
    u = lo + rng.random(len(groups)) * (hi - lo)
    pos = np.searchsorted(cum, u, side="right")
    pos = np.clip(pos, starts[groups], ends[groups] - 1)
    return np.asarray(order[pos])


def generate(
    *,
    seed: int = 0,
    platforms: int = 10,
    sub_ecosystems: int = 200,
    partners: int = 100_000,
    pipes: int = 1_000_000,
) -> Ecosystem:
    """Build a seeded synthetic ecosystem.

    Parameters
    ----------
    seed : int, default 0
        Seed of the random generator; the same arguments give the same map.
    platforms, sub_ecosystems, partners : int
        Counts of each kind of node (besides one pool and one fund per platform).
    pipes : int, default 1_000_000
        Total number of pipes wanted; must leave room for the structural pipes
        (``platforms + 2 * sub_ecosystems + partners`` plus a few).

    Returns
    -------
    Ecosystem
        Node ids ``platform-00``, ``pool-00``, ``fund-00``, ``sub-000``,
        ``partner-000000``. ``len(eco.pipes) == pipes``.

    Examples
    --------
    >>> eco = generate(platforms=2, sub_ecosystems=4, partners=50, pipes=300)
    >>> len(eco.pipes), eco.summary()["nodes"]
    (300, {'platform': 2, 'sub-ecosystem': 4, 'partner': 50, 'pool': 2, 'fund': 2})
    """
    if min(platforms, sub_ecosystems, partners) < 1:
        raise ValueError("platforms, sub_ecosystems and partners must be at least 1")
    n_back = max(1, partners // 100)
    n_capital = max(platforms, pipes // 2000)
    n_blocked = max(1, pipes // 1000)
    structural = platforms + 2 * sub_ecosystems + partners
    n_pp = pipes - structural - n_back - n_capital - n_blocked
    if n_pp < 0:
        raise ValueError(f"pipes={pipes} is too few: the structure alone needs {pipes - n_pp}")
    rng = np.random.default_rng(seed)
    P, S, N = platforms, sub_ecosystems, partners

    # -- node indices: platforms, pools, funds, subs, partners ----------------
    plat0, pool0, fund0, sub0, part0 = 0, P, 2 * P, 3 * P, 3 * P + S
    n_nodes = part0 + N
    ids = (
        [f"platform-{i:02d}" for i in range(P)]
        + [f"pool-{i:02d}" for i in range(P)]
        + [f"fund-{i:02d}" for i in range(P)]
        + [f"sub-{i:03d}" for i in range(S)]
        + [f"partner-{i:06d}" for i in range(N)]
    )
    sub_platform = np.concatenate([np.arange(P), rng.integers(0, P, max(0, S - P))])[:S]
    rng.shuffle(sub_platform)
    sub_size_w = _pareto(rng, S, 1.2)
    part_sub = rng.choice(S, size=N, p=sub_size_w / sub_size_w.sum())
    part_sub[: min(S, N)] = np.arange(min(S, N))  # every sub-ecosystem has a partner
    out_w = _pareto(rng, N)
    in_w = _pareto(rng, N)

    # -- traffic pipes (open) ------------------------------------------------
    src: list[np.ndarray] = []
    dst: list[np.ndarray] = []
    src += [pool0 + np.arange(P)]
    dst += [plat0 + np.arange(P)]
    src += [pool0 + sub_platform]
    dst += [sub0 + np.arange(S)]
    src += [plat0 + sub_platform]
    dst += [sub0 + np.arange(S)]
    src += [sub0 + part_sub]
    dst += [part0 + np.arange(N)]
    # partner -> partner: sources by out-weight, targets by in-weight, 80 % local
    a = rng.choice(N, size=n_pp, p=out_w / out_w.sum())
    order = np.argsort(part_sub, kind="stable")
    starts = np.searchsorted(part_sub[order], np.arange(S), side="left")
    ends = np.searchsorted(part_sub[order], np.arange(S), side="right")
    cum = np.cumsum(in_w[order])
    local = rng.random(n_pp) < 0.8
    b = np.empty(n_pp, dtype=np.int64)
    b[local] = _pick_within(rng, part_sub[a[local]], in_w, starts, ends, order, cum)
    b[~local] = rng.choice(N, size=int((~local).sum()), p=in_w / in_w.sum())
    loops = a == b
    b[loops] = (b[loops] + 1) % N
    if N == 1:
        a, b = a[:0], b[:0]
        n_pp = 0
    src += [part0 + a]
    dst += [part0 + b]
    back = rng.choice(N, size=n_back, replace=n_back > N)
    src += [part0 + back]
    dst += [sub0 + part_sub[back]]
    t_src = np.concatenate(src)
    t_dst = np.concatenate(dst)
    m_open = len(t_src)

    # -- routing shares and balanced volumes ---------------------------------
    keep = np.empty(n_nodes)
    keep[plat0:pool0] = 0.2
    keep[pool0:fund0] = 0.0
    keep[fund0:sub0] = 1.0
    keep[sub0:part0] = 0.3
    keep[part0:] = rng.uniform(0.4, 0.9, N)
    out_deg = np.bincount(t_src, minlength=n_nodes)
    keep[out_deg == 0] = 1.0
    w = rng.lognormal(0.0, 1.0, m_open)
    w_sum = np.bincount(t_src, weights=w, minlength=n_nodes)
    share = (1.0 - keep[t_src]) * w / w_sum[t_src]
    z = np.zeros(n_nodes)
    pool_users = np.round(rng.lognormal(np.log(3e8), 0.8, P), -3)
    z[pool0 : pool0 + P] = np.round(pool_users * rng.uniform(0.05, 0.3, P))
    T = z.copy()
    for _ in range(500):
        T_new = z + np.bincount(t_dst, weights=T[t_src] * share, minlength=n_nodes)
        done = np.max(np.abs(T_new - T)) <= 1e-12 * max(1.0, float(np.max(T_new)))
        T = T_new
        if done:
            break
    volume = T[t_src] * share
    t_in = z + np.bincount(t_dst, weights=volume, minlength=n_nodes)
    t_out = np.bincount(t_src, weights=volume, minlength=n_nodes)
    outflow = np.maximum(t_in - t_out, 0.0)
    f = np.where(rng.random(m_open) < 0.1, rng.uniform(1.0, 1.05, m_open), 1.0)
    f = np.where(f == 1.0, 1.0 + rng.exponential(0.6, m_open), f)
    capacity = np.maximum(np.ceil(volume * f), 1.0)
    unbounded = (t_src >= part0) & (rng.random(m_open) < 0.05)

    # -- blocked traffic pipes: no volume, a capacity -------------------------
    ba = rng.choice(N, size=n_blocked, p=out_w / out_w.sum())
    bb = rng.integers(0, N, n_blocked)
    bb = np.where(ba == bb, (bb + 1) % N, bb)
    b_src = part0 + ba
    b_dst = part0 + bb
    b_cap = np.ceil(rng.lognormal(np.log(1e3), 1.0, n_blocked))

    # -- capital: funds -> partners of their platform -------------------------
    c_fund = np.concatenate([np.arange(P), rng.integers(0, P, n_capital - P)])
    plat_of_part = sub_platform[part_sub]
    c_part = np.empty(n_capital, dtype=np.int64)
    for p in range(P):
        sel = c_fund == p
        members = np.flatnonzero(plat_of_part == p)
        pool = members if len(members) else np.arange(N)
        c_part[sel] = rng.choice(pool, size=int(sel.sum()))
    c_vol = np.round(rng.lognormal(np.log(2e6), 1.0, n_capital), -3)
    c_src = fund0 + c_fund
    c_dst = part0 + c_part
    cap_in = np.bincount(c_src, weights=c_vol, minlength=n_nodes)
    cap_out = np.bincount(c_dst, weights=c_vol, minlength=n_nodes)

    # -- pipes in file order: by source node, traffic before capital ------------
    all_src = np.concatenate([t_src, b_src, c_src])
    all_dst = np.concatenate([t_dst, b_dst, c_dst])
    kind_code = np.concatenate(
        [np.zeros(m_open + n_blocked, np.int64), np.ones(n_capital, np.int64)]
    )
    is_blocked = np.zeros(len(all_src), bool)
    is_blocked[m_open : m_open + n_blocked] = True
    vol_all = np.concatenate([volume, np.full(n_blocked, np.nan), c_vol])
    cap_all = np.concatenate(
        [np.where(unbounded, np.nan, capacity), b_cap, np.full(n_capital, np.nan)]
    )
    perm = np.lexsort((kind_code, all_src))
    all_src, all_dst, kind_code = all_src[perm], all_dst[perm], kind_code[perm]
    is_blocked, vol_all, cap_all = is_blocked[perm], vol_all[perm], cap_all[perm]
    # repeat number of each (from, to, kind) in file order -> "#2", "#3" suffixes
    code = (all_src * n_nodes + all_dst) * 2 + kind_code
    by_code = np.argsort(code, kind="stable")
    sorted_code = code[by_code]
    first = np.searchsorted(sorted_code, sorted_code, side="left")
    repeat = np.empty(len(code), np.int64)
    repeat[by_code] = np.arange(len(code)) - first

    # -- model objects ---------------------------------------------------------
    genes_of_sub = [
        tuple(sorted({_GENES[g] for g in rng.choice(len(_GENES), 2, replace=False)}))
        for _ in range(S)
    ]
    tag_pick = rng.integers(0, len(_GENES), N)
    tag_fit = rng.random(N) < 0.9
    nodes: dict[str, Node] = {}
    users_p = pool_users.tolist()
    out_l = outflow.tolist()
    cap_out_l = cap_out.tolist()
    for i in range(P):
        nid = ids[plat0 + i]
        nodes[nid] = Node(
            nid,
            "platform",
            outflow=MappingProxyType({"traffic": out_l[plat0 + i]}),
            location=_WHERE,
        )
    for i in range(P):
        nid = ids[pool0 + i]
        nodes[nid] = Node(
            nid,
            "pool",
            parent=ids[plat0 + i],
            users=users_p[i],
            inflow=MappingProxyType({"traffic": float(z[pool0 + i])}),
            location=_WHERE,
        )
    for i in range(P):
        nid = ids[fund0 + i]
        nodes[nid] = Node(
            nid,
            "fund",
            parent=ids[plat0 + i],
            inflow=MappingProxyType({"capital": float(cap_in[fund0 + i])}),
            location=_WHERE,
        )
    for j in range(S):
        nid = ids[sub0 + j]
        nodes[nid] = Node(
            nid,
            "sub-ecosystem",
            parent=ids[plat0 + int(sub_platform[j])],
            outflow=MappingProxyType({"traffic": out_l[sub0 + j]}),
            genes=genes_of_sub[j],
            location=_WHERE,
        )
    make_node = fast_constructor(Node)
    part_sub_l = part_sub.tolist()
    tag_pick_l, tag_fit_l = tag_pick.tolist(), tag_fit.tolist()
    sub_ids = ids[sub0:part0]
    for k in range(N):
        i = part0 + k
        nid = ids[i]
        g = genes_of_sub[part_sub_l[k]]
        tag = g[0] if tag_fit_l[k] else _GENES[tag_pick_l[k]]
        flows = {"traffic": out_l[i]}
        if cap_out_l[i]:
            flows["capital"] = cap_out_l[i]
        # id, kind, label, parent, users, inflow, outflow, tags, genes,
        # description, source, attrs, location
        nodes[nid] = make_node(
            nid,
            "partner",
            nid,
            sub_ids[part_sub_l[k]],
            None,
            _EMPTY,
            MappingProxyType(flows),
            (tag,),
            (),
            None,
            None,
            _EMPTY,
            _WHERE,
            None,  # price
            None,  # domain
            None,  # owner
        )

    kinds = ("traffic", "capital")
    src_l, dst_l, kind_l = all_src.tolist(), all_dst.tolist(), kind_code.tolist()
    rep_l, blk_l = repeat.tolist(), is_blocked.tolist()
    vol_l = [None if v != v else v for v in vol_all.tolist()]
    cap_l = [None if c != c else c for c in cap_all.tolist()]
    out: list[Pipe] = []
    append = out.append
    make_pipe = fast_constructor(Pipe)
    enabled = gc.isenabled()
    gc.disable()  # a million small objects: the cyclic collector only costs time here
    try:
        for index in range(len(src_l)):
            u, v, kind = ids[src_l[index]], ids[dst_l[index]], kinds[kind_l[index]]
            base = f"{u}->{v}:{kind}"
            r = rep_l[index]
            append(
                make_pipe(
                    base if r == 0 else f"{base}#{r + 1}",
                    u,
                    v,
                    kind,
                    vol_l[index],
                    cap_l[index],
                    None,
                    None,
                    "blocked" if blk_l[index] else "open",
                    None,
                    None,
                    None,
                    _EMPTY,
                    index,
                    _WHERE,
                    "to",  # paid_by
                )
            )
    finally:
        if enabled:
            gc.enable()
    return Ecosystem(
        f"synthetic-{seed}",
        title=f"Synthetic ecosystem (seed {seed}, {N} partners, {len(out)} pipes)",
        nodes=nodes,
        pipes=tuple(out),
        units=MappingProxyType({"traffic": "visits", "capital": "CNY"}),
        description="Generated by benchmarks/generate.py",
    )


def to_document(eco: Ecosystem) -> dict[str, Any]:
    """The map as a plain document with the keys of a YAML map (for ``json.dump``).

    Examples
    --------
    >>> doc = to_document(generate(platforms=1, sub_ecosystems=1, partners=3, pipes=12))
    >>> doc["ecograph"], len(doc["pipes"])
    (1, 12)
    """
    nodes: dict[str, Any] = {}
    for node in eco.nodes.values():
        entry: dict[str, Any] = {"kind": node.kind}
        if node.parent:
            entry["parent"] = node.parent
        if node.users is not None:
            entry["users"] = node.users
        for name in ("inflow", "outflow"):
            flows = getattr(node, name)
            if flows:
                entry[name] = dict(flows)
        if node.tags:
            entry["tags"] = list(node.tags)
        if node.genes:
            entry["genes"] = list(node.genes)
        nodes[node.id] = entry
    pipes: list[dict[str, Any]] = []
    for pipe in eco.pipes:
        entry = {"from": pipe.from_node, "to": pipe.to_node}
        if pipe.kind != "traffic":
            entry["kind"] = pipe.kind
        if pipe.volume is not None:
            entry["volume"] = pipe.volume
        if pipe.capacity is not None:
            entry["capacity"] = pipe.capacity
        if not pipe.is_open:
            entry["status"] = pipe.status
        pipes.append(entry)
    return {
        "ecograph": 1,
        "name": eco.name,
        "title": eco.title,
        "period": eco.period,
        "units": dict(eco.units),
        "nodes": nodes,
        "pipes": pipes,
    }


def main(argv: list[str] | None = None) -> int:
    """Generate a map, print its summary, and optionally write it as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--platforms", type=int, default=10)
    parser.add_argument("--sub-ecosystems", type=int, default=200)
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--pipes", type=int, default=1_000_000)
    parser.add_argument("--out", help="write the map as JSON to this file")
    parser.add_argument(
        "--parquet",
        metavar="DIR",
        help="write the map as Parquet tables (DIR/nodes.parquet, DIR/pipes.parquet) and a "
        "map DIR/map.yaml that names them (tables:)",
    )
    parser.add_argument(
        "--csv", metavar="DIR", help="the same as --parquet, with CSV tables (DIR/nodes.csv...)"
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    eco = generate(
        seed=args.seed,
        platforms=args.platforms,
        sub_ecosystems=args.sub_ecosystems,
        partners=args.partners,
        pipes=args.pipes,
    )
    print(f"generated {eco!r} in {time.perf_counter() - start:.2f} s", file=sys.stderr)
    print(json.dumps(eco.summary(), indent=2))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            json.dump(to_document(eco), fh, ensure_ascii=False)
    for fmt, folder in (("parquet", args.parquet), ("csv", args.csv)):
        if folder:
            write_tables(eco, folder, fmt)
            print(f"wrote {folder}/map.yaml and its {fmt} tables", file=sys.stderr)
    return 0


def write_tables(eco: Ecosystem, folder: str, fmt: str) -> Path:
    """Write ``eco`` as ``fmt`` tables in ``folder`` and a stub ``map.yaml`` naming them."""
    from ecograph.exchange import export

    target = Path(folder)
    export(eco, target, fmt)
    units = ", ".join(f"{k}: {v}" for k, v in eco.units.items())
    (target / "map.yaml").write_text(
        f"ecograph: 1\nname: {eco.name}\nperiod: {eco.period}\nunits: {{{units}}}\n"
        f"tables:\n  nodes: [nodes.{fmt}]\n  pipes: [pipes.{fmt}]\n",
        encoding="utf-8",
    )
    return target / "map.yaml"


if __name__ == "__main__":
    raise SystemExit(main())
