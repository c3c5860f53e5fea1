"""Policies as data: rules over a workflow scan's flows and graph.

The built-in packs (GDPR, HIPAA, CCPA, SOX) are JSON files in packs/, read
once; a custom policy has the same shape and may `replace` a built-in pack
for its owner (to declare processors, say). Evaluation is pure: a scan's
flows, the definition and its tags in, violations (with evidence that holds
entity names, hosts and node ids, never a value) out.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from compliance.flows import Flow
from compliance.mapping import CLASSES, classes_of
from workflows.graph import ancestors

PACKS = Path(__file__).parent / "packs"
BUILTIN_PREFIX = "builtin:"
Severity = Literal["low", "medium", "high", "critical"]
SEVERITIES = ("low", "medium", "high", "critical")
Host = Annotated[str, Field(min_length=1, max_length=253, pattern=r"^(\*\.)?[A-Za-z0-9.-]+$")]
RegClass = Literal[CLASSES]  # type: ignore[valid-type]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    severity: Severity = "high"
    remediation: str = Field("", max_length=2000)


class UndeclaredProcessor(_Rule):
    """Regulated data reaching a destination not on the allow-list."""

    kind: Literal["undeclared_processor"]
    classes: list[RegClass] = Field(min_length=1)
    processors: list[Host] = Field(default_factory=list, description="hosts or *.domain allowed to receive it")


class PhiToLlmWithoutAgreement(_Rule):
    """PHI in an llm node's prompt whose endpoint no agreement covers."""

    kind: Literal["phi_to_llm_without_agreement"]
    covered_endpoints: list[Host] = Field(default_factory=list, description="LLM hosts under a BAA")


class ApprovalBeforeSideEffect(_Rule):
    """Workflows with one of these tags need an independent approval before any side effect."""

    kind: Literal["approval_before_side_effect"]
    tags: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(min_length=1)


Rule = Annotated[UndeclaredProcessor | PhiToLlmWithoutAgreement | ApprovalBeforeSideEffect,
                 Field(discriminator="kind")]


class PolicySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=4000)
    rules: list[Rule] = Field(min_length=1, max_length=50)


class Violation(BaseModel):
    policy_id: str
    policy_name: str
    rule: str
    severity: Severity
    node: str | None = None
    evidence: dict[str, Any]
    remediation: str
    fingerprint: str = Field(description="the same problem found again is the same violation")


@functools.cache
def builtin_packs() -> dict[str, PolicySpec]:
    return {f"{BUILTIN_PREFIX}{path.stem}": PolicySpec.model_validate(json.loads(path.read_text()))
            for path in sorted(PACKS.glob("*.json"))}


def host_allowed(host: str | None, allowed: list[str]) -> bool:
    if host is None:  # decided at run time: nothing can be said to be declared
        return False
    host = host.lower().rstrip(".")
    return any(host == entry.lower() or (entry.startswith("*.") and host.endswith(entry[1:].lower()))
               for entry in allowed)


def _fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]


def evaluate(policy_id: str, spec: PolicySpec, *, workflow_id: str, definition: dict[str, Any], tags: list[str],
             flows: list[Flow], author: str | None = None) -> list[Violation]:
    found: list[Violation] = []
    for rule in spec.rules:
        for node, evidence in _check(rule, definition, tags, flows, author):
            found.append(Violation(policy_id=policy_id, policy_name=spec.name, rule=rule.kind,
                                   severity=rule.severity, node=node, evidence=evidence,
                                   remediation=rule.remediation,
                                   fingerprint=_fingerprint(policy_id, rule.kind, workflow_id, node, evidence)))
    return found


def _check(rule, definition, tags, flows, author):
    if isinstance(rule, UndeclaredProcessor):
        for flow in flows:
            regulated = sorted(e for e in flow.entities if set(classes_of(e)) & set(rule.classes))
            if regulated and not host_allowed(flow.destination, rule.processors):
                yield flow.node, {"destination": flow.destination, "entities": regulated, "inputs": flow.inputs,
                                  "upstream": flow.upstream}
    elif isinstance(rule, PhiToLlmWithoutAgreement):
        for flow in flows:
            phi = sorted(e for e in flow.entities if "hipaa.phi" in classes_of(e))
            if flow.type == "llm" and phi and not host_allowed(flow.destination, rule.covered_endpoints):
                yield flow.node, {"destination": flow.destination, "entities": phi}
    elif isinstance(rule, ApprovalBeforeSideEffect) and set(rule.tags) & set(tags):
        yield from _unapproved_side_effects(definition, author)


def side_effecting(node: dict[str, Any]) -> bool:
    kind, config = node.get("type"), node.get("config") or {}
    if kind == "http_request":
        return str(config.get("method", "GET")).upper() not in SAFE_METHODS
    return kind in ("shell", "llm", "sub_workflow")


def _independent(node: dict[str, Any], author: str | None) -> bool:
    """An approval the author cannot give alone (the starter is refused at run
    time unless allow_self_approval, which SOX forbids)."""
    config = node.get("config") or {}
    approvers = {str(a).lower() for a in config.get("approvers", [])}
    named_author = author is not None and ({author.lower(), f"user:{author.lower()}"} & approvers)
    return not config.get("allow_self_approval", False) and not named_author


def _unapproved_side_effects(definition: dict[str, Any], author: str | None):
    nodes = {n["id"]: n for n in definition.get("nodes", []) if isinstance(n, dict) and "id" in n}
    edges = [(e.get("from"), e.get("to")) for e in definition.get("edges", []) if isinstance(e, dict)]
    upstream = ancestors(list(nodes), edges)
    for node_id, node in nodes.items():
        if not side_effecting(node):
            continue
        approvals = [a for a in upstream[node_id] if nodes.get(a, {}).get("type") == "approval"]
        independent = [a for a in approvals if _independent(nodes[a], author)]
        if not independent:
            yield node_id, {"node_type": node.get("type"), "approvals_upstream": sorted(approvals),
                            "reason": "no approval upstream" if not approvals else
                            "the approval upstream can be given by the author or the starter"}
