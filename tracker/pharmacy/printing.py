"""Printing a bag's label: the label's data, a file (PDF or ZPL), an A4 sheet of many, or straight to the
site's label printer; every print is counted and audited, and a reprint needs a reason."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from labels import LabelData, PrinterError, render_label_pdf, render_label_zpl, render_sheet_pdf, send_zpl
from tracker.audit.services import record_event
from tracker.db import UnitOfWork
from tracker.errors import Conflict, Invalid, NotFound, Unavailable
from tracker.pharmacy import rules
from tracker.pharmacy.bag_ids import is_bag_id
from tracker.pharmacy.bags import find_bag
from tracker.pharmacy.models import Bag
from tracker.roles import Actor
from tracker.studies.definition import StudyDefinition
from tracker.studies.services import current_study
from tracker.translation import N_

log = logging.getLogger(__name__)


def label_data(study: StudyDefinition, bag: Bag, time_zone: str) -> LabelData:
    """Everything a label prints: study text (in English, and in Chinese where the study translates it), the
    nominal volume and the bag's own IDs and times, no more."""
    chinese = study.translations.get("zh", {})

    def in_chinese(key: str) -> str:
        return chinese.get(study.label[key], "")

    return LabelData(
        product_text=study.label["product"],
        route=study.label["route"],
        volume_text=f"{study.final_volume_ml:g} mL",
        protocol=study.protocol,
        participant_id=bag.participant_id,
        randomization_code=bag.randomization_code,
        bag_id=bag.bag_id,
        prepared_at=bag.prepared_at,
        use_by=bag.use_by,
        storage=study.label["storage"],
        statement=study.label["statement"],
        emergency_contact=study.label["emergency_contact"],
        qr_payload=bag.qr_payload,
        time_zone=time_zone,
        product_text_zh=in_chinese("product"),
        route_zh=in_chinese("route"),
        storage_zh=in_chinese("storage"),
        statement_zh=in_chinese("statement"),
        emergency_contact_zh=in_chinese("emergency_contact"),
    )


def _check_printable(bag: Bag, reason: str | None) -> None:
    if not rules.can_print_label(bag.status):
        raise Conflict(
            N_("Bag %(bag)s is voided: its label may not be printed"),
            params={"bag": bag.bag_id},
            code="bag_voided",
        )
    if bag.print_count > 0 and reason is None:
        raise Invalid(
            N_("The label of bag %(bag)s was printed before: a reprint needs a reason"),
            params={"bag": bag.bag_id},
            code="reprint_reason_required",
            details={"reason": ["say why the label is printed again (?reason=...)"]},
        )


def _count_print(
    session: Session, actor: Actor, bag: Bag, label_format: str, reason: str | None, **extra: Any
) -> None:
    """One more print of the bag's label, audited the same way however it was printed."""
    bag.print_count += 1
    session.flush()
    record_event(
        session, actor, "print_label" if bag.print_count == 1 else "reprint_label", "bag", bag.bag_id,
        after={"print_count": bag.print_count, "format": label_format, **extra}, reason=reason,
    )  # fmt: skip


def print_label(
    uow: UnitOfWork, actor: Actor, bag_id: str, label_format: str, reason: str | None, *, time_zone: str
) -> tuple[str, bytes | str]:
    """Render the bag's label and count the print; a reprint needs a reason and carries the same payload."""
    reason = (reason or "").strip() or None
    with uow:
        session = uow.session
        study = current_study(session)
        bag = find_bag(session, bag_id, lock=True)
        _check_printable(bag, reason)
        data = label_data(study, bag, time_zone)
        rendered = render_label_pdf(data) if label_format == "pdf" else render_label_zpl(data)
        _count_print(session, actor, bag, label_format, reason)
        uow.commit()
        return bag.bag_id, rendered


def print_sheet(
    uow: UnitOfWork, actor: Actor, bag_ids: list[str], reason: str | None, *, time_zone: str
) -> bytes:
    """An A4 sheet of the labels of `bag_ids`, in the order given; every label is counted and audited as if
    printed alone, and nothing is counted unless the whole sheet can be printed."""
    reason = (reason or "").strip() or None
    wanted = [(bag_id or "").strip().upper() for bag_id in bag_ids]
    if not wanted:
        raise Invalid(N_("A sheet needs at least one bag"), details={"bag_id": ["name at least one bag"]})
    if len(wanted) > rules.SHEET_MAX_BAGS:
        raise Invalid(
            f"A sheet holds at most {rules.SHEET_MAX_BAGS} bags", code="too_many_bags",
            details={"bag_id": [f"at most {rules.SHEET_MAX_BAGS} bags"]},
        )  # fmt: skip
    repeated = sorted({bag_id for bag_id in wanted if wanted.count(bag_id) > 1})
    if repeated:
        raise Invalid(
            f"A sheet names each bag once; named more than once: {', '.join(repeated)}", code="duplicate_bag",
            details={"bag_id": [f"{bag_id} is named more than once" for bag_id in repeated]},
        )  # fmt: skip
    for bag_id in wanted:
        if not is_bag_id(bag_id):
            raise NotFound(
                f"{bag_id} is not a bag ID (wrong length, characters or check character)",
                code="bag_not_found",
            )
    with uow:
        session = uow.session
        study = current_study(session)
        # Locked in one fixed order, so that two sheets sharing bags cannot deadlock.
        found = {
            bag.bag_id: bag
            for bag in session.execute(
                select(Bag)
                .where(Bag.bag_id.in_(wanted))
                .order_by(Bag.bag_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).scalars()
        }
        bags = []
        for bag_id in wanted:
            if bag_id not in found:
                raise NotFound(N_("No bag has the ID %(bag)s"), params={"bag": bag_id}, code="bag_not_found")
            bags.append(found[bag_id])
        for bag in bags:
            if not rules.can_print_label(bag.status):
                raise Conflict(
                    N_("Bag %(bag)s is voided: its label may not be printed"),
                    params={"bag": bag.bag_id},
                    code="bag_voided",
                )
        printed = [bag.bag_id for bag in bags if bag.print_count > 0]
        if printed and reason is None:
            raise Invalid(
                f"Some labels were printed before ({', '.join(printed)}): a reprint needs a reason",
                code="reprint_reason_required",
                details={"reason": [f"say why the label of {bag_id} is printed again" for bag_id in printed]},
            )
        rendered = render_sheet_pdf([label_data(study, bag, time_zone) for bag in bags])
        for bag in bags:
            _count_print(session, actor, bag, "sheet", reason)
        uow.commit()
        return rendered


def send_label(
    uow: UnitOfWork,
    actor: Actor,
    bag_id: str,
    reason: str | None,
    *,
    printer: tuple[str, int] | None,
    time_zone: str,
    timeout: float,
) -> dict[str, Any]:
    """Send the bag's ZPL label to the site's label printer and count the print once the printer took it.

    The label is sent inside the transaction that counts it: a printer that refuses it rolls the count back.
    """
    reason = (reason or "").strip() or None
    with uow:
        session = uow.session
        study = current_study(session)
        bag = find_bag(session, bag_id, lock=True)
        if printer is None:
            raise Conflict(
                "No label printer is configured (LABEL_PRINTER=host:port): download the label instead",
                code="printer_not_configured",
            )
        _check_printable(bag, reason)
        zpl = render_label_zpl(label_data(study, bag, time_zone))
        host, port = printer
        address = printer_address(host, port)
        _count_print(session, actor, bag, "zpl", reason, printer=address)
        try:
            send_zpl(host, port, zpl, timeout=timeout)
        except PrinterError as error:
            # The printer and its complaint only: nothing about the bag reaches the log.
            log.warning("label printer %s did not take a label: %s", address, error.__cause__ or error)
            raise Unavailable(
                f"The label printer at {address} did not take the label; it was not counted as printed",
                code="printer_unavailable",
            ) from None
        uow.commit()
        return {"bag_id": bag.bag_id, "print_count": bag.print_count, "printer": address}


def printer_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
