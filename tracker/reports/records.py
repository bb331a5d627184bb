"""Printable records: a bag's chain of identity and custody, and one participant's record.

Blinded readers get the same sections whatever the arm; the pharmacist alone gets what went into the bag
(lot, container, thaw) and the lot's signatures. Every report states its provenance on each page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tracker.audit.services import chain_head
from tracker.custody.bags import bag_timeline
from tracker.db import UnitOfWork, utcnow
from tracker.doses.models import Bag
from tracker.doses.services import bag_view, find_bag
from tracker.errors import NotFound
from tracker.infusions.models import Infusion, Scan
from tracker.infusions.services import infusion_view
from tracker.lots.models import Container, Lot
from tracker.participants.models import CodeBreak, Participant
from tracker.reports.pdf import Provenance, Section, render_report
from tracker.roles import Actor
from tracker.thaws.models import Thaw

_TIMELINE_COLUMNS = ("When", "Action", "Who", "Role", "Where", "°C", "Seal", "Result / note")


def _timeline_rows(events: list[dict[str, Any]]) -> list[tuple]:
    def seal(value: bool | None) -> str:
        return "" if value is None else ("intact" if value else "BROKEN")

    return [
        (e["at"], e["action"], e["user"], e["role"], e["location"], "" if e.get("temperature_c") is None else
         f"{e['temperature_c']:g}", seal(e.get("seal_intact")), e.get("result") or e.get("note") or "")
        for e in events
    ]  # fmt: skip


def _infusion_section(infusion: dict[str, Any] | None) -> Section:
    if infusion is None:
        return Section("Infusion", ("",), [])
    cosign = infusion["cosignature"]
    rows = [
        ("Infusion ID", infusion["infusion_id"]),
        ("Started", infusion["started_at"]),
        ("Started by", infusion["started_by"]),
        ("Completed", infusion["completed_at"] or "not yet"),
        ("Completed by", infusion["completed_by"] or ""),
        (
            "Volume infused (mL)",
            "" if infusion["volume_infused_ml"] is None else f"{infusion['volume_infused_ml']:g}",
        ),
        ("Observation", infusion["note"] or ""),
    ]
    if cosign:
        rows.append(
            (
                "Second nurse (signature)",
                f"{cosign['name']} ({cosign['user']}), {cosign['at']:%Y-%m-%d %H:%M} UTC: "
                f"{cosign['meaning']}",
            )
        )
    return Section("Infusion", ("Field", "Value"), rows, (50, 130))


def _material_sections(session: Any, view: dict[str, Any]) -> list[Section]:
    """For the pharmacist: what went into the bag, back to the lot and its signatures."""
    rows = [(k.replace("_", " "), "" if view.get(k) is None else view[k]) for k in (
        "arm", "material", "lot_number", "container_id", "thaw_id", "thawed_at", "drawn_volume_ml",
        "dose_viable_cells", "witness", "witnessed_at")]  # fmt: skip
    sections = [Section("Material (unblinded: pharmacist only)", ("Field", "Value"), rows, (50, 130))]
    lot = session.execute(select(Lot).where(Lot.lot_number == view["lot_number"])).scalar_one_or_none()
    if lot is not None:
        signatures = [(s.action, s.full_name, s.role, s.signed_at, s.meaning) for s in lot.signatures]
        columns = ("Action", "Name", "Role", "When", "Meaning")
        sections.append(Section(f"Lot {lot.lot_number}: signatures", columns, signatures))
    container = session.execute(
        select(Container).where(Container.container_id == view["container_id"])
    ).scalar_one_or_none()
    if container is not None:
        from tracker.custody.services import events_of

        events = events_of(session, "container", container.container_id)
        rows = [(e["at"], e["action"], e["user"], e["role"], e["location"]) for e in events]
        columns = ("When", "Action", "Who", "Role", "Where")
        sections.append(Section(f"Container {container.container_id}: custody", columns, rows))
    if view.get("thaw_id"):
        thaw = session.execute(select(Thaw).where(Thaw.thaw_id == view["thaw_id"])).scalar_one()
        columns = ("Thaw", "When", "Viable cells/mL", "Viability %", "Volume mL", "By")
        row = (thaw.thaw_id, thaw.thawed_at, f"{thaw.viable_cells_per_ml:.3g}", f"{thaw.viability_percent:g}",
               f"{thaw.volume_ml:g}", thaw.recorded_by)  # fmt: skip
        sections.append(Section("Thaw", columns, [row]))
    return sections


def bag_custody_pdf(uow: UnitOfWork, actor: Actor, bag_id: str, *, site: str) -> tuple[str, bytes]:
    with uow:
        session = uow.session
        bag = find_bag(session, bag_id)
        view = bag_view(session, actor, bag)
        infusion = session.execute(select(Infusion).where(Infusion.bag_pk == bag.id)).scalar_one_or_none()
        identity = [
            ("Bag ID", bag.bag_id), ("Participant", bag.participant_id),
            ("Randomization code", bag.randomization_code), ("Prepared", bag.prepared_at),
            ("Prepared by", bag.prepared_by), ("Use-by", bag.use_by), ("Status", view["status"]),
            ("Location", bag.location), ("Quarantined", "yes" if bag.quarantined else "no"),
        ]  # fmt: skip
        sections = [Section("Chain of identity", ("Field", "Value"), identity, (50, 130))]
        if actor.unblinded:
            sections += _material_sections(session, view)
        sections.append(Section("Custody, scans and infusion (oldest first)", _TIMELINE_COLUMNS,
                                _timeline_rows(bag_timeline(session, actor, bag)),
                                (30, 22, 24, 18, 28, 10, 14, 34)))  # fmt: skip
        sections.append(_infusion_section(infusion_view(infusion, bag) if infusion else None))
        provenance = Provenance(utcnow(), actor.username, chain_head(session), site)
        found = bag.bag_id
    return found, render_report(f"Chain of identity and custody: bag {found}", provenance, sections)


def participant_record_pdf(
    uow: UnitOfWork, actor: Actor, participant_id: str, *, site: str
) -> tuple[str, bytes]:
    """Code, bags, scans against the wristband, the infusion and any code-break (never the arm)."""
    with uow:
        session = uow.session
        wanted = (participant_id or "").strip().upper()
        participant = session.execute(
            select(Participant).where(Participant.participant_id == wanted)
        ).scalar_one_or_none()
        if participant is None:
            raise NotFound(f"No participant {wanted}", code="unknown_participant")
        now = utcnow()
        identity = [
            ("Participant", participant.participant_id), ("Stratum", participant.stratum),
            ("Randomization code", participant.randomization_code), ("Randomized", participant.randomized_at),
            ("Enrolled by", participant.enrolled_by),
            ("Stroke onset", participant.onset_at or "not recorded"),
        ]  # fmt: skip
        bags = session.execute(
            select(Bag).where(Bag.participant_id == participant.participant_id).order_by(Bag.id)
        ).scalars()
        bag_rows = [
            (b.bag_id, bag_view(session, actor, b, now)["status"], b.prepared_at, b.use_by) for b in bags
        ]
        scans = session.execute(
            select(Scan, Bag.bag_id).outerjoin(Bag, Bag.id == Scan.bag_pk)
            .where(Scan.participant_id == participant.participant_id).order_by(Scan.id)
        ).all()  # fmt: skip
        scan_rows = [(s.at, bag or s.scanned_bag_id or "", s.result, s.username) for s, bag in scans]
        infusion = session.execute(
            select(Infusion).where(Infusion.participant_id == participant.participant_id)
        ).scalar_one_or_none()
        breaks = session.execute(
            select(CodeBreak).where(CodeBreak.participant_pk == participant.id).order_by(CodeBreak.id)
        ).scalars()
        break_rows = [(b.broken_at, b.broken_by, b.reason) for b in breaks]
        sections = [
            Section("Participant", ("Field", "Value"), identity, (50, 130)),
            Section("Bags", ("Bag", "Status", "Prepared", "Use-by"), bag_rows),
            Section("Scans against this wristband", ("When", "Bag", "Result", "Nurse"), scan_rows),
            _infusion_section(
                infusion_view(infusion, session.get(Bag, infusion.bag_pk)) if infusion else None
            ),
            Section("Code-breaks (the arm revealed is never printed)", ("When", "By", "Reason"), break_rows),
        ]
        provenance = Provenance(now, actor.username, chain_head(session), site)
        found = participant.participant_id
    return found, render_report(f"Participant record: {found}", provenance, sections)
