"""core/expression_threads.py and the activity wrapper's rendering: templates
render in the expression threads under one budget plus a wall-clock deadline,
and a limit becomes the node error `expression_limit`."""

from __future__ import annotations

import threading

import pytest

from activities import base
from activities.base import ActivityDeps, NodeError, Secrets
from core import expression_threads
from core.settings import Settings
from outbound import Outbound
from workflows.expressions import ExpressionLimitError, render_string
from workflows.nodes.transform import NODE_TYPE as TRANSFORM
from workflows.plan import NodeCall

REPLACE_BYPASS = "{{ (('x'*1000000)|replace('x','x'*50))|length }}"
LOOP = "{% for i in range(10) %}{% endfor %}done"


def call(config):
    return NodeCall(execution_id="e1", node_id="n", node_type="transform", config=config,
                    context={"inputs": {}, "nodes": {}})


def deps(**settings) -> ActivityDeps:
    config = Settings(database_url=None, **settings)
    return ActivityDeps(settings=config, outbound=Outbound(config))


async def handler(config, c, d):
    return config.output


async def test_evaluate_runs_in_the_expression_pool():
    name = await expression_threads.evaluate(lambda: threading.current_thread().name, timeout_s=5)
    assert name.startswith("expressions")
    assert name != threading.current_thread().name
    assert expression_threads.running() == 0


async def test_evaluate_applies_the_deadline_to_everything_inside():
    assert await expression_threads.evaluate(render_string, LOOP, {}, timeout_s=5) == "done"
    with pytest.raises(ExpressionLimitError, match="over the time limit of 1e-09 s"):
        await expression_threads.evaluate(render_string, LOOP, {}, timeout_s=1e-9)
    assert expression_threads.running() == 0


@pytest.mark.parametrize("value, expected", [
    ({"a": "plain", "b": [1, "x"]}, False), ({"a": ["{{ x }}"]}, True), ("{% if x %}{% endif %}", True), (3, False)])
def test_has_templates(value, expected):
    assert expression_threads.has_templates(value) is expected


async def test_run_maps_a_limit_to_expression_limit():
    with pytest.raises(NodeError) as info:
        await base._run(TRANSFORM, handler, deps(), call({"output": REPLACE_BYPASS}), Secrets())
    assert info.value.code == "expression_limit"
    assert info.value.retryable is False
    assert "the replace filter's result is over the limit of 1000000 characters or items" in info.value.message


async def test_run_renders_under_the_configured_deadline():
    assert await base._run(TRANSFORM, handler, deps(), call({"output": LOOP}), Secrets()) == "done"
    with pytest.raises(NodeError) as info:
        await base._run(TRANSFORM, handler, deps(expression_timeout_s=1e-9), call({"output": LOOP}), Secrets())
    assert info.value.code == "expression_limit"
    assert "time limit" in info.value.message


async def test_run_without_templates_needs_no_thread():
    out = await base._run(TRANSFORM, handler, deps(expression_timeout_s=1e-9), call({"output": {"k": "v"}}),
                          Secrets())
    assert out == {"k": "v"}
