"""Regressions for defects found in review: determinism and resource bounds of
expressions, and approval quorums that can never be reached."""

import pytest

from workflows.expressions import ExpressionError, analyze, evaluate_condition, render_string
from workflows.registry import REGISTRY
from workflows.validation import validate_definition


def codes(raw):
    return {(i.code, i.path) for i in validate_definition(raw, REGISTRY)[1]}


def test_random_filter_is_gone_so_conditions_replay():
    with pytest.raises(ExpressionError, match="No filter named 'random'"):
        analyze("{{ [true, false] | random }}")
    raw = {"name": "r", "nodes": [{"id": "a", "type": "transform", "config": {"output": 1}},
                                  {"id": "b", "type": "transform", "config": {"output": 2}}],
           "edges": [{"from": "a", "to": "b", "when": "{{ [true, false] | random }}"}]}
    assert codes(raw) == {("expression_syntax", "$.edges[0].when")}


@pytest.mark.parametrize("text", ["{{ 9 ** 387420489 > 0 }}", "{{ inputs.n ** 5000 }}"])
def test_huge_exponents_are_refused(text):
    with pytest.raises(ExpressionError, match="exponent"):
        evaluate_condition(text, {"inputs": {"n": 7}, "nodes": {}})


@pytest.mark.parametrize("text", ["{{ 'a' * 3000000000 }}", "{{ [1] * inputs.n }}", "x{{ inputs.n * 'ab' }}"])
def test_huge_repetitions_are_refused(text):
    with pytest.raises(ExpressionError, match="repetition"):
        render_string(text, {"inputs": {"n": 2_000_000}, "nodes": {}})


def test_ordinary_arithmetic_still_works():
    assert render_string("{{ 2 ** 10 * 3 }}", {}) == 3072
    assert render_string("{{ 'ab' * 3 }}", {}) == "ababab"


def approval(config):
    return {"name": "q", "nodes": [{"id": "ok", "type": "approval", "config": config}]}


@pytest.mark.parametrize("config", [
    {"approvers": ["alice", "user:alice"], "quorum": 2},
    {"approvers": ["alice"], "quorum": 2, "escalation": [{"after_s": 5, "add_approvers": ["alice"]}]},
])
def test_quorum_counts_distinct_people(config):
    assert ("invalid_config", "$.nodes[0].config") in codes(approval(config))


@pytest.mark.parametrize("config", [
    {"approvers": ["alice", "bob"], "quorum": 2},
    {"approvers": ["alice", "role:admin"], "quorum": 3},
])
def test_reachable_quorums_are_accepted(config):
    assert codes(approval(config)) == set()


def test_api_log_filter_redacts_websocket_tokens():
    import logging

    from api.__main__ import RedactTokens

    record = logging.LogRecord("uvicorn.error", logging.INFO, "x", 1, '%s - "WebSocket %s" [accepted]',
                               ("127.0.0.1:5", "/api/v1/ws/executions/abc?token=eyJ.a.b&x=1"), None)
    RedactTokens().filter(record)
    assert "eyJ" not in record.getMessage()
    assert "token=***&x=1" in record.getMessage()
