"""A lot's QC results: a result, several at once, and corrections; the latest result of a test is the one
release judges, and a corrected result stays on record."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tracker.audit.services import record_event
from tracker.db import UnitOfWork, utcnow
from tracker.errors import Conflict, Invalid, NotFound
from tracker.lots import follow_up, rules
from tracker.lots.models import Lot, QcResult
from tracker.lots.records import find_lot, result_view
from tracker.roles import Actor
from tracker.studies.definition import QcSpec
from tracker.studies.services import current_study
from tracker.translation import N_


def record_qc_result(
    uow: UnitOfWork,
    actor: Actor,
    lot_number: str,
    test: str,
    value: Any,
    *,
    corrects: int | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """Append a result; the latest result of a test is the one release judges. A correction names the
    result it corrects and says why; the corrected result stays on record."""
    reason = (reason or "").strip() or None
    with uow:
        session = uow.session
        study = current_study(session)
        lot = find_lot(session, lot_number, lock=True)
        spec = study.qc_spec(lot.material, test)
        if spec is None:
            tests = ", ".join(s.test for s in study.qc_tests.get(lot.material, ()))
            raise Invalid(
                N_("The study defines no test %(test)s for %(material)s lots"),
                params={"test": repr(test), "material": lot.material},
                code="unknown_test",
                details={"test": [f"must be one of: {tests}"]},
            )
        try:
            parsed = rules.parse_qc_value(spec, value)
        except ValueError as exc:
            raise Invalid(
                N_("The value is not a valid %(test)s result"),
                params={"test": test},
                code="invalid_qc_value",
                details={"value": [str(exc)]},
            ) from None
        previous = rules.latest_by_test(lot.qc_results).get(test)
        if corrects is not None:
            if reason is None:
                raise Invalid(
                    N_("A correction needs a reason"),
                    details={"reason": [N_("say why the result is corrected")]},
                )
            target = session.get(QcResult, corrects)
            if target is None or target.lot_id != lot.id:
                raise NotFound(
                    N_("Lot %(lot)s has no QC result %(result)s"),
                    params={"lot": lot.lot_number, "result": corrects},
                    code="result_not_found",
                )
            if target.test != test:
                raise Invalid(
                    N_("A correction must be of the same test"),
                    details={"corrects": [f"result {corrects} is a {target.test} result, not {test}"]},
                )
            if previous is not None and previous.id != target.id:
                raise Conflict(
                    N_("Result %(result)s has already been superseded by result %(newer)s"),
                    params={"result": corrects, "newer": previous.id},
                    code="already_superseded",
                )
        # A released lot takes the late result of a test it was released without (its follow-up), once.
        late = follow_up.pending_follow_up(lot, test) if corrects is None else None
        if lot.status != "quarantine" and late is None:
            raise _not_in_quarantine(lot)
        result = _append_result(session, actor, lot, spec, parsed, previous, correction=corrects is not None,
                                reason=reason)  # fmt: skip
        if late is not None:
            follow_up.close_follow_up(session, actor, lot, late, result)
        uow.commit()
        return result_view(result, current=True, superseded_by=None)


def _not_in_quarantine(lot: Lot) -> Conflict:
    return Conflict(
        N_("Lot %(lot)s is %(status)s: QC results can only be entered in quarantine"),
        params={"lot": lot.lot_number, "status": lot.status},
        code="lot_not_in_quarantine",
    )


def _append_result(
    session: Session,
    actor: Actor,
    lot: Lot,
    spec: QcSpec,
    parsed: float | str,
    previous: Any,
    *,
    correction: bool,
    reason: str | None,
) -> QcResult:
    """One QC result judged against its spec, superseding the test's previous one, with its audit event."""
    result = QcResult(
        lot_id=lot.id,
        test=spec.test,
        value_number=parsed if spec.kind == "number" else None,
        value_word=parsed if spec.kind == "word" else None,
        unit=spec.unit,
        specification=spec.specification,
        passed=spec.passes(parsed),
        supersedes_id=previous.id if previous else None,
        is_correction=correction,
        reason=reason,
        entered_by=actor.username,
        entered_by_name=actor.full_name,
        entered_at=utcnow(),
    )
    session.add(result)
    session.flush()
    record_event(
        session, actor, "record_qc_result", "lot", lot.lot_number,
        after={
            "result_id": result.id, "test": spec.test, "value": parsed, "unit": spec.unit,
            "specification": spec.specification, "pass": result.passed,
            "supersedes": result.supersedes_id, "correction": result.is_correction,
        },
        reason=reason,
    )  # fmt: skip
    return result


def record_qc_results(
    uow: UnitOfWork, actor: Actor, lot_number: str, values: dict[str, Any]
) -> list[dict[str, Any]]:
    """Several new results of one lot (test -> value, as typed) in one unit of work: all of them or none.
    Every value is checked first; the problems come back keyed by test (422 `invalid_qc_value`)."""
    with uow:
        session = uow.session
        study = current_study(session)
        lot = find_lot(session, lot_number, lock=True)
        parsed: dict[str, tuple[QcSpec, float | str]] = {}
        problems: dict[str, list[str]] = {}
        for test, value in values.items():
            spec = study.qc_spec(lot.material, test)
            if spec is None:
                problems[test] = [f"the study defines no test {test!r} for {lot.material} lots"]
                continue
            try:
                parsed[test] = (spec, rules.parse_qc_value(spec, value))
            except ValueError as exc:
                problems[test] = [str(exc)]
        if problems:
            raise Invalid(
                N_("Some values are not valid results: nothing was recorded"),
                code="invalid_qc_value",
                details=problems,
            )
        if not parsed:
            raise Invalid(
                N_("Enter at least one result"), code="no_qc_results", details={"values": ["all empty"]}
            )
        # A released lot takes only the late results of the tests it was released without.
        late = {test: follow_up.pending_follow_up(lot, test) for test in parsed}
        if lot.status != "quarantine" and not all(late.values()):
            raise _not_in_quarantine(lot)
        latest = rules.latest_by_test(lot.qc_results)
        results = []
        for test, (spec, value) in parsed.items():
            result = _append_result(
                session, actor, lot, spec, value, latest.get(test), correction=False, reason=None
            )
            if lot.status != "quarantine":
                follow_up.close_follow_up(session, actor, lot, late[test], result)
            results.append(result)
        uow.commit()
        return [result_view(r, current=True, superseded_by=None) for r in results]
