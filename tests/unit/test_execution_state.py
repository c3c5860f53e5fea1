"""core/execution_state.py: the transition table of an execution row."""

from __future__ import annotations

import pytest

from core.db.models import EXECUTION_STATUSES, TERMINAL_EXECUTION_STATUSES
from core.execution_state import NEXT, IllegalTransition, allowed, sources


def test_every_status_has_its_row_in_the_table():
    assert set(NEXT) == set(EXECUTION_STATUSES)


@pytest.mark.parametrize("final", sorted(TERMINAL_EXECUTION_STATUSES))
def test_a_final_status_never_changes_within_a_run(final):
    assert allowed(final, final)  # a retried record: a no-op
    assert not any(allowed(final, other) for other in EXECUTION_STATUSES if other != final)


def test_forward_moves():
    assert allowed("pending", "running") and allowed("running", "succeeded")
    assert allowed("pending", "failed")  # a start Temporal refused
    assert allowed("pending", "succeeded")  # the run recorded itself before the API saw it start
    assert not allowed("running", "pending") and not allowed("succeeded", "running")


def test_sources_are_the_reverse_of_the_table():
    assert sources("running") == ["pending", "running"]
    assert sources("cancelled") == ["cancelled", "pending", "running"]
    with pytest.raises(IllegalTransition):
        sources("awaiting_approval")
