"""Recognizers for what presidio lacks: identifiers that are only identifiers
next to their label (a medical record number is just digits otherwise).

Each matches `<label> <separator> <value>` and reports the value's span alone,
so the label is kept in masked text and the score does not depend on an NLP
engine's context words (the regex-only default has none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult

_SEPARATOR = r"\s*(?:#|no\.?|number|num|id)?\s*[:#=]?\s*"


@dataclass(frozen=True)
class LabelledIdentifier:
    entity: str
    labels: str  # a regex alternation of the labels, case-insensitive
    value: str  # the identifier's own shape
    score: float


CUSTOM: tuple[LabelledIdentifier, ...] = (
    LabelledIdentifier("MEDICAL_RECORD_NUMBER", r"mrn|medical[\s_-]+record|patient[\s_-]+(?:id|number|no)|chart",
                       r"[A-Z]{0,3}-?\d{5,12}", 0.85),
    LabelledIdentifier("HEALTH_PLAN_ID",
                       r"member[\s_-]*id|health[\s_-]+plan|insurance[\s_-]+id|beneficiary|subscriber[\s_-]*id|mbi|policy[\s_-]+holder",
                       r"[A-Z0-9]{1,4}-?[A-Z0-9]{3,6}-?[A-Z0-9]{2,8}", 0.8),
    LabelledIdentifier("DEVICE_ID", r"device[\s_-]*(?:id|serial)|serial[\s_-]*(?:number|no)|udi|imei|pacemaker[\s_-]+serial",
                       r"[A-Z0-9][A-Z0-9()-]{5,39}", 0.75),
)


class LabelledIdentifierRecognizer(LocalRecognizer):
    """Finds one LabelledIdentifier: the value must follow its label."""

    def __init__(self, spec: LabelledIdentifier):
        self.spec = spec
        # The value must contain a digit: "Device ID: unknown" is no identifier.
        self._regex = re.compile(
            rf"\b(?:{spec.labels})\b{_SEPARATOR}(?P<value>(?=[A-Z0-9()-]*\d){spec.value})\b", re.IGNORECASE)
        super().__init__(supported_entities=[spec.entity], name=f"{spec.entity.title().replace('_', '')}Recognizer",
                         supported_language="en")

    def load(self) -> None:  # nothing to load: the regex is compiled above
        return None

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None) -> list[RecognizerResult]:
        if self.spec.entity not in entities:
            return []
        results = []
        for match in self._regex.finditer(text):
            explanation = AnalysisExplanation(recognizer=self.name, original_score=self.spec.score,
                                              pattern_name=self.spec.entity.lower(), pattern=self._regex.pattern)
            results.append(RecognizerResult(self.spec.entity, match.start("value"), match.end("value"),
                                            self.spec.score, analysis_explanation=explanation,
                                            recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                                                                  RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id}))
        return results


def custom_recognizers() -> list[LocalRecognizer]:
    return [LabelledIdentifierRecognizer(spec) for spec in CUSTOM]
