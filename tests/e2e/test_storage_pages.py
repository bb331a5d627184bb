"""Storage in a browser: GMP creates a 2–8 °C fridge, imports a data logger file that shows an excursion, and
sees the unit's chart (band, line, excursion in red) with its excursions table; a file with a bad line is
refused whole, naming the line; a nurse has no storage page at all."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect


def _logger_file(values: list[float]) -> bytes:
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=3)
    rows = [
        f"{(start + dt.timedelta(minutes=10 * i)).isoformat()};{v}".replace(".", ",")
        for i, v in enumerate(values)
    ]
    return ("Logger;EL-USB-2\nTime;Temperature (°C)\n" + "\n".join(rows) + "\n").encode()


def test_gmp_imports_a_logger_file_and_sees_the_excursion_on_the_chart(people, live_server):
    gmp = people("gmp", "Gina Lab")
    gmp.get_by_role("navigation", name="Workspaces").get_by_role(
        "link", name="Storage and temperatures"
    ).click()
    gmp.get_by_label("Unit ID").fill("FR-01")
    gmp.get_by_label("Name", exact=True).fill("Pharmacy fridge")
    gmp.get_by_label("Kind").select_option("fridge_2_8")
    gmp.get_by_label("Location", exact=True).fill("Pharmacy room 1")
    gmp.get_by_role("button", name="Create the unit").click()
    expect(gmp.get_by_role("heading", name="FR-01 — Pharmacy fridge")).to_be_visible()

    bad = {"name": "bad.csv", "mimeType": "text/csv", "buffer": b"Time;Temperature\n2026-12-01 08:00;warm\n"}
    gmp.locator("#import-form input[type=file]").set_input_files(bad)
    gmp.get_by_role("button", name="Import", exact=True).click()
    expect(gmp.locator("#bad-lines tbody td").first).to_have_text("2")
    expect(gmp.locator("#bad-lines tbody")).to_contain_text("not a temperature: “warm”")

    good = _logger_file([5.0, 5.2, 9.5, 10.1, 9.0, 5.0, 4.8])  # 30 minutes above 8 °C
    gmp.locator("#import-form input[type=file]").set_input_files(
        {"name": "log.csv", "mimeType": "text/csv", "buffer": good}
    )
    gmp.get_by_role("button", name="Import", exact=True).click()
    chart = gmp.locator("#chart svg")
    expect(chart).to_be_visible()
    expect(chart.locator("title").first).to_have_text("Temperature of FR-01")
    expect(chart.locator("rect.band")).to_have_count(1)
    expect(chart.locator("rect.excursion")).to_have_count(1)
    expect(chart.locator("polyline.readings")).to_have_count(1)
    expect(gmp.locator("#excursions tbody tr")).to_have_count(1)
    expect(gmp.locator("#minutes-out")).to_contain_text("30")

    nurse = people("nurse", "Nora Ward")
    expect(nurse.get_by_role("link", name="Storage and temperatures")).to_have_count(0)
    assert nurse.goto(f"{live_server}/storage").status == 403
