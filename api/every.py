"""The `every` shorthand of a schedule spec ("15m", "1h30m", "1d"): a fixed
interval said plainly, for users who would otherwise write a cron expression
and get its field order wrong. It maps to one Temporal interval spec."""

from __future__ import annotations

import re

UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_FORM = re.compile(r"(?:(\d{1,7})d)?(?:(\d{1,7})h)?(?:(\d{1,7})m)?(?:(\d{1,7})s)?")
MIN_S, MAX_S = 1, 10 * 365 * 86400
HINT = "write a duration such as '90s', '15m', '1h30m' or '1d' (units d, h, m, s, largest first)"


def seconds(text: str) -> int:
    """The interval in seconds; ValueError saying how to write it otherwise."""
    match = _FORM.fullmatch(text.strip())
    if not text.strip() or match is None:
        raise ValueError(f"{text!r} is not a duration: {HINT}")
    total = sum(int(n) * UNITS[u] for n, u in zip(match.groups(), UNITS, strict=True) if n)
    if not MIN_S <= total <= MAX_S:
        raise ValueError(f"{text!r} must be between 1s and 3650d")
    return total
