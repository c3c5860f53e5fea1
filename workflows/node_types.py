"""What a node type is: its metadata and the base of every config model.

The types themselves are in workflows/nodes/ and listed in workflows/registry.py;
the validator and compiler take the registry as an argument.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Kind = Literal["activity", "workflow"]


@dataclass(frozen=True)
class NodeType:
    name: str
    config_model: type[BaseModel]
    description: str
    kind: Kind = "activity"  # "workflow": run by the interpreter itself, no activity
    privileged: bool = False  # only admins may save it; operators must enable it
    default_timeout_s: float = 60.0
    default_max_attempts: int = 3
    # Deterministic, no I/O, short: the interpreter runs it as a local activity
    # (in its own workflow task, no task-queue hop; recorded as a marker).
    pure: bool = False
    # (rendered config, settings) -> the host the node sends its secrets to, or
    # None when that cannot be known (e.g. redirects are followed): a secret
    # bound to hosts is refused then. Unset: the node sends secrets nowhere.
    destination: Callable[[Any, Any], str | None] | None = None

    @property
    def activity_name(self) -> str:
        return f"node.{self.name}"


class NodeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Marks a config field that takes a secret: `Field(..., json_schema_extra=TAKES_SECRET)`.
# Only such fields may hold `{{ secrets.NAME }}` (workflows/secret_refs.py), and
# only fields whose value goes to a destination, never into an output.
TAKES_SECRET: dict[str, Any] = {"secret": True}


# Marks a config field whose value is a URL the node calls: its literal parts are
# checked when a version is saved (workflows/url_literals.py).
TAKES_URL: dict[str, Any] = {"url": True}


# Marks a config field used as written, never rendered: the worker passes it
# to the handler untouched and its model refuses templates in it (a `sql`
# node's SQL text, where values go only as bind parameters).
NOT_RENDERED: dict[str, Any] = {"not_rendered": True}


# The validation context of a config as written in a definition (templates
# unrendered), for checks that only make sense there: `is_saved(info)`.
SAVED: dict[str, Any] = {"saved": True}


def is_saved(info: Any) -> bool:
    return bool(getattr(info, "context", None) and info.context.get("saved"))


def secret_fields(model: type[BaseModel]) -> frozenset[str]:
    """The config keys (aliases where given) of the fields that take a secret."""
    return _marked(model, "secret")


def url_fields(model: type[BaseModel]) -> frozenset[str]:
    """The config keys of the fields that hold a URL the node calls."""
    return _marked(model, "url")


def not_rendered_fields(model: type[BaseModel]) -> frozenset[str]:
    """The config keys of the fields the worker never renders."""
    return _marked(model, "not_rendered")


def _marked(model: type[BaseModel], mark: str) -> frozenset[str]:
    return frozenset(info.alias or name for name, info in model.model_fields.items()
                     if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get(mark) is True)
