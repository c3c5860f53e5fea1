"""Detections in text and in JSON values: presidio's results, raised by nearby
label words (the regex-only engine has no context of its own), filtered by
per-entity thresholds and hard-negative guards, overlaps resolved."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from compliance.analyzer import LANGUAGE, analyzer, entities_for

# A score at or above its entity's threshold is a detection (AGENTIC_COMPLIANCE_THRESHOLDS overrides).
DEFAULT_THRESHOLDS: dict[str, float] = {
    "EMAIL_ADDRESS": 0.5, "PHONE_NUMBER": 0.4, "US_SSN": 0.5, "CREDIT_CARD": 0.5, "IP_ADDRESS": 0.5,
    "IBAN_CODE": 0.5, "US_ITIN": 0.6, "US_PASSPORT": 0.5, "US_DRIVER_LICENSE": 0.5, "US_BANK_NUMBER": 0.5,
    "MEDICAL_LICENSE": 0.5, "UK_NHS": 0.5, "CRYPTO": 0.5, "MEDICAL_RECORD_NUMBER": 0.5, "HEALTH_PLAN_ID": 0.5,
    "DEVICE_ID": 0.5, "PERSON": 0.6, "LOCATION": 0.6,
}

# A label word shortly before a match raises its score to this: "SSN 536228726"
# is a social security number, "536228726" alone may be anything.
CONTEXT_WINDOW = 32
CONTEXT: dict[str, tuple[re.Pattern, float]] = {entity: (re.compile(rf"\b(?:{words})\b", re.IGNORECASE), score)
                                                 for entity, (words, score) in {
    "US_SSN": (r"ssn|ssns|social\s+security|soc\s+sec", 0.85),
    "PHONE_NUMBER": (r"phone|tel|telephone|call|fax|mobile|cell|contact|sms|whatsapp", 0.6),
    "US_BANK_NUMBER": (r"account|acct|bank|routing|checking|savings|iban", 0.6),
    "US_PASSPORT": (r"passport", 0.6),
    "US_DRIVER_LICENSE": (r"driver'?s?|licen[cs]e|dl", 0.6),
    "US_ITIN": (r"itin|taxpayer", 0.7),
}.items()}

# Each string is read up to this many characters: a node output may be 256 KB
# and a workflow scan reads many (about 10 ms per KB with the regex engine).
MAX_TEXT_CHARS = 65_536

# Shapes that look like an entity but are not one (the corpus's hard negatives).
_V_BEFORE = re.compile(r"(?:\bv|/)$", re.IGNORECASE)
_VERSION_WORD = re.compile(r"\b(?:version|ver|release|build|firmware|agent|v)\b", re.IGNORECASE)
_DEVICE_WORD = re.compile(r"\b(?:imei|udi|serial|device)\b", re.IGNORECASE)
_COUNTRY_CODE_BEFORE = re.compile(r"\+\d{1,3}[\s.-]?$")
# A phone number without a label word needs a phone's shape: a '+' or '('
# prefix, or 3-3-4 / 3-4-4 groups; bare digit runs are ids, epochs and amounts.
_PHONE_SHAPE = re.compile(r"^(?:\+|\().*|^\d{3}[\s.-]\d{3,4}[\s.-]\d{4}$|^\d{4}[\s.-]\d{3}[\s.-]\d{4}$|^0\d{2,3} \d{3,4} \d{4}$")


def _guarded(entity: str, text: str, start: int, end: int, boosted: bool) -> bool:
    """True when the match is a known false positive."""
    value, before = text[start:end], text[max(0, start - 24):start]
    if entity == "IP_ADDRESS":
        if ":" in value and value.strip(":") == "":  # "::" alone
            return True
        # "v1.2.3.4", "version 10.0.0.1", "agent/2.31.4.1": a version string, not an address.
        return bool(_V_BEFORE.search(before) or _VERSION_WORD.search(before)) or text[end:end + 1] == "-"
    if entity == "PHONE_NUMBER":
        return not boosted and not _PHONE_SHAPE.match(value)
    if entity == "CREDIT_CARD":
        groups = re.findall(r"\d+", value)
        # An IMEI passes the Luhn check too; "1111 2222 3333 4444" is a placeholder.
        digits = "".join(groups)
        placeholder = len(set(digits)) == 1 or digits in ("1111222233334444", "1234567890123456")
        return bool(_DEVICE_WORD.search(before)) or placeholder
    if entity == "UK_NHS":
        return bool(_COUNTRY_CODE_BEFORE.search(before))  # "+1 415 555 2671" is a phone number
    return False


def _trimmed(entity: str, text: str, start: int, end: int) -> int:
    """An e-mail match that swallowed its key ("email=a@b.com"): start at the address."""
    if entity == "EMAIL_ADDRESS":
        local = text[start:text.find("@", start)]
        cut = max(local.rfind("="), local.rfind(":"))
        if cut >= 0:
            return start + cut + 1
    return start


@dataclass(frozen=True)
class Detection:
    entity: str
    start: int
    end: int
    score: float
    recognizer: str


def _boosted(entity: str, text: str, start: int, score: float) -> float:
    rule = CONTEXT.get(entity)
    if rule and rule[0].search(text[max(0, start - CONTEXT_WINDOW):start]):
        return max(score, rule[1])
    return score


def _resolved(found: list[Detection]) -> list[Detection]:
    """Overlapping detections: the best score wins (an SSN is not also a phone)."""
    kept: list[Detection] = []
    for d in sorted(found, key=lambda d: (-d.score, d.start)):
        if all(d.end <= k.start or d.start >= k.end for k in kept):
            kept.append(d)
    return sorted(kept, key=lambda d: d.start)


class Detector:
    """Settings applied to the process's analyzer."""

    def __init__(self, nlp: str = "regex", spacy_model: str = "en_core_web_sm",
                 thresholds: Mapping[str, float] | None = None):
        self.engine = analyzer(nlp, spacy_model)
        self.entities = list(entities_for(nlp))
        self.thresholds = {**DEFAULT_THRESHOLDS, **(thresholds or {})}

    @classmethod
    def from_settings(cls, settings) -> Detector:
        return cls(settings.compliance_nlp, settings.compliance_spacy_model, settings.compliance_thresholds)

    def text(self, text: str) -> list[Detection]:
        if not text or not any(c.isalnum() for c in text):
            return []
        found = []
        for r in self.engine.analyze(text=text, language=LANGUAGE, entities=self.entities):
            start = _trimmed(r.entity_type, text, r.start, r.end)
            score = _boosted(r.entity_type, text, start, r.score)
            if score < self.thresholds.get(r.entity_type, 1.01) or \
                    _guarded(r.entity_type, text, start, r.end, boosted=score > r.score):
                continue
            recognizer = (r.recognition_metadata or {}).get("recognizer_name", "")
            found.append(Detection(r.entity_type, start, r.end, round(score, 3), recognizer))
        return _resolved(found)

    def value(self, value: Any, path: str = "$") -> Iterator[tuple[str, str, list[Detection]]]:
        """(json path, text, detections) for each scalar of a JSON value that holds some;
        numbers are read as their digits (a card number may arrive as an integer);
        a string past MAX_TEXT_CHARS is read up to there."""
        for where, text in scalars(value, path):
            text = text[:MAX_TEXT_CHARS]
            found = self.text(text)
            if found:
                yield where, text, found


def scalars(value: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, int | float):
        yield path, str(value)
    elif isinstance(value, Mapping):
        for index, (key, item) in enumerate(value.items()):
            yield from scalars(item, f"{path}{_segment(str(key), index)}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from scalars(item, f"{path}[{index}]")


def _segment(key: str, index: int) -> str:
    """A key as a path segment. Paths are kept in findings, so a key that could
    itself be personal data (digits, an @) is named by its position instead."""
    if key.isidentifier():
        return f".{key}"
    if any(c.isdigit() for c in key) or "@" in key:
        return f"[#{index}]"
    return f"[{key!r}]"
