"""Turns a valid definition into a Plan: defaults resolved, retry policies and
timeouts per node, dependency sets, topological order, sub-workflows inlined."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from workflows import graph
from workflows.expressions import analyze, is_template, iter_strings
from workflows.node_types import NodeType
from workflows.plan import EdgePlan, NodePlan, Plan, RetryPlan
from workflows.validation import DefinitionInvalid, Issue, validate_definition

# (workflow_id, version or None) -> definition dict; raises LookupError if unknown
Resolver = Callable[[str, int | None], dict[str, Any]]


def compile_definition(
    raw: Any,
    registry: Mapping[str, NodeType],
    *,
    resolver: Resolver | None = None,
    output_cap_bytes: int = 256 * 1024,
    workflow_id: str | None = None,
    version: int | None = None,
    _depth: int = 0,
) -> Plan:
    definition, issues = validate_definition(raw, registry)
    if issues:
        raise DefinitionInvalid(issues)
    assert definition is not None
    ids = [node.id for node in definition.nodes]
    edge_pairs = [(edge.source, edge.target) for edge in definition.edges]
    order = {node_id: i for i, node_id in enumerate(graph.topological_order(ids, edge_pairs))}
    upstream = {node_id: [] for node_id in ids}
    for source, target in edge_pairs:
        upstream[target].append(source)

    index_of = {node.id: i for i, node in enumerate(definition.nodes)}
    nodes = []
    for node in sorted(definition.nodes, key=lambda n: order[n.id]):
        node_type = registry[node.type]
        retry = node.retry
        nodes.append(NodePlan(
            id=node.id,
            type=node.type,
            kind=node_type.kind,
            activity=node_type.activity_name if node_type.kind == "activity" else None,
            local=node_type.pure and node_type.kind == "activity",
            config=node.config,
            retry=RetryPlan(
                max_attempts=retry.max_attempts if retry else node_type.default_max_attempts,
                initial_interval_s=retry.initial_interval_s if retry else 1.0,
                backoff=retry.backoff if retry else 2.0,
                max_interval_s=retry.max_interval_s if retry else 60.0,
            ),
            timeout_s=node.timeout_s or node_type.default_timeout_s,
            continue_on_error=node.continue_on_error,
            upstream=upstream[node.id],
            reads=_reads(node.config),
            child=_compile_child(node, f"$.nodes[{index_of[node.id]}].config", registry, resolver,
                                 output_cap_bytes, _depth),
        ))
    return Plan(
        name=definition.name,
        workflow_id=workflow_id,
        version=version,
        inputs_schema=definition.inputs,
        nodes=nodes,
        edges=[EdgePlan(source=e.source, target=e.target, when=e.when) for e in definition.edges],
        output_cap_bytes=output_cap_bytes,
    )


def _reads(config: dict[str, Any]) -> list[str]:
    refs: set[str] = set()
    for _, text in iter_strings(config, "$"):
        if is_template(text):
            refs |= analyze(text).node_refs
    return sorted(refs)


def _compile_child(node, where: str, registry, resolver, cap, depth) -> Plan | None:
    if node.type != "sub_workflow":
        return None
    config = node.config
    if config.get("definition") is not None:
        return compile_definition(config["definition"], registry, resolver=resolver,
                                  output_cap_bytes=cap, _depth=depth + 1)
    if resolver is None:
        raise DefinitionInvalid([Issue(code="unresolved_workflow", path=f"{where}.workflow_id",
                                       message="saved workflows can only be referenced through the API")])
    if depth >= 8:
        raise DefinitionInvalid([Issue(code="invalid_config", path=where,
                                       message="sub-workflow references nest too deep (a loop?)")])
    try:
        child = resolver(config["workflow_id"], config.get("version"))
    except LookupError as err:
        message = err.args[0] if err.args else f"no workflow {config['workflow_id']!r}"
        raise DefinitionInvalid([Issue(code="unresolved_workflow", path=f"{where}.workflow_id",
                                       message=str(message))]) from None
    return compile_definition(child, registry, resolver=resolver, output_cap_bytes=cap,
                              workflow_id=config["workflow_id"], version=config.get("version"),
                              _depth=depth + 1)
