"""The FHIR API for a person bound to another site: none of the site's participants, bags, issues,
infusions or audit provenance exist for them (404), and a person of the site reads them all."""

from __future__ import annotations

from tests.integration.test_security import records  # noqa: F401
from tests.sites_support import add_site

READERS = ("pharmacist", "nurse", "investigator", "qa")


def test_a_person_of_another_site_finds_none_of_the_sites_fhir_resources(login, records):  # noqa: F811
    here = login("nurse")
    participant = "P-004"  # infused: a bag, an issue, an infusion, their audit events
    # A bedside check of P-002's bag against P-004's wristband (a STOP: already infused), and P-002's own.
    bag = login("pharmacist").get(f"/api/v1/bags/{records['bag_id']}").json
    for wristband in ("P-004", "P-002"):
        scanned = here.post(
            "/api/v1/scans", json={"qr_payload": bag["qr_payload"], "participant_id": wristband}
        )
        assert scanned.status_code in (200, 409, 422), scanned.json
    checks = [
        e["resource"]["id"]
        for e in here.get("/fhir/BiologicallyDerivedProductDispense?patient=P-002").json["entry"]
        if not e["resource"]["id"].startswith(records["bag_id"])
    ]
    assert checks, "the bedside check against P-002"
    everything = here.get(f"/fhir/Patient/{participant}/$everything")
    assert everything.status_code == 200, everything.get_data(as_text=True)
    resources = [e["resource"] for e in everything.json["entry"]]
    urls = [f"/fhir/{r['resourceType']}/{r['id']}" for r in resources]
    assert {r["resourceType"] for r in resources} >= {
        "Patient", "BiologicallyDerivedProduct", "BiologicallyDerivedProductDispense",
        "MedicationAdministration", "Provenance",
    }  # fmt: skip
    for url in urls:
        assert here.get(url).status_code == 200, url
    searches = [
        f"/fhir/Patient/{participant}/$everything",
        f"/fhir/BiologicallyDerivedProductDispense?patient={participant}",
        f"/fhir/MedicationAdministration?patient={participant}",
        f"/fhir/Provenance?patient={participant}",
    ]
    add_site(login, "GMP-02", "manufacturing")
    for role in READERS:
        elsewhere = login(role, sites=("GMP-02",) if role == "qa" else ("SITE-03",))
        for url in urls + searches + [f"/fhir/BiologicallyDerivedProductDispense/{c}" for c in checks]:
            response = elsewhere.get(url)
            assert response.status_code == 404, (
                role,
                url,
                response.status_code,
                response.get_data(as_text=True)[:300],
            )
            assert response.json["resourceType"] == "OperationOutcome"
