"""Where `{{ secrets.NAME }}` may appear, and which secrets a definition or a
plan references. One rule, checked when a version is saved (validation.py) and
again by the worker before a node call resolves anything (a plan can be forged):

- only in the config fields of activity-run nodes that take a secret
  (node_types.TAKES_SECRET: header values, an API key), whose value goes to a
  destination and never into an output;
- only as a plain reference `{{ secrets.NAME }}` or `{{ secrets['NAME'] }}`,
  possibly inside literal text ("Bearer {{ secrets.TOKEN }}"): no filter,
  test, operator, loop or condition may reshape the value;
- NAME is a valid secret name (credentials/names.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from credentials.names import is_secret_name
from workflows.expressions import Analysis, ExpressionError, analyze, is_template, iter_strings
from workflows.node_types import NodeType, secret_fields
from workflows.plan import Plan

IN_WORKFLOW = ("secrets are only resolved inside activity-run nodes, never in edge conditions, delays, "
               "approvals or sub-workflow inputs (they would enter history)")
PLAIN_ONLY = ("a secret may only be referenced as '{{ secrets.NAME }}' (inside literal text is fine): "
              "no filters, tests, operators, loops or other expressions on it")


@dataclass(frozen=True)
class SecretProblem:
    code: str
    path: str
    message: str


def uses_secrets(found: Analysis) -> bool:
    return bool(found.secret_refs) or found.secret_misuse


def use_problems(found: Analysis, path: str, *, in_workflow: bool, fields: frozenset[str] = frozenset(),
                 in_secret_field: bool = False) -> list[SecretProblem]:
    """The problems of one analysed string; `fields` are its node type's
    secret-taking fields, `in_secret_field` whether the string is inside one."""
    if not uses_secrets(found):
        return []
    if in_workflow:
        return [SecretProblem("secret_not_allowed", path, IN_WORKFLOW)]
    if not in_secret_field:
        offered = f"this node type: {', '.join(sorted(fields))}" if fields else "this node type has none"
        return [SecretProblem("secret_not_allowed", path,
                              f"secrets may only be used in config fields that take a secret ({offered}), "
                              "where the value cannot be reshaped into an output")]
    if found.secret_misuse:
        return [SecretProblem("secret_not_allowed", path, PLAIN_ONLY)]
    bad = sorted(name for name in found.secret_refs if not is_secret_name(name))
    if bad:
        return [SecretProblem("invalid_secret_name", path,
                              f"invalid secret name(s) {', '.join(map(repr, bad))}: upper case letters, "
                              "digits and '_', starting with a letter, at most 64")]
    return []


def node_problems(node_type: NodeType, config: dict[str, Any], path: str = "$.config"
                  ) -> tuple[set[str], list[SecretProblem]]:
    """The secret names a node's config references and every misplaced use:
    what the worker checks before it resolves anything."""
    in_workflow = node_type.kind == "workflow"
    fields = secret_fields(node_type.config_model)
    names: set[str] = set()
    problems: list[SecretProblem] = []
    for key, value in config.items():
        for where, text in iter_strings(value, f"{path}.{key}"):
            found = _analysis(text)
            if found is None:
                continue
            names |= found.secret_refs
            problems += use_problems(found, where, in_workflow=in_workflow, fields=fields,
                                     in_secret_field=key in fields)
    return names, problems


def references(value: Any, path: str = "$") -> dict[str, list[str]]:
    """name -> JSON paths of its plain references anywhere in a (validated)
    definition, inline sub-workflows and edges included."""
    found: dict[str, list[str]] = defaultdict(list)
    for where, text in iter_strings(value, path):
        analysis = _analysis(text)
        for name in sorted(analysis.secret_refs if analysis else ()):
            found[name].append(where)
    return dict(found)


def plan_references(plan: Plan, path: str = "$.nodes") -> dict[str, list[str]]:
    """The same for a compiled plan, saved sub-workflows inlined; paths name
    nodes by id ($.nodes.<id>.config..., $.nodes.<sub>.child.nodes.<id>...)."""
    found: dict[str, list[str]] = defaultdict(list)
    for node in plan.nodes:
        for name, paths in references(node.config, f"{path}.{node.id}.config").items():
            found[name] += paths
        if node.child is not None:
            for name, paths in plan_references(node.child, f"{path}.{node.id}.child.nodes").items():
                found[name] += paths
    return dict(found)


def _analysis(text: str) -> Analysis | None:
    # Jinja2 names are written out, so no "secrets" in the text means no use of
    # it (and the worker's `secrets` holds only names found here anyway).
    if not is_template(text) or "secrets" not in text:
        return None
    try:
        return analyze(text)
    except ExpressionError:
        return None  # reported (or raised at render time) elsewhere
