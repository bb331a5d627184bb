"""A label built the way the pharmacy service will build it: study text from the loaded definition, the
site's time zone and QR signing key from the app's settings; the printed QR reads back to its bag."""

from datetime import UTC, datetime, timedelta

import pypdfium2
import pytest
import zxingcpp

from labels import LabelData, render_label_pdf
from tracker.pharmacy.bag_ids import new_bag_id
from tracker.pharmacy.payload import BadSignature, make_payload, read_payload
from tracker.studies.services import current_study
from tracker.web.context import reader


@pytest.fixture
def app_config():
    return {"QR_SIGNING_KEY": "site-key-for-this-test", "SITE_TIMEZONE": "Asia/Shanghai"}


def _label_for(app, bag_id: str) -> LabelData:
    with app.app_context():
        with reader() as unit:
            study = current_study(unit.session)
        prepared_at = datetime(2026, 3, 14, 1, 26, tzinfo=UTC)
        return LabelData(
            product_text=study.label["product"],
            route=study.label["route"],
            volume_text=f"{study.final_volume_ml:g} mL",
            protocol=study.protocol,
            participant_id="UMS-01-0042",
            randomization_code="R-A-0107",
            bag_id=bag_id,
            prepared_at=prepared_at,
            use_by=prepared_at + timedelta(minutes=study.use_by_minutes),
            storage=study.label["storage"],
            statement=study.label["statement"],
            emergency_contact=study.label["emergency_contact"],
            qr_payload=make_payload(bag_id, app.config["QR_SIGNING_KEY"]),
            time_zone=app.config["SITE_TIMEZONE"],
        )


def test_a_printed_label_scans_back_to_its_bag_with_the_sites_key(app):
    bag_id = new_bag_id()
    label = _label_for(app, bag_id)
    (page,) = pypdfium2.PdfDocument(render_label_pdf(label))
    (code,) = zxingcpp.read_barcodes(page.render(scale=300 / 72).to_pil())
    scanned = code.text.lower() + "\r\n"  # as a keyboard wedge with Caps Lock on would type it
    assert read_payload(scanned, app.config["QR_SIGNING_KEY"]) == bag_id
    text = page.get_textpage().get_text_range()
    assert "Use by 2026-03-14 11:26 +08:00" in " ".join(text.split())
    assert "100 mL" in text


def test_a_label_signed_by_another_site_is_refused(app):
    label = _label_for(app, new_bag_id())
    with pytest.raises(BadSignature):
        read_payload(label.qr_payload, "another-sites-key")
