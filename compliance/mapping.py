"""Which regulation classes each detected entity belongs to: versioned data.

A finding carries the mapping version it was classified under, so a report
made under an older mapping stays explainable after the table changes. Bump
MAPPING_VERSION on any change of ENTITY_CLASSES or SAFE_HARBOR.

Classes:
- `hipaa.phi`: one of the HIPAA Safe Harbor identifiers (45 CFR 164.514(b)(2)),
  named by its letter in `SAFE_HARBOR`;
- `gdpr.personal`: personal data (GDPR Art. 4(1));
- `gdpr.special`: special categories (GDPR Art. 9: health data here);
- `ccpa.personal` / `ccpa.sensitive`: personal information and sensitive
  personal information (Cal. Civ. Code 1798.140(v) and (ae));
- `pci.pan`: a payment card number.
"""

from __future__ import annotations

from dataclasses import dataclass

MAPPING_VERSION = "2026-12-01.1"

CLASSES = ("hipaa.phi", "gdpr.personal", "gdpr.special", "ccpa.personal", "ccpa.sensitive", "pci.pan")


@dataclass(frozen=True)
class SafeHarborIdentifier:
    letter: str
    name: str
    entities: tuple[str, ...]  # what detects it; empty: not covered
    note: str = ""

    @property
    def covered(self) -> bool:
        return bool(self.entities)


# The 18 identifiers of 45 CFR 164.514(b)(2)(i), and which detector covers each.
SAFE_HARBOR: tuple[SafeHarborIdentifier, ...] = (
    SafeHarborIdentifier("A", "names", ("PERSON",), "only with the spaCy model installed"),
    SafeHarborIdentifier("B", "geographic subdivisions smaller than a state", ("LOCATION",),
                         "only with the spaCy model installed; street addresses and ZIP codes are not recognised"),
    SafeHarborIdentifier("C", "dates (except year) directly related to an individual", (),
                         "not covered: dates cannot be told from the timestamps every workflow carries"),
    SafeHarborIdentifier("D", "telephone numbers", ("PHONE_NUMBER",)),
    SafeHarborIdentifier("E", "fax numbers", ("PHONE_NUMBER",), "recognised as telephone numbers"),
    SafeHarborIdentifier("F", "electronic mail addresses", ("EMAIL_ADDRESS",)),
    SafeHarborIdentifier("G", "social security numbers", ("US_SSN",)),
    SafeHarborIdentifier("H", "medical record numbers", ("MEDICAL_RECORD_NUMBER",), "with a context word (MRN, medical record)"),
    SafeHarborIdentifier("I", "health plan beneficiary numbers", ("HEALTH_PLAN_ID",),
                         "with a context word (member id, health plan, beneficiary, MBI)"),
    SafeHarborIdentifier("J", "account numbers", ("US_BANK_NUMBER", "IBAN_CODE", "CREDIT_CARD"),
                         "bank accounts need a context word"),
    SafeHarborIdentifier("K", "certificate/license numbers", ("MEDICAL_LICENSE", "US_DRIVER_LICENSE", "US_PASSPORT"),
                         "driver's licenses and passports need a context word"),
    SafeHarborIdentifier("L", "vehicle identifiers and serial numbers, including license plates", (),
                         "not covered"),
    SafeHarborIdentifier("M", "device identifiers and serial numbers", ("DEVICE_ID",),
                         "with a context word (device id, serial number, UDI, IMEI)"),
    SafeHarborIdentifier("N", "web universal resource locators (URLs)", (),
                         "not covered: workflow configs are full of URLs that identify no one"),
    SafeHarborIdentifier("O", "internet protocol (IP) addresses", ("IP_ADDRESS",)),
    SafeHarborIdentifier("P", "biometric identifiers", (), "not covered (not text)"),
    SafeHarborIdentifier("Q", "full-face photographs and comparable images", (), "not covered (not text)"),
    SafeHarborIdentifier("R", "any other unique identifying number, characteristic, or code", ("US_ITIN", "UK_NHS"),
                         "partly: US ITIN and UK NHS numbers"),
)

_PERSONAL = ("gdpr.personal", "ccpa.personal")
_SENSITIVE = ("gdpr.personal", "ccpa.personal", "ccpa.sensitive")
_HEALTH = ("hipaa.phi", "gdpr.personal", "gdpr.special", "ccpa.personal", "ccpa.sensitive")

# entity -> classes. hipaa.phi is added below from SAFE_HARBOR, so the two never disagree.
_BASE: dict[str, tuple[str, ...]] = {
    "PERSON": _PERSONAL,
    "LOCATION": _PERSONAL,
    "PHONE_NUMBER": _PERSONAL,
    "EMAIL_ADDRESS": _PERSONAL,
    "IP_ADDRESS": _PERSONAL,
    "US_SSN": _SENSITIVE,
    "US_ITIN": _SENSITIVE,
    "US_PASSPORT": _SENSITIVE,
    "US_DRIVER_LICENSE": _SENSITIVE,
    "CREDIT_CARD": (*_SENSITIVE, "pci.pan"),
    "US_BANK_NUMBER": _SENSITIVE,
    "IBAN_CODE": _SENSITIVE,
    "UK_NHS": _HEALTH,
    "MEDICAL_LICENSE": _PERSONAL,
    "MEDICAL_RECORD_NUMBER": _HEALTH,
    "HEALTH_PLAN_ID": _HEALTH,
    "DEVICE_ID": _PERSONAL,
    "CRYPTO": _PERSONAL,
}


def _with_phi() -> dict[str, tuple[str, ...]]:
    phi = {entity for identifier in SAFE_HARBOR for entity in identifier.entities}
    return {entity: tuple(c for c in CLASSES if c in classes or (c == "hipaa.phi" and entity in phi))
            for entity, classes in _BASE.items()}


ENTITY_CLASSES: dict[str, tuple[str, ...]] = _with_phi()


def classes_of(entity: str) -> tuple[str, ...]:
    return ENTITY_CLASSES.get(entity, ())


def safe_harbor_of(entity: str) -> list[str]:
    """The Safe Harbor letters an entity stands for."""
    return [i.letter for i in SAFE_HARBOR if entity in i.entities]
