"""The compliance_scan node: block, mask, warn, on a real worker."""

from __future__ import annotations

import json

from tests.integration.graphs import failed_summary, graph, node, run

SSN, EMAIL = "536-22-8726", "planted.person@example.com"
INPUTS = {"customer": {"ssn": SSN, "mail": EMAIL, "plan": "gold"}}


def _scan(mode: str, **extra) -> dict:
    return graph([node("check", "compliance_scan", {"value": "{{ inputs.customer }}", "mode": mode, **extra}),
                  node("after", "transform", {"output": "{{ nodes.check.output.value }}"})], [("check", "after")])


async def test_mask_passes_the_value_on_masked(client, task_queue, worker):
    result = await run(client, task_queue, _scan("mask"), INPUTS)
    assert result.status == "succeeded"
    assert result.nodes["after"].output == {"ssn": "***********", "mail": "**********************.com",
                                            "plan": "gold"}
    check = result.nodes["check"].output
    assert check["clean"] is False and {f["entity"] for f in check["findings"]} == {"US_SSN", "EMAIL_ADDRESS"}
    assert SSN not in json.dumps(check) and EMAIL not in json.dumps(check)


async def test_warn_passes_it_on_unchanged_with_findings(client, task_queue, worker):
    result = await run(client, task_queue, _scan("warn", entities=["US_SSN"]), INPUTS)
    assert result.nodes["after"].output == INPUTS["customer"]
    assert [f["entity"] for f in result.nodes["check"].output["findings"]] == ["US_SSN"]


async def test_block_fails_the_run_with_compliance_violation(client, task_queue, worker):
    summary = await failed_summary(client, task_queue, _scan("block"), INPUTS)
    check = summary["nodes"]["check"]
    assert check["state"] == "failed" and check["error"]["code"] == "compliance_violation"
    assert "US_SSN" in check["error"]["message"] and "after" not in summary["nodes"] or \
        summary["nodes"]["after"]["state"] != "succeeded"
    text = json.dumps(summary)
    assert SSN not in text and EMAIL not in text


async def test_block_lets_clean_data_through(client, task_queue, worker):
    result = await run(client, task_queue, _scan("block"), {"customer": {"plan": "gold", "seats": 3}})
    assert result.status == "succeeded" and result.nodes["check"].output["clean"] is True
    assert result.nodes["after"].output == {"plan": "gold", "seats": 3}
