"""Checks a cron expression the way Temporal Schedules read it, so a mistake
is answered with 422 and its field path before Temporal sees it.

Accepted (as Temporal): 5 fields (minute hour day-of-month month day-of-week),
6 (plus year), 7 (second first, year last); `*`, `?`, lists, ranges, steps,
month and weekday names; `@yearly` ... `@hourly`, `@every <duration>[/<offset>]`;
an optional `CRON_TZ=<zone>` prefix and a `# comment` suffix.
"""

from __future__ import annotations

import re
import zoneinfo

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
DESCRIPTORS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d))+$")
# name -> (low, high, names)
FIELDS = {
    "second": (0, 59, None), "minute": (0, 59, None), "hour": (0, 23, None),
    "day_of_month": (1, 31, None), "month": (1, 12, MONTHS), "day_of_week": (0, 7, DAYS),
    "year": (1970, 2999, None),
}
LAYOUTS = {
    5: ("minute", "hour", "day_of_month", "month", "day_of_week"),
    6: ("minute", "hour", "day_of_month", "month", "day_of_week", "year"),
    7: ("second", "minute", "hour", "day_of_month", "month", "day_of_week", "year"),
}


def check_time_zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
    return name


def cron_zone(expression: str) -> str | None:
    """The zone of a CRON_TZ= (or TZ=) prefix, if any."""
    text = expression.strip()
    for prefix in ("CRON_TZ=", "TZ="):
        if text.startswith(prefix):
            return text[len(prefix):].split(" ", 1)[0]
    return None


def check_cron(expression: str) -> str:
    """Returns the expression, or raises ValueError saying what is wrong."""
    text = expression.strip()
    if not text:
        raise ValueError("empty cron expression")
    for prefix in ("CRON_TZ=", "TZ="):
        if text.startswith(prefix):
            zone, _, text = text[len(prefix):].partition(" ")
            check_time_zone(zone)
            text = text.strip()
    text = text.split("#", 1)[0].strip()
    if text.startswith("@every"):
        every, _, offset = text[len("@every"):].strip().partition("/")
        if not DURATION.match(every) or (offset and not DURATION.match(offset)):
            raise ValueError(f"bad @every duration in {expression!r} (e.g. '@every 1h30m')")
        return expression
    if text.startswith("@"):
        if text.lower() not in DESCRIPTORS:
            raise ValueError(f"unknown descriptor {text!r}; use one of {', '.join(sorted(DESCRIPTORS))}")
        return expression
    fields = text.split()
    layout = LAYOUTS.get(len(fields))
    if layout is None:
        raise ValueError(f"a cron expression has 5, 6 or 7 fields, not {len(fields)}")
    for name, field in zip(layout, fields, strict=True):
        _check_field(name, field)
    return expression


def _check_field(name: str, field: str) -> None:
    low, high, names = FIELDS[name]
    for item in field.split(","):
        base, slash, step = item.partition("/")
        if slash and (not step.isdigit() or int(step) == 0):
            raise ValueError(f"{name}: bad step in {item!r}")
        if base in ("*", "?"):
            continue
        bounds = base.split("-", 1)
        values = [_value(name, b, low, high, names) for b in bounds]
        if len(values) == 2 and values[0] > values[1]:
            raise ValueError(f"{name}: range {base!r} runs backwards")


def _value(name: str, text: str, low: int, high: int, names: list[str] | None) -> int:
    if names and text[:3].lower() in names and len(text) >= 3:
        return names.index(text[:3].lower()) + (1 if name == "month" else 0)
    if not text.isdigit():
        raise ValueError(f"{name}: {text!r} is not a number" + (" or a name" if names else ""))
    value = int(text)
    if not low <= value <= high:
        raise ValueError(f"{name}: {value} is outside {low}-{high}")
    return value
