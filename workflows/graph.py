"""Pure graph algorithms over node ids and (source, target) edges."""

from __future__ import annotations

import heapq
from collections import defaultdict, deque


def _adjacency(edges):
    out, into = defaultdict(list), defaultdict(list)
    for source, target in edges:
        out[source].append(target)
        into[target].append(source)
    return out, into


def cycles(ids: list[str], edges: list[tuple[str, str]]) -> list[list[str]]:
    """Each strongly connected component that forms a cycle (Tarjan, iterative)."""
    out, _ = _adjacency(edges)
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    for root in ids:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child_i = work.pop()
            if child_i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            children = out[node]
            if child_i < len(children):
                work.append((node, child_i + 1))
                child = children[child_i]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in out[node]:
                    order = {n: i for i, n in enumerate(ids)}
                    found.append(sorted(component, key=order.__getitem__))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def entries(ids: list[str], edges: list[tuple[str, str]]) -> list[str]:
    targets = {target for _, target in edges}
    return [node for node in ids if node not in targets]


def unreachable(ids: list[str], edges: list[tuple[str, str]]) -> list[str]:
    out, _ = _adjacency(edges)
    seen = set(entries(ids, edges))
    queue = deque(seen)
    while queue:
        for child in out[queue.popleft()]:
            if child not in seen:
                seen.add(child)
                queue.append(child)
    return [node for node in ids if node not in seen]


def ancestors(ids: list[str], edges: list[tuple[str, str]]) -> dict[str, set[str]]:
    """Every node's transitive upstream set (cycles tolerated)."""
    _, into = _adjacency(edges)
    return {node: ancestors_of(into, node) for node in ids}


def ancestors_of(upstream, node: str) -> set[str]:
    """One node's transitive upstream set, from its direct predecessors
    (`upstream[node]`, e.g. the plan's `NodePlan.upstream`)."""
    seen, queue = set(), deque(upstream.get(node, ()))
    while queue:
        parent = queue.popleft()
        if parent not in seen and parent != node:
            seen.add(parent)
            queue.extend(upstream.get(parent, ()))
    return seen


def topological_order(ids: list[str], edges: list[tuple[str, str]]) -> list[str]:
    """Kahn's algorithm that always takes the earliest-listed ready node, so the
    given order is kept wherever the edges allow (graph must be acyclic)."""
    out, into = _adjacency(edges)
    position = {node: i for i, node in enumerate(ids)}
    remaining = {node: len(into[node]) for node in ids}
    ready = [position[node] for node in ids if remaining[node] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        node = ids[heapq.heappop(ready)]
        order.append(node)
        for child in out[node]:
            remaining[child] -= 1
            if remaining[child] == 0:
                heapq.heappush(ready, position[child])
    return order
