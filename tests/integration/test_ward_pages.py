"""The ward pages as a nurse uses them: receive a bag, the bedside check with its MATCH or STOP, start and
stop the infusion, the custody timeline; the pharmacy's dispatch and quarantine decision; and what the pages
show being the same for both arms."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from tests.integration.randomization_support import text_mentions_an_arm
from tests.pharmacy_support import build_trial
from tests.ward_support import WARD, move, print_label, ready_bag
from tracker.roles import SYSTEM
from tracker.studies.services import load_study
from tracker.ward.models import Infusion, Scan
from tracker.ward.rules import REFUSAL_MESSAGES
from tracker.web.context import reader, uow


@pytest.fixture
def trial(login, runner, tmp_path):
    return build_trial(login, runner, tmp_path)


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _count(app, model) -> int:
    with app.app_context(), reader() as work:
        return work.session.execute(select(func.count()).select_from(model)).scalar_one()


def _prepared(trial, arm="active", index=0) -> dict:
    participant_id, code = trial.of_arm(arm)[index]
    return {**trial.prepare(code, arm), "participant_id": participant_id}


def _receive(nurse, prepared, **form) -> object:
    fields = {"bag": prepared["qr_payload"], "location": WARD, "temperature_c": "5", "seal_intact": "yes"}
    return nurse.submit("/ward/receive", {**fields, **form})


def _scan(nurse, payload: str, participant_id: str) -> object:
    return nurse.submit(
        "/ward/scan", {"qr_payload": payload, "participant_id": participant_id}, form_page="/ward"
    )


# ---- the bedside check -----------------------------------------------------------------------------------


def test_a_received_bag_scanned_with_its_wristband_shows_match_and_is_infused_through_the_pages(
    app, trial, browse
):
    nurse = browse("nurse")
    bag = _prepared(trial)
    move(trial, bag["bag_id"], "dispatch")

    received = _receive(nurse, bag)
    assert received.status_code == 200, _text(received)
    assert f"Bag {bag['bag_id']} received at {WARD}" in _text(received)

    # A keyboard wedge: lower case, spaces and the CR/LF it ends with.
    match = _scan(nurse, f"  {bag['qr_payload'].lower()}\r\n", f" {bag['participant_id'].lower()}\r\n")
    page = _text(match)
    assert match.status_code == 200, page
    assert "MATCH" in page
    assert '<p class="verdict-icon"><svg class="icon icon-check' in page  # an icon, the word and the colour
    assert "STOP" not in page
    assert 'data-countdown data-until="' in page
    assert re.search(r"\d:\d\d:\d\d left", page)  # the server's first text of the countdown
    assert "Start infusion" in page
    assert "cosigner_username" not in page  # the shipped study needs no second nurse
    assert not text_mentions_an_arm(page)

    started = nurse.submit(
        "/ward/infusions",
        {"bag_id": bag["bag_id"], "participant_id": bag["participant_id"], "note": "calm"},
        form_page="/ward",
    )
    assert started.status_code == 302, _text(started)
    infusion_url = started.headers["Location"]
    assert re.fullmatch(r"/ward/infusions/I[0-9A-Z]{10}", infusion_url)
    running = _text(nurse.get(infusion_url))
    assert "Infusion running" in running
    assert "Stop infusion" in running
    assert "data-elapsed" in running
    assert not text_mentions_an_arm(running)

    stopped = nurse.submit(
        f"{infusion_url}/complete",
        {"volume_infused_ml": "99.5", "note": "no reaction"},
        form_page=infusion_url,
    )
    assert stopped.status_code == 302, _text(stopped)
    done = _text(nurse.get(infusion_url))
    assert "Infusion complete" in done
    assert "99.5 mL" in done
    assert "no reaction" in done
    assert "Stop infusion" not in done
    infusion = trial.nurse.get(f"/api/v1/infusions/{infusion_url.rsplit('/', 1)[-1]}").json
    assert infusion["volume_infused_ml"] == 99.5
    assert infusion["completed_by"] == nurse.username
    # A second stop is refused on the page, nothing changed.
    again = nurse.client.post(
        f"{infusion_url}/complete", data={"volume_infused_ml": "10", "csrf_token": _token(nurse)}
    )
    assert again.status_code == 409


def _token(page_client) -> str:
    from tests.conftest import csrf_token_in

    return csrf_token_in(page_client.get("/ward").data)


def test_a_wrong_wristband_shows_stop_with_its_reason_and_no_arm(app, trial, browse):
    nurse = browse("nurse")
    bag = ready_bag(trial, "active")
    other = ready_bag(trial, "placebo")
    stop = _scan(nurse, bag["qr_payload"], other["participant_id"])
    page = _text(stop)
    assert stop.status_code == 409
    assert "STOP" in page
    assert '<p class="verdict-icon"><svg class="icon icon-stop' in page
    assert REFUSAL_MESSAGES["wrong_participant"] in page
    assert "MATCH" not in page
    assert "Start infusion" not in page
    assert not text_mentions_an_arm(page)
    assert _count(app, Scan) == 1  # the refused scan is recorded too
    assert _count(app, Infusion) == 0


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("not a label", "unreadable_payload"),
        ("CT1" + "B2222222222L" + "A" * 16, "bad_signature"),
    ],
)
def test_an_unreadable_or_forged_label_shows_stop(app, trial, browse, payload, code):
    nurse = browse("nurse")
    stop = _scan(nurse, payload, "P-001")
    assert stop.status_code == 422
    assert REFUSAL_MESSAGES[code] in _text(stop)


def test_a_half_filled_scan_form_is_refused_with_a_clear_message_and_nothing_is_recorded(app, trial, browse):
    nurse = browse("nurse")
    bag = ready_bag(trial)
    for form in ({"qr_payload": bag["qr_payload"], "participant_id": " "}, {"participant_id": "P-001"}):
        refused = nurse.submit("/ward/scan", form, form_page="/ward")
        page = _text(refused)
        assert refused.status_code == 422
        assert "Scan both the bag label and the wristband" in page
        assert "MATCH" not in page
        assert 'name="qr_payload"' in page  # the form again, to finish
    assert _count(app, Scan) == 0


def test_the_scan_page_has_two_labelled_scan_fields_and_loads_its_script(browse):
    page = _text(browse("nurse").get("/ward"))
    assert '<label for="qr_payload">' in page
    assert '<label for="participant_id">' in page
    assert re.search(r'id="qr_payload"[^>]*autofocus', page)
    assert len(re.findall(r"<input[^>]*\sdata-scan[\s>]", page)) == 2
    assert '<script src="/static/js/ward.js" defer></script>' in page


def test_match_pages_for_the_two_arms_differ_only_in_their_ids_and_times(trial, browse):
    nurse = browse("nurse")
    pages = []
    for arm in ("active", "placebo"):
        bag = ready_bag(trial, arm)
        page = _text(_scan(nurse, bag["qr_payload"], bag["participant_id"]))
        for value in (bag["bag_id"], bag["participant_id"], bag["randomization_code"]):
            page = page.replace(value, "ID")
        page = re.sub(r'name="csrf_token" value="[^"]+"', "", page)
        pages.append(re.sub(r"\d", "0", page))
    assert pages[0] == pages[1]


def test_two_person_verification_asks_the_second_nurse_on_the_match_page(app, trial, browse, make_user):
    with app.app_context():
        load_study(uow(), SYSTEM, "umsis-two-person")
    nurse = browse("nurse")
    second = make_user("nurse")
    bag = ready_bag(trial)
    match = _text(_scan(nurse, bag["qr_payload"], bag["participant_id"]))
    assert 'name="cosigner_username"' in match
    assert 'name="cosigner_password"' in match
    form = {"bag_id": bag["bag_id"], "participant_id": bag["participant_id"]}
    refused = nurse.submit("/ward/infusions", form, form_page="/ward")
    assert refused.status_code == 422
    assert "second nurse" in _text(refused)
    assert "MATCH" in _text(refused)  # still the match, with what is missing
    wrong = nurse.submit(
        "/ward/infusions", {**form, "cosigner_username": second, "cosigner_password": "Wrong-Pass-123"},
        form_page="/ward",
    )  # fmt: skip
    assert wrong.status_code == 401
    from tests.conftest import PASSWORD

    started = nurse.submit(
        "/ward/infusions",
        {**form, "cosigner_username": second, "cosigner_password": PASSWORD},
        form_page="/ward",
    )
    assert started.status_code == 302, _text(started)
    assert second in _text(nurse.get(started.headers["Location"]))


def test_starting_a_bag_that_no_longer_matches_shows_stop(trial, browse):
    nurse = browse("nurse")
    bag = _prepared(trial)
    move(trial, bag["bag_id"], "dispatch")  # never received
    stop = nurse.submit(
        "/ward/infusions",
        {"bag_id": bag["bag_id"], "participant_id": bag["participant_id"]},
        form_page="/ward",
    )
    assert stop.status_code == 409
    assert REFUSAL_MESSAGES["not_received"] in _text(stop)


# ---- receiving ---------------------------------------------------------------------------------------------


def test_a_bag_is_received_by_its_typed_id_and_listed_on_the_ward(trial, browse):
    nurse = browse("nurse")
    bag = _prepared(trial, "placebo")
    move(trial, bag["bag_id"], "dispatch")
    listed = _text(nurse.get("/ward/receive"))
    assert bag["bag_id"] in listed
    assert "dispatched" in listed
    received = _receive(nurse, bag, bag=bag["bag_id"].lower())
    page = _text(received)
    assert received.status_code == 200, page
    assert "received at" in page
    assert f'value="{WARD}"' in page  # the location is remembered for the next bag
    assert not text_mentions_an_arm(page)
    assert trial.nurse.get(f"/api/v1/bags/{bag['bag_id']}").json["status"] == "received"


def test_a_broken_seal_quarantines_the_bag_and_the_pharmacist_releases_it_on_the_pages(trial, browse):
    nurse, pharmacy = browse("nurse"), browse("pharmacist")
    bag = _prepared(trial)
    move(trial, bag["bag_id"], "dispatch")
    received = _text(_receive(nurse, bag, seal_intact="no", temperature_c="12"))
    assert "QUARANTINE" in received
    assert "the seal is broken" in received
    assert "12 °C" in received
    stop = _scan(nurse, bag["qr_payload"], bag["participant_id"])
    assert REFUSAL_MESSAGES["quarantined"] in _text(stop)

    bag_url = f"/pharmacy/bags/{bag['bag_id']}"
    page = _text(pharmacy.get(bag_url))
    assert "Decide on the quarantine" in page
    no_reason = pharmacy.submit(
        f"{bag_url}/quarantine", {"decision": "release", "reason": ""}, form_page=bag_url
    )
    assert no_reason.status_code == 422
    released = pharmacy.submit(
        f"{bag_url}/quarantine", {"decision": "release", "reason": "seal checked, intact"}, form_page=bag_url
    )
    assert released.status_code == 302
    assert "Decide on the quarantine" not in _text(pharmacy.get(bag_url))
    assert _scan(nurse, bag["qr_payload"], bag["participant_id"]).status_code == 200


def test_a_receipt_needs_the_seal_answer_a_known_bag_and_its_turn(trial, browse):
    nurse = browse("nurse")
    bag = _prepared(trial)
    no_seal = _receive(nurse, bag, seal_intact="")
    assert no_seal.status_code == 422
    assert "Say whether the seal is intact" in _text(no_seal)
    too_early = _receive(nurse, bag)  # prepared, not dispatched
    assert too_early.status_code == 409
    assert "cannot be received now" in _text(too_early)
    unknown = _receive(nurse, bag, bag="B2222222222L")
    assert unknown.status_code == 404
    forged = _receive(nurse, bag, bag="CT1" + bag["bag_id"] + "A" * 16)
    assert forged.status_code == 422
    assert REFUSAL_MESSAGES["bad_signature"] in _text(forged)
    empty = _receive(nurse, bag, bag="")
    assert empty.status_code == 422


# ---- the pharmacy's side and the timeline ------------------------------------------------------------------


def test_the_pharmacist_dispatches_on_the_bag_page_and_sees_the_timeline(trial, browse):
    pharmacy = browse("pharmacist")
    bag = _prepared(trial)
    bag_url = f"/pharmacy/bags/{bag['bag_id']}"
    page = _text(pharmacy.get(bag_url))
    assert "Print the label first" in page  # printed from this page, the label leaves it as it is
    unlabelled = pharmacy.submit(f"{bag_url}/dispatch", {"location": WARD}, form_page=bag_url)
    assert unlabelled.status_code == 409
    assert "no printed label" in _text(unlabelled)
    print_label(trial.pharmacist, bag["bag_id"])
    page = _text(pharmacy.get(bag_url))
    assert "Dispatch to the ward" in page
    assert "Print the label first" not in page
    refused = pharmacy.submit(f"{bag_url}/dispatch", {"location": " "}, form_page=bag_url)
    assert refused.status_code == 422
    dispatched = pharmacy.submit(f"{bag_url}/dispatch", {"location": WARD}, form_page=bag_url)
    assert dispatched.status_code == 302
    page = _text(pharmacy.get(bag_url))
    assert "Dispatch to the ward" not in page
    assert page.index("Prepared") < page.index("Dispatched")
    assert "UC-0001" in page  # the pharmacist's timeline starts at the lot
    again = pharmacy.submit(f"{bag_url}/dispatch", {"location": WARD}, form_page=bag_url)
    assert again.status_code == 409


def test_a_nurse_returns_a_bag_on_its_page_and_the_pharmacist_destroys_it(trial, browse):
    nurse, pharmacy = browse("nurse"), browse("pharmacist")
    bag = _prepared(trial)
    move(trial, bag["bag_id"], "dispatch", "receive")
    ward_url, pharmacy_url = f"/ward/bags/{bag['bag_id']}", f"/pharmacy/bags/{bag['bag_id']}"
    page = _text(nurse.get(ward_url))
    assert "Return to the pharmacy" in page
    assert "Destroy on the ward" in page
    assert "Destroy this bag" not in _text(pharmacy.get(pharmacy_url))  # not while it is on the ward

    not_allowed = nurse.submit(
        f"{ward_url}/handoff", {"action": "dispatch", "location": WARD}, form_page=ward_url
    )
    assert not_allowed.status_code == 422
    assert "Choose what to do with the bag" in _text(not_allowed)
    returned = nurse.submit(
        f"{ward_url}/handoff",
        {"action": "return", "location": "Pharmacy", "note": "surgery"},
        form_page=ward_url,
    )
    assert returned.status_code == 302
    page = _text(nurse.get(ward_url))
    assert "Return to the pharmacy" not in page
    assert page.index("Received") < page.index("Returned")
    assert _scan(nurse, bag["qr_payload"], bag["participant_id"]).status_code == 409

    page = _text(pharmacy.get(pharmacy_url))
    assert "Destroy this bag" in page
    confirmed = {"confirm_bag_id": bag["bag_id"]}  # the danger zone's confirmation
    no_reason = pharmacy.submit(
        f"{pharmacy_url}/destroy", {"location": "Pharmacy", **confirmed}, form_page=pharmacy_url
    )
    assert no_reason.status_code == 422
    assert "A destruction needs a reason" in _text(no_reason)
    destroyed = pharmacy.submit(
        f"{pharmacy_url}/destroy",
        {"location": "Pharmacy", "reason": "participant withdrew", **confirmed},
        form_page=pharmacy_url,
    )
    assert destroyed.status_code == 302
    page = _text(pharmacy.get(pharmacy_url))
    assert "Destroy this bag" not in page
    assert "destroyed" in page
    again = pharmacy.submit(
        f"{pharmacy_url}/destroy",
        {"location": "Pharmacy", "reason": "twice", **confirmed},
        form_page=pharmacy_url,
    )
    assert again.status_code == 409


def test_a_nurse_destroys_a_received_bag_on_the_ward_with_a_reason(trial, browse):
    nurse = browse("nurse")
    bag = _prepared(trial, "placebo")
    move(trial, bag["bag_id"], "dispatch")
    ward_url = f"/ward/bags/{bag['bag_id']}"
    assert "Destroy on the ward" not in _text(nurse.get(ward_url))  # in transit: received first
    move(trial, bag["bag_id"], "receive")
    no_reason = nurse.submit(
        f"{ward_url}/handoff", {"action": "destroy", "location": WARD}, form_page=ward_url
    )
    assert no_reason.status_code == 422
    assert "A destruction needs a reason" in _text(no_reason)
    destroyed = nurse.submit(
        f"{ward_url}/handoff",
        {"action": "destroy", "location": WARD, "reason": "bag punctured"},
        form_page=ward_url,
    )
    assert destroyed.status_code == 302
    page = _text(nurse.get(ward_url))
    assert "Destroy on the ward" not in page
    assert page.index("Received") < page.index("Destroyed")
    for role in ("qa", "investigator"):  # readers of the page, not movers of the bag
        assert "Return to the pharmacy" not in _text(browse(role).get(ward_url))


def test_the_bag_timeline_shows_each_step_in_order_to_the_blinded_roles(trial, browse):
    nurse = browse("nurse")
    bag = ready_bag(trial)
    other = ready_bag(trial, "placebo")
    _scan(nurse, bag["qr_payload"], other["participant_id"])  # a STOP on the timeline
    _scan(nurse, bag["qr_payload"], bag["participant_id"])
    started = nurse.submit(
        "/ward/infusions",
        {"bag_id": bag["bag_id"], "participant_id": bag["participant_id"]},
        form_page="/ward",
    )
    assert started.status_code == 302
    for role in ("nurse", "qa", "investigator"):
        response = browse(role).get(f"/ward/bags/{bag['bag_id']}")
        page = _text(response)
        assert response.status_code == 200, role
        steps = ["Prepared", "Dispatched", "Received", "wrong participant", "MATCH", "Infusion started"]
        positions = [page.index(step) for step in steps]
        assert positions == sorted(positions), (role, positions)
        assert 'class="timeline"' in page
        assert not text_mentions_an_arm(page), role
        assert "UC-0001" not in page


def test_blinded_roles_cannot_open_the_pharmacy_and_others_cannot_open_the_ward(trial, browse):
    bag = _prepared(trial)
    nurse = browse("nurse")
    for url in ("/pharmacy", f"/pharmacy/bags/{bag['bag_id']}", "/pharmacy/thaw"):
        assert nurse.get(url).status_code == 403, url
    for role in ("pharmacist", "qa", "investigator", "gmp"):
        assert browse(role).get("/ward").status_code == 403, role
    assert browse("pharmacist").get(f"/ward/bags/{bag['bag_id']}").status_code == 403


def test_the_nurse_home_page_leads_to_the_ward(browse):
    page = _text(browse("nurse").get("/"))
    assert 'href="/ward"' in page
    assert 'href="/ward/receive"' in page


def test_the_ward_speaks_chinese(trial, browse):
    nurse = browse("nurse")
    token = _token(nurse)
    nurse.client.post("/language", data={"lang": "zh", "next": "/ward", "csrf_token": token})
    page = _text(nurse.get("/ward"))
    assert "床旁核对" in page
    bag = ready_bag(trial)
    other = ready_bag(trial, "placebo")
    stop = _text(_scan(nurse, bag["qr_payload"], other["participant_id"]))
    assert "停止" in stop
    assert REFUSAL_MESSAGES["wrong_participant"] not in stop


def test_the_participant_page_draws_the_bags_timeline_and_the_infusion(login, runner, tmp_path, browse):
    from tests.pharmacy_support import build_trial
    from tests.ward_support import ready_bag, start

    trial = build_trial(login, runner, tmp_path)
    bag = ready_bag(trial)
    assert start(trial, bag["bag_id"], bag["participant_id"]).status_code == 201
    for role in ("investigator", "nurse"):
        page = browse(role).get(f"/participants/{bag['participant_id']}").get_data(as_text=True)
        assert bag["bag_id"] in page
        assert 'class="timeline"' in page
        assert "Infusion started" in page


def test_a_receipt_on_the_page_needs_the_temperature_and_keeps_the_form_filled(trial, browse):
    nurse = browse("nurse")
    bag = _prepared(trial)
    move(trial, bag["bag_id"], "dispatch")
    form = _text(nurse.get("/ward/receive"))
    assert re.search(r'<input id="temperature_c"[^>]* required>', form)
    refused = _receive(nurse, bag, temperature_c="")
    assert refused.status_code == 422
    page = _text(refused)
    assert "Measure the bag's temperature and say whether the seal is intact" in page
    assert f'value="{bag["qr_payload"]}"' in page  # the form stays filled
    assert trial.nurse.get(f"/api/v1/bags/{bag['bag_id']}").json["status"] == "dispatched"
    assert _receive(nurse, bag).status_code == 200
    assert trial.nurse.get(f"/api/v1/bags/{bag['bag_id']}").json["status"] == "received"
