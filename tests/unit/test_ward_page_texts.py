"""What the ward pages say: the STOP sentences are the API's, and the use-by countdown's levels."""

import datetime as dt

import pytest

from tracker import create_app
from tracker.infusions.rules import REFUSAL_MESSAGES
from tracker.infusions.views import STOP_REASONS, countdown


def test_the_stop_page_says_what_the_api_says():
    # The page's copy exists only so that pybabel can extract the sentences for translation.
    assert STOP_REASONS == REFUSAL_MESSAGES


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
        assert countdown(NOW + left, NOW) == {"level": level, "text": text}
