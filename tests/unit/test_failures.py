"""workflows/failures.py: a failed run's failure carries our code, message and
structured error; the run's summary is read back from new and old failures."""

from __future__ import annotations

from temporalio.exceptions import ApplicationError

from workflows.failures import LEGACY_TYPE, RunFailed, summary_of

ERROR = {"node": "bad", "code": "http_error", "message": "node 'bad' failed: 500"}
SUMMARY = {"execution_id": "e1", "status": "failed", "nodes": {"bad": {"state": "failed"}}}


def test_a_failed_run_fails_with_our_code_message_and_error():
    failure = RunFailed(ERROR, SUMMARY)
    assert (failure.type, failure.message, failure.non_retryable) == ("http_error", ERROR["message"], True)
    assert failure.details == (ERROR, SUMMARY)
    assert summary_of(failure) == SUMMARY


def test_the_summary_of_a_failure_recorded_before_the_change():
    assert summary_of(ApplicationError("m", SUMMARY, type=LEGACY_TYPE, non_retryable=True)) == SUMMARY


def test_failures_without_a_summary():
    assert summary_of(None) is None
    assert summary_of(ApplicationError("refused", type="unsigned_launch")) is None
    assert summary_of(ApplicationError("x", {"a": 1}, {"b": 2}, type="other")) is None
