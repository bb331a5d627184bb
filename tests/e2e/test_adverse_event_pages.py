"""Adverse events in a real browser: the nurse records a serious reaction from the infusion's page, the
investigator sees its 24-hour sponsor clock run, records the sponsor report and completes the assessment."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.e2e.test_accessibility import _describe, _violations
from tests.pharmacy_support import build_trial
from tests.ward_support import move, scan, start

DESKTOP = {"width": 1280, "height": 900}  # the people fixture's viewport


def _site_now(app) -> str:
    return dt.datetime.now(ZoneInfo(app.config["SITE_TIMEZONE"])).strftime("%Y-%m-%dT%H:%M")


def test_a_nurse_records_a_serious_reaction_and_the_investigator_reports_and_assesses_it(
    app, people, login, runner, tmp_path, live_server
):
    trial = build_trial(login, runner, tmp_path, per_arm=1, kits=2)
    ((participant_id, code),) = trial.of_arm("active")
    bag = trial.prepare(code, "active")
    move(trial, bag["bag_id"], "dispatch", "receive")
    assert scan(trial, bag["qr_payload"], participant_id).status_code == 200
    infusion_id = start(trial, bag["bag_id"], participant_id).json["infusion_id"]

    nurse = people("nurse", "Niu Li")
    nurse.goto(f"{live_server}/ward/infusions/{infusion_id}")
    nurse.get_by_role("link", name="Record an adverse event (a reaction to this infusion)").click()
    expect(nurse.get_by_role("heading", name="Record an adverse event")).to_be_visible()
    expect(nurse.get_by_label("Infusion", exact=True)).to_have_value(infusion_id)
    nurse.get_by_label("Onset", exact=True).fill(_site_now(app))
    nurse.get_by_label("What happened (the reaction, in a few words)").fill("Rigors and fever")
    nurse.get_by_label("Severity grade (CTCAE)").select_option("3")
    nurse.get_by_label("Yes: the sponsor must be told within 24 hours").check()
    nurse.get_by_label("Hospitalisation or its prolongation").check()
    nurse.get_by_label("Infusion stopped").check()
    nurse.get_by_label("Treated", exact=True).check()
    nurse.get_by_label("Treatment given (when treated)").fill("Paracetamol")
    nurse.get_by_role("button", name="Record the adverse event").click()
    heading = nurse.get_by_role("heading", name=re.compile(r"Adverse event AE-"))
    expect(heading).to_be_visible()
    ae_id = re.search(r"AE-[0-9A-Z]+", heading.inner_text()).group(0)
    timer = nurse.get_by_role("timer")
    expect(timer).to_have_text(re.compile(r"^2[34]:\d\d:\d\d left$"))
    expect(nurse.get_by_role("button", name="Record the assessment")).to_have_count(0)

    investigator = people("investigator", "Yan Jie")
    investigator.get_by_role("navigation").get_by_role("link", name="Adverse events").click()
    row = investigator.get_by_role("row").filter(has_text=ae_id)
    expect(row).to_contain_text("Serious")
    expect(row).to_contain_text("To assess")
    clock = row.get_by_role("timer")
    first = clock.inner_text()
    expect(clock).not_to_have_text(first, timeout=3_000)  # the clock runs in the page
    problems = [_describe("/adverse-events", DESKTOP, v) for v in _violations(investigator)]
    row.get_by_role("link", name=ae_id).click()
    problems += [_describe(f"/adverse-events/{ae_id}", DESKTOP, v) for v in _violations(investigator)]
    assert not problems, "\n".join(problems)  # axe: no serious or critical violation

    investigator.get_by_role("button", name="Record the sponsor report").click()
    expect(investigator.get_by_role("timer")).to_have_count(0)
    expect(investigator.locator("#sponsor-clock")).to_contain_text("Reported to the sponsor")
    investigator.get_by_label("Causality (relation to the infusion)").select_option("possible")
    investigator.get_by_label("Outcome", exact=True).select_option("recovered")
    investigator.get_by_role("button", name="Record the assessment").click()
    expect(investigator.get_by_role("alert")).to_contain_text("Ended at")  # a recovery needs its end
    investigator.get_by_label("Ended at (when recovered, with sequelae or fatal)").fill(_site_now(app))
    investigator.get_by_role("button", name="Record the assessment").click()
    expect(investigator.locator("#causality")).to_have_text("Possibly related")
    expect(investigator.locator("#outcome")).to_have_text("Recovered/resolved")
    investigator.get_by_role("navigation").get_by_role("link", name="Adverse events").click()
    expect(investigator.get_by_role("row").filter(has_text=ae_id)).not_to_contain_text("To assess")
