"""Validation of a workflow definition: every problem at once, each with a JSON
path and a stable code (the API answers 422 with this list)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from workflows import graph, url_literals
from workflows.dsl import EdgeSpec, NodeSpec, WorkflowDefinition
from workflows.expressions import ROOT_NAMES, ExpressionError, analyze, is_template, iter_strings
from workflows.issues import SHOWN_CHARS, Issue, did_you_mean, hint, path_part, shown, sort_issues
from workflows.node_types import SAVED, NodeType, secret_fields
from workflows.nodes.for_each import ITEM_NAMES
from workflows.plain_errors import plain_issues
from workflows.secret_refs import use_problems

MAX_SUB_WORKFLOW_DEPTH = 8
__all__ = ["DefinitionInvalid", "Issue", "validate_definition", "validate_run_inputs"]


class DefinitionInvalid(Exception):
    def __init__(self, issues: list[Issue]):
        super().__init__("; ".join(f"{i.path}: {i.message}" for i in issues))
        self.issues = issues


class _Envelope(BaseModel):
    """The top level only; nodes and edges are parsed one by one so that one bad
    node does not hide the problems of the others."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    inputs: dict[str, Any] | None = None
    nodes: list[Any] = Field(default_factory=list)
    edges: list[Any] = Field(default_factory=list)


def validate_definition(
    raw: Any, registry: Mapping[str, NodeType], *, path: str = "$", depth: int = 0
) -> tuple[WorkflowDefinition | None, list[Issue]]:
    """Returns the parsed definition (None when structurally broken) and every
    issue, sorted by path."""
    if isinstance(raw, WorkflowDefinition):
        raw = raw.model_dump(by_alias=True, exclude_none=True)
    if not isinstance(raw, dict):
        return None, [Issue(code="invalid_field", path=path, message="a definition must be an object")]
    try:
        envelope = _Envelope.model_validate(raw)
    except ValidationError as err:
        issues = plain_issues(err, _Envelope, path, "invalid_field", "a workflow definition")
        envelope = None
    else:
        issues = []
    node_items = raw.get("nodes") if isinstance(raw.get("nodes"), list) else []
    edge_items = raw.get("edges") if isinstance(raw.get("edges"), list) else []

    nodes: list[tuple[int, NodeSpec]] = []
    for index, item in enumerate(node_items):
        try:
            nodes.append((index, NodeSpec.model_validate(item)))
        except ValidationError as err:
            issues += plain_issues(err, NodeSpec, f"{path}.nodes[{index}]", "invalid_field", "a node")
    edges: list[tuple[int, EdgeSpec]] = []
    for index, item in enumerate(edge_items):
        try:
            edges.append((index, EdgeSpec.model_validate(item)))
        except ValidationError as err:
            issues += plain_issues(err, EdgeSpec, f"{path}.edges[{index}]", "invalid_field", "an edge")

    if not node_items:
        issues.append(Issue(code="empty_graph", path=f"{path}.nodes", message="the graph has no nodes"))
    checker = _GraphChecker(path, nodes, edges, registry, depth)
    issues += checker.run()
    if isinstance(raw.get("inputs"), dict):
        issues += _check_inputs_schema(raw["inputs"], f"{path}.inputs")
    if issues or envelope is None:
        return None, sort_issues(issues)
    return WorkflowDefinition.model_validate(raw), []


def _check_inputs_schema(schema: dict, path: str) -> list[Issue]:
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as err:
        where = "".join(path_part(p) for p in err.absolute_path)
        return [Issue(code="invalid_inputs_schema", path=path + where, message=_schema_message(err))]
    return []


def validate_run_inputs(schema: dict | None, inputs: Any, path: str = "$.inputs") -> list[Issue]:
    """Run inputs against the definition's `inputs` JSON Schema (every error)."""
    if not isinstance(inputs, dict):
        return [Issue(code="invalid_run_inputs", path=path, message="inputs must be an object")]
    if not schema:
        return []
    validator = jsonschema.Draft202012Validator(schema)
    issues = []
    for err in validator.iter_errors(inputs):
        where = "".join(path_part(p) for p in err.absolute_path)
        issues.append(Issue(code="invalid_run_inputs", path=path + where, message=_schema_message(err)))
    return sort_issues(issues)


def _schema_message(err: jsonschema.ValidationError) -> str:
    """jsonschema's message, with the value it starts with cut short: inputs
    may hold a megabyte, and the message would echo all of it."""
    whole = repr(err.instance)
    if len(whole) > SHOWN_CHARS and err.message.startswith(whole):
        return shown(err.instance) + err.message[len(whole):]
    return err.message


class _GraphChecker:
    def __init__(self, path, nodes, edges, registry, depth):
        self.path = path
        self.nodes = nodes
        self.edges = edges
        self.registry = registry
        self.depth = depth
        self.issues: list[Issue] = []
        self.index_of: dict[str, int] = {}

    def add(self, code: str, path: str, message: str, suggestion: str | None = None) -> None:
        self.issues.append(Issue(code=code, path=path, message=message, suggestion=suggestion))

    def run(self) -> list[Issue]:
        self._check_ids()
        for index, node in self.nodes:
            self._check_type_and_config(index, node)
        good_edges = self._check_edges()
        ids = list(self.index_of)
        for cycle in graph.cycles(ids, good_edges):
            where = self._node_path(cycle[0])
            self.add("cycle", where, f"cycle through nodes {' -> '.join(cycle + [cycle[0]])}")
        for node_id in graph.unreachable(ids, good_edges):
            self.add("unreachable_node", self._node_path(node_id),
                     f"node `{node_id}` cannot be reached from any entry node")
        ancestors = graph.ancestors(ids, good_edges)
        for index, node in self.nodes:
            self._check_node_expressions(index, node, ancestors)
        for index, edge in self.edges:
            if edge.when is not None and edge.target in self.index_of:
                self._check_expression(edge.when, f"{self.path}.edges[{index}].when",
                                       ancestors.get(edge.target, set()), in_workflow=True,
                                       bare_allowed=True)
        return self.issues

    def _node_path(self, node_id: str) -> str:
        return f"{self.path}.nodes[{self.index_of[node_id]}]"

    def _check_ids(self) -> None:
        for index, node in self.nodes:
            if node.id in self.index_of:
                self.add("duplicate_node_id", f"{self.path}.nodes[{index}].id",
                         f"node id `{node.id}` is already used by nodes[{self.index_of[node.id]}]")
            else:
                self.index_of[node.id] = index

    def _check_type_and_config(self, index: int, node: NodeSpec) -> None:
        node_type = self.registry.get(node.type)
        if node_type is None:
            suggestion = did_you_mean(node.type, self.registry)
            known = "" if suggestion else f" (known: {', '.join(sorted(self.registry))})"
            self.add("unknown_node_type", f"{self.path}.nodes[{index}].type",
                     f"unknown node type {shown(node.type)}{hint(suggestion)}{known}", suggestion)
            return
        where = f"{self.path}.nodes[{index}].config"
        try:
            config = node_type.config_model.model_validate(node.config, context=SAVED)
        except ValidationError as err:
            self.issues += plain_issues(err, node_type.config_model, where, "invalid_config",
                                        f"{_article(node.type)} {node.type} node")
            return
        self.issues += url_literals.problems(node_type.config_model, node.config, where)
        if node.type == "sub_workflow":
            self._check_sub_workflow(index, config)
        if node.type == "for_each":
            self._check_for_each_node(f"{where}.node", config.node)

    def _check_for_each_node(self, where: str, item) -> None:
        """The node a for_each runs per item: an activity-run type that needs no
        privilege (it is saved inside another node's config), with a valid config."""
        item_type = self.registry.get(item.type)
        if item_type is None or item_type.kind != "activity" or item_type.privileged:
            usable = sorted(n for n, t in self.registry.items() if t.kind == "activity" and not t.privileged)
            self.add("invalid_config", f"{where}.type",
                     f"for_each runs one of {', '.join(usable)} per item, not {shown(item.type)}")
            return
        try:
            item_type.config_model.model_validate(item.config, context=SAVED)
        except ValidationError as err:
            self.issues += plain_issues(err, item_type.config_model, f"{where}.config", "invalid_config",
                                        f"{_article(item.type)} {item.type} node")
            return
        self.issues += url_literals.problems(item_type.config_model, item.config, f"{where}.config")

    def _check_sub_workflow(self, index: int, config: Any) -> None:
        where = f"{self.path}.nodes[{index}].config"
        if (config.definition is None) == (config.workflow_id is None):
            self.add("invalid_config", where, "give exactly one of `definition` or `workflow_id`")
        elif config.definition is not None:
            if self.depth >= MAX_SUB_WORKFLOW_DEPTH:
                self.add("invalid_config", where, f"sub-workflows nest deeper than {MAX_SUB_WORKFLOW_DEPTH}")
                return
            _, nested = validate_definition(config.definition, self.registry,
                                            path=f"{where}.definition", depth=self.depth + 1)
            self.issues += nested

    def _check_edges(self) -> list[tuple[str, str]]:
        good, seen = [], set()
        for index, edge in self.edges:
            ok = True
            for end, label in ((edge.source, "from"), (edge.target, "to")):
                if end not in self.index_of:
                    ok = False
                    suggestion = did_you_mean(end, self.index_of)
                    self.add(f"edge_unknown_{'source' if label == 'from' else 'target'}",
                             f"{self.path}.edges[{index}].{label}", f"no node with id {shown(end)}{hint(suggestion)}",
                             suggestion)
            if ok and (edge.source, edge.target) in seen:
                self.add("duplicate_edge", f"{self.path}.edges[{index}]",
                         f"edge {edge.source} -> {edge.target} appears twice")
            elif ok:
                seen.add((edge.source, edge.target))
                good.append((edge.source, edge.target))
        return good

    def _check_node_expressions(self, index: int, node: NodeSpec, ancestors: dict[str, set[str]]) -> None:
        node_type = self.registry.get(node.type)
        in_workflow = node_type is not None and node_type.kind == "workflow"
        upstream = ancestors.get(node.id, set())
        config = dict(node.config)
        if node.type == "sub_workflow":
            config.pop("definition", None)  # its own expressions were checked as a graph
        if node.type == "for_each" and isinstance(config.get("node"), dict):
            self._check_item_expressions(f"{self.path}.nodes[{index}].config.node", config.pop("node"), upstream)
        fields = secret_fields(node_type.config_model) if node_type is not None else frozenset()
        for key, value in config.items():
            for where, text in iter_strings(value, f"{self.path}.nodes[{index}].config.{key}"):
                if is_template(text):
                    self._check_expression(text, where, upstream, in_workflow=in_workflow, fields=fields,
                                           in_secret_field=key in fields)

    def _check_item_expressions(self, where: str, item: dict, upstream: set[str]) -> None:
        """A for_each's per-item node: its config runs in an activity and reads `item` and `index`."""
        item_type = self.registry.get(item.get("type")) if isinstance(item.get("type"), str) else None
        fields = secret_fields(item_type.config_model) if item_type is not None else frozenset()
        config = item.get("config") if isinstance(item.get("config"), dict) else {}
        for key, value in config.items():
            for path, text in iter_strings(value, f"{where}.config.{key}"):
                if is_template(text):
                    self._check_expression(text, path, upstream, in_workflow=False, fields=fields,
                                           in_secret_field=key in fields, extra_names=ITEM_NAMES)

    def _check_expression(self, text: str, where: str, upstream: set[str], *,
                          in_workflow: bool, bare_allowed: bool = False, fields: frozenset[str] = frozenset(),
                          in_secret_field: bool = False, extra_names: frozenset[str] = frozenset()) -> None:
        if bare_allowed and not is_template(text):
            text = "{{ " + text + " }}"
        try:
            found = analyze(text)
        except ExpressionError as err:
            self.add("expression_syntax", where, str(err))
            return
        for attr in found.unsafe:
            self.add("expression_unsafe", where, f"access to private attribute {shown(attr)} is not allowed")
        for reason in found.refused:
            self.add("expression_unsafe", where, reason)
        for name in sorted(found.names - ROOT_NAMES - extra_names):
            suggestion = did_you_mean(name, ROOT_NAMES)
            self.add("expression_unknown_name", where,
                     f"unknown name {shown(name)}{hint(suggestion)}: expressions read `inputs`, `nodes` and "
                     "`secrets`", suggestion)
        for problem in use_problems(found, where, in_workflow=in_workflow, fields=fields,
                                    in_secret_field=in_secret_field):
            self.add(problem.code, problem.path, problem.message)
        if found.dynamic_node_access:
            self.add("expression_dynamic_node", where, "read nodes by a literal id: nodes.<id> or nodes['<id>']")
        for ref in sorted(found.node_refs):
            if ref not in self.index_of:
                suggestion = did_you_mean(ref, self.index_of)
                self.add("expression_unknown_node", where,
                         f"no node with id {shown(ref)}{hint(suggestion)}", suggestion)
            elif ref not in upstream:
                self.add("expression_not_upstream", where,
                         f"node `{ref}` is not upstream of this expression, so its output is not ready")


def _article(word: str) -> str:
    spelt_out = word.lower().startswith(("http", "llm"))  # "an http_request", "an llm"
    return "an" if spelt_out or word[:1].lower() in "aeiou" else "a"
