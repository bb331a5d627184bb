"""`flask --app app blinding audit`: the attacker runs end to end on a small trial, prints its table with the
permuted floor, and names the attacks that catch leaks planted in the bag answers.

Whether today's app passes the whole audit is not asserted here: CI runs it (.ci/run); its findings are in
docs/blinding.md."""

from __future__ import annotations

import hashlib
import os
import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import object_session

import tracker.blinding_audit.report as audit_report
import tracker.pharmacy.bags as bags
from tracker.pharmacy.models import BagPreparation

PARTICIPANTS = 20  # small and quick; the real run takes 200
ROLES = ("admin", "gmp", "qa", "nurse", "investigator", "all blinded")
ROW = re.compile(
    r"^(?P<attack>[a-z])\. .{27} (?P<role>[a-z ]+?)\s+(?P<accuracy>\d\.\d\d)\s+"
    r"(?P<floor>\d\.\d\d)/(?P<max>\d\.\d\d)\s+(?P<verdict>LEAK|ok): (?P<evidence>.*)$",
    re.MULTILINE,
)


def _leaky(honest):  # noqa: ANN001, ANN202
    """Bag answers (nurse, investigator, the audit trail) with two arm-dependent slips: a final volume 0.1 mL
    higher for cells, and an unsalted SHA-256 of the material in the location."""

    def leaky(bag, now):  # noqa: ANN001, ANN202
        fields = honest(bag, now)
        session = object_session(bag)
        if session is None:
            return fields
        query = select(BagPreparation.material).where(BagPreparation.bag_pk == bag.id)
        material = session.execute(query).scalar_one_or_none()
        if material is None:
            return fields
        digest = hashlib.sha256(material.encode()).hexdigest()
        volume = fields["final_volume_ml"] + (0.1 if material == "ucmsc" else 0.0)
        return {**fields, "final_volume_ml": volume, "location": f"{fields['location']} {digest}"}

    return leaky


@pytest.fixture(scope="module")
def planted() -> tuple[int, str]:
    """One small audit run, with the leaks planted: (leaks found, everything it printed)."""
    lines: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bags, "blinded_fields", _leaky(bags.blinded_fields))
        leaks = audit_report.run(lines.append, PARTICIPANTS, os.environ.get("TEST_DATABASE_URL"), seed=11)
    return leaks, "\n".join(lines)


def _rows(output: str) -> dict[tuple[str, str], re.Match]:
    return {(m["attack"], m["role"]): m for m in ROW.finditer(output)}


def test_the_audit_runs_a_trial_and_prints_every_attack_for_every_blinded_role(planted):
    leaks, output = planted
    assert f"Blinding audit: {PARTICIPANTS} bags" in output
    assert "kits issued to the pharmacy each morning" in output  # the trial takes its stock as a site does
    rows = _rows(output)
    for role in ROLES:
        for attack in "abcden":
            assert (attack, role) in rows, f"no row for attack {attack} and {role}:\n{output}"
    assert not any(role in ("pharmacist", "statistician") for _, role in rows)
    assert leaks == sum(m["verdict"] == "LEAK" for m in rows.values()) > 0
    assert re.search(r"Elapsed \d+\.\d s \(trial", output)


def test_the_trial_records_adverse_events_and_the_collector_reads_every_route_of_them(planted):
    _, output = planted
    said = re.search(
        r"Adverse events: (\d+) recorded \((\d+) serious\) at infusions chosen regardless of arm; "
        r"(\d+) answers read from their routes \((\d+) routes\)",
        output,
    )
    assert said is not None, output
    recorded, serious, answers, routes = map(int, said.groups())
    assert 0 < recorded < PARTICIPANTS, output
    assert 0 <= serious <= recorded
    # The list, each event, the listing (CSV, PDF) and SDTM AE, as API routes and pages, for every reader.
    assert routes >= 10, output
    assert answers > recorded, output
    assert not re.search(r"not collected: .*(ae_id|adverse-events)", output), output


def test_the_audit_reports_the_permuted_floor_of_every_attack_and_its_maximum(planted):
    _, output = planted
    rows = _rows(output)
    floors = [float(m["max"]) for m in rows.values()]
    assert all(float(m["floor"]) <= float(m["max"]) <= 1.0 for m in rows.values())
    highest = re.search(
        rf"with permuted arms \(the chance floor with these features and {PARTICIPANTS} bags\): (\d\.\d\d)",
        output,
    )
    assert highest is not None, output
    assert float(highest[1]) == max(floors)


def test_a_number_that_differs_by_arm_in_the_bag_answer_is_caught_by_the_classifier(planted):
    _, output = planted
    # Nothing else the nurse reads tells the arms apart today: this is the planted volume.
    classifier = _rows(output)["e", "nurse"]
    assert classifier["verdict"] == "LEAK", output
    assert float(classifier["accuracy"]) >= 0.9, output
    assert "volume" in classifier["evidence"], output


def test_an_unsalted_hash_of_the_material_is_caught_by_the_digest_oracle(planted):
    _, output = planted
    oracle = _rows(output)["a", "nurse"]
    assert oracle["verdict"] == "LEAK", output
    assert float(oracle["accuracy"]) == 1.0, output
    matched = re.search(r"(\d+) other digests matched an arm or material word", oracle["evidence"])
    assert matched is not None, oracle["evidence"]
    assert int(matched[1]) > 0, oracle["evidence"]


@pytest.mark.parametrize(("leaks", "status"), [(0, 0), (3, 1)])
def test_the_command_exits_1_on_any_leak_and_passes_its_options_on(runner, monkeypatch, leaks, status):
    calls = []

    def fake_run(echo, participants, database_url, seed):  # noqa: ANN001, ANN202
        calls.append((participants, database_url, seed))
        return leaks

    monkeypatch.setattr(audit_report, "run", fake_run)
    args = [
        "blinding",
        "audit",
        "--participants",
        "40",
        "--database-url",
        "postgresql+psycopg://x/y",
        "--seed",
        "5",
    ]
    result = runner.invoke(args=args)
    assert result.exit_code == status, result.output
    assert calls == [(40, "postgresql+psycopg://x/y", 5)]


def test_the_collector_reads_every_fhir_route_as_each_blinded_reader(planted):
    _, output = planted
    said = re.search(r"FHIR: (\d+) answers read from (\d+) routes \((\d+) with a resource\)", output)
    assert said is not None, output
    answers, routes, served = map(int, said.groups())
    # metadata is public (not a blinded reading); the nine guarded routes are all read: every participant's
    # Bundle (which holds every resource), each other route for a few participants.
    assert routes == 9, output
    assert served >= PARTICIPANTS + (routes - 1), output
    assert not re.search(r"not collected: /fhir", output), output
