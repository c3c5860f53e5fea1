"""The detection quality gate: precision and recall per entity over the
labelled corpus, printed, and failing below 0.9 for the five entities the
platform promises (docs/compliance.md shows the table)."""

from __future__ import annotations

from collections import Counter

import pytest

from compliance.detect import Detector

from .compliance_corpus import CORPUS, HARD_NEGATIVES, POSITIVES

GATED = ("EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "CREDIT_CARD", "IP_ADDRESS")
FLOOR = 0.9


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score_corpus(detector: Detector) -> dict[str, dict[str, float]]:
    tp, fp, fn = Counter(), Counter(), Counter()
    for text, labels in CORPUS:
        found = [(d.entity, d.start, d.end) for d in detector.text(text)]
        for entity, start, end in found:
            if any(e == entity and _overlaps((start, end), (s, t)) for e, s, t in labels):
                tp[entity] += 1
            else:
                fp[entity] += 1
        for entity, start, end in labels:
            if not any(e == entity and _overlaps((start, end), (s, t)) for e, s, t in found):
                fn[entity] += 1
    table = {}
    for entity in sorted(set(tp) | set(fp) | set(fn)):
        precision = tp[entity] / (tp[entity] + fp[entity]) if tp[entity] + fp[entity] else 1.0
        recall = tp[entity] / (tp[entity] + fn[entity]) if tp[entity] + fn[entity] else 1.0
        table[entity] = {"precision": precision, "recall": recall, "tp": tp[entity], "fp": fp[entity],
                         "fn": fn[entity]}
    return table


@pytest.fixture(scope="module")
def table() -> dict[str, dict[str, float]]:
    result = score_corpus(Detector())
    print("\nentity                 precision  recall   tp  fp  fn")
    for entity, row in result.items():
        print(f"{entity:22} {row['precision']:9.3f} {row['recall']:7.3f} {row['tp']:4} {row['fp']:3} {row['fn']:3}")
    return result


def test_the_corpus_is_large_and_has_hard_negatives():
    assert len(CORPUS) >= 200
    assert len(HARD_NEGATIVES) >= 60
    labelled = Counter(entity for _, labels in CORPUS for entity, _, _ in labels)
    assert all(labelled[entity] >= 15 for entity in GATED), labelled


@pytest.mark.parametrize("entity", GATED)
def test_precision_and_recall_hold_the_floor(table, entity):
    row = table[entity]
    assert row["precision"] >= FLOOR and row["recall"] >= FLOOR, (entity, row)


def test_hard_negatives_yield_nothing_for_the_gated_entities():
    detector = Detector()
    false = {text: [(d.entity, text[d.start:d.end]) for d in detector.text(text) if d.entity in GATED]
             for text in HARD_NEGATIVES}
    noisy = {text: hits for text, hits in false.items() if hits}
    # A few misses are tolerated by the floor; more than that is a regression.
    assert len(noisy) <= len(HARD_NEGATIVES) // 20, noisy
