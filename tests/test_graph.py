"""dtmnb.graph: dtm's batch order and the one cycle finder, linear and without recursion."""
from __future__ import annotations

import pytest

from dtmnb.errors import DependencyCycleError, UsageError
from dtmnb.graph import dependency_batches, find_cycle


def test_batches_follow_dtm_semantics():
    keys = ["d", "a", "c", "b", "e"]
    deps = {"d": ["b", "c"], "c": ["a", "outside.tool"], "b": ["a"], "e": []}
    # batch = every remaining key whose dependencies are all in earlier batches; input order inside a batch;
    # a dependency outside the keys counts as satisfied
    assert dependency_batches(keys, deps) == [["a", "e"], ["c", "b"], ["d"]]


def test_batches_of_nothing_and_of_independent_keys():
    assert dependency_batches([], {}) == []
    assert dependency_batches(["x", "y"], {}) == [["x", "y"]]


def test_a_long_chain_is_fine():
    n = 50_000
    keys = [f"t{i}" for i in range(n)]
    batches = dependency_batches(keys, {f"t{i}": [f"t{i - 1}"] for i in range(1, n)})
    assert len(batches) == n and batches[-1] == [f"t{n - 1}"]
    assert find_cycle(keys, {f"t{i}": [f"t{i - 1}"] for i in range(1, n)}) is None


def test_a_cycle_is_an_error_naming_it():
    with pytest.raises(DependencyCycleError) as info:
        dependency_batches(["x", "a", "b", "c"], {"a": ["b"], "b": ["c"], "c": ["a"], "x": []})
    assert info.value.cycle == ["a", "b", "c"]
    assert str(info.value) == "dependency loop detected: a -> b -> c -> a; remove one of these dependsOn entries"
    assert isinstance(info.value, UsageError)


def test_duplicate_keys_are_refused():
    with pytest.raises(ValueError, match="'a' is given twice"):
        dependency_batches(["a", "b", "a"], {})


@pytest.mark.parametrize("nodes, edges, cycle", [
    (["a"], {"a": ["a"]}, ["a"]),
    (["c", "a", "b"], {"a": ["b"], "b": ["c"], "c": ["a"]}, ["c", "a", "b"]),       # starts at the first node
    (["a", "b", "c"], {"a": ["b", "zz"], "b": ["c"], "c": []}, None),              # outside targets ignored
    (["a", "b", "c", "d"], {"a": ["b"], "b": ["c"], "c": ["b"], "d": ["a"]}, ["b", "c"]),
])
def test_find_cycle(nodes, edges, cycle):
    assert find_cycle(nodes, edges) == cycle


def test_a_long_cycle_is_found_without_recursion():
    n = 20_000
    edges = {i: [(i + 1) % n] for i in range(n)}
    assert find_cycle(range(n), edges) == list(range(n))
