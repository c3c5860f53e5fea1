"""Findings: what was found where, never the value itself.

A finding keeps a masked snippet (the value and every other detection near
it masked by presidio-anonymizer) and a salted hash of the value (HMAC-SHA256
under the installation's compliance salt), so the same value is recognised
across scans without being stored, and a hash cannot be reversed by trying
the billion possible SSNs without the salt.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig, RecognizerResult
from pydantic import BaseModel, Field

from compliance.detect import Detection, Detector
from compliance.mapping import MAPPING_VERSION, classes_of, safe_harbor_of

SNIPPET_CONTEXT = 16  # characters kept on each side of the value
_ANONYMIZER = AnonymizerEngine()


class Finding(BaseModel):
    entity: str
    classes: list[str] = Field(description="regulatory classes (compliance/mapping.py)")
    safe_harbor: list[str] = Field(default_factory=list, description="HIPAA Safe Harbor letters")
    path: str = Field(description="JSON path of the value inside what was scanned")
    node: str | None = Field(None, description="the node whose config, input or output held it")
    source: str = Field("payload", description="config, schema, inputs, output, error, payload")
    execution_id: str | None = Field(None, description="the execution whose recorded data held it")
    score: float
    recognizer: str
    snippet: str = Field(description="the text around the value, every detection in it masked")
    value_hash: str = Field(description="HMAC-SHA256 of the value under the installation's salt")
    mapping_version: str = MAPPING_VERSION


def value_hash(salt: bytes, entity: str, value: str) -> str:
    normalized = "".join(value.split()).lower()
    return hmac.new(salt, f"{entity}:{normalized}".encode(), hashlib.sha256).hexdigest()[:32]


def mask_text(text: str, detections: list[Detection]) -> str:
    """The text with every detection masked: '*' for each character, the last
    4 kept of values of 12 characters or more (a card's last digits)."""
    if not detections:
        return text
    results = [RecognizerResult(d.entity, d.start, d.end, d.score) for d in detections]
    operators = {d.entity: OperatorConfig("custom", {"lambda": _masked}) for d in detections}
    return _ANONYMIZER.anonymize(text=text, analyzer_results=results, operators=operators).text


def _masked(value: str) -> str:
    keep = 4 if len(value) >= 12 else 0
    return "*" * (len(value) - keep) + value[len(value) - keep:]


def snippet(text: str, detections: list[Detection], focus: Detection) -> str:
    masked = mask_text(text, detections)
    # Masking keeps lengths, so the focus's offsets still hold in the masked text.
    start, end = max(0, focus.start - SNIPPET_CONTEXT), min(len(masked), focus.end + SNIPPET_CONTEXT)
    return ("…" if start else "") + masked[start:end] + ("…" if end < len(masked) else "")


def findings_in(detector: Detector, salt: bytes, value: Any, *, path: str = "$", node: str | None = None,
                source: str = "payload", execution_id: str | None = None) -> list[Finding]:
    found = []
    for where, text, detections in detector.value(value, path):
        for d in detections:
            found.append(Finding(entity=d.entity, classes=list(classes_of(d.entity)),
                                 safe_harbor=safe_harbor_of(d.entity), path=where, node=node, source=source,
                                 execution_id=execution_id,
                                 score=d.score, recognizer=d.recognizer, snippet=snippet(text, detections, d),
                                 value_hash=value_hash(salt, d.entity, text[d.start:d.end])))
    return found


def mask_value(detector: Detector, value: Any) -> Any:
    """The same JSON value with every detection masked (the compliance_scan node's `mask`)."""
    if isinstance(value, str):
        return mask_text(value, detector.text(value))
    if isinstance(value, dict):
        return {key: mask_value(detector, item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_value(detector, item) for item in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        detections = detector.text(str(value))
        return mask_text(str(value), detections) if detections else value
    return value
