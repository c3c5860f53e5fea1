"""Platform schedules: the bodies (checked here, before Temporal sees them)
and what a read answers. The mapping to Temporal's Schedule is api/schedules.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from api import every
from api.cron import ambiguity, check_time_zone, cron_zone
from api.schemas.common import MAX_INT, FromRow, Strict
from api.schemas.executions import ExecutionAccepted
from core.db.models import Schedule
from core.settings import Settings
from core.temporal import schedule_ui_link

Overlap = Literal["skip", "buffer_one", "buffer_all", "cancel_other", "terminate_other", "allow_all"]


def _unambiguous(expression: str, info: ValidationInfo) -> str:
    """New expressions only: a spec stored before 6 fields were refused
    (read back with context {"stored": True}) still maps to Temporal."""
    if not (info.context or {}).get("stored") and (reason := ambiguity(expression)):
        raise PydanticCustomError("ambiguous_cron", reason)
    return expression


def _every(text: str) -> str:
    try:
        every.seconds(text)
    except ValueError as err:
        raise PydanticCustomError("invalid_duration", str(err)) from None
    return text


# Temporal's parser checks the grammar (api.cron.check_crons, before anything is stored).
CronExpression = Annotated[str, Field(max_length=200), AfterValidator(_unambiguous)]
Every = Annotated[str, Field(max_length=40, examples=["15m", "1h30m", "1d"]), AfterValidator(_every)]
TimeZone = Annotated[str, Field(max_length=64), AfterValidator(check_time_zone)]
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC)
MAX_SPAN_S = 10 * 365 * 86400


def check_when(value: datetime) -> datetime:
    """Aware and within what Temporal (protobuf timestamps) can hold."""
    if value.tzinfo is None:
        raise ValueError("give a time zone offset (e.g. 2030-01-01T00:00:00Z)")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range") from None
    if not EARLIEST <= utc <= LATEST:
        raise ValueError("must be between 1970-01-01 and 9000-01-01 (UTC)")
    return value


When = Annotated[datetime, AfterValidator(check_when)]


def _after_start(value: datetime | None, info: ValidationInfo) -> datetime | None:
    start = info.data.get("start_at")
    if value is not None and start is not None and value <= start:
        raise ValueError("end_at must be after start_at")
    return value


def _check_version(value: int | str | None) -> int | str | None:
    if isinstance(value, int) and not 1 <= value <= MAX_INT:
        raise ValueError("a version is a positive number")
    return value


class IntervalSpec(Strict):
    every_s: float = Field(ge=1, le=MAX_SPAN_S, description="seconds between runs")
    offset_s: float = Field(0, ge=0, le=MAX_SPAN_S, description="shifts the runs within each interval")


class SpecBody(Strict):
    cron_expressions: list[CronExpression] = Field(
        default_factory=list, max_length=20,
        description="5 fields (minute hour day-of-month month day-of-week) or 7 (second first, year last); "
                    "6 are refused as ambiguous (a year here, seconds in Quartz and n8n)")
    every: Every | None = Field(None, description="a fixed interval said plainly: '90s', '15m', '1h30m', '1d'")
    intervals: list[IntervalSpec] = Field(default_factory=list, max_length=20)
    time_zone: TimeZone | None = Field(None, description="IANA name, e.g. Europe/Paris; default UTC")
    jitter_s: float = Field(0, ge=0, le=86400, description="random delay of each run, up to this")
    start_at: When | None = None
    end_at: When | None = None

    _end_after_start = field_validator("end_at")(classmethod(lambda cls, v, info: _after_start(v, info)))

    @field_validator("time_zone")
    @classmethod
    def _one_zone(cls, value: str | None, info: ValidationInfo) -> str | None:
        """A CRON_TZ= prefix and time_zone together: Temporal takes both, and
        which zone an expression runs in would be anyone's guess."""
        for expression in info.data.get("cron_expressions") or []:
            if value and cron_zone(expression):
                raise ValueError(f"give the zone either here or as CRON_TZ= in {expression!r}, not both")
        return value

    @model_validator(mode="after")
    def _something(self) -> SpecBody:
        if not self.intervals and not self.cron_expressions and not self.every:
            raise ValueError("give at least one cron expression, interval or every")
        return self


class PolicyBody(Strict):
    overlap: Overlap = Field("skip", description="what to do when a run is still going at the next time")
    catchup_window_s: float | None = Field(None, ge=10, le=MAX_SPAN_S, description="how late a missed run may still start")
    pause_on_failure: bool = False


class ScheduleCreate(Strict):
    workflow_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    version: int | Literal["latest"] = Field(
        description="a version number to pin, or 'latest' to run the newest version at each update")
    spec: SpecBody
    policy: PolicyBody = Field(default_factory=PolicyBody)
    inputs: dict[str, Any] = Field(default_factory=dict)
    notes: str = Field("", max_length=2000)
    paused: bool = False

    _range = field_validator("version")(classmethod(lambda cls, v: _check_version(v)))


class ScheduleUpdate(Strict):
    version: int | Literal["latest"] | None = None
    spec: SpecBody | None = None
    policy: PolicyBody | None = None
    inputs: dict[str, Any] | None = None
    notes: str | None = Field(None, max_length=2000)

    _range = field_validator("version")(classmethod(lambda cls, v: _check_version(v)))


class PauseRequest(Strict):
    note: str = Field("", max_length=500)


class TriggerRequest(Strict):
    overlap: Literal["allow_all", "skip"] = Field(
        "allow_all", description="for this run only: 'allow_all' starts it whatever runs; 'skip' refuses it "
        "(409 run_in_progress) while a run of the schedule is in progress. A manual run is not one of the "
        "Temporal Schedule's actions: the schedule's own overlap policy does not see it")


class TriggerAccepted(ExecutionAccepted):
    """The execution the trigger started (its own id: triggers never collide)."""

    schedule_id: str
    overlap: Literal["allow_all", "skip"]
    links: dict[str, str] = Field(description="execution, result, schedule and runs URLs of the API")


def trigger_links(execution_id: str, schedule_id: str) -> dict[str, str]:
    schedule = f"/api/v1/enterprise/schedules/{schedule_id}"
    return {"execution": f"/api/v1/executions/{execution_id}", "result": f"/api/v1/executions/{execution_id}/result",
            "schedule": schedule, "runs": f"{schedule}/runs"}


class BackfillRequest(Strict):
    start_at: When
    end_at: When
    overlap: Overlap = Field("allow_all", description="policy for the backfilled runs")

    _end_after_start = field_validator("end_at")(classmethod(lambda cls, v, info: _after_start(v, info)))


class RunPublic(FromRow):
    execution_id: str
    temporal_workflow_id: str
    temporal_run_id: str | None
    scheduled_at: datetime | None = None
    started_at: datetime | None = None
    status: str | None = Field(None, description="from the execution's record, when it exists")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        """From the run's `executions` row."""
        return cls.of(row, execution_id=row.id)


class SchedulePublic(FromRow):
    id: str
    workflow_id: str
    owner_id: str
    version: int | Literal["latest"]
    spec: dict[str, Any]
    policy: dict[str, Any]
    inputs: dict[str, Any]
    notes: str
    paused: bool
    pause_reason: str | None
    temporal_schedule_id: str
    ui_url: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Schedule, settings: Settings, **given: Any) -> Self:
        """`version` None in the row is "latest"."""
        return cls.of(row, version=row.version if row.version is not None else "latest",
                      ui_url=schedule_ui_link(settings, row.temporal_schedule_id), **given)


class ScheduleDetail(SchedulePublic):
    running_version: int | None = Field(None, description="the version the schedule's action runs now")
    next_run_times: list[datetime] = Field(
        default_factory=list, description="empty while the schedule is paused: nothing starts at them then")
    recent_runs: list[RunPublic] = Field(default_factory=list)
    running: list[str] = Field(default_factory=list, description="execution ids running now")
    num_actions: int = 0
