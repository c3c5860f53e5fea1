"""HMAC signatures the API puts on everything it hands to Temporal that grants
authority: launches (plan, inputs, owner, gate, reuse...), approval decisions
and debug commands. The interpreter accepts only what verifies, so someone who
reaches Temporal directly (its gRPC frontend or the Web UI's HTTP API) can
neither inject a plan nor forge a decision.

Pure and deterministic (hmac over canonical JSON), so workflow code may call it.
The keys are process configuration, set once at start-up by the API, the worker
and the CLI (`configure`); this module is passed through the workflow sandbox,
so the worker's workflows see the keys its start-up set. Update validators,
where decisions and debug commands are checked, never run on replay.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

# How old a signed decision or debug command may be when the workflow sees it.
MAX_COMMAND_AGE = timedelta(minutes=10)
_keys: tuple[bytes, ...] = ()


class SigningNotConfigured(RuntimeError):
    pass


def configure(current: str, previous: Sequence[str] = ()) -> None:
    """The first key signs; every key verifies (previous ones during rotation)."""
    global _keys
    _keys = tuple(k.encode() for k in (current, *previous) if k)


def configure_from(settings: Any) -> None:
    configure(settings.signing_secret(), settings.signing_previous_keys)


def canonical(payload: Any) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      default=str).encode()


def _mac(key: bytes, kind: str, payload: Any) -> str:
    return hmac.new(key, kind.encode() + b"\n" + canonical(payload), hashlib.sha256).hexdigest()


def sign(kind: str, payload: Any) -> str:
    if not _keys:
        raise SigningNotConfigured("signing keys are not configured (workflows.signatures.configure)")
    return "v1:" + _mac(_keys[0], kind, payload)


def verify(kind: str, payload: Any, signature: str | None) -> bool:
    if not signature or not signature.startswith("v1:") or not _keys:
        return False
    return any(hmac.compare_digest(signature[3:], _mac(key, kind, payload)) for key in _keys)


def _payload(model: BaseModel, bind: dict[str, Any]) -> dict[str, Any]:
    return {"model": model.model_dump(mode="json", exclude={"signature"}), "bind": bind}


def signed(model: BaseModel, kind: str, **bind: Any):
    """A copy of `model` with its `signature` field set; `bind` is signed with
    it but not carried (e.g. the workflow id a command is meant for)."""
    return model.model_copy(update={"signature": sign(kind, _payload(model, bind))})


def is_signed(model: BaseModel, kind: str, **bind: Any) -> bool:
    return verify(kind, _payload(model, bind), getattr(model, "signature", None))


def fresh(issued_at: str | None, now: datetime) -> bool:
    """A signed command is usable for MAX_COMMAND_AGE (clocks may differ a little)."""
    try:
        at = datetime.fromisoformat(issued_at or "")
    except ValueError:
        return False
    return abs(now - at) <= MAX_COMMAND_AGE
