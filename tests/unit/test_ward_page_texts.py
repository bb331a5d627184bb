"""What the ward pages say: the STOP sentences are the API's, and the use-by countdown's levels."""

import datetime as dt

import pytest

from tracker import create_app
from tracker.ward.rules import REFUSAL_MESSAGES
from tracker.ward.views import STOP_REASONS, use_by_clock


def test_every_stop_sentence_the_api_gives_has_its_chinese_translation():
    from pathlib import Path

    from babel.messages.pofile import read_po

    po = Path(__file__).resolve().parents[2] / "tracker/translations/zh/LC_MESSAGES/messages.po"
    with po.open("rb") as f:
        catalogue = {m.id: m.string for m in read_po(f) if m.id}
    assert STOP_REASONS is REFUSAL_MESSAGES  # the page shows the API's own sentences
    for sentence in REFUSAL_MESSAGES.values():
        assert catalogue.get(sentence), sentence


NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("left", "level", "text"),
    [
        (dt.timedelta(hours=1, minutes=59, seconds=5), "ok", "1:59:05 left"),
        (dt.timedelta(minutes=30), "ok", "0:30:00 left"),
        (dt.timedelta(minutes=29, seconds=59), "amber", "0:29:59 left"),
        (dt.timedelta(minutes=10), "amber", "0:10:00 left"),
        (dt.timedelta(minutes=9, seconds=59), "red", "0:09:59 left"),
        (dt.timedelta(seconds=1), "red", "0:00:01 left"),
        (dt.timedelta(), "expired", "Expired: do not infuse"),
        (-dt.timedelta(hours=3), "expired", "Expired: do not infuse"),
    ],
)
def test_the_use_by_countdown_turns_amber_under_30_minutes_and_red_under_10(left, level, text):
    app = create_app(
        {"DATABASE_URL": "sqlite://", "AUTO_MIGRATE": False, "SECRET_KEY": "x", "QR_SIGNING_KEY": "y"}
    )
    with app.test_request_context():
        assert use_by_clock(NOW + left, NOW) == {"level": level, "text": text}


def test_the_pharmacy_and_the_ward_count_down_alike_but_only_the_pharmacy_carries_its_thresholds():
    from tracker.pharmacy.views import clock

    app = create_app(
        {"DATABASE_URL": "sqlite://", "AUTO_MIGRATE": False, "SECRET_KEY": "x", "QR_SIGNING_KEY": "y"}
    )
    until = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1, minutes=30)
    with app.test_request_context():
        pharmacy, ward = clock(until, "use_by"), use_by_clock(until)
    assert pharmacy["level"] == ward["level"] == "ok"
    assert pharmacy["text"][-5:] == ward["text"][-5:] == " left"
    assert (pharmacy["amber"], pharmacy["red"]) == (900, 300)
    assert pharmacy["expired"] == "Expired: do not dispatch or infuse"
    assert set(ward) == {"level", "text"}  # the page carries none: static/js/ward.js's own apply
