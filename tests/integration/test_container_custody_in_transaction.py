"""The in-transaction container moves that the thaw and placebo preparation build on: they record custody and
audit events in the caller's transaction and leave the commit to it."""

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from tests.lots_support import create_lot, passing_lot
from tracker.audit.models import AuditEvent, UnblindedAuditEvent
from tracker.custody.models import CustodyEvent
from tracker.errors import Conflict
from tracker.lots.services import consume_container_in, find_container, issue_container_in
from tracker.roles import Actor
from tracker.web.context import reader, uow

PHARMACIST = Actor(user_id=0, username="pharm.test", full_name="Pharm Test", role="pharmacist")


def _counts(app):
    with app.app_context(), reader() as work:
        custody, sealed, unblinded = (
            work.session.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (CustodyEvent, AuditEvent, UnblindedAuditEvent)
        )
        return custody, sealed + unblinded


def test_a_thaw_of_a_stored_container_issues_it_first_and_commits_only_with_the_caller(app, login):
    gmp, qa = login("gmp"), login("qa")
    cid = passing_lot(gmp, "UC-0001")["containers"][0]["container_id"]
    qa.post("/api/v1/lots/UC-0001/release", json={"password": PASSWORD, "meaning": "ok"})
    before = _counts(app)
    with app.app_context():
        with uow() as work:  # the caller rolls back: nothing stays
            container = find_container(work.session, cid)
            consume_container_in(work.session, PHARMACIST, container, "thaw", "Pharmacy")
        assert _counts(app) == before
        with uow() as work:
            container = find_container(work.session, cid)
            consume_container_in(work.session, PHARMACIST, container, "thaw", "Pharmacy")
            work.commit()
    assert _counts(app) == (before[0] + 2, before[1] + 2)
    custody = qa.get(f"/api/v1/containers/{cid}/custody").json["events"]
    assert [(e["action"], e["user"]) for e in custody] == [("issue", "pharm.test"), ("thaw", "pharm.test")]
    assert gmp.get("/api/v1/lots/UC-0001").json["containers"][0]["status"] == "thawed"


def test_a_container_of_an_unreleased_lot_cannot_be_issued_inside_a_transaction(app, login):
    cid = create_lot(login("gmp"), "UC-0001")["containers"][0]["container_id"]
    with app.app_context(), uow() as work:
        container = find_container(work.session, cid)
        with pytest.raises(Conflict) as refused:
            issue_container_in(work.session, PHARMACIST, container, "Pharmacy")
    assert refused.value.code == "lot_not_released"
