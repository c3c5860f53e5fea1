"""The written-out part of the URLs nodes call, checked when a version is saved.

A URL field (node_types.TAKES_URL: http_request `url`, llm `base_url`) may be
a template. What is literal, the whole URL or its start before the first
`{{` / `{%`, is checked here: a malformed URL, a scheme other than http or
https. `destinations` lists the hosts the text fixes
(`http://10.0.0.5/{{ inputs.path }}` fixes 10.0.0.5; `http://{{ inputs.host }}/`
and `http://api.{{ inputs.env }}.example/` fix none) for the API to put to the
egress policy without DNS (outbound/policy.py). Saving is an early, helpful
refusal only: the worker's guard still checks every request it makes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel

from workflows.issues import Issue, shown
from workflows.node_types import NodeType, url_fields

SCHEMES = {"http": 80, "https": 443}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")
_BAD_HOST_CHARS = re.compile(r"[\s<>\"{}|\\^`]")


@dataclass(frozen=True)
class Destination:
    path: str  # the config field's JSON path
    host: str
    port: int


@dataclass(frozen=True)
class _Reading:
    problem: Issue | None = None
    host: str | None = None  # None: not written out in full
    port: int | None = None


def _literal(text: str) -> tuple[str, bool]:
    """The written-out start of the text, and whether that is all of it."""
    cuts = [i for i in (text.find("{{"), text.find("{%")) if i >= 0]
    return (text, True) if not cuts else (text[:min(cuts)], False)


def read(text: str, field: str, path: str) -> _Reading:
    """What the literal part of one URL says: a problem, or the host it fixes."""
    literal, whole = _literal(text)
    if "://" not in literal:
        if whole:
            return _Reading(Issue(code="invalid_url", path=path, message=(
                f"`{field}` is not an absolute URL: {shown(text)} (write http://host/... or https://host/...)")))
        return _Reading()  # the scheme, if any, comes from the template
    scheme, rest = literal.split("://", 1)
    if not _SCHEME.match(scheme):
        return _Reading(Issue(code="invalid_url", path=path,
                              message=f"`{field}` does not start with a scheme such as https://: {shown(text)}"))
    if scheme.lower() not in SCHEMES:
        return _Reading(Issue(code="url_scheme_not_allowed", path=path,
                              message=f"`{field}` must use http or https, not {shown(scheme)}"))
    ends = [i for i in (rest.find(c) for c in "/?#") if i >= 0]
    if not ends and not whole:
        return _Reading()  # the host goes on inside the template
    authority = rest[:min(ends)] if ends else rest
    try:
        parts = urlsplit(f"{scheme}://{authority}")
        host, port = parts.hostname, parts.port
    except ValueError as err:  # a bad port, an unclosed [IPv6 address
        return _Reading(Issue(code="invalid_url", path=path,
                              message=f"`{field}` is not a valid URL ({str(err)[:1].lower()}{str(err)[1:]}): {shown(text)}"))
    if not host or _BAD_HOST_CHARS.search(host):
        return _Reading(Issue(code="invalid_url", path=path,
                              message=f"`{field}` has no valid host: {shown(text)}"))
    return _Reading(host=host, port=port or SCHEMES[scheme.lower()])


def problems(model: type[BaseModel], config: Mapping[str, Any], where: str) -> list[Issue]:
    """The problems of a (schema-valid) config's URL fields."""
    found = []
    for field in sorted(url_fields(model)):
        value = config.get(field)
        if isinstance(value, str):
            reading = read(value, field, f"{where}.{field}")
            if reading.problem is not None:
                found.append(reading.problem)
    return found


def destinations(definition: Any, registry: Mapping[str, NodeType], path: str = "$") -> Iterator[Destination]:
    """Every host a definition's URLs fix, inline sub-workflows included;
    tolerant of a definition that is otherwise invalid."""
    nodes = definition.get("nodes") if isinstance(definition, dict) else None
    for index, node in enumerate(nodes if isinstance(nodes, list) else []):
        if not isinstance(node, dict) or not isinstance(node.get("config"), dict):
            continue
        kind, config = node.get("type"), node["config"]
        where = f"{path}.nodes[{index}].config"
        yield from _node_destinations(registry, kind, config, where)
        if kind == "sub_workflow":
            yield from destinations(config.get("definition"), registry, f"{where}.definition")
        item = config.get("node")
        if kind == "for_each" and isinstance(item, dict) and isinstance(item.get("config"), dict):
            yield from _node_destinations(registry, item.get("type"), item["config"], f"{where}.node.config")


def _node_destinations(registry: Mapping[str, NodeType], kind: Any, config: Mapping[str, Any],
                       where: str) -> Iterator[Destination]:
    node_type = registry.get(kind) if isinstance(kind, str) else None
    for field in sorted(url_fields(node_type.config_model) if node_type else ()):
        value = config.get(field)
        reading = read(value, field, f"{where}.{field}") if isinstance(value, str) else _Reading()
        if reading.host is not None:
            yield Destination(f"{where}.{field}", reading.host, reading.port)
