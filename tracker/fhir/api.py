"""The FHIR R5 routes under /fhir: read-only, bearer tokens and roles as the rest of the API (the same guard),
answers and errors in application/fhir+json. They are described by /fhir/metadata, FHIR's own document,
rather than the OpenAPI one."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, g, request

from tracker.db import utcnow
from tracker.errors import DomainError
from tracker.fhir import rules, services
from tracker.translation import N_
from tracker.web.context import reader
from tracker.web.guard import PUBLIC, requires

bp = Blueprint("fhir", __name__, url_prefix="/fhir")

# Who reads the clinical record of a bag and its infusion: as the bag's custody (blinded but the pharmacist).
FHIR_ROLES = ("pharmacist", "nurse", "investigator", "qa")
CAPABILITY_DATE = "2026-12-04"  # when this capability statement last changed
# Search parameters each search takes; `patient` is required (a search across every participant is not one
# a ward needs). `_format` may ask for JSON, the only format served.
SEARCHES = {
    "BiologicallyDerivedProductDispense": {"patient", "product"},
    "MedicationAdministration": {"patient", "date"},
    "Provenance": {"patient", "recorded"},
}


def fhir_response(resource: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(resource, ensure_ascii=False), status=status, mimetype=rules.MEDIA_TYPE)


def error_body(status: int, code: str, message: str, details: dict) -> Response:
    """Every error under /fhir/ as an OperationOutcome (handed to the app's error handlers by create_app)."""
    response = fhir_response(rules.operation_outcome(status, code, message, details), status)
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _base() -> str:
    return request.url_root.rstrip("/") + bp.url_prefix


def _route(rule: str, roles: tuple[str, ...]) -> Callable:
    def decorate(view: Callable) -> Callable:
        guarded = requires(*roles)(view)
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=guarded, methods=["GET"])
        return guarded

    return decorate


def _search_args(kind: str) -> tuple[str, dict[str, list[str]]]:
    """The participant a search is about, and its other parameters; a parameter this server does not read
    is refused rather than ignored, so that a search never answers more than was asked."""
    allowed = SEARCHES[kind] | {"_format"}
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        raise DomainError(
            N_("This search does not take these parameters"),
            details={name: [f"not a search parameter of {kind} here"] for name in unknown},
            code="unknown_search_parameter",
        )
    fmt = request.args.get("_format")
    if fmt is not None and fmt not in ("json", rules.MEDIA_TYPE, "application/json"):
        raise DomainError(N_("Only JSON is served"), details={"_format": ["json"]}, code="unsupported_format")
    patient = request.args.get("patient", "").strip()
    if patient.startswith("Patient/"):
        patient = patient.removeprefix("Patient/")
    if not patient:
        raise DomainError(
            N_("Say whose records: ?patient=ID"), details={"patient": ["required"]}, code="patient_required"
        )
    return patient, {name: request.args.getlist(name) for name in request.args if name != "patient"}


def _dates(args: dict[str, list[str]], name: str) -> list[rules.DateTest]:
    try:
        return rules.date_tests(args.get(name, []))
    except rules.BadSearch as problem:
        raise DomainError(
            N_("A date is not valid"), details={name: [str(problem)]}, code="invalid_date"
        ) from None


def _searchset(resources: list[dict[str, Any]]) -> Response:
    return fhir_response(rules.bundle(resources, _base(), request.url, when=utcnow()))


@_route("/metadata", PUBLIC)
def capability_statement():
    return fhir_response(rules.capability_statement(_base(), CAPABILITY_DATE))


@_route("/Patient/<participant_id>", FHIR_ROLES)
def read_patient(participant_id: str):
    return fhir_response(services.read_patient(reader(), participant_id))


@_route("/Patient/<participant_id>/$everything", FHIR_ROLES)
def patient_everything(participant_id: str):
    return _searchset(services.everything(reader(), g.actor, participant_id))


@_route("/BiologicallyDerivedProduct/<bag_id>", FHIR_ROLES)
def read_product(bag_id: str):
    return fhir_response(services.read_product(reader(), g.actor, bag_id))


@_route("/BiologicallyDerivedProductDispense/<dispense_id>", FHIR_ROLES)
def read_dispense(dispense_id: str):
    return fhir_response(services.read_dispense(reader(), g.actor, dispense_id))


@_route("/BiologicallyDerivedProductDispense", FHIR_ROLES)
def search_dispenses():
    patient, args = _search_args("BiologicallyDerivedProductDispense")
    product = (args.get("product") or [None])[0]
    return _searchset(services.search_dispenses(reader(), g.actor, patient, product))


@_route("/MedicationAdministration/<infusion_id>", FHIR_ROLES)
def read_administration(infusion_id: str):
    return fhir_response(services.read_administration(reader(), g.actor, infusion_id))


@_route("/MedicationAdministration", FHIR_ROLES)
def search_administrations():
    patient, args = _search_args("MedicationAdministration")
    return _searchset(services.search_administrations(reader(), g.actor, patient, _dates(args, "date")))


@_route("/Provenance/<provenance_id>", FHIR_ROLES)
def read_provenance(provenance_id: str):
    return fhir_response(services.read_provenance(reader(), g.actor, provenance_id))


@_route("/Provenance", FHIR_ROLES)
def search_provenance():
    patient, args = _search_args("Provenance")
    return _searchset(services.search_provenance(reader(), g.actor, patient, _dates(args, "recorded")))
