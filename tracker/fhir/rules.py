"""The mapping from the tracker's records to FHIR R5 resources, one pure function per resource (docs/fhir.md).

Each function takes the facts as the reader may see them (a blinded reader's bag has no material, lot, thaw or
container: tracker/pharmacy/bags.py never reads them for one) and returns the resource as JSON, validated
against R5 by the `fhir.resources` models on the way out: an answer that would not validate is a bug, never
sent. Nothing here reads the database or the request."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fhir.resources import get_fhir_model_class

FHIR_VERSION = "5.0.0"
MEDIA_TYPE = "application/fhir+json"
# Identifier and code systems of the tracker's own records: URNs, since no registry names them.
SYSTEM = "urn:cell-therapy-tracker"
BAG_SYSTEM = f"{SYSTEM}:bag"
CODE_SYSTEM = f"{SYSTEM}:randomization-code"
SCAN_SYSTEM = f"{SYSTEM}:scan"
INFUSION_SYSTEM = f"{SYSTEM}:infusion"
AUDIT_SYSTEM = f"{SYSTEM}:audit-event"
PRODUCT_SYSTEM = f"{SYSTEM}:product"
PROPERTY_SYSTEM = f"{SYSTEM}:bag-property"
SCAN_RESULT_SYSTEM = f"{SYSTEM}:scan-result"
AUDIT_ACTION_SYSTEM = f"{SYSTEM}:audit-action"
ROLE_SYSTEM = f"{SYSTEM}:role"
ERROR_SYSTEM = f"{SYSTEM}:error"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
BDP_CATEGORY = "http://hl7.org/fhir/product-category"
BDP_STATUS = "http://hl7.org/fhir/biologicallyderived-product-status"
MATCH_STATUS = "http://terminology.hl7.org/CodeSystem/biologicallyderivedproductdispense-match-status"

# The unmasked product per material, for unblinded readers only (a blinded reader's bag has no material).
PRODUCT_BY_MATERIAL = {"ucmsc": "UC-MSC", "placebo": "Placebo"}
# A bag is available for use until it is infused, destroyed, voided or past its use-by time.
AVAILABLE_STATUSES = frozenset({"prepared", "dispatched", "received", "returned"})
# Audit records behind the resources: whose events a participant's Provenance lists.
PROVENANCE_ENTITIES = ("participant", "bag", "scan", "infusion")
_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


class BadSearch(ValueError):
    """A search parameter the server cannot read: the API answers 400 with an OperationOutcome."""


def valid(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource, once the R5 model of its type has parsed it (else pydantic's ValidationError)."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def instant(value: dt.datetime | None) -> str | None:
    """A stored time (naive UTC, or aware) as a FHIR instant/dateTime with its offset."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="seconds")


def is_fhir_id(value: str) -> bool:
    return bool(_ID.match(value or ""))


def _drop_none(data: Any) -> Any:
    """FHIR forbids empty elements: nulls, empty lists and objects left empty by them are dropped."""
    if isinstance(data, dict):
        cleaned = {k: _drop_none(v) for k, v in data.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, [], {})}
    if isinstance(data, list):
        cleaned = [_drop_none(v) for v in data]
        return [v for v in cleaned if v not in (None, [], {})]
    return data


def _resource(data: dict[str, Any]) -> dict[str, Any]:
    return valid(_drop_none(data))


def _person(username: str | None, role: str | None = None) -> dict[str, Any] | None:
    """A user as FHIR names a performer: by display only (accounts are not FHIR Practitioners here)."""
    if not username:
        return None
    return {"display": f"{username} ({role})" if role else username}


def patient_reference(participant_id: str) -> dict[str, Any]:
    return {"reference": f"Patient/{participant_id}", "display": participant_id}


def _text(status: str, words: str) -> dict[str, Any]:
    # The narrative is the same words as the data, escaped: no markup from the records reaches it.
    escaped = words.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return {"status": status, "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{escaped}</div>'}


# ---- Patient -----------------------------------------------------------------------------------------------


def patient(participant_id: str, study_code: str) -> dict[str, Any]:
    """The participant as a pseudonymous reference: the trial's participant ID and nothing else."""
    return _resource({
        "resourceType": "Patient",
        "id": participant_id,
        "text": _text("generated", f"Trial participant {participant_id} ({study_code})"),
        "identifier": [{
            "use": "secondary",
            "type": {"text": "Trial participant ID"},
            "system": f"{SYSTEM}:{study_code.lower()}:participant",
            "value": participant_id,
        }],
        "active": True,
    })  # fmt: skip


# ---- BiologicallyDerivedProduct: one per bag --------------------------------------------------------------


def product_name(bag: Mapping[str, Any], blinded_name: str) -> str:
    """What the bag holds as this reader may know it: the study's blinded name unless the bag's material is
    among the facts (it is only for an unblinded reader)."""
    material = bag.get("material")
    return PRODUCT_BY_MATERIAL.get(material, str(material)) if material else blinded_name


def _property(code: str, display: str, **value: Any) -> dict[str, Any]:
    return {"type": {"coding": [{"system": PROPERTY_SYSTEM, "code": code, "display": display}]}, **value}


def _ml(volume: float | None) -> dict[str, Any] | None:
    if volume is None:
        return None
    return {"value": volume, "unit": "mL", "system": UCUM, "code": "mL"}


def biologically_derived_product(bag: Mapping[str, Any], blinded_name: str) -> dict[str, Any]:
    """A bag. `bag` is the bag as the reader may see it (tracker.pharmacy.bags.bag_view): for a blinded
    reader it holds no material, lot, thaw or container, so neither does the resource."""
    name = product_name(bag, blinded_name)
    properties = [
        _property("custody-status", "Custody status", valueString=bag["status"]),
        _property("location", "Location", valueString=bag.get("location")),
        _property("quarantined", "Quarantined", valueBoolean=bool(bag.get("quarantined"))),
        _property("final-volume", "Final volume", valueQuantity=_ml(bag.get("final_volume_ml"))),
        _property("prepared", "Prepared", valuePeriod={"start": instant(bag.get("prepared_at"))}),
        _property("prepared-by", "Prepared by", valueString=bag.get("prepared_by")),
    ]
    if bag.get("voided_at"):
        properties.append(_property("voided", "Voided", valuePeriod={"start": instant(bag["voided_at"])}))
    unblinded = {
        "container": ("Container", bag.get("container_id")),
        "thaw": ("Thaw", bag.get("thaw_id")),
        "placebo-lot": ("Placebo lot", bag.get("placebo_lot")),
    }
    for code, (display, value) in unblinded.items():
        if value:
            properties.append(_property(code, display, valueString=value))
    if bag.get("dose_viable_cells") is not None:
        properties.append(
            _property(
                "dose-viable-cells", "Dose (viable cells)", valueQuantity={"value": bag["dose_viable_cells"]}
            )
        )
    if bag.get("thawed_at"):
        properties.append(_property("thawed", "Thawed", valuePeriod={"start": instant(bag["thawed_at"])}))
    lot = bag.get("lot_number")
    return _resource({
        "resourceType": "BiologicallyDerivedProduct",
        "id": bag["bag_id"],
        "text": _text("generated", f"Bag {bag['bag_id']}: {name}"),
        "productCategory": {"system": BDP_CATEGORY, "code": "cells", "display": "Cells"},
        "productCode": {"coding": [{"system": PRODUCT_SYSTEM, "code": name}], "text": name},
        "identifier": [
            {"use": "official", "system": BAG_SYSTEM, "value": bag["bag_id"]},
            {"use": "secondary", "system": CODE_SYSTEM, "value": bag["randomization_code"]},
        ],
        "biologicalSourceEvent": {"system": f"{SYSTEM}:lot", "value": lot} if lot else None,
        "productStatus": {
            "system": BDP_STATUS,
            "code": "available" if bag["status"] in AVAILABLE_STATUSES else "unavailable",
        },
        "expirationDate": instant(bag.get("use_by")),
        "property": properties,
    })  # fmt: skip


# ---- BiologicallyDerivedProductDispense: each issue to the ward, each bedside check -----------------------


def issue_id(bag_id: str, number: int) -> str:
    return f"{bag_id}-issue-{number}"


def parse_issue_id(dispense_id: str) -> tuple[str, int] | None:
    match = re.fullmatch(r"([A-Z0-9]+)-issue-([1-9][0-9]{0,5})", dispense_id or "")
    return (match[1], int(match[2])) if match else None


@dataclass(frozen=True)
class Issue:
    """One dispatch of a bag from the pharmacy and what became of it: received, returned (custody events)."""

    bag_id: str
    participant_id: str
    number: int
    dispatch: Mapping[str, Any]
    receipt: Mapping[str, Any] | None = None
    returned: Mapping[str, Any] | None = None


def issues_of(bag_id: str, participant_id: str, custody: Iterable[Mapping[str, Any]]) -> list[Issue]:
    """A bag's custody events (oldest first) grouped into issues: each dispatch, the receipt and return after
    it and before the next dispatch."""
    grouped: list[dict[str, Any]] = []
    for event in custody:
        if event["action"] == "dispatch":
            grouped.append({"dispatch": event, "receipt": None, "returned": None})
        elif grouped and event["action"] in ("receive", "return"):
            grouped[-1]["receipt" if event["action"] == "receive" else "returned"] = event
    return [Issue(bag_id, participant_id, n, **facts) for n, facts in enumerate(grouped, start=1)]


def _receipt_words(receipt: Mapping[str, Any]) -> str:
    words = f"Received at {receipt['location']} by {receipt['user']} at {instant(receipt['at'])}"
    if receipt.get("temperature_c") is not None:
        words += f", {receipt['temperature_c']:g} °C"
    if receipt.get("seal_intact") is not None:
        words += ", seal intact" if receipt["seal_intact"] else ", seal BROKEN"
    return words


def issue_dispense(issue: Issue) -> dict[str, Any]:
    """A bag's issue from the pharmacy to the ward: issued (or returned), when and to where."""
    dispatch = issue.dispatch
    notes = []
    if issue.receipt is not None:
        notes.append({"text": _receipt_words(issue.receipt), "time": instant(issue.receipt["at"])})
    if issue.returned is not None:
        notes.append({"text": f"Returned to {issue.returned['location']} by {issue.returned['user']}",
                      "time": instant(issue.returned["at"])})  # fmt: skip
    if dispatch.get("note"):
        notes.append({"text": dispatch["note"]})
    dispense_id = issue_id(issue.bag_id, issue.number)
    return _resource({
        "resourceType": "BiologicallyDerivedProductDispense",
        "id": dispense_id,
        "text": _text("generated", f"Bag {issue.bag_id} issued to {dispatch['location']}"),
        "identifier": [{"system": f"{SYSTEM}:issue", "value": dispense_id}],
        "status": "returned" if issue.returned is not None else "issued",
        "originRelationshipType": {"text": "Allocated by randomization"},
        "product": {"reference": f"BiologicallyDerivedProduct/{issue.bag_id}", "display": issue.bag_id},
        "patient": patient_reference(issue.participant_id),
        "performer": [
            {"function": {"text": "Dispatched"}, "actor": _person(dispatch["user"], dispatch["role"])},
        ],
        "location": {"display": "Pharmacy"},
        "destination": {"display": dispatch["location"]},
        "whenHandedOver": instant(dispatch["at"]),
        "note": notes,
    })  # fmt: skip


MATCH_WORDS = {
    "match": "The bag's label matches the participant's wristband",
    "wrong_participant": "STOP: the bag is for another participant",
    "expired": "STOP: the bag is past its use-by time",
    "not_received": "STOP: the bag was not received on the ward",
    "quarantined": "STOP: the bag is in quarantine",
    "already_infused": "STOP: already infused",
    "unknown_bag": "STOP: no bag has this label's ID",
    "unknown_participant": "STOP: no participant has this wristband's ID",
    "unreadable_payload": "STOP: the label could not be read",
    "bad_signature": "STOP: the label's signature does not check",
}


def scan_dispense(scan: Mapping[str, Any], participant_known: bool) -> dict[str, Any]:
    """A bedside check: the bag's label scanned against a wristband. `matchStatus` is the scan's answer; a
    STOP leaves the dispense unfulfilled."""
    result = scan["result"]
    matched = result == "match"
    bag_id = scan.get("bag_id")
    product = (
        {"reference": f"BiologicallyDerivedProduct/{bag_id}", "display": bag_id}
        if bag_id
        else {"display": f"Label read as {scan['scanned_bag_id']}" if scan.get("scanned_bag_id")
              else "Unreadable label"}
    )  # fmt: skip
    wristband = scan["participant_id"]
    return _resource({
        "resourceType": "BiologicallyDerivedProductDispense",
        "id": scan["scan_id"],
        "text": _text("generated", f"Bedside check {scan['scan_id']}: {MATCH_WORDS.get(result, result)}"),
        "identifier": [{"system": SCAN_SYSTEM, "value": scan["scan_id"]}],
        "status": "issued" if matched else "unfulfilled",
        "product": product,
        "patient": (patient_reference(wristband) if participant_known
                    else {"display": f"Wristband {wristband}"}),
        "matchStatus": {
            "coding": [
                {"system": MATCH_STATUS, "code": "compatible" if matched else "incompatible"},
                {"system": SCAN_RESULT_SYSTEM, "code": result},
            ],
            "text": MATCH_WORDS.get(result, result),
        },
        "performer": [{"function": {"text": "Bedside check"}, "actor": _person(scan["user"], scan["role"])}],
        "location": {"display": "Bedside"},
        "whenHandedOver": instant(scan["at"]),
    })  # fmt: skip


# ---- MedicationAdministration: one per infusion -----------------------------------------------------------


def medication_administration(
    infusion: Mapping[str, Any], product: str, match_scan_id: str | None = None
) -> dict[str, Any]:
    """An infusion (tracker.ward.services.infusion_view): start, end, volume, who; the product by its name as
    the reader may know it, the bag and the bedside check as supporting information."""
    completed = infusion.get("completed_at") is not None
    performers = [{"function": {"text": "Started"}, "actor": {"reference": _person(infusion["started_by"])}}]
    if infusion.get("completed_by"):
        performers.append({"function": {"text": "Completed"},
                           "actor": {"reference": _person(infusion["completed_by"])}})  # fmt: skip
    cosign = infusion.get("cosignature")
    if cosign:
        performers.append({"function": {"text": f"Second check: {cosign['meaning']}"},
                           "actor": {"reference": _person(cosign["user"])}})  # fmt: skip
    bag_id = infusion["bag_id"]
    support = [{"reference": f"BiologicallyDerivedProduct/{bag_id}", "display": bag_id}]
    if match_scan_id:
        support.append({"reference": f"BiologicallyDerivedProductDispense/{match_scan_id}",
                        "display": f"Bedside check {match_scan_id}"})  # fmt: skip
    return _resource({
        "resourceType": "MedicationAdministration",
        "id": infusion["infusion_id"],
        "text": _text("generated", f"Infusion {infusion['infusion_id']} of bag {bag_id}: {product}"),
        "identifier": [{"system": INFUSION_SYSTEM, "value": infusion["infusion_id"]}],
        "status": "completed" if completed else "in-progress",
        "medication": {"concept": {"coding": [{"system": PRODUCT_SYSTEM, "code": product}], "text": product}},
        "subject": patient_reference(infusion["participant_id"]),
        "occurencePeriod": {
            "start": instant(infusion["started_at"]), "end": instant(infusion.get("completed_at")),
        },
        "recorded": instant(infusion.get("recorded_at") or infusion["started_at"]),
        "performer": performers,
        "supportingInformation": support,
        "dosage": {
            "route": {"coding": [{"system": SNOMED, "code": "47625008", "display": "Intravenous route"}],
                      "text": "Intravenous"},
            "dose": _ml(infusion.get("volume_infused_ml")),
        },
        "note": [{"text": infusion["note"]}] if infusion.get("note") else [],
    })  # fmt: skip


# ---- Provenance: the audit events behind the resources ----------------------------------------------------


def target_of(entity_type: str, entity_id: str) -> dict[str, Any]:
    """The resource an audit event's record became."""
    resource = {
        "participant": "Patient", "bag": "BiologicallyDerivedProduct",
        "scan": "BiologicallyDerivedProductDispense", "infusion": "MedicationAdministration",
    }[entity_type]  # fmt: skip
    return {"reference": f"{resource}/{entity_id}", "display": entity_id}


def provenance_id(seq: int) -> str:
    return f"audit-{seq}"


def parse_provenance_id(value: str) -> int | None:
    match = re.fullmatch(r"audit-([1-9][0-9]{0,17})", value or "")
    return int(match[1]) if match else None


def provenance(event: Mapping[str, Any], participant_id: str) -> dict[str, Any]:
    """One sealed audit event (its blinded row: who, role, what, when, its hash) pointing at its resource.
    The event's before and after are not copied: the audit trail is the record, this points to it."""
    return _resource({
        "resourceType": "Provenance",
        "id": provenance_id(event["seq"]),
        "text": _text("generated", f"Audit event {event['seq']}: {event['action']} of {event['entity_type']} "
                                   f"{event['entity_id']} by {event['user']}"),
        "target": [target_of(event["entity_type"], event["entity_id"])],
        "occurredDateTime": instant(event["at"]),
        "recorded": instant(event["at"]),
        "patient": patient_reference(participant_id),
        "activity": {
            "coding": [{"system": AUDIT_ACTION_SYSTEM, "code": event["action"]}], "text": event["action"],
        },
        "agent": [{
            "type": {"text": "Performer"},
            "role": [{"coding": [{"system": ROLE_SYSTEM, "code": event["role"]}], "text": event["role"]}],
            "who": _person(event["user"], event["role"]),
        }],
        "entity": [{
            "role": "source",
            "what": {
                "identifier": {"system": AUDIT_SYSTEM, "value": str(event["seq"])},
                "display": f"Audit event {event['seq']} (hash {event['hash']})",
            },
        }],
    })  # fmt: skip


# ---- Bundles, searches, errors ----------------------------------------------------------------------------


def bundle(
    resources: Sequence[dict[str, Any]], base: str, self_url: str, *, when: dt.datetime
) -> dict[str, Any]:
    """A searchset of these resources (what $everything and every search answer), each with its full URL."""
    return _resource({
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": instant(when),
        "total": len(resources),
        "link": [{"relation": "self", "url": self_url}],
        "entry": [
            {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
            for r in resources
        ],
    })  # fmt: skip


_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le")


def _bounds(value: str) -> tuple[dt.datetime, dt.datetime]:
    """The instants a FHIR date search value covers: a year, month, day or instant (seconds)."""
    try:
        if re.fullmatch(r"\d{4}", value):
            start = dt.datetime(int(value), 1, 1, tzinfo=dt.UTC)
            return start, start.replace(year=start.year + 1)
        if re.fullmatch(r"\d{4}-\d\d", value):
            start = dt.datetime(int(value[:4]), int(value[5:7]), 1, tzinfo=dt.UTC)
            end = (start + dt.timedelta(days=32)).replace(day=1)
            return start, end
        if re.fullmatch(r"\d{4}-\d\d-\d\d", value):
            start = dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
            return start, start + dt.timedelta(days=1)
        if "T" in value:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                raise BadSearch(f"give the date {value} with its time zone (Z or +hh:mm)")
            moment = moment.astimezone(dt.UTC)
            return moment, moment + dt.timedelta(seconds=1)
    except ValueError:
        pass
    raise BadSearch(f"{value} is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or an instant with its zone)")


@dataclass(frozen=True)
class DateTest:
    prefix: str
    start: dt.datetime
    end: dt.datetime

    def admits(self, moment: dt.datetime) -> bool:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        inside = self.start <= moment < self.end
        return {
            "eq": inside, "ne": not inside, "gt": moment >= self.end, "ge": moment >= self.start,
            "lt": moment < self.start, "le": moment < self.end,
        }[self.prefix]  # fmt: skip


def date_tests(values: Iterable[str]) -> list[DateTest]:
    """Each `date=` value (prefix and date) as a test; several are all to pass (FHIR's AND)."""
    tests = []
    for raw in values:
        prefix, value = (raw[:2], raw[2:]) if raw[:2] in _PREFIXES else ("eq", raw)
        tests.append(DateTest(prefix, *_bounds(value)))
    return tests


def admits(tests: Sequence[DateTest], moment: dt.datetime | None) -> bool:
    return not tests or (moment is not None and all(t.admits(moment) for t in tests))


ISSUE_TYPES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
               409: "conflict", 413: "too-long", 415: "not-supported", 422: "invalid", 429: "throttled",
               503: "transient"}  # fmt: skip


def operation_outcome(status: int, code: str, message: str, details: Mapping[str, Any] | None = None) -> dict:
    """An error as FHIR says it: the tracker's code as a coding, its sentence as the text."""
    diagnostics = "; ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
                            for k, v in (details or {}).items())  # fmt: skip
    return _resource({
        "resourceType": "OperationOutcome",
        "issue": [{
            "severity": "error",
            "code": ISSUE_TYPES.get(status, "exception"),
            "details": {"coding": [{"system": ERROR_SYSTEM, "code": code}], "text": message},
            "diagnostics": diagnostics or None,
        }],
    })  # fmt: skip


# ---- the capability statement -----------------------------------------------------------------------------

_SEARCH = {
    "BiologicallyDerivedProductDispense": [("patient", "reference", "The participant (required)"),
                                           ("product", "reference", "The bag")],
    "MedicationAdministration": [("patient", "reference", "The participant (required)"),
                                 ("date", "date", "When the infusion ran (eq, ne, gt, ge, lt, le)")],
    "Provenance": [("patient", "reference", "The participant (required)"),
                   ("recorded", "date", "When the audit event was recorded (eq, ne, gt, ge, lt, le)")],
}  # fmt: skip
RESOURCE_TYPES = ("Patient", "BiologicallyDerivedProduct", "BiologicallyDerivedProductDispense",
                  "MedicationAdministration", "Provenance")  # fmt: skip


def capability_statement(base: str, date: str) -> dict[str, Any]:
    resources = []
    for kind in RESOURCE_TYPES:
        interactions = [{"code": "read"}] + ([{"code": "search-type"}] if kind in _SEARCH else [])
        resource: dict[str, Any] = {
            "type": kind,
            "interaction": interactions,
            "versioning": "no-version",
            "readHistory": False,
            "searchParam": [
                {"name": name, "type": kind_, "documentation": words}
                for name, kind_, words in _SEARCH.get(kind, [])
            ],
        }
        if kind == "Patient":
            resource["operation"] = [{
                "name": "everything",
                "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                "documentation": "The participant's bags, issues, bedside checks, infusion and provenance",
            }]  # fmt: skip
        resources.append(resource)
    return _resource({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "kind": "instance",
        "name": "CellTherapyChainOfCustodyTracker",
        "title": "Cell therapy chain-of-custody tracker: read-only FHIR R5 API",
        "description": "Bags, their issue to the ward, bedside checks and infusions of a blinded trial. "
                       "Blinded readers get the study's blinded product name and no lot, thaw or container.",
        "software": {"name": "Cell therapy chain-of-custody tracker"},
        "implementation": {"description": "Read-only FHIR R5 API of the tracker", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "documentation": "Read-only: read, search by patient (and date where the resource has one), "
                             "and Patient/$everything. Every request but this statement needs a bearer token "
                             "(POST /api/v1/auth/token).",
            "security": {
                "description": "Authorization: Bearer TOKEN; roles pharmacist, nurse, investigator, qa",
            },
            "resource": resources,
        }],
    })  # fmt: skip
