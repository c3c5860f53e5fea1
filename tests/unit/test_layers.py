"""The API never imports the worker's code (activities/, worker/): node-type
metadata is in workflows/, shared persistence in core/, the sandbox settings in
workflows/runner.py. Checked on the source (every import statement at any
depth, dynamic imports by name too) and in a fresh interpreter (nothing
reaches the worker's code, or the OpenAI SDK, transitively)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKER_SIDE = {"activities", "worker"}
# The API and the layers it stands on.
API_SIDE = ("api", "core", "workflows", "templates")


def imported(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every import in the tree: statements at any depth
    (functions, TYPE_CHECKING blocks) and importlib/__import__ calls by name."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func) and node.args \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            found.append((node.lineno, node.args[0].value))
    return found


def _is_dynamic_import(func: ast.expr) -> bool:
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in ("import_module", "__import__")


def worker_imports(tree: ast.AST) -> list[tuple[int, str]]:
    return [(line, module) for line, module in imported(tree) if module.split(".")[0] in WORKER_SIDE]


@pytest.mark.parametrize("source", [
    "import worker.app",
    "from activities.registry import REGISTRY",
    "from activities import llm",
    "def f():\n    from worker.app import build_worker\n",
    "if TYPE_CHECKING:\n    import activities.base as base\n",
    "import importlib\nimportlib.import_module('activities.approvals')\n",
    "__import__('worker')\n",
])
def test_the_check_sees_every_kind_of_import(source):
    assert worker_imports(ast.parse(source)), source


@pytest.mark.parametrize("source", ["from workflows.registry import REGISTRY", "from api.worker_view import x",
                                    "import activitiesx", "from . import worker"])
def test_the_check_ignores_look_alikes(source):
    assert worker_imports(ast.parse(source)) == []


@pytest.mark.parametrize("package", API_SIDE)
def test_no_module_imports_the_worker_side(package):
    found = [f"{path.relative_to(ROOT)}:{line}: {module}"
             for path in sorted((ROOT / package).rglob("*.py"))
             for line, module in worker_imports(ast.parse(path.read_text(), str(path)))]
    assert found == [], "import the metadata from workflows/ or the shared code from core/:\n" + "\n".join(found)


def test_loading_the_whole_api_loads_no_worker_code():
    # A fresh interpreter: this test process has imported activities already.
    script = (
        "import pkgutil, importlib, sys, api\n"
        "for m in pkgutil.walk_packages(api.__path__, 'api.'):\n"
        "    if not m.name.endswith('__main__'):\n"
        "        importlib.import_module(m.name)\n"
        "print(' '.join(sorted({n.split('.')[0] for n in sys.modules} & {'activities', 'worker', 'openai'})))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []
