"""The FHIR R5 API (/fhir): every resource validates against R5 with the fhir.resources models, a
participant's Bundle tells the story from bag to infusion, searches by patient and date, errors as
OperationOutcome, and blinded readers get the blinded product name with no arm, lot, thaw or container."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fhir.resources import get_fhir_model_class

from tests.integration.randomization_support import mentions_an_arm
from tests.pharmacy_support import CELL_LOT, VEHICLE_LOT, build_trial, iso
from tests.ward_support import ready_bag, scan, start

FHIR = "application/fhir+json"
READERS = ("pharmacist", "nurse", "investigator", "qa")


def _validated(response, resource_type=None):
    """The answer's resource, parsed by the R5 model of its type (which fails on anything R5 refuses)."""
    assert response.mimetype == FHIR, response.mimetype
    body = json.loads(response.get_data(as_text=True))
    model = get_fhir_model_class(body["resourceType"]).model_validate(body)
    assert model.get_resource_type() == body["resourceType"]
    if resource_type:
        assert body["resourceType"] == resource_type
    if body["resourceType"] == "Bundle":
        for entry in body.get("entry", []):
            get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
    return body


@pytest.fixture
def infused(login, runner, tmp_path):
    """An active bag and a placebo bag, each prepared, issued, received, scanned (a STOP against the wrong
    wristband first for the active one), infused and completed."""
    trial = build_trial(login, runner, tmp_path)
    trial.qa_reader = login("qa")
    stories = {}
    for arm in ("active", "placebo"):
        bag = ready_bag(trial, arm)
        if arm == "active":
            other = trial.of_arm("placebo")[1][0]
            assert scan(trial, bag["qr_payload"], other).status_code == 409
        matched = scan(trial, bag["qr_payload"], bag["participant_id"])
        assert matched.status_code == 200, matched.json
        started = start(trial, bag["bag_id"], bag["participant_id"])
        assert started.status_code == 201, started.json
        done = trial.nurse.patch(
            f"/api/v1/infusions/{started.json['infusion_id']}",
            json={"completed_at": iso(), "volume_infused_ml": 98.5, "note": "well tolerated"},
        )
        assert done.status_code == 200, done.json
        stories[arm] = {**bag, "scan_id": matched.json["scan_id"], "infusion_id": started.json["infusion_id"]}
    trial.stories = stories
    return trial


def _reader(trial, role):
    return {"pharmacist": trial.pharmacist, "nurse": trial.nurse, "investigator": trial.investigator,
            "qa": trial.qa_reader}[role]  # fmt: skip


def test_the_capability_statement_is_public_and_names_every_resource(client):
    response = client.get("/fhir/metadata")
    assert response.status_code == 200
    statement = _validated(response, "CapabilityStatement")
    assert statement["fhirVersion"] == "5.0.0"
    served = {r["type"] for r in statement["rest"][0]["resource"]}
    assert served == {"Patient", "BiologicallyDerivedProduct", "BiologicallyDerivedProductDispense",
                      "MedicationAdministration", "Provenance"}  # fmt: skip
    patient = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Patient")
    assert patient["operation"][0]["name"] == "everything"


def test_a_participants_bundle_tells_the_story_from_bag_to_infusion(infused):
    story = infused.stories["active"]
    pid = story["participant_id"]
    response = infused.nurse.get(f"/fhir/Patient/{pid}/$everything")
    assert response.status_code == 200, response.get_data(as_text=True)
    bundle = _validated(response, "Bundle")
    assert bundle["type"] == "searchset"
    resources = [e["resource"] for e in bundle["entry"]]
    assert bundle["total"] == len(resources)
    assert all(e["fullUrl"].endswith(f"/fhir/{e['resource']['resourceType']}/{e['resource']['id']}")
               for e in bundle["entry"])  # fmt: skip
    kinds = [r["resourceType"] for r in resources]
    # Patient, the bag, its issue, the bedside check, the infusion, then the audit events behind them.
    story_kinds = [k for k in kinds if k != "Provenance"]
    assert story_kinds == ["Patient", "BiologicallyDerivedProduct", "BiologicallyDerivedProductDispense",
                           "BiologicallyDerivedProductDispense", "MedicationAdministration"]  # fmt: skip
    patient, product, issue, check, administration = resources[:5]
    assert patient["id"] == pid
    assert set(patient) <= {"resourceType", "id", "text", "identifier", "active"}  # pseudonymous: the ID only
    assert product["id"] == story["bag_id"]
    assert product["productStatus"]["code"] == "unavailable"  # infused
    assert issue["id"] == f"{story['bag_id']}-issue-1"
    assert issue["status"] == "issued"
    assert issue["product"]["reference"] == f"BiologicallyDerivedProduct/{story['bag_id']}"
    assert issue["patient"]["reference"] == f"Patient/{pid}"
    assert issue["destination"]["display"] == "Ward 5 north"
    assert "Received at Ward 5 north" in issue["note"][0]["text"]
    assert check["id"] == story["scan_id"]
    assert check["matchStatus"]["coding"][0]["code"] == "compatible"
    assert check["whenHandedOver"] >= issue["whenHandedOver"]
    assert administration["id"] == story["infusion_id"]
    assert administration["status"] == "completed"
    assert administration["subject"]["reference"] == f"Patient/{pid}"
    assert administration["dosage"]["dose"] == {"value": 98.5, "unit": "mL", "system": "http://unitsofmeasure.org",
                                                "code": "mL"}  # fmt: skip
    assert administration["note"] == [{"text": "well tolerated"}]
    supporting = {s["reference"] for s in administration["supportingInformation"]}
    assert supporting == {f"BiologicallyDerivedProduct/{story['bag_id']}",
                          f"BiologicallyDerivedProductDispense/{story['scan_id']}"}  # fmt: skip
    start_, end = administration["occurencePeriod"]["start"], administration["occurencePeriod"]["end"]
    assert check["whenHandedOver"] <= start_ <= end
    provenance = [r for r in resources if r["resourceType"] == "Provenance"]
    activities = [(p["target"][0]["reference"].split("/")[0], p["activity"]["coding"][0]["code"])
                  for p in provenance]  # fmt: skip
    for expected in [
        ("BiologicallyDerivedProduct", "prepare"),
        ("BiologicallyDerivedProduct", "dispatch"),
        ("BiologicallyDerivedProduct", "receive"),
        ("MedicationAdministration", "start"),
        ("MedicationAdministration", "complete"),
        ("BiologicallyDerivedProductDispense", "scan"),
    ]:
        assert expected in activities, (expected, activities)  # fmt: skip
    # Each Provenance is served on its own and points at an audit event the trail holds.
    one = provenance[0]
    again = _validated(infused.nurse.get(f"/fhir/Provenance/{one['id']}"), "Provenance")
    assert again == one
    seq = one["entity"][0]["what"]["identifier"]["value"]
    trail = infused.qa_reader.get(f"/api/v1/audit?after_seq={int(seq) - 1}&limit=1").json["events"][0]
    assert trail["seq"] == int(seq)
    assert trail["hash"] in one["entity"][0]["what"]["display"]


def test_a_stop_at_the_bedside_is_an_unfulfilled_dispense_of_the_wristband_it_was_scanned_against(infused):
    story = infused.stories["active"]
    other = infused.of_arm("placebo")[1][0]
    found = _validated(
        infused.nurse.get(f"/fhir/BiologicallyDerivedProductDispense?patient={other}"), "Bundle"
    )
    checks = [e["resource"] for e in found["entry"]]
    assert len(checks) == 1
    assert checks[0]["status"] == "unfulfilled"
    assert checks[0]["matchStatus"]["coding"][0]["code"] == "incompatible"
    assert checks[0]["matchStatus"]["coding"][1]["code"] == "wrong_participant"
    assert checks[0]["product"]["reference"] == f"BiologicallyDerivedProduct/{story['bag_id']}"
    # The bag's own participant has the issue and the matching check; searched by product, the same.
    mine = _validated(
        infused.nurse.get(f"/fhir/BiologicallyDerivedProductDispense?patient=Patient/{story['participant_id']}"
                          f"&product=BiologicallyDerivedProduct/{story['bag_id']}")
    )  # fmt: skip
    assert [e["resource"]["status"] for e in mine["entry"]] == ["issued", "issued"]


@pytest.mark.parametrize("role", READERS)
def test_every_resource_is_served_on_its_own_and_validates(infused, role):
    reader = _reader(infused, role)
    for story in infused.stories.values():
        pid = story["participant_id"]
        everything = _validated(reader.get(f"/fhir/Patient/{pid}/$everything"), "Bundle")
        for entry in everything["entry"]:
            resource = entry["resource"]
            alone = reader.get(f"/fhir/{resource['resourceType']}/{resource['id']}")
            assert alone.status_code == 200, (resource["resourceType"], alone.get_data(as_text=True))
            assert _validated(alone, resource["resourceType"]) == resource


def test_search_by_patient_and_date(infused):
    pid = infused.stories["active"]["participant_id"]
    today = dt.datetime.now(dt.UTC).date()
    url = f"/fhir/MedicationAdministration?patient={pid}"
    assert len(_validated(infused.nurse.get(url))["entry"]) == 1
    assert len(_validated(infused.nurse.get(f"{url}&date={today.isoformat()}"))["entry"]) == 1
    assert (
        len(
            _validated(infused.nurse.get(f"{url}&date=ge{today.isoformat()}&date=lt{today.year + 1}"))[
                "entry"
            ]
        )
        == 1
    )
    assert _validated(infused.nurse.get(f"{url}&date=lt{today.isoformat()}"))["total"] == 0
    assert _validated(infused.nurse.get(f"{url}&date=gt{today.isoformat()}"))["total"] == 0
    provenance = _validated(infused.nurse.get(f"/fhir/Provenance?patient={pid}&recorded={today.year}"))
    assert provenance["total"] >= 6
    assert _validated(infused.nurse.get(f"/fhir/Provenance?patient={pid}&recorded=lt2000"))["total"] == 0


@pytest.mark.parametrize(
    ("url", "status", "code", "issue"),
    [
        ("/fhir/MedicationAdministration", 400, "patient_required", "invalid"),
        ("/fhir/MedicationAdministration?patient=P-001&date=yesterday", 400, "invalid_date", "invalid"),
        ("/fhir/MedicationAdministration?patient=P-001&date=2026-01-01T10:00", 400, "invalid_date",
         "invalid"),
        ("/fhir/MedicationAdministration?patient=P-001&status=completed", 400, "unknown_search_parameter",
         "invalid"),
        ("/fhir/Patient/P-404", 404, "participant_not_found", "not-found"),
        ("/fhir/Patient/P-404/$everything", 404, "participant_not_found", "not-found"),
        ("/fhir/BiologicallyDerivedProduct/B2222222222L", 404, "bag_not_found", "not-found"),
        ("/fhir/BiologicallyDerivedProductDispense/B2222222222L-issue-1", 404, "dispense_not_found",
         "not-found"),
        ("/fhir/BiologicallyDerivedProductDispense/S22222222222", 404, "dispense_not_found", "not-found"),
        ("/fhir/MedicationAdministration/I222222222N", 404, "infusion_not_found", "not-found"),
        ("/fhir/Provenance/audit-1", 404, "provenance_not_found", "not-found"),
        ("/fhir/Provenance/nonsense", 404, "provenance_not_found", "not-found"),
    ],
)  # fmt: skip
def test_errors_are_operation_outcomes(infused, url, status, code, issue):
    response = infused.nurse.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    outcome = _validated(response, "OperationOutcome")
    assert outcome["issue"][0]["code"] == issue
    assert outcome["issue"][0]["details"]["coding"][0]["code"] == code
    assert outcome["issue"][0]["details"]["text"]


def test_no_token_is_401_and_a_role_without_access_403_both_as_operation_outcomes(client, login):
    unsigned = client.get("/fhir/Patient/P-001")
    assert unsigned.status_code == 401
    assert _validated(unsigned, "OperationOutcome")["issue"][0]["code"] == "login"
    wrong = login("gmp").get("/fhir/Patient/P-001")
    assert wrong.status_code == 403
    outcome = _validated(wrong, "OperationOutcome")
    assert outcome["issue"][0]["details"]["coding"][0]["code"] == "wrong_role"
    # Read-only: no other method.
    posted = login("nurse").post("/fhir/Patient/P-001", json={})
    assert posted.status_code == 405
    assert _validated(posted, "OperationOutcome")["issue"][0]["code"] == "not-supported"


def _texts(reader, trial):
    out = {}
    for arm, story in trial.stories.items():
        response = reader.get(f"/fhir/Patient/{story['participant_id']}/$everything")
        assert response.status_code == 200
        out[arm] = response.get_data(as_text=True)
    return out


@pytest.mark.parametrize("role", ["nurse", "investigator", "qa"])
def test_blinded_readers_get_the_blinded_name_and_no_arm_lot_thaw_or_container(infused, role):
    texts = _texts(_reader(infused, role), infused)
    for arm, text in texts.items():
        assert "UC-MSC or placebo" in text, arm
        assert not mentions_an_arm(json.loads(text.replace("UC-MSC or placebo", "blinded"))), (arm, role)
        # What went into the bag, as the pharmacist reads it: none of it reaches a blinded reader.
        made = infused.pharmacist.get(f"/api/v1/bags/{infused.stories[arm]['bag_id']}").json
        secrets = [made["lot_number"], made["container_id"], made.get("thaw_id"), CELL_LOT, VEHICLE_LOT]
        for secret in [s for s in secrets if s] + ["container", "thaw", "lot"]:
            assert secret.lower() not in text.lower(), (arm, secret)
        assert "biologicalSourceEvent" not in text
    # The two arms' stories differ only by IDs and times: the same resources and keys.
    shapes = {arm: _shape(json.loads(text)) for arm, text in texts.items()}
    assert shapes["active"] == shapes["placebo"]


def _shape(bundle):
    return [(e["resource"]["resourceType"], sorted(e["resource"])) for e in bundle["entry"]
            if e["resource"]["resourceType"] != "Provenance"] + [
        sorted(e["resource"]["activity"]["coding"][0]["code"] for e in bundle["entry"]
               if e["resource"]["resourceType"] == "Provenance")]  # fmt: skip


def test_the_pharmacist_gets_the_product_lot_and_thaw(infused):
    active = infused.stories["active"]
    product = _validated(infused.pharmacist.get(f"/fhir/BiologicallyDerivedProduct/{active['bag_id']}"))
    assert product["productCode"]["text"] == "UC-MSC"
    assert product["biologicalSourceEvent"]["value"] == CELL_LOT
    codes = {p["type"]["coding"][0]["code"] for p in product["property"]}
    assert {"container", "thaw"} <= codes
    placebo = infused.stories["placebo"]
    product = _validated(infused.pharmacist.get(f"/fhir/BiologicallyDerivedProduct/{placebo['bag_id']}"))
    assert product["productCode"]["text"] == "Placebo"
    infusion = _validated(infused.pharmacist.get(f"/fhir/MedicationAdministration/{placebo['infusion_id']}"))
    assert infusion["medication"]["concept"]["text"] == "Placebo"
