"""The in-transaction container moves that the thaw and placebo preparation build on: they record custody and
audit events in the caller's transaction, leave the commit to it, and take from the pharmacy's stock only."""

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from tests.lots_support import create_lot, issue_kits, passing_lot
from tracker.audit.models import AuditEvent, UnblindedAuditEvent
from tracker.custody.models import CustodyEvent
from tracker.errors import Conflict
from tracker.lots.containers import find_container, issue_container_in
from tracker.roles import Actor
from tracker.stock.services import take_from_stock
from tracker.web.context import reader, uow

PHARMACIST = Actor(user_id=0, username="pharm.test", full_name="Pharm Test", role="pharmacist")


def _counts(app):
    with app.app_context(), reader() as work:
        custody, sealed, unblinded = (
            work.session.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (CustodyEvent, AuditEvent, UnblindedAuditEvent)
        )
        return custody, sealed + unblinded


def _released(gmp, qa, lot_number, material):
    lot = passing_lot(gmp, lot_number, material)
    qa.post(f"/api/v1/lots/{lot_number}/release", json={"password": PASSWORD, "meaning": "ok"})
    return lot["containers"][0]["container_id"]


def test_a_thaw_of_a_container_in_stock_commits_only_with_the_caller(app, login):
    gmp, qa = login("gmp"), login("qa")
    cid = _released(gmp, qa, "UC-0001", "ucmsc")
    issue_kits(gmp, [cid], [_released(gmp, qa, "VEH-0001", "placebo")])
    before = _counts(app)
    with app.app_context():
        with uow() as work:  # the caller rolls back: nothing stays
            take_from_stock(work.session, PHARMACIST, find_container(work.session, cid), "thaw")
        assert _counts(app) == before
        with uow() as work:
            take_from_stock(work.session, PHARMACIST, find_container(work.session, cid), "thaw")
            work.commit()
    assert _counts(app) == (before[0] + 1, before[1] + 1)
    custody = login("pharmacist").get(f"/api/v1/containers/{cid}/custody").json["events"]
    assert [(e["action"], e["user"]) for e in custody] == [("issue", gmp.username), ("thaw", "pharm.test")]


def test_a_container_still_in_store_is_not_taken_from_the_stock(app, login):
    gmp, qa = login("gmp"), login("qa")
    cid = _released(gmp, qa, "UC-0001", "ucmsc")
    before = _counts(app)
    with app.app_context(), uow() as work:
        with pytest.raises(Conflict) as refused:
            take_from_stock(work.session, PHARMACIST, find_container(work.session, cid), "thaw")
    assert refused.value.code == "not_in_pharmacy"
    assert _counts(app) == before


def test_a_container_of_an_unreleased_lot_cannot_be_issued_inside_a_transaction(app, login):
    cid = create_lot(login("gmp"), "UC-0001")["containers"][0]["container_id"]
    with app.app_context(), uow() as work:
        container = find_container(work.session, cid)
        with pytest.raises(Conflict) as refused:
            issue_container_in(work.session, PHARMACIST, container, "Pharmacy")
    assert refused.value.code == "lot_not_released"
