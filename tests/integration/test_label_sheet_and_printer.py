"""Labels beyond one download: an A4 sheet of many bags' labels, and a label sent to the site's ZPL printer
over TCP. Every label that leaves counts as a print and is audited; one the printer did not take does not."""

from __future__ import annotations

import io
import logging
import re
import socket
import threading
import time

import pypdfium2
import pytest
import zxingcpp
from marshmallow import Schema, fields
from pypdf import PdfReader

from tests.integration.randomization_support import mentions_an_arm
from tests.pdf_support import pdf_pages
from tests.pharmacy_support import CELL_LOT, VEHICLE_LOT, build_trial
from tests.unit.labelkit import drawing_operators, page_contents
from tracker.audit.services import AuditFilter, list_events
from tracker.roles import Actor
from tracker.web.context import reader

A4_POINTS = (595.2756, 841.8898)
SHEET = "/api/v1/labels/sheet.pdf"


class FakePrinter:
    """A raw-port label printer on 127.0.0.1: keeps the bytes of every connection it is sent."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.05)
        self.port = self._server.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(5)
                chunks = []
                while chunk := connection.recv(65536):
                    chunks.append(chunk)
                self.received.append(b"".join(chunks))

    def wait_for(self, count: int, seconds: float = 5.0) -> list[str]:
        deadline = time.monotonic() + seconds
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return [data.decode("utf-8") for data in self.received]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._server.close()


@pytest.fixture
def printer(app):
    fake = FakePrinter()
    app.config["LABEL_PRINTER"] = fake.address
    yield fake
    fake.close()


def _refusing_address() -> str:
    """A port on 127.0.0.1 that nothing listens on: connecting to it is refused."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    return f"127.0.0.1:{port}"


@pytest.fixture
def trial(login, runner, tmp_path):
    return build_trial(login, runner, tmp_path)


def _bag(trial, arm: str, index: int = 0) -> dict:
    _, code = trial.of_arm(arm)[index]
    return trial.prepare(code, arm)


def _print_count(trial, bag: dict) -> int:
    return trial.pharmacist.get(f"/api/v1/bags/{bag['bag_id']}").json["print_count"]


def _print_events(trial, bag: dict) -> list[dict]:
    events = trial.qa.get("/api/v1/audit", query_string={"entity_type": "bag", "entity_id": bag["bag_id"]})
    return [e for e in events.json["events"] if e["action"] in ("print_label", "reprint_label")]


def _print_reasons(app, bag: dict) -> list[tuple[str, str | None]]:
    """(action, reason) of each print of the bag, from the trail as an unblinded reader holds it: what a
    pharmacist writes about a bag is sealed for blinded readers."""
    pharmacist = Actor(user_id=0, username="reader", full_name="Reader", role="pharmacist")
    flt = AuditFilter(entity_type="bag", entity_id=bag["bag_id"])
    with app.app_context(), reader() as work:
        events = list_events(work.session, pharmacist, flt)
    return [(e["action"], e["reason"]) for e in events if e["action"] in ("print_label", "reprint_label")]


def _send(trial, bag: dict, body: dict | None = None):
    return trial.pharmacist.post(f"/api/v1/bags/{bag['bag_id']}/label/send", json=body)


def _sheet(trial, bags: list[dict], **query):
    return trial.pharmacist.get(SHEET, query_string={"bag_id": [b["bag_id"] for b in bags], **query})


def _pages(pdf: bytes) -> list[pypdfium2.PdfPage]:
    return list(pypdfium2.PdfDocument(pdf))


def _decoded(page: pypdfium2.PdfPage) -> list[str]:
    image = page.render(scale=300 / 72, grayscale=True).to_pil()
    return sorted(code.text for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode))


# ---- send to the printer -----------------------------------------------------------------------------------


def test_a_label_sent_to_the_printer_is_the_zpl_download_and_counts_as_one_print(trial, printer):
    bag = _bag(trial, "placebo")
    sent = _send(trial, bag)
    assert sent.status_code == 200, sent.json
    assert sent.json == {"bag_id": bag["bag_id"], "print_count": 1, "printer": printer.address}
    (zpl,) = printer.wait_for(1)
    assert zpl.startswith("^XA")
    assert zpl.rstrip().endswith("^XZ")
    assert f"^BQN,2,4^FDMA,{bag['qr_payload']}^FS" in zpl
    assert bag["bag_id"] in zpl
    download = trial.pharmacist.get(f"/api/v1/bags/{bag['bag_id']}/label.zpl", query_string={"reason": "x"})
    assert download.get_data(as_text=True) == zpl  # the printer got exactly the label a download gives
    (first, second) = _print_events(trial, bag)
    assert (first["action"], first["after"]) == (
        "print_label", {"print_count": 1, "format": "zpl", "printer": printer.address},
    )  # fmt: skip
    assert second["after"]["print_count"] == 2


def test_a_label_sent_again_needs_a_reason_like_any_reprint(app, trial, printer):
    bag = _bag(trial, "placebo")
    assert _send(trial, bag).status_code == 200
    refused = _send(trial, bag)
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "reprint_reason_required"
    assert len(printer.wait_for(2, seconds=0.3)) == 1  # nothing reached the printer
    again = _send(trial, bag, {"reason": "label jammed"})
    assert again.status_code == 200
    assert again.json["print_count"] == 2
    assert len(printer.wait_for(2)) == 2
    assert _print_reasons(app, bag) == [
        ("print_label", None),
        ("reprint_label", "label jammed"),
    ]


def test_an_unreachable_printer_answers_503_and_the_print_is_neither_counted_nor_audited(app, trial, caplog):
    bag = _bag(trial, "active")
    app.config["LABEL_PRINTER"] = _refusing_address()
    with caplog.at_level(logging.DEBUG):
        response = _send(trial, bag)
    assert response.status_code == 503
    assert response.json["error"]["code"] == "printer_unavailable"
    assert not mentions_an_arm(response.json)
    assert _print_count(trial, bag) == 0
    assert _print_events(trial, bag) == []
    # The log names the printer and its complaint, never what the bag holds or where it came from.
    logged = " ".join(record.getMessage() for record in caplog.records).lower()
    assert app.config["LABEL_PRINTER"] in logged
    for secret in (
        "active",
        "placebo",
        "ucmsc",
        CELL_LOT.lower(),
        VEHICLE_LOT.lower(),
        bag["qr_payload"].lower(),
    ):
        assert secret not in logged
    # The failed send was no print: the next one, to a printer that answers, is the first.
    fake = FakePrinter()
    try:
        app.config["LABEL_PRINTER"] = fake.address
        assert _send(trial, bag).json["print_count"] == 1
    finally:
        fake.close()


def test_without_a_printer_the_send_is_409_but_an_unknown_bag_is_404_first(app, trial):
    app.config["LABEL_PRINTER"] = None
    bag = _bag(trial, "placebo")
    response = _send(trial, bag)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "printer_not_configured"
    assert _print_count(trial, bag) == 0
    assert _send(trial, {"bag_id": "B2222222222L"}).status_code == 404


def test_a_voided_bags_label_is_not_sent(trial, printer):
    bag = _bag(trial, "placebo")
    trial.pharmacist.post(f"/api/v1/bags/{bag['bag_id']}/void", json={"reason": "dropped"})
    response = _send(trial, bag)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "bag_voided"
    assert printer.wait_for(1, seconds=0.3) == []


def test_only_the_pharmacist_sends_labels(trial, printer):
    bag = _bag(trial, "placebo")
    for client in (trial.nurse, trial.investigator, trial.qa, trial.gmp):
        assert client.post(f"/api/v1/bags/{bag['bag_id']}/label/send").status_code == 403
    assert printer.wait_for(1, seconds=0.3) == []


def test_the_zpl_sent_for_an_active_and_a_placebo_bag_differ_only_in_ids_and_times(trial, printer):
    active, placebo = _bag(trial, "active"), _bag(trial, "placebo")
    answers = [_send(trial, bag).json for bag in (active, placebo)]
    assert [sorted(a) for a in answers] == [["bag_id", "print_count", "printer"]] * 2
    sent = printer.wait_for(2)

    def mask(text: str, bag: dict) -> str:
        for value in (bag["qr_payload"], bag["bag_id"], bag["randomization_code"], bag["participant_id"]):
            text = text.replace(value, "<ID>")
        return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d [+-]\d\d:\d\d", "<TIME>", text)

    assert mask(sent[0], active) == mask(sent[1], placebo)


# ---- the A4 sheet ------------------------------------------------------------------------------------------


def test_a_sheet_is_a4_and_every_bags_qr_reads_back_to_its_payload(trial):
    bags = [_bag(trial, "active"), _bag(trial, "placebo"), _bag(trial, "placebo", 1)]
    response = _sheet(trial, bags)
    assert response.status_code == 200, response.json
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(A4_POINTS, abs=0.01)
    (page,) = _pages(response.data)
    assert _decoded(page) == sorted(b["qr_payload"] for b in bags)
    text = reader.pages[0].extract_text()
    for bag in bags:
        assert bag["bag_id"] in text
    assert [_print_count(trial, b) for b in bags] == [1, 1, 1]


def test_every_label_on_a_sheet_is_counted_and_audited_like_a_single_print(trial):
    bags = [_bag(trial, "placebo"), _bag(trial, "active")]
    assert _sheet(trial, bags).status_code == 200
    for bag in bags:
        (event,) = _print_events(trial, bag)
        assert event["action"] == "print_label"
        assert event["after"] == {"print_count": 1, "format": "sheet"}


def test_a_sheet_with_a_label_printed_before_needs_a_reason_and_counts_nothing_without_one(app, trial):
    printed, fresh = _bag(trial, "placebo"), _bag(trial, "active")
    assert trial.pharmacist.get(f"/api/v1/bags/{printed['bag_id']}/label.pdf").status_code == 200
    refused = _sheet(trial, [fresh, printed])
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "reprint_reason_required"
    assert printed["bag_id"] in refused.json["error"]["message"]
    assert (_print_count(trial, printed), _print_count(trial, fresh)) == (1, 0)
    accepted = _sheet(trial, [fresh, printed], reason="sheet lost")
    assert accepted.status_code == 200
    assert (_print_count(trial, printed), _print_count(trial, fresh)) == (2, 1)
    assert _print_reasons(app, printed) == [
        ("print_label", None), ("reprint_label", "sheet lost"),
    ]  # fmt: skip
    assert _print_reasons(app, fresh) == [("print_label", "sheet lost")]


def test_a_sheet_naming_an_unknown_or_voided_bag_is_refused_and_counts_nothing(trial):
    good, voided = _bag(trial, "placebo"), _bag(trial, "placebo", 1)
    trial.pharmacist.post(f"/api/v1/bags/{voided['bag_id']}/void", json={"reason": "dropped"})
    unknown = _sheet(trial, [good, {"bag_id": "B2222222222L"}])
    assert unknown.status_code == 404
    assert unknown.json["error"]["code"] == "bag_not_found"
    malformed = _sheet(trial, [good, {"bag_id": "NOT-A-BAG"}])
    assert malformed.status_code == 404
    refused = _sheet(trial, [good, voided])
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "bag_voided"
    assert _print_count(trial, good) == 0


def test_a_sheet_of_no_bags_too_many_bags_or_one_bag_twice_is_422(trial):
    bag = _bag(trial, "placebo")
    for query in ({}, {"bag_id": ""}, {"reason": "x"}):
        response = trial.pharmacist.get(SHEET, query_string=query)
        assert response.status_code == 422, query
        assert "bag_id" in response.json["error"]["details"]
    too_many = trial.pharmacist.get(SHEET, query_string={"bag_id": [bag["bag_id"]] * 201})
    assert too_many.status_code == 422
    assert "bag_id" in too_many.json["error"]["details"]
    twice = _sheet(trial, [bag, bag])
    assert twice.status_code == 422
    assert twice.json["error"]["code"] == "duplicate_bag"
    assert _print_count(trial, bag) == 0


def test_a_sheet_of_an_active_bag_and_one_of_a_placebo_bag_have_the_same_structure(trial):
    active, placebo = _bag(trial, "active"), _bag(trial, "placebo")
    sheets = [_sheet(trial, [bag]).data for bag in (active, placebo)]
    assert [len(pdf_pages(s)) for s in sheets] == [1, 1]
    assert drawing_operators(page_contents(sheets[0])[0]) == drawing_operators(page_contents(sheets[1])[0])
    assert abs(len(sheets[0]) - len(sheets[1])) < 200
    # The pair in either order: which cell holds which arm changes nothing but the IDs and times.
    pairs = [
        _sheet(trial, [active, placebo], reason="pair").data,
        _sheet(trial, [placebo, active], reason="pair").data,
    ]
    assert drawing_operators(page_contents(pairs[0])[0]) == drawing_operators(page_contents(pairs[1])[0])
    assert abs(len(pairs[0]) - len(pairs[1])) < 200
    for sheet, bags in zip(pairs, ([active, placebo], [placebo, active]), strict=True):
        (page,) = _pages(sheet)
        assert _decoded(page) == sorted(b["qr_payload"] for b in bags)
        text = pdf_pages(sheet)[0].lower()
        assert "active" not in text
        assert CELL_LOT.lower() not in text
        assert VEHICLE_LOT.lower() not in text


def test_only_the_pharmacist_prints_a_sheet(trial):
    bag = _bag(trial, "placebo")
    for client in (trial.nurse, trial.investigator, trial.qa):
        assert client.get(SHEET, query_string={"bag_id": bag["bag_id"]}).status_code == 403
    assert _print_count(trial, bag) == 0


# ---- the query string --------------------------------------------------------------------------------------


class _Query(Schema):
    many = fields.List(fields.String())
    one = fields.String()


def test_a_list_field_reads_every_repeated_value_and_any_other_field_the_first(app):
    from tracker.web.api import load_query

    with app.test_request_context("/?many=a&many=b&one=x&one=y"):
        assert load_query(_Query) == {"many": ["a", "b"], "one": "x"}
    with app.test_request_context("/?many=a&one=x"):
        assert load_query(_Query) == {"many": ["a"], "one": "x"}
    with app.test_request_context("/?one=x"):
        assert load_query(_Query) == {"one": "x"}


# ---- the pharmacy pages ------------------------------------------------------------------------------------


def test_the_bag_page_sends_the_label_to_the_printer_when_one_is_configured(app, trial, browse, printer):
    bag = _bag(trial, "placebo")
    pharmacy = browse("pharmacist")
    page_url = f"/pharmacy/bags/{bag['bag_id']}"
    page = pharmacy.get(page_url).get_data(as_text=True)
    assert "Send to printer" in page
    assert printer.address in page
    sent = pharmacy.submit(f"{page_url}/label/send", {}, form_page=page_url)
    assert sent.status_code == 302
    assert printer.wait_for(1)[0].startswith("^XA")
    shown = pharmacy.get(sent.headers["Location"]).get_data(as_text=True)
    assert "The label was sent to the printer" in shown
    # A second send is a reprint: the page asks for the reason and refuses without one.
    assert "send_reason" in shown
    refused = pharmacy.submit(f"{page_url}/label/send", {}, form_page=page_url)
    assert refused.status_code == 422
    assert (
        pharmacy.submit(f"{page_url}/label/send", {"reason": "jammed"}, form_page=page_url).status_code == 302
    )
    assert _print_count(trial, bag) == 2
    app.config["LABEL_PRINTER"] = _refusing_address()
    failed = pharmacy.submit(f"{page_url}/label/send", {"reason": "again"}, form_page=page_url)
    assert failed.status_code == 503
    assert "did not take the label" in failed.get_data(as_text=True)
    assert _print_count(trial, bag) == 2


def test_the_bag_page_has_no_send_button_without_a_printer(app, trial, browse):
    app.config["LABEL_PRINTER"] = None
    bag = _bag(trial, "placebo")
    page = browse("pharmacist").get(f"/pharmacy/bags/{bag['bag_id']}").get_data(as_text=True)
    assert "Send to printer" not in page


def test_the_worklist_prints_a_sheet_of_the_selected_bags(trial, browse):
    bags = [_bag(trial, "placebo"), _bag(trial, "active")]
    pharmacy = browse("pharmacist")
    worklist = pharmacy.get("/pharmacy").get_data(as_text=True)
    for bag in bags:
        assert f'name="bag_id" value="{bag["bag_id"]}"' in worklist
    response = pharmacy.get(
        "/pharmacy/labels/sheet.pdf", query_string={"bag_id": [b["bag_id"] for b in bags]}
    )
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert [_print_count(trial, b) for b in bags] == [1, 1]
    assert pharmacy.get("/pharmacy/labels/sheet.pdf").status_code == 422
