"""pydantic's validation errors in plain words, one Issue each.

"Field required" becomes "`url` is required for an http_request node", "Extra
inputs are not permitted" becomes "unknown field `urll` (did you mean
`url`?)", a type error says what was expected and what was given (a short
echo, never a whole value). The model is walked along each error's location,
so the fields an unknown one is compared with are the right ones, and the
member tags pydantic adds inside unions (`seconds.float`, `seconds.str`) are
dropped: one value that fits no member is one problem, not one per member.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from workflows.dsl import NODE_ID_PATTERN
from workflows.issues import Issue, did_you_mean, hint, path_part, shown

# What a type error expected, by pydantic's error type.
EXPECTED = {
    "string_type": "a string", "int_type": "an integer", "int_parsing": "an integer",
    "float_type": "a number", "float_parsing": "a number", "bool_type": "true or false",
    "bool_parsing": "true or false", "list_type": "a list", "tuple_type": "a list", "set_type": "a list",
    "dict_type": "an object", "model_type": "an object", "model_attributes_type": "an object",
}
PATTERNS = {NODE_ID_PATTERN: "start with a letter or `_` and hold only letters, digits and `_` (at most 64)"}


def given(value: Any) -> str:
    """What a value is, in JSON's words, with a short echo of scalars."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"`{'true' if value else 'false'}`"
    if isinstance(value, (int, float)):
        return f"the number {shown(value)}"
    if isinstance(value, str):
        return f"the string {shown(value)}" if value else "an empty string"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


@dataclass
class _Located:
    parts: list[str | int]  # the location without union member tags
    model: type[BaseModel] | None  # the model that owns the last field
    leaf: Any  # the annotation at the location (None: unknown)
    in_union: bool


def _unwrap(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _members(annotation: Any) -> list[Any] | None:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(annotation) if a is not type(None)]
    return None


def _tag(member: Any) -> str:
    return member.__name__ if isinstance(member, type) else str(member)


def _field(model: type[BaseModel], key: str) -> Any:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info.annotation
    return None


def locate(model: type[BaseModel], loc: tuple) -> _Located:
    """Follows `loc` through the model's annotations."""
    parts: list[str | int] = []
    owner, annotation, in_union = model, model, False
    items = list(loc)
    while items:
        annotation = _unwrap(annotation)
        members = _members(annotation)
        if members is not None:
            if len(members) == 1:
                annotation = members[0]
                continue
            tag = items.pop(0)  # pydantic names the member it tried
            in_union = True
            annotation = next((m for m in members if _tag(m) == tag), None)
            continue
        part = items.pop(0)
        parts.append(part)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            owner, annotation = annotation, _field(annotation, str(part))
        elif typing.get_origin(annotation) in (list, tuple, set, frozenset):
            args = typing.get_args(annotation)
            annotation = args[0] if args else None
        elif typing.get_origin(annotation) is dict:
            args = typing.get_args(annotation)
            annotation = args[1] if args else None
        else:
            annotation = None
        if annotation is None:  # unknown from here on (Any, an extra field)
            parts += items
            break
    return _Located(parts, owner, _unwrap(annotation), in_union)


def _subject(parts: list[str | int]) -> str:
    text = "".join(path_part(p) for p in parts).lstrip(".")
    return f"`{text}`" if text else "the value"


def _field_names(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return sorted(info.alias or name for name, info in model.model_fields.items())


def _literal_choices(annotation: Any) -> list[str]:
    if typing.get_origin(annotation) is typing.Literal:
        return [str(a) for a in typing.get_args(annotation)]
    return []


def _reword(error: dict, where: _Located, owner: str) -> tuple[str, str | None]:
    """(message, suggestion) for one pydantic error."""
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    subject = _subject(where.parts)
    if kind == "missing":
        return f"{subject} is required for {owner}", None
    if kind == "extra_forbidden":
        name = where.parts[-1] if where.parts else ""
        known = _field_names(where.model)
        suggestion = did_you_mean(name, known)
        if suggestion:
            return f"unknown field {shown(name)}{hint(suggestion)}", suggestion
        return f"unknown field {shown(name)}; {owner} takes: {', '.join(known)}", None
    if kind in EXPECTED:
        return f"{subject} must be {EXPECTED[kind]}, not {given(value)}", None
    if kind == "literal_error":
        choices = _literal_choices(where.leaf)
        suggestion = did_you_mean(value, choices)
        listed = ", ".join(choices) if choices else ctx.get("expected", "")
        return f"{subject} must be one of {listed}, not {given(value)}{hint(suggestion)}", suggestion
    if kind == "int_from_float":
        return f"{subject} must be a whole number, not {given(value)}", None
    bounds = {"greater_than": ("greater than", "gt"), "greater_than_equal": ("at least", "ge"),
              "less_than": ("less than", "lt"), "less_than_equal": ("at most", "le")}
    if kind in bounds:
        words, key = bounds[kind]
        return f"{subject} must be {words} {_number(ctx.get(key))}, not {shown(value)}", None
    if kind in ("string_too_short", "too_short"):
        least = ctx.get("min_length", 1)
        if least == 1:
            return f"{subject} must not be empty", None
        unit = "characters" if kind == "string_too_short" else "items"
        return f"{subject} must have at least {least} {unit}", None
    if kind in ("string_too_long", "too_long"):
        unit = "characters" if kind == "string_too_long" else "items"
        return f"{subject} must have at most {ctx.get('max_length')} {unit}, not {len(value)}", None
    if kind == "string_pattern_mismatch":
        rule = PATTERNS.get(ctx.get("pattern"), f"match the pattern `{ctx.get('pattern')}`")
        return f"{subject} must {rule}; {shown(value)} does not", None
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error") or error["msg"]), None
    return f"{subject}: {error['msg'][:1].lower()}{error['msg'][1:]}", None


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _merge_union(path: str, found: list[tuple[dict, _Located]], owner: str, code: str) -> Issue:
    """One value no member of a union took: every expected type in one message."""
    error, where = found[0]
    if all(e["type"] in EXPECTED for e, _ in found):
        expected: list[str] = []
        for e, _ in found:
            if EXPECTED[e["type"]] not in expected:
                expected.append(EXPECTED[e["type"]])
        if "a number" in expected and "an integer" in expected:
            expected.remove("an integer")
        expected = ["a boolean" if e == "true or false" else e for e in expected] if len(expected) > 1 else expected
        words = ", ".join(expected[:-1]) + f" or {expected[-1]}" if len(expected) > 1 else expected[0]
        return Issue(code=code, path=path,
                     message=f"{_subject(where.parts)} must be {words}, not {given(error.get('input'))}")
    error, where = next((e, w) for e, w in found if e["type"] not in EXPECTED)
    message, suggestion = _reword(error, where, owner)
    return Issue(code=code, path=path, message=message, suggestion=suggestion)


def plain_issues(err: ValidationError, model: type[BaseModel], prefix: str, code: str, owner: str) -> list[Issue]:
    """One Issue per problem pydantic found validating `model`; `owner` says
    what is being validated ("an http_request node", "an edge")."""
    found: dict[tuple, list[tuple[dict, _Located]]] = {}  # in the order pydantic reported
    for error in err.errors(include_url=False):
        where = locate(model, tuple(error["loc"]))
        path = prefix + "".join(path_part(p) for p in where.parts)
        key = (path,) if where.in_union else (path, len(found))  # union members share one problem
        found.setdefault(key, []).append((error, where))
    issues = []
    for key, errors in found.items():
        path = key[0]
        if errors[0][1].in_union:
            issues.append(_merge_union(path, errors, owner, code))
        else:
            message, suggestion = _reword(errors[0][0], errors[0][1], owner)
            issues.append(Issue(code=code, path=path, message=message, suggestion=suggestion))
    return issues
