"""`flask --app app blinding audit` finds no difference today, and finds one when a leak is planted."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import object_session

import tracker.doses.services as dose_services
from tracker.doses.models import BagPreparation


def _compared(output: str) -> int:
    return int(re.search(r"Compared (\d+) things", output).group(1))


def test_the_blinding_audit_finds_no_difference_between_a_matched_active_and_placebo_bag(runner):
    result = runner.invoke(args=["blinding", "audit"])
    assert result.exit_code == 0, result.output
    assert "No differences" in result.output
    assert _compared(result.output) >= 30


def test_the_blinding_audit_fails_on_a_planted_leak(runner, monkeypatch):
    honest = dose_services._blinded_fields

    def leaky(bag, now):
        fields = honest(bag, now)
        session = object_session(bag)
        if session is None:  # the preparation's own answer, built after its commit
            return fields
        query = select(BagPreparation.material).where(BagPreparation.bag_pk == bag.id)
        material = session.execute(query).scalar_one_or_none()
        # A bag answer whose location gives away what is in it: the kind of slip the audit exists to catch.
        return {**fields, "location": f"{fields['location']} ({material})"}

    monkeypatch.setattr(dose_services, "_blinded_fields", leaky)
    result = runner.invoke(args=["blinding", "audit"])
    assert result.exit_code == 1
    assert "DIFFERENCE nurse · /api/v1/bags/<bag>: content differs" in result.output
