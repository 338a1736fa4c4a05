"""Dependency graphs of tools: the project's one cycle finder and dtm's batch order, both linear.

Nodes are any hashable keys (the engine and the config loader use ``name.instanceID``). ``deps`` maps a
node to the nodes it depends on (it must run after them); a dependency that is not one of the nodes
counts as satisfied, as in dtm. Neither function recurses, so a chain of 100,000 tools is fine.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

from .errors import DependencyCycleError

K = TypeVar("K", bound=Hashable)

__all__ = ["dependency_batches", "find_cycle"]


def find_cycle(nodes: Iterable[K], edges: Mapping[K, Iterable[K]]) -> list[K] | None:
    """One dependency cycle among ``nodes``, or None when there is none.

    ``edges[a]`` lists what ``a`` depends on; targets that are not in ``nodes`` are ignored. The cycle is
    returned as its nodes in dependency order without repeating the first (``[a, b]`` for a -> b -> a,
    ``[a]`` for a self-dependency), rotated to start at the node that comes first in ``nodes``. Iterative
    depth-first search: O(nodes + edges).
    """
    order = list(dict.fromkeys(nodes))
    rank = {n: i for i, n in enumerate(order)}
    state: dict[K, int] = {}          # 1: on the current path, 2: finished
    for root in order:
        if root in state:
            continue
        path: list[K] = [root]
        where = {root: 0}             # position of each node on the path
        todo = [iter(edges.get(root, ()))]
        state[root] = 1
        while todo:
            nxt = next(todo[-1], None)
            if nxt is None:
                done = path.pop()
                del where[done]
                state[done] = 2
                todo.pop()
                continue
            if nxt not in rank or state.get(nxt) == 2:
                continue
            if state.get(nxt) == 1:
                ring = path[where[nxt]:]
                first = min(range(len(ring)), key=lambda i: rank[ring[i]])
                return ring[first:] + ring[:first]
            state[nxt] = 1
            where[nxt] = len(path)
            path.append(nxt)
            todo.append(iter(edges.get(nxt, ())))
    return None


def dependency_batches(keys_in_order: Sequence[K], deps: Mapping[K, Iterable[K]]) -> list[list[K]]:
    """dtm's topological batches: batch 0 holds the keys with no dependency among ``keys_in_order``, each
    later batch the remaining keys whose dependencies are all in earlier batches; inside a batch, keys keep
    their input order. Dependencies outside ``keys_in_order`` count as satisfied.

    Kahn's algorithm, O(keys + dependencies). Keys must be unique (ValueError otherwise). A cycle raises
    :class:`~dtmnb.errors.DependencyCycleError` naming one cycle (its ``cycle`` attribute).
    """
    index = {k: i for i, k in enumerate(keys_in_order)}
    if len(index) != len(keys_in_order):
        seen: set = set()
        dup = next(k for k in keys_in_order if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise ValueError(f"dependency_batches: key {dup!r} is given twice")
    waiting = [0] * len(keys_in_order)                # dependencies not yet placed in a batch
    dependents: list[list[int]] = [[] for _ in keys_in_order]
    for i, key in enumerate(keys_in_order):
        for d in set(deps.get(key, ())):
            j = index.get(d)
            if j is not None:
                waiting[i] += 1
                dependents[j].append(i)
    level = [0] * len(keys_in_order)
    ready = [i for i, n in enumerate(waiting) if n == 0]
    placed = 0
    while ready:                                      # a key's batch: one past its latest dependency's
        i = ready.pop()
        placed += 1
        for j in dependents[i]:
            level[j] = max(level[j], level[i] + 1)
            waiting[j] -= 1
            if waiting[j] == 0:
                ready.append(j)
    if placed < len(keys_in_order):
        stuck = [k for i, k in enumerate(keys_in_order) if waiting[i]]
        cycle = find_cycle(stuck, deps) or stuck
        raise DependencyCycleError(cycle)
    batches: list[list[K]] = [[] for _ in range(max(level, default=-1) + 1)]
    for i, key in enumerate(keys_in_order):           # in input order, so each batch keeps it
        batches[level[i]].append(key)
    return batches
