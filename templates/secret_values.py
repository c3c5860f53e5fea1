"""Secret VALUES written into a template (an export must never carry one, so
an import or a save refuses them): known token shapes anywhere, and any
literal in a credential-carrying field that does not come from a secret
reference. The reference rules themselves are workflows/secret_refs.py."""

from __future__ import annotations

import re
from typing import Any

from workflows.expressions import iter_strings

# Shapes of real credentials (the detect-secrets / gitleaks classics).
TOKEN_SHAPES = [
    ("a GitHub token", re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")),
    ("an OpenAI-style key", re.compile(r"\bsk-[A-Za-z0-9_-]{20,}")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("an AWS access key id", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a JWT", re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")),
]
CREDENTIAL_HEADER = re.compile(r"(authorization|api[-_]?key|token|secret|password|cookie)", re.IGNORECASE)
# What may stand beside a reference in a credential header: the scheme word.
SCHEME_WORDS = re.compile(r"^\s*(Bearer|Basic|token|Token|Bot)?\s*$")
REFERENCE = re.compile(r"\{\{\s*secrets(\.[A-Z][A-Z0-9_]*|\[\s*['\"][A-Z][A-Z0-9_]*['\"]\s*\])\s*\}\}")


def problems(graph: Any, path: str = "$.graph") -> list[dict[str, str]]:
    found = []
    for where, text in iter_strings(graph, path):
        for what, shape in TOKEN_SHAPES:
            if shape.search(text):
                found.append(_problem(where, f"this looks like {what}: reference a secret "
                                             "('{{ secrets.NAME }}') instead of writing its value"))
                break
    return found + _graph_problems(graph, path)


def _graph_problems(graph: Any, path: str) -> list[dict[str, str]]:
    found = []
    for index, node in enumerate(graph.get("nodes") or [] if isinstance(graph, dict) else []):
        found += _node_problems(node, f"{path}.nodes[{index}]")
    return found


def _node_problems(node: Any, path: str) -> list[dict[str, str]]:
    if not isinstance(node, dict) or not isinstance(node.get("config"), dict):
        return []
    config, found = node["config"], []
    headers = config.get("headers")
    if isinstance(headers, dict):
        for name, value in headers.items():
            if CREDENTIAL_HEADER.search(str(name)) and isinstance(value, str) and not _only_reference(value):
                found.append(_problem(f"{path}.config.headers.{name}",
                                      f"header {name!r} carries a credential: its value must be a secret "
                                      "reference such as 'Bearer {{ secrets.TOKEN }}'"))
    if isinstance(config.get("api_key"), str) and not _only_reference(config["api_key"]):
        found.append(_problem(f"{path}.config.api_key", "api_key must be a secret reference "
                                                        "('{{ secrets.NAME }}')"))
    inline = config.get("definition")
    if node.get("type") == "sub_workflow" and isinstance(inline, dict):
        found += _graph_problems(inline, f"{path}.config.definition")
    return found


def _only_reference(value: str) -> bool:
    """A secret reference with at most a scheme word around it."""
    if not REFERENCE.search(value):
        return False
    return SCHEME_WORDS.match(REFERENCE.sub("", value)) is not None


def _problem(path: str, message: str) -> dict[str, str]:
    return {"code": "secret_value_embedded", "path": path, "message": message}
