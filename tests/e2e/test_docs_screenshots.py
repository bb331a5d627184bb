"""The guides' screenshots, taken here: each role signs in through the login page and walks its main pages of
a small trial day (two released lots, kits in the pharmacy, four participants, a bag in transit, one received
and infused), each page checked for what it must show before it is photographed for docs/screenshots/. Then
every image the README and docs/ show must exist and every screenshot must be shown, so the documentation
and the pages cannot drift apart. Blinded pages about bags and participants are also checked to show no arm
(elsewhere "active" is an account's state)."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, wedge
from tests.lots_support import passing_lot
from tests.pharmacy_support import CELL_LOT, build_trial
from tests.ward_support import move

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
# IDs and times differ on every run, so the committed screenshots are rewritten only on request
# (UPDATE_SCREENSHOTS=1 python -m pytest -n 0 tests/e2e/test_docs_screenshots.py); otherwise every test run
# would change 16 images in the working tree. Ordinary runs take them all the same, into test-artifacts/.
TAKEN_INTO = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else ARTIFACTS / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
QUARANTINED_LOT = "UC-0002"
ARM_WORDS = re.compile(r"\b(active|placebo|ucmsc)\b", re.IGNORECASE)
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+\.png)\)")

# Every screenshot the guides use, in the order the test takes them.
EXPECTED = (
    "sign-in", "admin-people", "gmp-lots", "gmp-lot", "gmp-box-map", "qa-sign", "qa-audit",
    "statistician-lists", "investigator-enrol", "pharmacist-worklist", "pharmacist-worksheet",
    "pharmacist-bag", "nurse-receive", "nurse-match", "nurse-infusion", "investigator-participant",
)  # fmt: skip


def save(page: Page, name: str, taken: list[str]) -> None:
    """The visible part of the page as a palette PNG: text and flat colours survive 64 colours, and each
    file stays a few tens of KB."""
    png = page.screenshot(full_page=False, animations="disabled", caret="hide")
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=64)
    TAKEN_INTO.mkdir(parents=True, exist_ok=True)
    image.save(TAKEN_INTO / f"{name}.png", optimize=True)
    taken.append(name)


def shows_no_arm(page: Page) -> None:
    text = page.locator("body").inner_text()
    assert not ARM_WORDS.search(text), f"{page.url} shows {ARM_WORDS.search(text).group()!r}"


def test_each_role_walks_its_main_pages_and_the_guides_show_them(
    people, browser, login, runner, tmp_path, live_server
):
    trial = build_trial(login, runner, tmp_path, per_arm=2, kits=4)
    passing_lot(trial.gmp, QUARANTINED_LOT, "ucmsc", container_count=4, volume_ml_per_container=20)
    (_, in_transit_code), (waiting_participant, waiting_code) = trial.of_arm("active")
    (ward_participant, ward_code), _ = trial.of_arm("placebo")
    in_transit = trial.prepare(in_transit_code, "active")
    move(trial, in_transit["bag_id"], "dispatch")
    on_ward = trial.prepare(ward_code, "placebo")
    move(trial, on_ward["bag_id"], "dispatch", "receive")
    trial.thaw()  # an open thaw on the pharmacist's worklist
    taken: list[str] = []
    base = live_server

    # Before anyone signs in.
    context = browser.new_context(locale="en-GB", viewport=VIEWPORT)
    page = context.new_page()
    page.goto(f"{base}/login")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    save(page, "sign-in", taken)
    context.close()

    admin = people("admin", "Ada Admin", VIEWPORT)
    admin.goto(f"{base}/admin/users")
    expect(admin.get_by_role("heading", name="People and accounts")).to_be_visible()
    expect(admin.get_by_role("heading", name="Add a user")).to_be_attached()
    save(admin, "admin-people", taken)

    gmp = people("gmp", "Gao Min", VIEWPORT)
    gmp.goto(f"{base}/lots")
    expect(gmp.get_by_role("heading", name="Lots", exact=True)).to_be_visible()
    expect(gmp.get_by_role("link", name=QUARANTINED_LOT, exact=True)).to_be_visible()
    save(gmp, "gmp-lots", taken)
    gmp.goto(f"{base}/lots/{QUARANTINED_LOT}")
    heading = gmp.get_by_role("heading", name=f"Lot {QUARANTINED_LOT}")
    expect(heading).to_contain_text(re.compile("quarantine", re.IGNORECASE))
    expect(gmp.get_by_text("Nothing: the lot may be released by QA.")).to_be_visible()
    save(gmp, "gmp-lot", taken)
    gmp.goto(f"{base}/lots/{CELL_LOT}/boxes")
    expect(gmp.get_by_role("heading", name=f"Containers of lot {CELL_LOT}")).to_be_visible()
    expect(gmp.get_by_role("table", name=f"Box {CELL_LOT}: rows A–I, columns 1–9")).to_be_visible()
    save(gmp, "gmp-box-map", taken)

    qa = people("qa", "Qian Hui", VIEWPORT)
    qa.goto(f"{base}/lots/{QUARANTINED_LOT}/sign")
    expect(qa.get_by_role("heading", name=f"Sign lot {QUARANTINED_LOT}")).to_be_visible()
    expect(qa.get_by_role("button", name="Sign release")).to_be_visible()
    save(qa, "qa-sign", taken)
    qa.goto(f"{base}/audit?entity_type=bag")
    expect(qa.get_by_role("heading", name="Audit trail")).to_be_visible()
    expect(qa.get_by_role("cell", name=in_transit["bag_id"]).first).to_be_attached()
    shows_no_arm(qa)
    save(qa, "qa-audit", taken)

    statistician = people("statistician", "Shi Tong", VIEWPORT)
    statistician.goto(f"{base}/randomization")
    expect(statistician.get_by_role("heading", name="Randomization lists")).to_be_visible()
    expect(statistician.get_by_role("progressbar", name="Stratum A: 4 of 4 codes used")).to_be_visible()
    save(statistician, "statistician-lists", taken)

    investigator = people("investigator", "Yan Jie", VIEWPORT)
    investigator.goto(f"{base}/participants/enrol")
    expect(investigator.get_by_role("heading", name="Enrol a participant")).to_be_visible()
    expect(investigator.get_by_label("Participant ID")).to_be_visible()
    shows_no_arm(investigator)
    save(investigator, "investigator-enrol", taken)

    pharmacist = people("pharmacist", "Pan Wei", VIEWPORT)
    pharmacist.goto(f"{base}/pharmacy")
    expect(pharmacist.get_by_role("heading", name="Pharmacy worklist")).to_be_visible()
    expect(pharmacist.get_by_role("row").filter(has_text=waiting_participant)).to_be_visible()
    save(pharmacist, "pharmacist-worklist", taken)
    # The worklist's next step for the waiting participant: prepare from the open thaw.
    row = pharmacist.get_by_role("row").filter(has_text=waiting_participant)
    row.get_by_role("link", name=re.compile("Prepare from thaw")).click()
    expect(pharmacist.get_by_role("heading", name=f"Worksheet for code {waiting_code}")).to_be_visible()
    expect(pharmacist.get_by_role("button", name="Prepare bag")).to_be_visible()
    save(pharmacist, "pharmacist-worksheet", taken)
    pharmacist.goto(f"{base}/pharmacy/bags/{in_transit['bag_id']}")
    heading = pharmacist.get_by_role("heading", name=f"Bag {in_transit['bag_id']}")
    expect(heading).to_contain_text("dispatched")
    save(pharmacist, "pharmacist-bag", taken)

    nurse = people("nurse", "Niu Li", VIEWPORT)
    nurse.goto(f"{base}/ward/receive")
    expect(nurse.get_by_role("heading", name="Receive a bag")).to_be_visible()
    expect(nurse.get_by_role("row").filter(has_text=in_transit["bag_id"])).to_be_visible()
    shows_no_arm(nurse)
    save(nurse, "nurse-receive", taken)
    nurse.goto(f"{base}/ward")
    expect(nurse.get_by_label("Bag label", exact=True)).to_be_focused()
    wedge(nurse, on_ward["qr_payload"])
    expect(nurse.get_by_label("Wristband (participant ID)")).to_be_focused()
    wedge(nurse, ward_participant)
    expect(nurse.get_by_role("heading", name="MATCH")).to_be_visible()
    shows_no_arm(nurse)
    save(nurse, "nurse-match", taken)
    nurse.get_by_role("button", name="Start infusion").click()
    expect(nurse.get_by_role("heading", name=re.compile("Infusion running"))).to_be_visible()
    shows_no_arm(nurse)
    save(nurse, "nurse-infusion", taken)

    investigator.goto(f"{base}/participants/{ward_participant}")
    expect(investigator.get_by_role("heading", name=f"Participant {ward_participant}")).to_be_visible()
    expect(investigator.locator("section").filter(has_text="Bag and infusion")).to_contain_text(
        "Infusion started"
    )
    shows_no_arm(investigator)
    save(investigator, "investigator-participant", taken)

    assert tuple(taken) == EXPECTED


def test_every_image_the_docs_show_exists_and_every_screenshot_is_shown():
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    shown: set[Path] = set()
    missing = []
    for document in documents:
        for target in IMAGE.findall(document.read_text(encoding="utf-8")):
            image = (document.parent / target).resolve()
            shown.add(image)
            if not image.is_file():
                missing.append(f"{document.relative_to(ROOT)}: {target}")
    assert not missing, f"images the docs show but nobody took: {missing}"
    files = {path.resolve() for path in SCREENSHOTS.glob("*.png")}
    assert {path.stem for path in files} == set(EXPECTED), "docs/screenshots/ holds exactly the test's shots"
    assert not files - shown, f"screenshots no document shows: {sorted(p.name for p in files - shown)}"
    for path in files:
        assert path.stat().st_size < 80_000, f"{path.name} is too large for the repository"
        with Image.open(path) as image:
            assert image.size == (VIEWPORT["width"], VIEWPORT["height"])
