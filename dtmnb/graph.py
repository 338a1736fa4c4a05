"""Dependency order: dtm's topological batches (Kahn's algorithm, linear) and the one cycle detector."""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def dependency_batches(keys: Sequence[K], deps: Mapping[K, Iterable[K]]) -> list[list[K]]:
    """dtm's topological sort: each batch holds the keys whose dependencies are all in earlier batches
    (dependencies outside ``keys`` count as satisfied), in input order. Raises ValueError naming a cycle."""
    index = {k: i for i, k in enumerate(keys)}
    waits = {k: {d for d in deps.get(k, ()) if d in index} for k in keys}
    dependents: dict[K, list[K]] = {k: [] for k in keys}
    for k, ds in waits.items():
        for d in ds:
            dependents[d].append(k)
    left = {k: len(ds) for k, ds in waits.items()}
    batch = [k for k in keys if not left[k]]
    batches, done = [], 0
    while batch:
        batches.append(batch)
        done += len(batch)
        ready = []
        for k in batch:
            for dep in dependents[k]:
                left[dep] -= 1
                if not left[dep]:
                    ready.append(dep)
        batch = sorted(ready, key=index.__getitem__)
    if done < len(keys):
        cycle = find_cycle(keys, waits) or [k for k in keys if left[k]]
        raise ValueError("dependency loop detected: " + " -> ".join(map(str, cycle)))
    return batches


def find_cycle(keys: Sequence[K], deps: Mapping[K, Iterable[K]]) -> list[K] | None:
    """One dependency cycle (first key repeated at the end), or None. Iterative, so deep chains are fine."""
    state: dict[K, int] = {}          # 1 on the current path, 2 finished
    for root in keys:
        if root in state:
            continue
        path: list[K] = [root]
        iters = [iter(deps.get(root, ()))]
        state[root] = 1
        while iters:
            for d in iters[-1]:
                if d not in state and d in deps:
                    state[d] = 1
                    path.append(d)
                    iters.append(iter(deps.get(d, ())))
                    break
                if state.get(d) == 1:
                    return path[path.index(d):] + [d]
            else:
                state[path.pop()] = 2
                iters.pop()
    return None


__all__ = ["dependency_batches", "find_cycle"]
