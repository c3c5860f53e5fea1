"""What core/launch.py hands the Temporal Web UI (issue 10.11): the owner's
user name as a search attribute, the provenance in the memo, the source of a
rerun in the summary."""

from __future__ import annotations

from core.launch import Launch
from core.temporal import SA_OWNER, SA_OWNER_NAME, SEARCH_ATTRIBUTES
from workflows.plan import Plan

PLAN = Plan(name="report", workflow_id="w1", version=3, nodes=[], edges=[])


def test_the_owner_is_searchable_by_user_name_and_the_name_is_registered():
    attributes = Launch(execution_id="e2", plan=PLAN, owner_id="u-1", started_by="alice").search_attributes()
    assert attributes.get(SA_OWNER) == "u-1" and attributes.get(SA_OWNER_NAME) == "alice"
    assert SEARCH_ATTRIBUTES[SA_OWNER_NAME.name] == "Keyword"  # the dev server and tests register it
    assert Launch(execution_id="e3", plan=PLAN).search_attributes().get(SA_OWNER_NAME) is None


def test_a_rerun_names_its_source_in_memo_and_summary():
    rerun = Launch(execution_id="e2", plan=PLAN, owner_id="u-1", started_by="alice", source_execution_id="e1",
                   trigger="rerun")
    assert rerun.memo() == {"name": "report", "execution_id": "e2", "trigger": "rerun", "started_by": "alice",
                            "source_execution_id": "e1"}
    assert rerun.summary() == "report v3 (rerun of e1)"
    first = Launch(execution_id="e1", plan=PLAN, trigger="api")
    assert "source_execution_id" not in first.memo() and first.summary() == "report v3"
