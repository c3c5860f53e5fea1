"""What the user hands the CLI: documents (graph files, input files) as JSON or
YAML, and run inputs from `--input-file` and `--input` options."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml


class UsageError(Exception):
    """Bad input on the command line: printed as is, exit code 2."""


def load_document(path: str) -> Any:
    """A JSON or YAML file; `-` reads standard input. JSON is tried first, so a
    JSON document never meets YAML's looser rules."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text()
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"cannot read {path}: not UTF-8 text") from None
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as json_err:
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError:
            raise UsageError(f"{path} is neither JSON nor YAML: {json_err}") from None
    try:  # YAML (and Python's JSON: NaN) has values JSON has not: refused here, not mid-request
        json.dumps(loaded, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise UsageError(f"{path}: a value JSON cannot carry ({err}); quote it to make it a string") from None
    return loaded


def run_inputs(options: list[str] | None, input_file: str | None) -> dict[str, Any]:
    """The file's object first, then each `--input` over it: a JSON object, or
    `key=value` where the value is read as JSON when it parses (`n=5` is the
    number 5, `ok=true` a boolean) and as a string otherwise (`name=ada`)."""
    inputs: dict[str, Any] = {}
    if input_file is not None:
        loaded = load_document(input_file)
        if not isinstance(loaded, dict):
            raise UsageError(f"--input-file {input_file}: expected an object of inputs, got {_kind(loaded)}")
        inputs.update(loaded)
    for option in options or []:
        inputs.update(_one_input(option))
    return inputs


def _one_input(option: str) -> dict[str, Any]:
    if option.lstrip().startswith("{"):
        try:
            value = json.loads(option)
        except json.JSONDecodeError as err:
            raise UsageError(f"--input is not a JSON object: {err}") from None
        if not isinstance(value, dict):
            raise UsageError("--input is not a JSON object")
        return value
    key, sep, raw = option.partition("=")
    if not sep or not key:
        raise UsageError(f"--input {option!r}: expected key=value or a JSON object")
    try:
        return {key: json.loads(raw)}
    except json.JSONDecodeError:
        return {key: raw}


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__
