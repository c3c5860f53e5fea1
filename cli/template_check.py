"""`agentic validate-template FILE`: the checks a template passes before the
API stores it (templates/checks.py), offline, for template authors and CI."""

from __future__ import annotations

import sys
from pathlib import Path

from templates import checks, files


def cmd_validate_template(args) -> int:
    try:
        raw = files.read(Path(args.file).read_bytes())
    except (OSError, files.UnreadableTemplate) as err:
        print(f"{args.file}: {err}", file=sys.stderr)
        return 1
    spec, problems = checks.parse(raw)
    if spec is not None:
        spec, problems = checks.check(spec)
    for problem in problems:
        print(f"{problem['path']}: {problem['code']}: {problem['message']}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"valid: {spec.name} {spec.version} (node types: {', '.join(spec.node_types)})")
    return 0
