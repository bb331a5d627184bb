"""The pharmacy pages: worklist, thaw, worksheet, preparation, label, reprint and void, as clicked."""

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
    bag_id = bag_url.rsplit("/", 1)[-1]

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
    bag_id = bag_url.rsplit("/", 1)[-1]
    refused = pharmacy.submit(f"/pharmacy/bags/{bag_id}/void", {"reason": ""}, form_page=bag_url)
    assert refused.status_code == 422
    voided = pharmacy.submit(f"/pharmacy/bags/{bag_id}/void", {"reason": "seal broken"}, form_page=bag_url)
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
