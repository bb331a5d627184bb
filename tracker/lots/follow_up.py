"""A lot released with results pending (the study allowing it): its follow-up of each pending test, closed by
the late result. A pass closes it; a failure opens a deviation, lists everything the lot touched (its
containers, every bag prepared from it, every participant given or allocated such a bag) and, since patient
safety overrides blinding here, names each affected participant to the investigator as a safety code-break
made by the system. Participants of other lots are never named.

The bags and the participants live in features above this one (pharmacy, participants): `create_app` hands
their functions down (`find_affected_with`, `safety_code_break_with`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.audit.services import record_event
from tracker.blinding import container_status_for, is_unblinded
from tracker.db import UnitOfWork, utcnow
from tracker.deviations.models import Deviation
from tracker.deviations.services import raise_automatic
from tracker.lots import rules
from tracker.lots.models import Container, Lot, LotFollowUp, QcResult
from tracker.lots.records import find_lot, follow_ups_view
from tracker.notifications.services import queue_notification
from tracker.roles import Actor
from tracker.sites.scope import ALL_SITES

# (session, lot number) -> the bags prepared from the lot, oldest first:
# [{"bag_id", "participant_id", "randomization_code", "status"}] (pharmacy.preparation.bags_from_lot).
FindBags = Callable[[Session, str], list[dict[str, Any]]]
# (session, participant IDs, reason) -> None: one safety code-break per participant, by the system
# (participants.services.safety_code_break).
SafetyCodeBreak = Callable[[Session, Sequence[str], str], None]

_find_bags: FindBags | None = None
_safety_code_break: SafetyCodeBreak | None = None

# Who may read a lot's affected list, and what of it: blinded roles get the lot's containers only (a bag's
# link to its lot is unblinded, and so is a participant's); the investigator gets the participants, each named
# as a safety code-break; the pharmacist (unblinded) gets all of it.
AFFECTED_READERS = ("qa", "gmp", "admin", "pharmacist", "investigator")


def find_affected_with(find_bags: FindBags) -> None:
    global _find_bags
    _find_bags = find_bags


def safety_code_break_with(code_break: SafetyCodeBreak) -> None:
    global _safety_code_break
    _safety_code_break = code_break


def open_follow_ups(session: Session, lot: Lot, tests: Sequence[str], now: Any) -> None:
    """One pending follow-up per test released without its result (inside the release's transaction)."""
    for test in tests:
        lot.follow_ups.append(LotFollowUp(lot_id=lot.id, test=test, state="pending", opened_at=now))


def pending_follow_up(lot: Lot, test: str) -> LotFollowUp | None:
    return next((f for f in lot.follow_ups if f.test == test and f.state == "pending"), None)


def _bags(session: Session, lot_number: str) -> list[dict[str, Any]]:
    if _find_bags is None:
        raise RuntimeError("create_app connects the pharmacy's bags to lots (find_affected_with)")
    return _find_bags(session, lot_number)


def _participants(bags: Sequence[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(b["participant_id"] for b in bags))


def close_follow_up(
    session: Session, actor: Actor, lot: Lot, follow_up: LotFollowUp, result: QcResult
) -> None:
    """The late result of a test released pending, inside the result's transaction."""
    now = utcnow()
    follow_up.result_id = result.id
    follow_up.closed_at = now
    if result.passed:
        follow_up.state = "passed"
        session.flush()
        record_event(
            session, actor, "close_follow_up", "lot", lot.lot_number,
            before={"follow_up": "pending"},
            after={"test": follow_up.test, "result_id": result.id, "follow_up": "passed",
                   "results_pending": [f.test for f in lot.follow_ups if f.state == "pending"]},
        )  # fmt: skip
        return
    follow_up.state = "failed"
    test = follow_up.test
    deviation = raise_automatic(
        session, actor, "late_result", {"lot_number": lot.lot_number},
        f"Late {test} result failed after release of lot {lot.lot_number}", "late_result",
    )  # fmt: skip
    # A second failing test of the lot joins the deviation the first one opened (one per trigger and lot).
    follow_up.deviation_id = deviation.deviation_id if deviation else _late_result_deviation(session, lot)
    session.flush()
    bags = _bags(session, lot.lot_number)
    participants = _participants(bags)
    # Every container of the lot, wherever it is now: `lot.containers` is narrowed to the recorder's sites
    # (the lab's person does not see what went to a hospital), and the trail and QA's message are the trial's.
    containers = (
        session.execute(
            select(Container.container_id).where(Container.lot_id == lot.id).order_by(Container.id),
            execution_options=ALL_SITES,
        )
        .scalars()
        .all()
    )
    # The lot's event names its containers and the deviation; bags and participants are unblinded links
    # (each participant's own safety code-break event names that participant).
    record_event(
        session, actor, "late_result_failed", "lot", lot.lot_number,
        before={"follow_up": "pending"},
        after={"test": test, "result_id": result.id, "follow_up": "failed",
               "deviation_id": follow_up.deviation_id,
               "containers": list(containers)},
    )  # fmt: skip
    if participants:
        if _safety_code_break is None:
            raise RuntimeError("create_app connects the participants' code-breaks to lots")
        # No lot in the reason: the code-break report is read by blinded QA.
        _safety_code_break(session, participants, safety_reason(test))
    queue_notification(
        session, "late_result_failed", "qa",
        f"Late result failed: lot {lot.lot_number}, {test}",
        f"Lot {lot.lot_number} was released with {test} pending; its {test} result recorded at "
        f"{now.isoformat()} fails its specification ({result.specification}).\n"
        f"Deviation {follow_up.deviation_id} is open. The lot's {len(containers)} containers are "
        "listed on its page; the pharmacy's affected list names the bags, and each participant given or "
        "allocated one is named to the investigator as a safety code-break.\nThis message names no arm.",
    )  # fmt: skip
    # The investigators of each site with such participants, and only they: the others have none to look for.
    for site in dict.fromkeys(b["site"] for b in bags):
        queue_notification(
            session, "safety_code_break", "investigator",
            "Safety code-break: a late QC result failed",
            f"A late {test} result of a released product failed at {now.isoformat()} (deviation "
            f"{follow_up.deviation_id}). The participants of your site who received or were allocated it are "
            "named to you as safety code-breaks on the code-break page of the tracker.\n"
            "This message names no participant and no arm.",
            site=site,
        )  # fmt: skip


def _late_result_deviation(session: Session, lot: Lot) -> str | None:
    return session.execute(
        select(Deviation.deviation_id).where(
            Deviation.category == "late_result",
            Deviation.trigger_type == "lot",
            Deviation.trigger_id == lot.lot_number,
        )
    ).scalar_one_or_none()


def safety_reason(test: str) -> str:
    return f"Safety code-break: the late {test} result of the product given failed after its release"


def affected(uow: UnitOfWork, actor: Actor, lot_number: str) -> dict[str, Any]:
    """What a lot touched, as this reader may see it: containers (every reader of lots), bags (unblinded
    only) and participants (unblinded, and the investigator, to whom they were named as safety code-breaks).
    The participants and bags are listed once a late result failed; before, only the containers."""
    with uow:
        session = uow.session
        lot = find_lot(session, lot_number)
        failed = [f for f in lot.follow_ups if f.state == "failed"]
        role = actor.role
        answer: dict[str, Any] = {
            "lot_number": lot.lot_number,
            "status": rules.disposition(lot.status, (f.state for f in lot.follow_ups)),
            "follow_ups": follow_ups_view(lot),
            "containers": None,
            "bags": None,
            "participants": None,
        }
        if role != "investigator":
            answer["containers"] = [
                {"container_id": c.container_id, "status": container_status_for(role, c.status)}
                for c in lot.containers
            ]
        if failed:
            # The safety code-breaks reach every site; a reader bound to sites reads those sites' part only.
            bags = [b for b in _bags(session, lot.lot_number) if actor.works_at(b["site"])]
            if is_unblinded(role):
                answer["bags"] = bags
            if is_unblinded(role) or role == "investigator":
                answer["participants"] = _participants(bags)
        return answer
