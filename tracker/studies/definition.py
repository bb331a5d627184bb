"""A study definition: validated by a marshmallow schema on load, then used as plain frozen data."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

MATERIALS = ("ucmsc", "placebo")
_OPERATORS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


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


class _Arm(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,19}$"))
    material = fields.String(required=True, validate=validate.OneOf(MATERIALS))
    description = fields.String(required=True, validate=validate.Length(min=1))


class _Stratum(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z0-9]{1,4}$"))
    label = fields.String(required=True)
    onset_from_hours = fields.Float(required=True, validate=validate.Range(min=0))
    onset_to_hours = fields.Float(required=True, validate=validate.Range(min=0))


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

    @validates_schema
    def _consistent(self, data: dict, **_: Any) -> None:
        codes = [a["code"] for a in data.get("arms", [])]
        if len(set(codes)) != len(codes):
            raise ValidationError("arm codes must be unique", "arms")
        strata = [s["code"] for s in data.get("strata", [])]
        if len(set(strata)) != len(strata):
            raise ValidationError("stratum codes must be unique", "strata")
        for material in {a["material"] for a in data.get("arms", [])}:
            if material not in data.get("qc_tests", {}):
                raise ValidationError(f"no QC tests for material {material}", "qc_tests")
        for material, specs in data.get("qc_tests", {}).items():
            tests = [s["test"] for s in specs]
            if len(set(tests)) != len(tests):
                raise ValidationError(f"QC tests of {material} must be unique", "qc_tests")

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
        )


def parse_definition(raw: dict[str, Any]) -> StudyDefinition:
    """Raises marshmallow.ValidationError naming every bad field."""
    return StudyDefinitionSchema().load(raw)
