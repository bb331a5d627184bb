"""QA's one signed decision for a whole shipment: it releases or destroys every container the shipment's
excursion still holds, each exactly as the container's own decision would, in one transaction; it is refused
when nothing is held, with a wrong password, without a reason, or for anyone but QA."""

from tests.conftest import PASSWORD, csrf_token_in
from tests.shipments_support import (
    EXCURSION,
    dispatched,
    dry_shipper,
    in_pharmacy_stock,
    in_quarantine,
    logger_csv,
    released_lots,
    road_start,
)


def _received_with_excursion(login, clock):
    """Two kits shipped; the receipt's logger file shows 45 minutes out of range: all four held."""
    gmp, qa, cells, vehicle = released_lots(login)
    pharmacist = login("pharmacist")
    shipped = [cells[0], vehicle[0], cells[1], vehicle[1]]
    sid = dispatched(gmp, shipped, clock, shipper_unit_id=dry_shipper(gmp))
    body = {"container_ids": shipped, "logger_csv": logger_csv(road_start(), EXCURSION)}
    received = pharmacist.post(f"/api/v1/shipments/{sid}/receipt", json=body)
    assert received.status_code == 200, received.json
    assert sorted(received.json["quarantined"]) == sorted(shipped)
    return gmp, qa, pharmacist, sid, cells, vehicle


def _decide(client, sid, decision="release", **extra):
    body = {"decision": decision, "reason": "Reviewed the logger trace", "password": PASSWORD, **extra}
    return client.post(f"/api/v1/shipments/{sid}/quarantine-decision", json=body)


def test_one_decision_releases_every_held_container_and_the_kits_join_the_pharmacy(login, clock, runner):
    gmp, qa, pharmacist, sid, cells, vehicle = _received_with_excursion(login, clock)
    assert in_pharmacy_stock(pharmacist) == set()
    decided = _decide(qa, sid, meaning="Reviewed: the kits are fit for use")
    assert decided.status_code == 200, decided.json
    assert decided.json["decision"] == "release"
    shipped = {cells[0], vehicle[0], cells[1], vehicle[1]}
    assert {c["container_id"] for c in decided.json["containers"]} == shipped
    for line in decided.json["containers"]:
        assert line["decision"] == "release"
        assert line["decided_by"] == qa.username
        assert line["meaning"] == "Reviewed: the kits are fit for use"
        assert line["unit_id"] == sid
    assert in_quarantine(qa) == []
    assert in_pharmacy_stock(pharmacist) == shipped  # both whole kits joined the pharmacy's stock
    shown = qa.get(f"/api/v1/shipments/{sid}").json
    decisions = {q["container_id"]: q["decision"] for q in shown["quarantine"]}
    assert decisions == dict.fromkeys(shipped, "release")
    # Each container's decision is in its own trail, signed, as the container's own decision writes it.
    trail = qa.get(f"/api/v1/audit?entity_type=container&entity_id={cells[0]}").json["events"]
    assert [e["action"] for e in trail][-2:] == ["quarantine_release", "issue"]
    shipment_trail = qa.get(f"/api/v1/audit?entity_type=shipment&entity_id={sid}").json["events"]
    assert [e["action"] for e in shipment_trail] == ["create", "dispatch", "receive", "quarantine_release"]
    again = _decide(qa, sid)
    assert again.status_code == 409, again.json
    assert again.json["error"]["code"] == "nothing_quarantined"
    assert sid in again.json["error"]["message"]
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output


def test_one_decision_destroys_every_held_container(login, clock):
    gmp, qa, pharmacist, sid, cells, vehicle = _received_with_excursion(login, clock)
    decided = _decide(qa, sid, "destroy")
    assert decided.status_code == 200, decided.json
    assert {c["status"] for c in decided.json["containers"]} == {"discarded"}
    assert in_quarantine(qa) == []
    assert in_pharmacy_stock(pharmacist) == set()
    custody = gmp.get(f"/api/v1/containers/{vehicle[1]}/custody").json["events"]
    assert [e["action"] for e in custody][-3:] == ["ship", "quarantine", "discard"]


def test_the_decision_takes_only_what_is_still_held(login, clock):
    gmp, qa, pharmacist, sid, cells, vehicle = _received_with_excursion(login, clock)
    one = qa.post(f"/api/v1/containers/{vehicle[0]}/quarantine",
                  json={"decision": "destroy", "reason": "Cracked", "password": PASSWORD})  # fmt: skip
    assert one.status_code == 200, one.json
    decided = _decide(qa, sid)
    assert decided.status_code == 200, decided.json
    taken = sorted(c["container_id"] for c in decided.json["containers"])
    assert taken == sorted([cells[0], cells[1], vehicle[1]])
    assert in_pharmacy_stock(pharmacist) == {cells[1], vehicle[1]}  # kit 1 lost its vehicle container


def test_refusals_change_nothing(login, clock):
    gmp, qa, pharmacist, sid, cells, vehicle = _received_with_excursion(login, clock)
    held = in_quarantine(qa)
    wrong = _decide(qa, sid, password="not-my-password")
    assert wrong.status_code == 401, wrong.json
    assert wrong.json["error"]["code"] == "wrong_password"
    no_reason = _decide(qa, sid, reason="   ")
    assert no_reason.status_code == 422, no_reason.json
    neither = _decide(qa, sid, decision="keep")
    assert neither.status_code == 422
    for role in ("pharmacist", "gmp", "nurse", "investigator"):
        assert _decide(login(role), sid).status_code == 403
    assert _decide(qa, "SH-NOPE0000").status_code == 404
    assert in_quarantine(qa) == held
    # A shipment received without an excursion holds nothing: a clear refusal.
    calm = dispatched(gmp, [cells[2], vehicle[2]], clock)
    assert pharmacist.post(f"/api/v1/shipments/{calm}/receipt",
                           json={"container_ids": [cells[2], vehicle[2]]}).status_code == 200  # fmt: skip
    refused = _decide(qa, calm)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "nothing_quarantined"


def test_qa_decides_for_the_shipment_on_its_page(login, browse, clock):
    gmp, qa, pharmacist, sid, cells, vehicle = _received_with_excursion(login, clock)
    url = f"/shipments/{sid}"
    page = browse("qa").get(url)
    assert page.status_code == 200
    assert b'id="shipment-decision"' in page.data
    for cid in (cells[0], vehicle[0], cells[1], vehicle[1]):
        assert f'data-container="{cid}" data-decision="held"'.encode() in page.data
    for role in ("pharmacist", "gmp"):
        shown = browse(role).get(url)
        assert b'id="shipment-quarantine"' in shown.data
        assert b'id="shipment-decision"' not in shown.data
    qa_pages = browse("qa")
    form = qa_pages.get(url)
    refused = qa_pages.client.post(
        f"{url}/quarantine-decision",
        data={"csrf_token": csrf_token_in(form.data), "decision": "release", "reason": "Fine",
              "password": "wrong-one"},
    )  # fmt: skip
    assert refused.status_code == 401
    assert b"password" in refused.data
    assert len(in_quarantine(qa)) == 4
    signed = qa_pages.submit(f"{url}/quarantine-decision",
                             {"decision": "release", "reason": "Fine", "password": PASSWORD},
                             form_page=url)  # fmt: skip
    assert signed.status_code == 302, signed.data[:800]
    after = qa_pages.get(url)
    assert b'id="shipment-decision"' not in after.data
    assert f'data-container="{cells[0]}" data-decision="release"'.encode() in after.data
    assert in_pharmacy_stock(pharmacist) == {cells[0], vehicle[0], cells[1], vehicle[1]}
    assert browse("pharmacist").client.post(f"{url}/quarantine-decision", data={}).status_code in (400, 403)
