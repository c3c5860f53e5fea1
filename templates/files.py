"""Templates as text: YAML or JSON in (a built-in file, an import), JSON out
(an export). YAML is read with the safe loader only (no tags, no objects)."""

from __future__ import annotations

import json
from typing import Any

import yaml

MAX_TEXT = 2_000_000


class UnreadableTemplate(ValueError):
    pass


class _NoAliasLoader(yaml.SafeLoader):
    """Aliases are refused: nested ones expand exponentially once the value is
    serialized (a "billion laughs" in a few lines)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise UnreadableTemplate("YAML aliases (*name) are not allowed in a template")
        return super().compose_node(parent, index)


def read(text: str | bytes) -> Any:
    """JSON, else YAML (JSON is YAML, but JSON's own errors read better)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise UnreadableTemplate("the template is not UTF-8 text") from None
    if len(text) > MAX_TEXT:
        raise UnreadableTemplate(f"the template is over {MAX_TEXT} characters")
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            raise UnreadableTemplate(f"invalid JSON: {err}") from None
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as err:
        raise UnreadableTemplate(f"invalid YAML: {err}") from None
