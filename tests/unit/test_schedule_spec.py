"""Issue 10.12: what a schedule's spec accepts before Temporal sees it: no
6-field cron (a year here, seconds in Quartz and n8n) and the `every` shorthand."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api import cron, every
from api.schedules import temporal_spec
from api.schemas.schedules import SpecBody


@pytest.mark.parametrize("expression", [
    "0 */15 * * * *", "CRON_TZ=Europe/Paris 0 0 9 * * mon-fri", "0 0 1 1 * 2030 # new year",
])
def test_six_fields_are_refused_saying_both_readings_and_how_to_write_them(expression):
    with pytest.raises(ValidationError) as err:
        SpecBody.model_validate({"cron_expressions": ["@daily", expression]})
    [problem] = err.value.errors()
    assert problem["type"] == "ambiguous_cron" and problem["loc"] == ("cron_expressions", 1)
    fields = " ".join(cron.fields(expression))
    assert "year" in problem["msg"] and "Quartz" in problem["msg"]
    assert f"'{fields} *'" in problem["msg"] and f"'0 {fields}'" in problem["msg"]


@pytest.mark.parametrize("expression", [
    "*/15 * * * *", "0 */15 * * * * *", "0 0 0 1 1 * 2030", "@every 90m", "@daily", "CRON_TZ=Asia/Tokyo 0 8 * * *",
    "0 0 * * 0 # a comment with six words in it",
])
def test_five_and_seven_fields_and_descriptors_pass(expression):
    assert SpecBody.model_validate({"cron_expressions": [expression]}).cron_expressions == [expression]


def test_a_stored_six_field_spec_still_maps_to_temporal():
    """Schedules saved before the refusal keep working (read with context stored)."""
    spec = SpecBody.model_validate({"cron_expressions": ["0 0 1 1 * 2030"]}, context={"stored": True})
    assert temporal_spec(spec).cron_expressions == ["0 0 1 1 * 2030"]


@pytest.mark.parametrize(("text", "seconds"), [
    ("90s", 90), ("15m", 900), ("1h30m", 5400), ("1d", 86400), ("2d12h", 216000), (" 1h ", 3600),
])
def test_every_maps_to_one_interval(text, seconds):
    assert every.seconds(text) == seconds
    spec = temporal_spec(SpecBody.model_validate({"every": text}))
    assert [i.every.total_seconds() for i in spec.intervals] == [seconds]


@pytest.mark.parametrize("text", ["", "15", "m", "15 m", "1m1h", "1.5h", "-5m", "0s", "3651d", "1w", "P1D"])
def test_bad_every_is_refused_with_how_to_write_it(text):
    with pytest.raises(ValidationError) as err:
        SpecBody.model_validate({"every": text})
    [problem] = err.value.errors()
    assert problem["type"] == "invalid_duration" and problem["loc"] == ("every",)
    assert text.strip() in problem["msg"]


def test_every_alone_is_a_spec_and_nothing_is_not():
    assert SpecBody.model_validate({"every": "1h"}).every == "1h"
    with pytest.raises(ValidationError, match="every"):
        SpecBody.model_validate({})
