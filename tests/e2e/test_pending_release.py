"""Release with results pending in a real browser: QA signs a lot of the fresh-product study with sterility
pending and the pages say so; after a bag of it was infused, GMP enters a failing late sterility result on the
lot's QC page; QA's lot page lists the containers (no bag, no participant) and the investigator finds the
affected participant, and only that one, under the safety code-breaks."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.integration.test_pending_release import ALL_BUT_STERILITY, CELL, Story
from tests.lots_support import create_lot, enter_results


def test_qa_signs_with_sterility_pending_and_a_failing_late_result_names_the_affected_participant(
    people, login, runner, tmp_path, live_server
):
    story = Story(login, runner, tmp_path)
    create_lot(story.gmp, "UC-0900", "ucmsc")
    enter_results(story.gmp, "UC-0900", ALL_BUT_STERILITY)

    qa = people("qa", "Qiu Anna")
    qa.goto(f"{live_server}/lots/UC-0900/sign")
    expect(
        qa.get_by_text(re.compile("The study allows release with these results pending: sterility"))
    ).to_be_visible()
    qa.get_by_label("Released: QC results reviewed and meet specification").check()
    qa.locator("#release-password").fill(PASSWORD)
    qa.get_by_role("button", name="Sign release").click()
    expect(qa.get_by_role("heading", name=re.compile("Lot UC-0900"))).to_contain_text(
        "Released, results pending"
    )
    expect(qa.get_by_text("Released with results pending: sterility")).to_be_visible()

    active = [pid for pid, arm in story.arms.items() if arm == "active"]
    bag = story.prepare_active(active[0])
    story.infuse(bag["bag_id"], active[0])

    gmp = people("gmp", "Gao Min")
    gmp.goto(f"{live_server}/lots/{CELL}")
    gmp.get_by_role("link", name="Enter the late results").click()
    expect(gmp.get_by_label("endotoxin", exact=True)).to_have_count(0)
    gmp.get_by_label("sterility", exact=True).fill("positive")
    gmp.get_by_role("button", name="Record these results").click()
    expect(gmp.get_by_role("heading", name=re.compile(f"Lot {CELL}"))).to_contain_text(
        "Released, late result failed"
    )

    qa.goto(f"{live_server}/lots/{CELL}")
    affected = qa.locator("#affected")
    expect(affected).to_contain_text("Containers of the lot")
    expect(affected).to_contain_text(story.cell_ids[-1])
    expect(affected).not_to_contain_text(bag["bag_id"])
    expect(affected).not_to_contain_text(active[0])

    investigator = people("investigator", "Ivy Investigator")
    investigator.goto(f"{live_server}/participants/code-break")
    safety = investigator.locator("#safety-code-breaks")
    expect(safety).to_contain_text(active[0])
    expect(safety).to_contain_text("the system")
    for pid in story.arms:
        if pid != active[0]:
            expect(safety.get_by_role("link", name=pid, exact=True)).to_have_count(0)
