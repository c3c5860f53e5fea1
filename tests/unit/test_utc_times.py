"""One way to write a time in API answers (api/schemas/common.py): UTC, `Z`,
whatever the source gave (an aware datetime in another zone, a naive one, the
interpreter's ISO strings with `+00:00`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from pydantic import BaseModel

from api.schemas.common import UtcDatetime, utc_iso


class Stamped(BaseModel):
    at: UtcDatetime
    maybe: UtcDatetime | None = None


def test_every_source_is_answered_in_utc_with_z():
    cases = [datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC),
             datetime(2026, 1, 2, 5, 4, 5, 600000, tzinfo=timezone(timedelta(hours=2))),
             datetime(2026, 1, 2, 3, 4, 5, 600000),
             "2026-01-02T03:04:05.600000+00:00", "2026-01-02T03:04:05.600000Z"]
    for value in cases:
        assert Stamped(at=value).model_dump(mode="json") == {"at": "2026-01-02T03:04:05.600000Z", "maybe": None}
        assert Stamped(at=value).model_dump_json() == '{"at":"2026-01-02T03:04:05.600000Z","maybe":null}'


def test_utc_iso_of_nothing_is_nothing():
    assert utc_iso(None) is None
    assert utc_iso("2026-01-02T04:00:00+01:00") == "2026-01-02T03:00:00Z"
