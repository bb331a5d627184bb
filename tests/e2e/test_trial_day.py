"""A whole trial day through the pages alone, each person in their own browser: the GMP lab registers
a cell lot and a vehicle lot and enters their QC results, QA signs both releases, the GMP lab issues a kit of
one cell and one vehicle container to the pharmacy from the freezer-box map, the statistician generates the
list, the investigator enrols two participants, the pharmacist thaws the kit's cell container, prepares both
bags (the placebo one from the kit's vehicle container), prints their labels and dispatches them, and a nurse
receives each bag, checks it at the bedside with a keyboard-wedge scanner and runs the infusion. The labels'
QR codes are read from the printed PDFs, as a scanner would read them."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urljoin

import pypdfium2
import zxingcpp
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import wedge
from tests.integration.eligibility_support import ELIGIBLE
from tests.lots_support import PASSING

CELL_LOT, VEHICLE_LOT = "UC-2611", "VEH-2611"
WARD = "Neurology ward 5"


def local(moment: dt.datetime) -> str:
    """A value for a datetime-local field."""
    return moment.strftime("%Y-%m-%dT%H:%M")


def register_lot(gmp: Page, lot_number: str, material: str, containers: int, volume_ml: int) -> None:
    now = dt.datetime.now()
    gmp.get_by_role("link", name="Register a new lot").first.click()
    gmp.get_by_label("Lot number").fill(lot_number)
    gmp.get_by_label("Material").select_option(material)
    gmp.get_by_label("Manufactured at (site time)").fill(local(now - dt.timedelta(days=3)))
    gmp.get_by_label("Expires at (site time)").fill(local(now + dt.timedelta(days=365)))
    gmp.get_by_label("Number of containers").fill(str(containers))
    gmp.get_by_label("Volume per container (mL)").fill(str(volume_ml))
    if material == "ucmsc":
        gmp.get_by_label("Cells per container").fill("1.5e8")
        gmp.get_by_label("Cord donor code").fill("D-0426")
    gmp.get_by_label("Freezer").fill("LN2-01")
    gmp.get_by_label("Rack").fill("R1")
    gmp.get_by_role("button", name="Create lot in quarantine").click()
    heading = gmp.get_by_role("heading", name=f"Lot {lot_number}")
    expect(heading).to_contain_text(re.compile("quarantine", re.IGNORECASE))
    # Every result on one form against the spec, each judged as it is typed.
    gmp.get_by_role("link", name="Enter QC results").click()
    expect(gmp.get_by_role("heading", name="Enter QC results")).to_be_visible()
    for test, value in PASSING[material].items():
        gmp.get_by_label(test, exact=True).fill(str(value))
        expect(gmp.locator(f"#result-{test}-verdict")).to_have_text(re.compile("Pass"))
    gmp.get_by_role("button", name="Record these results").click()
    expect(gmp.get_by_role("status")).to_contain_text(f"{len(PASSING[material])} QC results recorded.")
    expect(gmp.get_by_text("Nothing: the lot may be released by QA.")).to_be_visible()


def release(qa: Page, lot_number: str) -> None:
    qa.get_by_role("main").get_by_role("link", name="Lots, QC results and release").click()
    qa.get_by_role("link", name=lot_number, exact=True).click()
    qa.get_by_role("link", name="Sign: release or reject").click()
    qa.get_by_label("Released: QC results reviewed and meet specification").check()
    qa.locator("#release-password").fill(PASSWORD)
    qa.get_by_role("button", name="Sign release").click()
    heading = qa.get_by_role("heading", name=f"Lot {lot_number}")
    expect(heading).to_contain_text(re.compile("released", re.IGNORECASE))


def enrol(investigator: Page, participant_id: str) -> str:
    """On the enrolment page: answer the checklist, review, confirm; the code the page gives."""
    investigator.get_by_label("Participant ID").fill(participant_id)
    investigator.get_by_label("Stratum", exact=True).select_option("A")
    for key, value in ELIGIBLE.items():
        field = investigator.locator(f'[name="elig_{key}"]')
        if isinstance(value, bool) or isinstance(value, str):
            answer = ("yes" if value else "no") if isinstance(value, bool) else value
            investigator.locator(f'[name="elig_{key}"][value="{answer}"]').check()
        else:
            field.fill(str(value))
    investigator.get_by_role("button", name="Check eligibility and stratum").click()
    review = investigator.get_by_role("heading", name=f"Review before randomizing {participant_id}")
    expect(review).to_be_visible()
    investigator.get_by_role("button", name="Confirm and randomize").click()
    done = investigator.get_by_role("status")
    expect(done).to_contain_text(f"Participant {participant_id} is randomized in stratum A")
    return done.locator("strong.code").inner_text()


def qr_of_printed_label(page: Page, href: str) -> str:
    """Fetch the label PDF as the browser would, render it, and read its QR code as a scanner would."""
    response = page.context.request.get(urljoin(page.url, href))
    assert response.ok
    assert response.headers["content-type"] == "application/pdf"
    (pdf_page,) = pypdfium2.PdfDocument(response.body())
    (code,) = zxingcpp.read_barcodes(pdf_page.render(scale=300 / 72).to_pil())
    return code.text


def test_a_whole_trial_day_from_lot_registration_to_infusion_through_the_pages(people, live_server):
    # The GMP lab: two lots in quarantine and their QC results.
    gmp = people("gmp", "Gao Min")
    register_lot(gmp, CELL_LOT, "ucmsc", containers=4, volume_ml=20)
    gmp.goto(f"{live_server}/")
    register_lot(gmp, VEHICLE_LOT, "placebo", containers=4, volume_ml=100)

    # QA: the four-eyes release of both lots with an electronic signature.
    qa = people("qa", "Qian Hui")
    release(qa, CELL_LOT)
    qa.goto(f"{live_server}/")
    release(qa, VEHICLE_LOT)

    # Released, a kit (a cell container and a vehicle container) leaves the store for the pharmacy.
    gmp.goto(f"{live_server}/lots/{CELL_LOT}")
    gmp.get_by_role("link", name="Container map").click()
    expect(gmp.get_by_role("table", name=f"Box {CELL_LOT}: rows A–I, columns 1–9")).to_be_visible()
    container = gmp.get_by_label("UC-MSC container").locator("option").first.get_attribute("value")
    gmp.get_by_label("UC-MSC container").select_option(container)
    expect(gmp.get_by_label("vehicle container")).to_contain_text(VEHICLE_LOT)
    gmp.get_by_role("button", name="Issue this kit").click()
    expect(gmp.get_by_role("status")).to_contain_text("Issued to Pharmacy")
    gmp.get_by_role("link", name=f"Containers of lot {CELL_LOT}").click()
    expect(gmp.get_by_role("cell", name=f"{container} in the pharmacy")).to_be_visible()

    # The statistician commits a list; blocks of two make the first two codes of stratum A one of each arm.
    statistician = people("statistician", "Shi Tong")
    statistician.get_by_role("main").get_by_role("link", name="Randomization lists").click()
    statistician.get_by_label("Seed").fill("20261126")
    statistician.get_by_label("Codes per stratum").fill("4")
    statistician.get_by_label("Block sizes (comma-separated)").fill("2")
    statistician.get_by_role("button", name="Generate and commit").click()
    expect(statistician.get_by_role("status")).to_contain_text("codes")
    expect(statistician.get_by_role("progressbar", name="Stratum A: 0 of 4 codes used")).to_be_visible()

    # The investigator enrols two participants.
    investigator = people("investigator", "Yan Jie")
    investigator.get_by_role("main").get_by_role("link", name="Enrol a participant").click()
    codes = {"S-001": enrol(investigator, "S-001")}
    investigator.get_by_role("link", name="Enrol another participant").click()
    codes["S-002"] = enrol(investigator, "S-002")
    statistician.reload()
    expect(statistician.get_by_role("progressbar", name="Stratum A: 2 of 4 codes used")).to_be_visible()

    # The pharmacist: the worksheet of each code says what to prepare; the active one needs a thaw first.
    pharmacist = people("pharmacist", "Pan Wei")
    home = pharmacist.get_by_role("main")
    home.get_by_role("link", name="Pharmacy: worklist, thaw, prepare and print").click()
    worklist = pharmacist.url
    pharmacist.get_by_role("link", name="Record a thaw").click()
    expect(pharmacist.get_by_label("Container ID (scan or type)")).to_be_focused()
    pharmacist.keyboard.type(container)
    pharmacist.get_by_label("Viable cells per mL after thaw").fill("5e6")
    pharmacist.get_by_label("Viability (%)").fill("88")
    pharmacist.get_by_label("Suspension volume after thaw (mL)").fill("20")
    pharmacist.get_by_role("button", name="Record thaw").click()
    thawed = pharmacist.get_by_role("status")
    expect(thawed).to_contain_text("Usable")
    thaw_id = thawed.locator("strong.code").inner_text()

    labels: dict[str, str] = {}
    arms: list[str] = []
    for participant_id, code in codes.items():
        pharmacist.goto(worklist)
        # The worklist names the next step: prepare from the open thaw (active) or from vehicle (placebo).
        row = pharmacist.get_by_role("row").filter(has_text=participant_id)
        from_thaw = row.get_by_role("link", name=f"Prepare from thaw {thaw_id}")
        if from_thaw.count():
            from_thaw.click()
            expect(pharmacist.get_by_role("heading", name=f"Worksheet for code {code}")).to_be_visible()
            expect(pharmacist.locator("dt:text-is('Arm') + dd strong")).to_have_text("active")
            expect(pharmacist.get_by_label("Suspension drawn (mL)")).to_have_value("20")
            expect(pharmacist.get_by_label("Vehicle lot")).to_have_count(0)
            arms.append("active")
        else:
            row.get_by_role("link", name="Prepare from a vehicle container").click()
            expect(pharmacist.get_by_role("heading", name=f"Worksheet for code {code}")).to_be_visible()
            expect(pharmacist.locator("dt:text-is('Arm') + dd strong")).to_have_text("placebo")
            expect(pharmacist.get_by_label("Suspension drawn (mL)")).to_have_count(0)
            pharmacist.get_by_label("Vehicle lot").select_option(VEHICLE_LOT)
            arms.append("placebo")
        pharmacist.get_by_role("button", name="Prepare bag").click()
        expect(pharmacist.get_by_role("heading", name=re.compile(r"^Bag "))).to_contain_text("prepared")
        expect(pharmacist.get_by_role("status").first).to_contain_text("is prepared for participant")
        bag_id = pharmacist.locator("h1 .code").inner_text()
        print_link = pharmacist.get_by_role("link", name="Print label (PDF)")
        labels[participant_id] = qr_of_printed_label(pharmacist, print_link.get_attribute("href"))
        pharmacist.get_by_label("Destination").fill(WARD)
        pharmacist.get_by_role("button", name="Dispatch").click()
        expect(pharmacist.get_by_role("heading", name=f"Bag {bag_id}")).to_contain_text("dispatched")
        dispatched = pharmacist.get_by_role("status").first
        expect(dispatched).to_contain_text(f"Bag {bag_id} is dispatched to {WARD}.")
    assert sorted(arms) == ["active", "placebo"]
    assert len(set(labels.values())) == 2

    # The nurse receives both bags, then checks each at the bedside and runs the infusion.
    nurse = people("nurse", "Niu Li")
    nurse.get_by_role("main").get_by_role("link", name="Ward: receive bags").click()
    for payload in labels.values():
        expect(nurse.get_by_label("Bag label (scan, or type the bag ID)")).to_be_focused()
        wedge(nurse, payload)
        nurse.get_by_label("Location").fill(WARD)
        nurse.get_by_label("Temperature on arrival (°C)").fill("5")
        nurse.get_by_label("yes").check()
        nurse.get_by_role("button", name="Record receipt").click()
        expect(nurse.get_by_role("status")).to_contain_text(f"received at {WARD}")

    for participant_id, payload in labels.items():
        nurse.goto(f"{live_server}/")
        nurse.get_by_role("main").get_by_role("link", name="Ward: bedside check and infusion").click()
        expect(nurse.get_by_label("Bag label", exact=True)).to_be_focused()
        wedge(nurse, payload)
        expect(nurse.get_by_label("Wristband (participant ID)")).to_be_focused()
        wedge(nurse, participant_id)
        expect(nurse.get_by_role("heading", name="MATCH")).to_be_visible()
        nurse.get_by_role("button", name="Start infusion").click()
        expect(nurse.get_by_role("heading", name=re.compile("Infusion running"))).to_be_visible()
        nurse.get_by_label("Volume infused (mL)").fill("100")
        nurse.get_by_role("button", name="Stop infusion").click()
        expect(nurse.get_by_role("heading", name=re.compile("Infusion complete"))).to_be_visible()

    # The investigator sees each participant's bag infused, with its custody timeline, and no arm.
    for participant_id in codes:
        investigator.goto(f"{live_server}/participants/{participant_id}")
        bag_section = investigator.locator("section").filter(has_text="Bag and infusion")
        expect(bag_section.locator(".badge.bag-infused")).to_have_text("infused")
        expect(bag_section).to_contain_text("Infusion started")
        expect(bag_section).not_to_contain_text(re.compile(r"\b(active|placebo)\b", re.IGNORECASE))
