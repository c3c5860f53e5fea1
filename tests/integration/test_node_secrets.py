"""The worker refuses a misplaced secret on its own: a plan started straight on
Temporal (no API, no validation) that reshapes an environment secret in a
transform fails before anything is resolved, and the value reaches neither
the output nor the history."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowFailureError

from core.launch import start_graph
from tests.integration.graphs import graph, history_text, node
from workflows.compiler import compile_definition
from workflows.failures import summary_of
from workflows.registry import REGISTRY

SECRET = "supersecretvalue"


def forged(output) -> object:
    """A valid plan whose transform config is then swapped for one the
    validator would refuse, as someone with access to Temporal could."""
    plan = compile_definition(graph([node("leak", "transform", {"output": "placeholder"},
                                          retry={"max_attempts": 1})]), REGISTRY)
    plan.nodes[0].config = {"output": output}
    return plan


@pytest.mark.parametrize("output, leaked", [
    ("{{ secrets.DEMO | reverse }}", "eulavtercesrepus"),
    ("{{ secrets.DEMO | list | join('-') }}", "s-u-p-e-r"),
    ({"wrapped": ["{{ secrets.DEMO }}"]}, SECRET),
])
async def test_forged_plan_reshaping_a_secret_is_refused_by_the_worker(
        client, task_queue, worker, monkeypatch, output, leaked):
    # An operator run (no owner): the one kind of run that may use environment secrets.
    monkeypatch.setenv("AGENTIC_SECRET_DEMO", SECRET)
    handle = await start_graph(client, forged(output), {}, task_queue=task_queue)
    with pytest.raises(WorkflowFailureError) as caught:
        await handle.result()
    summary = summary_of(caught.value.cause)["nodes"]["leak"]
    assert summary["state"] == "failed"
    assert summary["error"]["code"] == "secret_not_allowed"
    assert summary["error"]["message"].startswith("$.config.output")
    assert summary["attempts"] == 1
    text = await history_text(handle)
    assert leaked not in text and SECRET not in text
