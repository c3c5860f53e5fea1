"""The process's detector and salt, from settings: built once (the analyzer
loads every recognizer), shared by every request or activity."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from compliance.detect import Detector


@dataclass(frozen=True)
class Scanner:
    detector: Detector
    salt: bytes


@functools.cache
def _scanner(nlp: str, model: str, thresholds: tuple[tuple[str, float], ...], salt: bytes) -> Scanner:
    return Scanner(Detector(nlp, model, dict(thresholds)), salt)


def scanner(settings) -> Scanner:
    """Raises ModelMissing (a configured spaCy model not installed) or KeyProblem (no salt in production)."""
    return _scanner(settings.compliance_nlp, settings.compliance_spacy_model,
                    tuple(sorted(settings.compliance_thresholds.items())), settings.compliance_hash_salt())
