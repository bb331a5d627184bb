"""A shipment's page draws the dry shipper's temperature from dispatch to receipt with the storage chart:
the allowed band, the readings of the journey only, the excursions marked, and a table saying the same."""

import datetime as dt
import re

from tests.shipments_support import (
    EXCURSION,
    STEADY,
    dispatched,
    dry_shipper,
    logger_csv,
    released_lots,
    road_start,
)


def _svg(html: bytes) -> str:
    section = html.decode().split('id="shipment-chart"', 1)[1]
    return section[section.index("<svg") : section.index("</svg>")]


def test_the_page_charts_the_journey_with_the_band_and_the_excursion(login, browse, clock):
    gmp, qa, cells, vehicle = released_lots(login)
    pharmacist = login("pharmacist")
    shipped = [cells[0], vehicle[0]]
    sid = dispatched(gmp, shipped, clock, shipper_unit_id=dry_shipper(gmp))
    # Readings from an hour before the dispatch: only those of the journey are drawn.
    before = road_start() - dt.timedelta(hours=2)
    values = [-190] * 12 + EXCURSION
    body = {"container_ids": shipped, "logger_csv": logger_csv(before, values)}
    assert pharmacist.post(f"/api/v1/shipments/{sid}/receipt", json=body).status_code == 200
    for role in ("gmp", "pharmacist", "qa"):
        page = browse(role).get(f"/shipments/{sid}")
        assert page.status_code == 200
        svg = _svg(page.data)
        assert f"Temperature of shipment {sid} in DS-01" in svg
        assert svg.count('class="band"') == 1
        assert svg.count('class="excursion"') == 1
        points = re.search(r'class="readings" points="([^"]+)"', svg).group(1).split()
        assert len(points) == len(EXCURSION)  # the 12 readings before the dispatch are left out
        assert svg.count('class="out"') == 9
    page = browse("qa").get(f"/shipments/{sid}").data.decode()
    table = page.split('id="shipment-excursions"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 2  # the head and the one excursion
    assert ">45.0<" in table or ">45<" in table


def test_a_calm_journey_has_no_excursion_and_a_shipment_without_a_shipper_has_no_chart(login, browse, clock):
    gmp, qa, cells, vehicle = released_lots(login)
    pharmacist = login("pharmacist")
    calm = dispatched(gmp, [cells[0], vehicle[0]], clock, shipper_unit_id=dry_shipper(gmp))
    body = {"container_ids": [cells[0], vehicle[0]], "logger_csv": logger_csv(road_start(), STEADY)}
    assert pharmacist.post(f"/api/v1/shipments/{calm}/receipt", json=body).status_code == 200
    svg = _svg(browse("qa").get(f"/shipments/{calm}").data)
    assert 'class="excursion"' not in svg
    assert svg.count('class="band"') == 1
    bare = dispatched(gmp, [cells[1], vehicle[1]], clock)
    page = browse("qa").get(f"/shipments/{bare}").data.decode()
    assert "<svg" not in page
    assert "No dry shipper was named for this shipment" in page
