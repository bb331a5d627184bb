"""The pharmacy pages: worklist, thaw, worksheet, preparation, label, reprint and void, as clicked."""

import datetime as dt
import re

import pytest

from tests.pharmacy_support import VEHICLE_LOT, build_trial


@pytest.fixture
def trial(login, runner, tmp_path):
    return build_trial(login, runner, tmp_path)


def test_an_active_bag_is_thawed_prepared_and_labelled_through_the_pages(trial, browse):
    pharmacy = browse("pharmacist")
    (participant, code), *_ = trial.of_arm("active")
    worklist = pharmacy.get("/pharmacy").get_data(as_text=True)
    assert participant in worklist
    assert "Unblinded area" in worklist

    container = trial.cell_containers[0]
    thawed = pharmacy.submit(
        "/pharmacy/thaw",
        {
            "container_id": container,
            "viable_cells_per_ml": "5e6",
            "viability_percent": "88",
            "volume_ml": "20",
        },
    )
    assert thawed.status_code == 200
    page = thawed.get_data(as_text=True)
    assert "Usable" in page
    thaw_id = trial.pharmacist.get("/api/v1/thaws").json["items"][0]["thaw_id"]
    assert thaw_id in page

    waiting = pharmacy.get(f"/pharmacy/prepare/{code}").get_data(as_text=True)
    assert "Active: UC-MSC cells." in waiting  # the next step, not an error
    assert 'role="alert"' not in waiting
    sheet = pharmacy.get(f"/pharmacy/prepare/{code}?thaw_id={thaw_id}").get_data(as_text=True)
    assert "20 mL" in sheet  # the draw for 1×10⁸ cells at 5×10⁶/mL
    assert "Active: UC-MSC cells." not in sheet
    prepared = pharmacy.submit(
        f"/pharmacy/prepare/{code}",
        {"thaw_id": thaw_id, "drawn_volume_ml": "20", "final_volume_ml": "100"},
        form_page=f"/pharmacy/prepare/{code}?thaw_id={thaw_id}",
    )
    assert prepared.status_code == 302, prepared.get_data(as_text=True)
    bag_url = prepared.headers["Location"]
    bag_page = pharmacy.get(bag_url).get_data(as_text=True)
    assert participant in bag_page
    bag_id = bag_url.split("?")[0].rsplit("/", 1)[-1]

    label = pharmacy.get(f"/pharmacy/bags/{bag_id}/label.pdf")
    assert label.status_code == 200
    assert label.mimetype == "application/pdf"
    assert "Reason for the reprint" in pharmacy.get(bag_url).get_data(as_text=True)
    assert pharmacy.get(f"/pharmacy/bags/{bag_id}/label.pdf").status_code == 422
    assert pharmacy.get(f"/pharmacy/bags/{bag_id}/label.pdf?reason=smudged").status_code == 200


def test_a_placebo_bag_is_prepared_and_voided_through_the_pages(trial, browse):
    pharmacy = browse("pharmacist")
    (_, code), *_ = trial.of_arm("placebo")
    sheet = pharmacy.get(f"/pharmacy/prepare/{code}").get_data(as_text=True)
    assert "placebo" in sheet
    assert VEHICLE_LOT in sheet
    prepared = pharmacy.submit(
        f"/pharmacy/prepare/{code}", {"placebo_lot": VEHICLE_LOT, "final_volume_ml": "100"}
    )
    assert prepared.status_code == 302
    bag_url = prepared.headers["Location"]
    bag_id = bag_url.split("?")[0].rsplit("/", 1)[-1]
    refused = pharmacy.submit(f"/pharmacy/bags/{bag_id}/void", {"reason": ""}, form_page=bag_url)
    assert refused.status_code == 422
    confirmed = {"reason": "seal broken", "confirm_bag_id": bag_id}
    voided = pharmacy.submit(f"/pharmacy/bags/{bag_id}/void", confirmed, form_page=bag_url)
    assert voided.status_code == 302
    assert "voided" in pharmacy.get(bag_url).get_data(as_text=True)


def test_a_wrong_preparation_is_shown_again_with_its_problem(trial, browse):
    pharmacy = browse("pharmacist")
    (_, code), *_ = trial.of_arm("placebo")
    response = pharmacy.submit(
        f"/pharmacy/prepare/{code}", {"placebo_lot": VEHICLE_LOT, "final_volume_ml": "90"}
    )
    assert response.status_code == 422
    assert "final_volume_ml" in response.get_data(as_text=True)


def test_blinded_staff_cannot_open_the_pharmacy(trial, browse):
    for role in ("nurse", "investigator", "qa", "gmp"):
        assert browse(role).get("/pharmacy").status_code == 403


# ---- issue 20: next steps, the form of the code's arm, countdowns, confirmations, the danger zone --------


def _row_of(page, code):
    return next(row for row in re.findall(r"<tr data-step=.*?</tr>", page, re.S) if code in row)


def _bag_id(response):
    return response.headers["Location"].split("?")[0].rsplit("/", 1)[-1]


def test_the_worklist_says_each_participants_arm_and_next_step(trial, browse):
    pharmacy = browse("pharmacist")
    (_, active), *_ = trial.of_arm("active")
    (_, placebo), *_ = trial.of_arm("placebo")
    page = pharmacy.get("/pharmacy").get_data(as_text=True)
    row = _row_of(page, active)
    assert 'data-step="thaw"' in row
    assert "<strong>active</strong>" in row
    assert "Thaw a UC-MSC container" in row
    assert f'href="/pharmacy/thaw?code={active}"' in row
    row = _row_of(page, placebo)
    assert 'data-step="vehicle"' in row
    assert "<strong>placebo</strong>" in row
    assert "Prepare from a vehicle container" in row
    assert f'href="/pharmacy/prepare/{placebo}"' in row

    thaw_id = trial.thaw()["thaw_id"]  # a usable thaw that can give a dose: prepare from it
    row = _row_of(pharmacy.get("/pharmacy").get_data(as_text=True), active)
    assert 'data-step="prepare"' in row
    assert f"Prepare from thaw {thaw_id}" in row
    assert f'href="/pharmacy/prepare/{active}?thaw_id={thaw_id}"' in row


def test_a_thaw_recorded_for_a_code_leads_to_its_worksheet(trial, browse):
    pharmacy = browse("pharmacist")
    (_, code), *_ = trial.of_arm("active")
    form = pharmacy.get(f"/pharmacy/thaw?code={code}").get_data(as_text=True)
    assert f"For code {code}" in form
    body = {"code": code, "container_id": trial.cell_containers[0], "viable_cells_per_ml": "5e6",
            "viability_percent": "88", "volume_ml": "20"}  # fmt: skip
    page = pharmacy.submit(f"/pharmacy/thaw?code={code}", body).get_data(as_text=True)
    thaw_id = trial.pharmacist.get("/api/v1/thaws").json["items"][0]["thaw_id"]
    assert f"/pharmacy/prepare/{code}?thaw_id={thaw_id}" in page
    assert "data-countdown" in page  # the thaw's window, counting down
    assert re.search(r'role="timer">0:(59|60):\d\d left<', page) or re.search(
        r'role="timer">1:00:00 left<', page
    )


def test_the_preparation_form_shows_only_the_fields_of_the_codes_arm(trial, browse):
    pharmacy = browse("pharmacist")
    (_, active), *_ = trial.of_arm("active")
    (_, placebo), *_ = trial.of_arm("placebo")
    page = pharmacy.get(f"/pharmacy/prepare/{placebo}").get_data(as_text=True)
    assert 'name="placebo_lot"' in page
    assert 'name="thaw_id"' not in page
    assert 'name="drawn_volume_ml"' not in page
    assert "Placebo: vehicle only, no thaw." in page

    page = pharmacy.get(f"/pharmacy/prepare/{active}").get_data(as_text=True)
    assert 'name="thaw_id"' in page  # step one for an active code: which thaw
    assert 'name="drawn_volume_ml"' not in page  # no preparation form before the thaw is chosen
    assert 'name="placebo_lot"' not in page
    thaw_id = trial.thaw()["thaw_id"]
    page = pharmacy.get(f"/pharmacy/prepare/{active}?thaw_id={thaw_id}").get_data(as_text=True)
    assert 'name="drawn_volume_ml"' in page
    assert 'name="placebo_lot"' not in page
    assert "Thaw window" in page
    assert 'data-countdown data-until="' in page


def test_preparing_and_dispatching_say_what_was_done_and_what_comes_next(trial, browse):
    pharmacy = browse("pharmacist")
    (participant, code), *_ = trial.of_arm("placebo")
    prepared = pharmacy.submit(
        f"/pharmacy/prepare/{code}", {"placebo_lot": VEHICLE_LOT, "final_volume_ml": "100"}
    )
    assert prepared.status_code == 302
    bag_id = _bag_id(prepared)
    page = pharmacy.get(prepared.headers["Location"]).get_data(as_text=True)
    assert f"Bag {bag_id} is prepared for participant {participant}." in page
    assert "print its label below" in page
    # The use-by, counting down from two hours, with the pharmacy's thresholds.
    clock = re.search(r'<span class="countdown countdown-ok" data-countdown [^>]*>', page).group(0)
    assert 'data-amber="900" data-red="300"' in clock
    assert 'data-expired="Expired: do not dispatch or infuse"' in clock
    assert re.search(r'role="timer">(1:59:\d\d|2:00:00) left<', page)
    assert "is prepared for" not in pharmacy.get(f"/pharmacy/bags/{bag_id}").get_data(as_text=True)

    bag_url = f"/pharmacy/bags/{bag_id}"
    pharmacy.get(f"{bag_url}/label.pdf")
    dispatched = pharmacy.submit(f"{bag_url}/dispatch", {"location": "Ward 5 north"}, form_page=bag_url)
    assert dispatched.status_code == 302
    page = pharmacy.get(dispatched.headers["Location"]).get_data(as_text=True)
    assert f"Bag {bag_id} is dispatched to Ward 5 north." in page


def test_void_and_destroy_sit_apart_and_need_the_bag_id_typed(trial, browse):
    pharmacy = browse("pharmacist")
    (_, code), *_ = trial.of_arm("placebo")
    bag_id = trial.prepare(code, "placebo")["bag_id"]
    bag_url = f"/pharmacy/bags/{bag_id}"
    page = pharmacy.get(bag_url).get_data(as_text=True)
    zone = re.search(r'<section class="card danger-zone">\s*<details>.*?</details>', page, re.S).group(0)
    assert "/void" in zone
    assert "/destroy" in zone
    assert zone.count('name="confirm_bag_id" required') == 2
    assert page.index('class="primary"') < page.index("danger-zone")  # dispatch comes first
    assert "/void" not in page.replace(zone, "")
    assert "/destroy" not in page.replace(zone, "")

    for typed in ("", "B000000000"):
        refused = pharmacy.submit(
            f"{bag_url}/void", {"reason": "dropped", "confirm_bag_id": typed}, form_page=bag_url
        )
        assert refused.status_code == 422
        page = refused.get_data(as_text=True)
        assert "type the bag ID to confirm" in page
        assert '<section class="card danger-zone">\n  <details open>' in page  # shown open again
    refused = pharmacy.submit(
        f"{bag_url}/destroy", {"location": "Pharmacy", "reason": "dropped"}, form_page=bag_url
    )
    assert refused.status_code == 422
    assert trial.pharmacist.get(f"/api/v1/bags/{bag_id}").json["status"] == "prepared"  # nothing was done
    destroyed = pharmacy.submit(
        f"{bag_url}/destroy",
        {"location": "Pharmacy", "reason": "dropped", "confirm_bag_id": bag_id.lower()},
        form_page=bag_url,
    )
    assert destroyed.status_code == 302
    assert trial.pharmacist.get(f"/api/v1/bags/{bag_id}").json["status"] == "destroyed"


def test_the_thaw_window_warns_in_its_last_quarter_hour(trial, browse, monkeypatch):
    pharmacy = browse("pharmacist")
    trial.thaw()
    now = dt.datetime.now(dt.UTC)
    # The pages' countdown clock moved on (the thaw cannot be backdated before its container's issue).
    monkeypatch.setattr("tracker.web.countdown.utcnow", lambda: now + dt.timedelta(minutes=50))
    page = pharmacy.get("/pharmacy").get_data(as_text=True)
    assert re.search(r'class="countdown countdown-amber"[^>]*data-amber="900"', page)
    assert re.search(r'role="timer">0:(09|10):\d\d left<', page)
    monkeypatch.setattr("tracker.web.countdown.utcnow", lambda: now + dt.timedelta(minutes=57))
    assert 'class="countdown countdown-red"' in pharmacy.get("/pharmacy").get_data(as_text=True)
    monkeypatch.setattr("tracker.web.countdown.utcnow", lambda: now + dt.timedelta(minutes=61))
    page = pharmacy.get("/pharmacy").get_data(as_text=True)
    assert 'class="countdown countdown-expired"' in page
    assert "Window closed: prepare no bag from this thaw" in page


def test_the_ward_countdown_is_the_same_for_both_arms_and_carries_nothing_of_the_pharmacy(trial, browse):
    nurse = browse("nurse")
    clocks = []
    for arm in ("active", "placebo"):
        (_, code), *_ = trial.of_arm(arm)
        bag = trial.prepare(code, arm)
        page = nurse.get(f"/ward/bags/{bag['bag_id']}").get_data(as_text=True)
        clock = re.search(r'<span class="countdown .*?</span>\s*</span>', page, re.S).group(0)
        assert "data-amber" not in clock  # the ward's own thresholds and words
        assert "Expired: do not infuse" in clock
        clocks.append(re.sub(r"\d", "0", clock))
    assert clocks[0] == clocks[1]
