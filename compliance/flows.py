"""Static data flow of a workflow version: which run inputs and which upstream
outputs reach each node that sends data out of the platform.

Read from the definition alone (pure): a node's expressions name the inputs
and nodes they read (workflows/expressions.py `analyze`); what a node reads
it may pass on in its output, so reach is the transitive closure over reads.
A destination is a node type that calls out (`EXTERNAL`): its host is the
written-out part of its URL field, or None when a template decides it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from workflows.expression_limits import ExpressionError
from workflows.expressions import analyze, is_template, iter_strings
from workflows.url_literals import read

# Node type -> the config field naming where its data goes. `llm` falls back to
# the operator's endpoint (AGENTIC_LLM_BASE_URL) when it names none.
EXTERNAL: dict[str, str] = {"http_request": "url", "llm": "base_url"}
WHOLE_INPUTS = "*"

# Input names that announce personal data, for flows seen before any run (the
# dynamic scan adds what executions really carried).
_NAME_HINTS: tuple[tuple[re.Pattern, str], ...] = tuple((re.compile(p, re.IGNORECASE), e) for p, e in (
    (r"e_?mail", "EMAIL_ADDRESS"), (r"phone|mobile|fax|tel$", "PHONE_NUMBER"), (r"ssn|social_?security", "US_SSN"),
    (r"card_?(number|no)|credit_?card|\bpan\b|^pan$", "CREDIT_CARD"), (r"(^|_)ip(_|$)|ip_?address", "IP_ADDRESS"),
    (r"mrn|medical_?record", "MEDICAL_RECORD_NUMBER"), (r"member_?id|health_?plan", "HEALTH_PLAN_ID"),
    (r"iban", "IBAN_CODE"), (r"passport", "US_PASSPORT"), (r"(first|last|full)_?name|patient_?name", "PERSON"),
    (r"address|street|city|zip", "LOCATION"),
))


class Flow(BaseModel):
    node: str
    type: str
    destination: str | None = Field(description="the host it fixes; None: decided at run time")
    inputs: list[str] = Field(default_factory=list, description="run inputs that reach it ('*': all of them)")
    upstream: list[str] = Field(default_factory=list, description="nodes whose outputs reach it")
    entities: list[str] = Field(default_factory=list,
                                description="what the inputs' names or schema suggest, plus what runs carried")


@dataclass
class _Reads:
    inputs: set[str] = field(default_factory=set)
    nodes: set[str] = field(default_factory=set)


def _reads(config: Any) -> _Reads:
    found = _Reads()
    for _, text in iter_strings(config, "$"):
        if not is_template(text):
            continue
        try:
            analysis = analyze(text)
        except ExpressionError:  # a saved version validated; tolerate anything else
            continue
        found.inputs |= analysis.input_keys
        if analysis.whole_inputs:
            found.inputs.add(WHOLE_INPUTS)
        found.nodes |= analysis.node_refs
    return found


def input_hints(schema: dict[str, Any] | None) -> dict[str, set[str]]:
    """input name -> entities its name or `format` suggests."""
    properties = (schema or {}).get("properties") if isinstance(schema, dict) else None
    hints: dict[str, set[str]] = {}
    for name, spec in (properties or {}).items():
        entities = {entity for pattern, entity in _NAME_HINTS if pattern.search(str(name))}
        if isinstance(spec, dict) and spec.get("format") == "email":
            entities.add("EMAIL_ADDRESS")
        if isinstance(spec, dict) and spec.get("format") in ("ipv4", "ipv6"):
            entities.add("IP_ADDRESS")
        hints[str(name)] = entities
    return hints


def destination_host(node_type: str, config: dict[str, Any], default_llm_url: str | None) -> str | None:
    value = config.get(EXTERNAL[node_type])
    if node_type == "llm" and not value:
        value = default_llm_url
    if not isinstance(value, str):
        return None
    return read(value, EXTERNAL[node_type], "$").host


def flows(definition: dict[str, Any], *, default_llm_url: str | None = None,
          observed: dict[str, set[str]] | None = None) -> list[Flow]:
    """One Flow per node that sends data out. `observed`: entities executions
    carried, by `inputs.<name>` and by node id (compliance/scans.py)."""
    observed = observed or {}
    nodes = [n for n in definition.get("nodes", []) if isinstance(n, dict)]
    reads = {n["id"]: _reads(n.get("config", {})) for n in nodes if isinstance(n.get("id"), str)}
    hints = input_hints(definition.get("inputs"))
    result = []
    for node in nodes:
        kind, node_id = node.get("type"), node.get("id")
        if kind not in EXTERNAL or node_id not in reads:
            continue
        inputs, upstream = _reach(node_id, reads)
        names = set(hints) | {key[len("inputs."):] for key in observed if key.startswith("inputs.")} \
            if WHOLE_INPUTS in inputs else inputs
        entities = set().union(*(hints.get(n, set()) | observed.get(f"inputs.{n}", set()) for n in names),
                               *(observed.get(n, set()) for n in upstream))
        result.append(Flow(node=node_id, type=kind, destination=destination_host(kind, node.get("config", {}),
                                                                                  default_llm_url),
                           inputs=sorted(inputs), upstream=sorted(upstream), entities=sorted(entities)))
    return result


def _reach(node_id: str, reads: dict[str, _Reads]) -> tuple[set[str], set[str]]:
    """Inputs and nodes a node reads, directly or through the nodes it reads."""
    inputs, seen, queue = set(reads[node_id].inputs), set(), list(reads[node_id].nodes)
    while queue:
        other = queue.pop()
        if other in seen or other == node_id or other not in reads:
            continue
        seen.add(other)
        inputs |= reads[other].inputs
        queue.extend(reads[other].nodes)
    return inputs, seen
