"""workflows.graph: cycles, entries, unreachable, ancestors, topological order."""

from __future__ import annotations

import itertools
import random

import pytest

from workflows import graph


def test_no_cycles_in_dag():
    ids = ["a", "b", "c", "d"]
    edges = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]
    assert graph.cycles(ids, edges) == []


def test_empty_graph():
    assert graph.cycles([], []) == []
    assert graph.unreachable([], []) == []
    assert graph.ancestors([], []) == {}
    assert graph.topological_order([], []) == []
    assert graph.entries([], []) == []


def test_self_loop_is_a_cycle():
    assert graph.cycles(["a", "b"], [("a", "b"), ("b", "b")]) == [["b"]]


def test_single_node_without_loop_is_not_a_cycle():
    assert graph.cycles(["a"], []) == []


def test_two_node_cycle_members_in_id_order():
    assert graph.cycles(["x", "b", "a"], [("a", "b"), ("b", "a")]) == [["b", "a"]]


def test_multiple_components():
    ids = ["s", "a", "b", "c", "d", "e", "f", "g"]
    edges = [("s", "a"), ("a", "b"), ("b", "a"),            # 2-cycle
             ("s", "c"), ("c", "d"), ("d", "e"), ("e", "c"),  # 3-cycle
             ("e", "f"), ("f", "f"),                          # self-loop
             ("s", "g")]
    found = graph.cycles(ids, edges)
    assert sorted(found) == [["a", "b"], ["c", "d", "e"], ["f"]]


def test_cycle_order_of_components_is_deterministic():
    ids = ["a", "b", "c", "d"]
    edges = [("c", "d"), ("d", "c"), ("a", "b"), ("b", "a")]
    assert graph.cycles(ids, edges) == graph.cycles(ids, edges)
    assert sorted(graph.cycles(ids, edges)) == [["a", "b"], ["c", "d"]]


def test_nested_cycles_form_one_component():
    ids = ["a", "b", "c", "d"]
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "b")]
    assert graph.cycles(ids, edges) == [["a", "b", "c", "d"]]


def test_long_chain_cycle_no_recursion_limit():
    n = 5000
    ids = [f"n{i}" for i in range(n)]
    edges = [(ids[i], ids[i + 1]) for i in range(n - 1)] + [(ids[-1], ids[0])]
    assert graph.cycles(ids, edges) == [ids]
    assert graph.cycles(ids, edges[:-1]) == []
    assert graph.topological_order(ids, edges[:-1]) == ids


def _reach(ids, edges):
    out = {i: set() for i in ids}
    for s, t in edges:
        out[s].add(t)
    reach = {}
    for i in ids:
        seen, stack = set(), list(out[i])
        while stack:
            x = stack.pop()
            if x not in seen:
                seen.add(x)
                stack.extend(out[x])
        reach[i] = seen
    return reach


def _brute_cycles(ids, edges):
    reach = _reach(ids, edges)
    comps, done = [], set()
    for i in ids:
        if i in done:
            continue
        comp = [j for j in ids if j == i or (j in reach[i] and i in reach[j])]
        done.update(comp)
        if len(comp) > 1 or i in reach[i]:
            comps.append(comp)
    return sorted(comps)


@pytest.mark.parametrize("seed", range(40))
def test_cycles_match_brute_force(seed):
    rng = random.Random(seed)
    n = rng.randint(1, 9)
    ids = [f"n{i}" for i in range(n)]
    rng.shuffle(ids)
    edges = [(a, b) for a, b in itertools.product(ids, ids) if rng.random() < 0.18]
    assert sorted(graph.cycles(ids, edges)) == _brute_cycles(ids, edges)


@pytest.mark.parametrize("seed", range(40))
def test_ancestors_match_brute_force(seed):
    rng = random.Random(1000 + seed)
    n = rng.randint(1, 9)
    ids = [f"n{i}" for i in range(n)]
    edges = [(a, b) for a, b in itertools.product(ids, ids) if rng.random() < 0.2]
    reach = _reach(ids, edges)
    expected = {i: {j for j in ids if i in reach[j] and j != i} for i in ids}
    assert graph.ancestors(ids, edges) == expected


def test_entries():
    assert graph.entries(["a", "b", "c"], [("a", "b")]) == ["a", "c"]
    assert graph.entries(["a", "b"], [("a", "b"), ("b", "a")]) == []


def test_unreachable_cycle_island():
    ids = ["s", "t", "a", "b"]
    edges = [("s", "t"), ("a", "b"), ("b", "a")]
    assert graph.unreachable(ids, edges) == ["a", "b"]


def test_cycle_reachable_from_entry_is_not_unreachable():
    ids = ["s", "a", "b"]
    assert graph.unreachable(ids, [("s", "a"), ("a", "b"), ("b", "a")]) == []


def test_all_cycle_graph_all_unreachable_in_id_order():
    assert graph.unreachable(["c", "a", "b"], [("a", "b"), ("b", "c"), ("c", "a")]) == ["c", "a", "b"]


def test_downstream_of_island_is_unreachable():
    ids = ["s", "a", "b", "c"]
    edges = [("a", "b"), ("b", "a"), ("b", "c")]
    assert graph.unreachable(ids, edges) == ["a", "b", "c"]


def test_isolated_nodes_are_entries_and_reachable():
    assert graph.unreachable(["a", "b"], []) == []


def test_ancestors_diamond():
    ids = ["a", "b", "c", "d", "e"]
    edges = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("e", "c")]
    assert graph.ancestors(ids, edges) == {
        "a": set(), "b": {"a"}, "c": {"a", "e"}, "d": {"a", "b", "c", "e"}, "e": set()}


def test_ancestors_with_cycle_exclude_self():
    ids = ["s", "a", "b"]
    edges = [("s", "a"), ("a", "b"), ("b", "a")]
    assert graph.ancestors(ids, edges) == {"s": set(), "a": {"s", "b"}, "b": {"s", "a"}}


def test_ancestors_self_loop_excludes_self():
    assert graph.ancestors(["a"], [("a", "a")]) == {"a": set()}


def test_topological_order_chain_reversed_ids():
    assert graph.topological_order(["c", "b", "a"], [("a", "b"), ("b", "c")]) == ["a", "b", "c"]


def test_topological_order_ties_follow_id_order():
    ids = ["root", "z", "y", "x", "join"]
    edges = [("root", "x"), ("root", "y"), ("root", "z"), ("x", "join"), ("y", "join"), ("z", "join")]
    assert graph.topological_order(ids, edges) == ["root", "z", "y", "x", "join"]


def test_topological_order_independent_nodes_keep_id_order():
    assert graph.topological_order(["d", "b", "a", "c"], []) == ["d", "b", "a", "c"]


def test_topological_order_diamond():
    ids = ["a", "c", "b", "d"]
    edges = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]
    assert graph.topological_order(ids, edges) == ["a", "c", "b", "d"]


def test_topological_order_deterministic_under_edge_order():
    ids = ["a", "b", "c", "d"]
    edges = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]
    assert graph.topological_order(ids, edges) == graph.topological_order(ids, list(reversed(edges)))


@pytest.mark.parametrize("seed", range(30))
def test_topological_order_is_valid_for_random_dags(seed):
    rng = random.Random(seed)
    n = rng.randint(1, 12)
    ids = [f"n{i}" for i in range(n)]
    edges = [(ids[i], ids[j]) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.3]
    shuffled = ids[:]
    rng.shuffle(shuffled)
    order = graph.topological_order(shuffled, edges)
    assert sorted(order) == sorted(ids)
    position = {x: i for i, x in enumerate(order)}
    assert all(position[s] < position[t] for s, t in edges)


def test_topological_order_keeps_already_sorted_ids():
    ids = ["a", "b", "c", "d"]
    edges = [("a", "d"), ("b", "c")]
    assert graph.topological_order(ids, edges) == ["a", "b", "c", "d"]


def test_topological_order_leaves_out_cycle_members():
    ids = ["s", "a", "b", "t"]
    assert graph.topological_order(ids, [("s", "a"), ("a", "b"), ("b", "a"), ("s", "t")]) == ["s", "t"]
