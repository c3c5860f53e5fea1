"""The node-type registry (workflows/registry.py) and the worker's handlers
(activities/registry.py) agree: every activity-run type has exactly one
handler, and the interpreter-run types have none."""

from __future__ import annotations

from activities.base import ActivityDeps
from activities.registry import HANDLERS, node_activities
from core.settings import Settings
from outbound import Outbound
from workflows.registry import REGISTRY


def test_every_activity_type_has_a_handler_and_only_those():
    activity_types = {name for name, t in REGISTRY.items() if t.kind == "activity"}
    assert set(HANDLERS) == activity_types
    assert {name for name, t in REGISTRY.items() if t.kind == "workflow"} == {"delay", "sub_workflow", "approval", "for_each"}


def test_the_worker_registers_one_activity_per_activity_type():
    settings = Settings()
    activities = node_activities(ActivityDeps(settings=settings, outbound=Outbound(settings)))
    names = sorted(fn.__temporal_activity_definition.name for fn in activities)
    assert names == sorted(REGISTRY[name].activity_name for name in HANDLERS)
