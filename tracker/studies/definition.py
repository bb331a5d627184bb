"""A study definition: validated by a marshmallow schema on load, then used as plain frozen data."""

from __future__ import annotations

import dataclasses
import operator
import re
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from tracker.translation import N_

MATERIALS = ("ucmsc", "placebo")
SIGNED_ACTIONS = ("release", "reject", "recall")
# For a definition that names no meanings (their Chinese is in the app's catalogue).
DEFAULT_SIGNATURE_MEANINGS = {
    "release": (N_("Released: QC results reviewed and meet specification"),),
    "reject": (N_("Rejected: not suitable for clinical use"),),
    "recall": (N_("Recalled: withdrawn from use"),),
}
_OPERATORS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_OPERATOR_SIGNS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥"}
ANSWERS = ("yes", "no")
CRITERION_CATEGORIES = ("inclusion", "exclusion")
CRITERION_KINDS = ("number", "yes_no")
# Criterion keys share the enrolment form and error details with these fields, so they may not take them.
RESERVED_CRITERION_KEYS = frozenset(
    {"participant_id", "stratum", "onset_at", "eligibility", "step", "csrf_token"}
)


@dataclass(frozen=True)
class QcSpec:
    test: str
    kind: str  # "number" or "word"
    operator: str | None = None
    limit: float | None = None
    unit: str | None = None
    allowed: tuple[str, ...] = ()

    @property
    def specification(self) -> str:
        if self.kind == "word":
            return " or ".join(self.allowed)
        unit = f" {self.unit}" if self.unit and self.unit != "%" else (self.unit or "")
        return f"{self.operator} {self.limit:g}{unit}"

    def parse(self, value: Any) -> float | str:
        """The value as this test records it; raises ValueError with a sentence when it cannot be."""
        if self.kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise ValueError("must be a number")
            try:
                number = float(value)
            except ValueError:
                raise ValueError("must be a number") from None
            if number != number or number in (float("inf"), float("-inf")):
                raise ValueError("must be a finite number")
            return number
        if not isinstance(value, str) or not value.strip():
            raise ValueError(
                f"must be one of the words: {', '.join(self.allowed)} (or another observed word)"
            )
        return value.strip().lower()

    def passes(self, parsed: float | str) -> bool:
        if self.kind == "number":
            return _OPERATORS[self.operator](parsed, self.limit)
        return parsed in self.allowed


@dataclass(frozen=True)
class Arm:
    code: str
    material: str
    description: str


@dataclass(frozen=True)
class Stratum:
    code: str
    label: str
    onset_from_hours: float
    onset_to_hours: float


@dataclass(frozen=True)
class Bound:
    operator: str
    limit: float

    def holds(self, value: float) -> bool:
        return _OPERATORS[self.operator](value, self.limit)

    @property
    def text(self) -> str:
        return f"{_OPERATOR_SIGNS[self.operator]} {self.limit:g}"


@dataclass(frozen=True)
class Criterion:
    """A criterion: a measured number within bounds, or a yes/no question with the answer that is eligible."""

    key: str
    category: str  # "inclusion" or "exclusion": how the protocol lists it; both are judged the same way
    kind: str  # "number" or "yes_no"
    text: str
    unit: str | None = None
    bounds: tuple[Bound, ...] = ()
    whole_number: bool = False
    eligible_answer: str | None = None  # "yes" or "no"

    @property
    def requirement(self) -> str:
        """What makes a participant eligible, as a person reads it: "≥ 18 and ≤ 80 years", "no"."""
        if self.kind == "yes_no":
            return self.eligible_answer or ""
        unit = f" {self.unit}" if self.unit else ""
        return " and ".join(b.text for b in self.bounds) + unit


@dataclass(frozen=True)
class Eligibility:
    criteria: tuple[Criterion, ...] = ()
    checklist_required: bool = False
    onset_required: bool = False

    def criterion(self, key: str) -> Criterion | None:
        return next((c for c in self.criteria if c.key == key), None)


@dataclass(frozen=True)
class StudyDefinition:
    code: str
    protocol: str
    title: str
    sponsor: str
    arms: tuple[Arm, ...]
    strata: tuple[Stratum, ...]
    qc_tests: dict[str, tuple[QcSpec, ...]]
    min_viability_percent: float
    target_viable_cells: float
    tolerance_percent: float
    final_volume_ml: float
    final_volume_tolerance_ml: float
    use_by_minutes: int
    thaw_to_preparation_minutes: int
    label: dict[str, str]
    two_person_verification: bool
    # {language: {text as the definition writes it: that text in the language}}: the pages' words for
    # the study's own names (QC tests, materials, strata, criteria, label lines); others show as written.
    translations: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    eligibility: Eligibility = Eligibility()
    # The temperature a bag may travel at; a handoff outside it quarantines the bag. None: not checked.
    transport_min_temperature_c: float | None = None
    transport_max_temperature_c: float | None = None
    # What one issue from the GMP lab's store to the pharmacy holds: containers per material, e.g.
    # {"ucmsc": 1, "placebo": 1}; issues of whole kits only, so the lab never sees which material the
    # pharmacy needed. None: containers are issued one at a time.
    issue_kit: dict[str, int] | None = None
    # A regular expression every randomization code of the study must match whole, narrowing the tracker's
    # own rule (1–32 letters, digits, - _ . /). None: any code the tracker takes.
    code_pattern: str | None = None
    # What a QA signature on a lot means, per action, as the site's quality system words it: the signer
    # chooses one on the page; the first is the one taken when a rejection or recall gives none.
    signature_meanings: dict[str, tuple[str, ...]] = dataclasses.field(
        default_factory=lambda: dict(DEFAULT_SIGNATURE_MEANINGS)
    )
    # QC tests whose result may still be pending when QA signs the release (EU GMP Part IV: release before
    # all tests are complete, with a documented follow-up), e.g. ("sterility",) for a product given fresh.
    # Empty: every test needs its passing result first (a cryopreserved product waits for them all).
    release_with_pending_results: tuple[str, ...] = ()
    # Storage units (tracker/storage): the allowed range per kind of unit, (min °C or None, max °C or None);
    # a kind not named here may not be created. The minutes out of range that open a deviation, and the
    # minutes without a reading after which a unit's watch raises its alarm (None: not judged).
    storage_ranges: dict[str, tuple[float | None, float | None]] = dataclasses.field(default_factory=dict)
    storage_max_minutes_out_of_range: int | None = None
    storage_max_minutes_silent: int | None = None

    @property
    def stratum_codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.strata)

    @property
    def arm_codes(self) -> tuple[str, ...]:
        return tuple(a.code for a in self.arms)

    def qc_spec(self, material: str, test: str) -> QcSpec | None:
        return next((s for s in self.qc_tests.get(material, ()) if s.test == test), None)

    def material_of_arm(self, arm: str) -> str:
        return next(a.material for a in self.arms if a.code == arm)

    def may_be_pending(self, material: str) -> tuple[str, ...]:
        """The tests of `material` lots that may still be pending at release, in the study's test order."""
        return tuple(
            s.test for s in self.qc_tests.get(material, ()) if s.test in self.release_with_pending_results
        )


class _Arm(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,19}$"))
    material = fields.String(required=True, validate=validate.OneOf(MATERIALS))
    description = fields.String(required=True, validate=validate.Length(min=1))


class _Stratum(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z0-9]{1,4}$"))
    label = fields.String(required=True)
    onset_from_hours = fields.Float(required=True, validate=validate.Range(min=0))
    onset_to_hours = fields.Float(required=True, validate=validate.Range(min=0))


class _Bound(Schema):
    operator = fields.String(required=True, validate=validate.OneOf(tuple(_OPERATORS)))
    limit = fields.Float(required=True)


class _Criterion(Schema):
    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$"))
    category = fields.String(required=True, validate=validate.OneOf(CRITERION_CATEGORIES))
    kind = fields.String(required=True, validate=validate.OneOf(CRITERION_KINDS))
    text = fields.String(required=True, validate=validate.Length(min=1, max=300))
    unit = fields.String(validate=validate.Length(min=1, max=20))
    bounds = fields.List(fields.Nested(_Bound), validate=validate.Length(min=1, max=2))
    whole_number = fields.Boolean()
    eligible_answer = fields.String(validate=validate.OneOf(ANSWERS))

    @validates_schema
    def _complete(self, data: dict, **_: Any) -> None:
        if data.get("key") in RESERVED_CRITERION_KEYS:
            raise ValidationError(f"{data['key']!r} is reserved for the enrolment form", "key")
        if data.get("kind") == "number":
            if not data.get("bounds") or not data.get("unit"):
                raise ValidationError("a number criterion needs its unit and at least one bound", "bounds")
            if "eligible_answer" in data:
                raise ValidationError("a number criterion has bounds, no eligible answer", "eligible_answer")
        if data.get("kind") == "yes_no":
            if "eligible_answer" not in data:
                raise ValidationError("a yes/no criterion needs the answer that makes a participant eligible",
                                      "eligible_answer")  # fmt: skip
            if "bounds" in data or "unit" in data or data.get("whole_number"):
                raise ValidationError("a yes/no criterion has no unit or bounds", "bounds")


class _Eligibility(Schema):
    checklist_required = fields.Boolean(required=True)
    onset_required = fields.Boolean(load_default=False)
    criteria = fields.List(fields.Nested(_Criterion), required=True)

    @validates_schema
    def _consistent(self, data: dict, **_: Any) -> None:
        keys = [c["key"] for c in data.get("criteria", [])]
        if len(set(keys)) != len(keys):
            raise ValidationError("criterion keys must be unique", "criteria")
        if data.get("checklist_required") and not keys:
            raise ValidationError("a required checklist needs at least one criterion", "criteria")


class _QcSpec(Schema):
    test = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$"))
    kind = fields.String(required=True, validate=validate.OneOf(("number", "word")))
    operator = fields.String(validate=validate.OneOf(tuple(_OPERATORS)))
    limit = fields.Float()
    unit = fields.String()
    allowed = fields.List(fields.String(validate=validate.Length(min=1)))

    @validates_schema
    def _complete(self, data: dict, **_: Any) -> None:
        if data["kind"] == "number" and ("operator" not in data or "limit" not in data):
            raise ValidationError("a number test needs operator and limit", "limit")
        if data["kind"] == "word" and not data.get("allowed"):
            raise ValidationError("a word test needs its allowed words", "allowed")


class _Thaw(Schema):
    min_viability_percent = fields.Float(required=True, validate=validate.Range(min=0, max=100))


class _Dose(Schema):
    target_viable_cells = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False))
    tolerance_percent = fields.Float(required=True, validate=validate.Range(min=0, max=100))
    final_volume_ml = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False))
    final_volume_tolerance_ml = fields.Float(required=True, validate=validate.Range(min=0))


class _Windows(Schema):
    use_by_minutes = fields.Integer(required=True, validate=validate.Range(min=1))
    thaw_to_preparation_minutes = fields.Integer(required=True, validate=validate.Range(min=1))


class _Label(Schema):
    product = fields.String(required=True)
    route = fields.String(required=True)
    storage = fields.String(required=True)
    statement = fields.String(required=True)
    emergency_contact = fields.String(required=True)
    blinded_treatment_name = fields.String(required=True)


class _Bedside(Schema):
    two_person_verification = fields.Boolean(required=True)


class _Transport(Schema):
    min_temperature_c = fields.Float(required=True, validate=validate.Range(min=-200, max=60))
    max_temperature_c = fields.Float(required=True, validate=validate.Range(min=-200, max=60))

    @validates_schema
    def _ordered(self, data: dict, **_: Any) -> None:
        if data["max_temperature_c"] <= data["min_temperature_c"]:
            raise ValidationError("must be above min_temperature_c", "max_temperature_c")


MAX_KIT_CONTAINERS_PER_MATERIAL = 20
STORAGE_KINDS = ("ln2_freezer", "vapour_phase_dewar", "dry_shipper", "fridge_2_8")


class _StorageRange(Schema):
    min_temperature_c = fields.Float(validate=validate.Range(min=-273, max=60))
    max_temperature_c = fields.Float(validate=validate.Range(min=-273, max=60))

    @validates_schema
    def _bounded(self, data: dict, **_: Any) -> None:
        low, high = data.get("min_temperature_c"), data.get("max_temperature_c")
        if low is None and high is None:
            raise ValidationError("give min_temperature_c, max_temperature_c or both", "max_temperature_c")
        if low is not None and high is not None and high <= low:
            raise ValidationError("must be above min_temperature_c", "max_temperature_c")


class _Storage(Schema):
    ranges = fields.Dict(
        keys=fields.String(validate=validate.OneOf(STORAGE_KINDS)),
        values=fields.Nested(_StorageRange),
        required=True,
    )
    max_minutes_out_of_range = fields.Integer(strict=True, validate=validate.Range(min=0, max=24 * 60))
    max_minutes_without_reading = fields.Integer(strict=True, validate=validate.Range(min=1, max=7 * 24 * 60))


class _Randomization(Schema):
    code_pattern = fields.String(validate=validate.Length(min=1, max=200))

    @validates_schema
    def _compiles(self, data: dict, **_: Any) -> None:
        if "code_pattern" in data:
            try:
                re.compile(data["code_pattern"])
            except re.error as exc:
                raise ValidationError(f"is not a regular expression: {exc}", "code_pattern") from None


class StudyDefinitionSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_-]{1,39}$"))
    protocol = fields.String(required=True, validate=validate.Length(min=1, max=40))
    title = fields.String(required=True, validate=validate.Length(min=1))
    sponsor = fields.String(required=True)
    arms = fields.List(fields.Nested(_Arm), required=True, validate=validate.Length(min=2))
    strata = fields.List(fields.Nested(_Stratum), required=True, validate=validate.Length(min=1))
    qc_tests = fields.Dict(
        keys=fields.String(validate=validate.OneOf(MATERIALS)),
        values=fields.List(fields.Nested(_QcSpec), validate=validate.Length(min=1)),
        required=True,
    )
    thaw = fields.Nested(_Thaw, required=True)
    dose = fields.Nested(_Dose, required=True)
    windows = fields.Nested(_Windows, required=True)
    label = fields.Nested(_Label, required=True)
    bedside = fields.Nested(_Bedside, required=True)
    # Optional so that definitions stored before eligibility existed still parse (no checklist, not required).
    eligibility = fields.Nested(_Eligibility)
    # Optional for the same reason: without it a handoff's temperature is recorded but not judged.
    transport = fields.Nested(_Transport)
    # Optional: without it no storage unit may be created (tracker/storage).
    storage = fields.Nested(_Storage)
    # Optional: without it containers are issued to the pharmacy one at a time.
    # Optional: a narrower rule for the study's randomization codes.
    randomization = fields.Nested(_Randomization)
    # Optional: without it the signatures mean DEFAULT_SIGNATURE_MEANINGS.
    signature_meanings = fields.Dict(
        keys=fields.String(validate=validate.OneOf(SIGNED_ACTIONS)),
        values=fields.List(
            fields.String(validate=validate.Length(min=1, max=200)), validate=validate.Length(min=1, max=10)
        ),
    )
    translations = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[a-z]{2}$")),
        values=fields.Dict(keys=fields.String(), values=fields.String()),
    )
    # Optional: the QC tests that may still be pending at release (none: every result first).
    release_with_pending_results = fields.List(
        fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$")), validate=validate.Length(max=20)
    )
    issue_kit = fields.Dict(
        keys=fields.String(validate=validate.OneOf(MATERIALS)),
        values=fields.Integer(
            strict=True, validate=validate.Range(min=1, max=MAX_KIT_CONTAINERS_PER_MATERIAL)
        ),
        validate=validate.Length(min=1),
    )

    @validates_schema
    def _consistent(self, data: dict, **_: Any) -> None:
        codes = [a["code"] for a in data.get("arms", [])]
        if len(set(codes)) != len(codes):
            raise ValidationError("arm codes must be unique", "arms")
        strata = [s["code"] for s in data.get("strata", [])]
        if len(set(strata)) != len(strata):
            raise ValidationError("stratum codes must be unique", "strata")
        problems = onset_window_problems(data.get("strata", []))
        if problems:
            raise ValidationError(problems, "strata")
        for material in {a["material"] for a in data.get("arms", [])}:
            if material not in data.get("qc_tests", {}):
                raise ValidationError(f"no QC tests for material {material}", "qc_tests")
        for material, specs in data.get("qc_tests", {}).items():
            tests = [s["test"] for s in specs]
            if len(set(tests)) != len(tests):
                raise ValidationError(f"QC tests of {material} must be unique", "qc_tests")
        defined = {s["test"] for specs in data.get("qc_tests", {}).values() for s in specs}
        unknown = sorted(set(data.get("release_with_pending_results", ())) - defined)
        if unknown:
            raise ValidationError(
                f"names tests no material defines: {', '.join(unknown)}", "release_with_pending_results"
            )
        kit = data.get("issue_kit")
        if kit is not None:
            # A kit holds every material the arms use, so an issue says nothing about which one is needed.
            used = sorted({a["material"] for a in data.get("arms", [])})
            if sorted(kit) != used:
                raise ValidationError(
                    f"an issue kit holds containers of exactly the arms' materials: {', '.join(used)}",
                    "issue_kit",
                )

    @post_load
    def _build(self, data: dict, **_: Any) -> StudyDefinition:
        return StudyDefinition(
            code=data["code"],
            protocol=data["protocol"],
            title=data["title"],
            sponsor=data["sponsor"],
            arms=tuple(Arm(**a) for a in data["arms"]),
            strata=tuple(Stratum(**s) for s in data["strata"]),
            qc_tests={
                m: tuple(
                    QcSpec(**{**s, "allowed": tuple(w.lower() for w in s.get("allowed", ()))}) for s in specs
                )
                for m, specs in data["qc_tests"].items()
            },
            min_viability_percent=data["thaw"]["min_viability_percent"],
            target_viable_cells=data["dose"]["target_viable_cells"],
            tolerance_percent=data["dose"]["tolerance_percent"],
            final_volume_ml=data["dose"]["final_volume_ml"],
            final_volume_tolerance_ml=data["dose"]["final_volume_tolerance_ml"],
            use_by_minutes=data["windows"]["use_by_minutes"],
            thaw_to_preparation_minutes=data["windows"]["thaw_to_preparation_minutes"],
            label=dict(data["label"]),
            two_person_verification=data["bedside"]["two_person_verification"],
            translations={lang: dict(words) for lang, words in data.get("translations", {}).items()},
            eligibility=_eligibility(data.get("eligibility")),
            transport_min_temperature_c=data["transport"]["min_temperature_c"]
            if "transport" in data
            else None,
            transport_max_temperature_c=data["transport"]["max_temperature_c"]
            if "transport" in data
            else None,
            issue_kit=_issue_kit(data),
            code_pattern=data.get("randomization", {}).get("code_pattern"),
            signature_meanings={
                **DEFAULT_SIGNATURE_MEANINGS,
                **{a: tuple(m) for a, m in data.get("signature_meanings", {}).items()},
            },
            release_with_pending_results=tuple(dict.fromkeys(data.get("release_with_pending_results", ()))),
            storage_ranges={
                kind: (r.get("min_temperature_c"), r.get("max_temperature_c"))
                for kind, r in data.get("storage", {}).get("ranges", {}).items()
            },
            storage_max_minutes_out_of_range=data.get("storage", {}).get("max_minutes_out_of_range"),
            storage_max_minutes_silent=data.get("storage", {}).get("max_minutes_without_reading"),
        )


def _issue_kit(data: dict) -> dict[str, int] | None:
    """The kit with its materials in the arms' order (a stored definition's keys come back sorted)."""
    kit = data.get("issue_kit")
    if kit is None:
        return None
    order = list(dict.fromkeys(a["material"] for a in data["arms"]))
    return {material: kit[material] for material in sorted(kit, key=order.index)}


def _eligibility(data: dict | None) -> Eligibility:
    if data is None:
        return Eligibility()
    criteria = tuple(
        Criterion(
            key=c["key"],
            category=c["category"],
            kind=c["kind"],
            text=c["text"],
            unit=c.get("unit"),
            bounds=tuple(Bound(**b) for b in c.get("bounds", ())),
            whole_number=c.get("whole_number", False),
            eligible_answer=c.get("eligible_answer"),
        )  # fmt: skip
        for c in data["criteria"]
    )
    return Eligibility(criteria, data["checklist_required"], data.get("onset_required", False))


def onset_window_problems(strata: list[dict]) -> list[str]:
    """The onset windows, in the order listed, must tile one interval: each starts where the one before ends.

    A window holds onset intervals from its start (inclusive) to its end (exclusive); the last window also
    holds its end. So every boundary belongs to exactly one stratum and no interval between two windows
    falls through a gap (protocol "1–3 d" then "4–7 d" means up to 72 h, then from 72 h).
    """
    problems = []
    for number, stratum in enumerate(strata):
        if stratum["onset_to_hours"] <= stratum["onset_from_hours"]:
            problems.append(f"stratum {stratum['code']}: onset_to_hours must be after onset_from_hours")
        if number and stratum["onset_from_hours"] != strata[number - 1]["onset_to_hours"]:
            problems.append(
                f"stratum {stratum['code']}: onset_from_hours must equal the onset_to_hours of stratum "
                f"{strata[number - 1]['code']} (windows are contiguous, in order)"
            )
    return problems


def parse_definition(raw: dict[str, Any]) -> StudyDefinition:
    """Raises marshmallow.ValidationError naming every bad field."""
    return StudyDefinitionSchema().load(raw)
