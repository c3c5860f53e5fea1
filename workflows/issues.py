"""One problem of a definition as users read it: a JSON path, a stable code, a
plain message and, when there is an obvious fix, a `suggestion`; and the
helpers every check words its messages with (did-you-mean, short echoes of
user values, the order problems are listed in)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

SHOWN_CHARS = 40  # a value echoed in a message is cut here: bodies may be a megabyte
PATH_PART_CHARS = 64


class Issue(BaseModel):
    """One problem: where (JSON path), what (a stable code, a plain message),
    and the likely fix when one is obvious (a did-you-mean)."""

    code: str
    path: str
    message: str
    suggestion: str | None = None

    def public(self) -> dict[str, Any]:
        """What the API answers: `suggestion` only where there is one."""
        return self.model_dump(exclude_none=True)


def did_you_mean(word: Any, candidates: Iterable[str]) -> str | None:
    """The closest candidate (difflib, case-insensitive), or None."""
    if not isinstance(word, str) or not word:
        return None
    by_lower: dict[str, str] = {}
    for candidate in candidates:
        by_lower.setdefault(candidate.lower(), candidate)
    found = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[found[0]] if found else None


def hint(suggestion: str | None) -> str:
    return f" (did you mean `{suggestion}`?)" if suggestion else ""


def shown(value: Any) -> str:
    """A user value as a message shows it: `text`, cut short."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > SHOWN_CHARS:
        text = text[:SHOWN_CHARS] + "…"
    return f"`{text}`"


def path_part(key: Any) -> str:
    """One step of a JSON path (`[2]` or `.name`); a key too long to read is cut."""
    if isinstance(key, int):
        return f"[{key}]"
    key = str(key)
    return "." + (key[:PATH_PART_CHARS] + "…" if len(key) > PATH_PART_CHARS else key)


_STEP = re.compile(r"\[(\d+)\]|\.([^.\[]*)")


def path_key(path: str) -> tuple:
    """Sort key of a JSON path: fields by name, list indices by number
    (`nodes[2]` before `nodes[10]`), a parent before its children."""
    return tuple((0, int(step[1]), "") if step[1] is not None else (1, 0, step[2])
                 for step in _STEP.finditer(path))


def sort_issues(issues: Iterable[Issue]) -> list[Issue]:
    """By path; problems at the same path keep the order they were found in."""
    return sorted(issues, key=lambda issue: path_key(issue.path))
