"""The audit trail page in a browser: with about a hundred events, some with long unbroken values, it fits a
desktop (1280 px) and a tablet (768 px) without scrolling sideways, newest first, 50 a page."""

from __future__ import annotations

import pytest

from tests.lots_support import create_lot

SIZES = ({"width": 1280, "height": 800}, {"width": 768, "height": 1024})


@pytest.fixture
def hundred_events(make_user, login):
    gmp = login("gmp")
    # Long values with no space to break at: a name, a cell bank and a donor code.
    make_user("nurse", "long_name_nurse", full_name="Nurse" + "X" * 160)
    create_lot(gmp, "UC-0001", "ucmsc", cell_bank="CB" + "7" * 38, donor_code="D" + "9" * 39)
    for _ in range(80):
        make_user("nurse")


@pytest.mark.parametrize("size", SIZES, ids=("desktop", "tablet"))
def test_the_audit_page_never_scrolls_sideways(hundred_events, make_user, sign_in, live_server, size):
    qa = make_user("qa")
    page = sign_in(qa)
    page.set_viewport_size(size)
    for url in ("/audit", "/audit?page=2", "/audit?entity_type=lot"):
        page.goto(f"{live_server}{url}")
        rows = page.locator(".audit-table tbody tr")
        assert rows.count() > 0
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], (url, size, widths)
    page.goto(f"{live_server}/audit")
    assert page.locator(".audit-table tbody tr").count() == 50
    seqs = [int(text) for text in page.locator(".audit-table tbody tr td:first-child").all_inner_texts()]
    assert seqs == sorted(seqs, reverse=True)
    page.get_by_role("link", name="Older →").click()
    older = page.locator(".audit-table tbody tr td:first-child").first.inner_text()
    assert int(older) < seqs[-1]
