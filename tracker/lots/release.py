"""A lot's disposition, signed with the signer's password: release (when nothing blocks it), reject, recall;
whoever entered a QC result of the lot may not sign it."""

from __future__ import annotations

from typing import Any

from tracker.audit.services import record_event
from tracker.db import UnitOfWork, conflict_on_integrity_error, utcnow
from tracker.deviations.services import raise_automatic
from tracker.errors import Conflict, Forbidden, Invalid
from tracker.lots import follow_up, rules
from tracker.lots.models import LotSignature
from tracker.lots.records import find_lot, latest_values, signature_view
from tracker.roles import Actor
from tracker.studies.services import current_study
from tracker.translation import N_
from tracker.users.services import LoginPolicy, reauthenticate

# One sentence per action, so that each reads well in every language (the English is as it was).
_REASON_NEEDED = {"reject": N_("A reject needs a reason"), "recall": N_("A recall needs a reason")}
_SAY_WHY = {"reject": N_("say why the lot is rejected"), "recall": N_("say why the lot is recalled")}
_CANNOT_SIGN_NOW = {
    "release": N_("Lot %(lot)s is %(status)s: it cannot be released now"),
    "reject": N_("Lot %(lot)s is %(status)s: it cannot be rejected now"),
    "recall": N_("Lot %(lot)s is %(status)s: it cannot be recalled now"),
}


def _sign(
    uow: UnitOfWork,
    actor: Actor,
    lot_number: str,
    action: str,
    password: str,
    policy: LoginPolicy,
    *,
    meaning: str | None,
    reason: str | None,
) -> dict[str, Any]:
    meaning = (meaning or "").strip() or None
    reason = (reason or "").strip() or None
    if action in ("reject", "recall") and reason is None:
        raise Invalid(_REASON_NEEDED[action], details={"reason": [_SAY_WHY[action]]})
    with uow:
        find_lot(uow.session, lot_number)  # an unknown lot answers 404 without spending a password attempt
        # Without a meaning the signature means the first the study defines for the action.
        meaning = meaning or current_study(uow.session).signature_meanings[action][0]
    reauthenticate(uow, actor, password, policy)
    with uow:
        session = uow.session
        now = utcnow()
        lot = find_lot(session, lot_number, lock=True)
        new_status = rules.signature_status_after(lot.status, action)
        if new_status is None:
            raise Conflict(
                _CANNOT_SIGN_NOW[action],
                params={"lot": lot.lot_number, "status": lot.status},
                code=rules.signature_refusal_code(lot.status, action),
            )
        if rules.four_eyes_violated(actor.username, (r.entered_by for r in lot.qc_results)):
            raise Forbidden(
                N_("You entered QC results of this lot, so another person must sign its disposition"),
                code="four_eyes",
            )
        pending: list[str] = []
        if action == "release":
            study = current_study(session)
            may_be_pending = study.may_be_pending(lot.material)
            latest = latest_values(lot)
            blockers = rules.release_blockers(
                study, lot.material, latest, expires_at=lot.expires_at, now=now, may_be_pending=may_be_pending
            )
            if blockers:
                # Left in English: the blockers are the rules' sentences; another language says the code's
                # sentence (tracker.web.problems) and the page lists the blockers in the reader's language.
                raise Conflict(
                    f"Lot {lot.lot_number} cannot be released: " + "; ".join(b["message"] for b in blockers),
                    code="release_blocked",
                    details={
                        "missing": [b["test"] for b in blockers if b["problem"] == "missing"],
                        "failed": [b["test"] for b in blockers if b["problem"] == "failed"],
                        "expired": any(b["problem"] == "expired" for b in blockers),
                        "blockers": blockers,
                    },
                )
            pending = rules.pending_at_release(study, lot.material, latest, may_be_pending)
            if pending:
                # The signature itself says that it releases with results pending, and which.
                meaning = rules.released_with_pending_meaning(meaning, pending)
        before = lot.status
        lot.status = new_status
        signature = LotSignature(
            lot_id=lot.id, action=action, username=actor.username, full_name=actor.full_name,
            role=actor.role, signed_at=now, meaning=meaning, reason=reason,
        )  # fmt: skip
        session.add(signature)
        follow_up.open_follow_ups(session, lot, pending, now)
        with conflict_on_integrity_error(
            Conflict(
                N_("Lot %(lot)s already carries a %(action)s signature"),
                params={"lot": lot.lot_number, "action": action},
                code="already_signed",
            )
        ):
            session.flush()
        record_event(
            session, actor, action, "lot", lot.lot_number,
            before={"status": before},
            after={
                "status": new_status, "signed_by": actor.username, "signed_by_name": actor.full_name,
                "signed_at": now, "meaning": meaning,
                **({"results_pending": pending} if pending else {}),
            },
            reason=reason,
        )  # fmt: skip
        if action == "recall":
            links = {"lot_number": lot.lot_number}
            raise_automatic(session, actor, "recall", links, "Lot recalled", "recall")
        uow.commit()
        return signature_view(lot, signature)


def release_lot(
    uow: UnitOfWork, actor: Actor, lot_number: str, password: str, meaning: str | None, policy: LoginPolicy
) -> dict[str, Any]:
    return _sign(uow, actor, lot_number, "release", password, policy, meaning=meaning, reason=None)


def reject_lot(
    uow: UnitOfWork,
    actor: Actor,
    lot_number: str,
    password: str,
    reason: str,
    policy: LoginPolicy,
    meaning: str | None = None,
) -> dict[str, Any]:
    return _sign(uow, actor, lot_number, "reject", password, policy, meaning=meaning, reason=reason)


def recall_lot(
    uow: UnitOfWork,
    actor: Actor,
    lot_number: str,
    password: str,
    reason: str,
    policy: LoginPolicy,
    meaning: str | None = None,
) -> dict[str, Any]:
    return _sign(uow, actor, lot_number, "recall", password, policy, meaning=meaning, reason=reason)
