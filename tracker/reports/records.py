"""Printable records: a bag's chain of identity and custody, and one participant's record.

Blinded readers get the same sections whatever the arm; the pharmacist alone gets what went into the bag
(lot, container, thaw) and the lot's signatures. Every report states its provenance on each page."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from sqlalchemy import select

from tracker.adverse_events.services import participant_events
from tracker.audit.services import chain_head
from tracker.audit.wording import action_word, field_label, value_word
from tracker.custody.services import events_of
from tracker.db import UnitOfWork, utcnow
from tracker.errors import NotFound
from tracker.lots.models import Container, Lot
from tracker.participants.models import CodeBreak
from tracker.pdf import Provenance, Section, render_report
from tracker.pharmacy.bags import bag_view, find_bag
from tracker.pharmacy.handoffs import bag_timeline
from tracker.pharmacy.models import Bag
from tracker.randomization.models import Participant, same_participant
from tracker.reports.wording import report_words, role_word, yes_no
from tracker.roles import Actor
from tracker.thaws.models import Thaw
from tracker.translation import N_
from tracker.ward.models import Infusion, Scan
from tracker.ward.services import infusion_view
from tracker.web.filters import status_word, study_text

# A bag's timeline as the bag's page says it (templates/_timeline.html).
TIMELINE_WORDS = {
    "prepare": N_("Prepared"), "dispatch": N_("Dispatched"), "receive": N_("Received"),
    "return": N_("Returned"), "destroy": N_("Destroyed"), "void": N_("Voided"), "scan": N_("Bedside scan"),
    "infusion_start": N_("Infusion started"), "infusion_end": N_("Infusion ended"),
}  # fmt: skip
PLACE_WORDS = {"bedside": N_("Bedside")}  # a place the code names; people type the others


def _timeline_columns() -> tuple[str, ...]:
    return (gettext("When"), gettext("Action"), gettext("Who"), gettext("Role"), gettext("Where"), "°C",
            gettext("Seal"), gettext("Result / note"))  # fmt: skip


def _action(action: str) -> str:
    return gettext(TIMELINE_WORDS[action]) if action in TIMELINE_WORDS else action_word(action)


def _place(place: str | None) -> str:
    return gettext(PLACE_WORDS[place]) if place in PLACE_WORDS else (place or "")


def _timeline_rows(events: list[dict[str, Any]]) -> list[tuple]:
    def seal(value: bool | None) -> str:
        return "" if value is None else (gettext("intact") if value else gettext("BROKEN"))

    def outcome(event: dict[str, Any]) -> str:
        return value_word("result", event["result"]) if event.get("result") else event.get("note") or ""

    return [
        (e["at"], _action(e["action"]), e["user"], role_word(e["role"]), _place(e["location"]),
         "" if e.get("temperature_c") is None else f"{e['temperature_c']:g}", seal(e.get("seal_intact")),
         outcome(e))
        for e in events
    ]  # fmt: skip


def _field_value() -> tuple[str, str]:
    return gettext("Field"), gettext("Value")


def _infusion_section(infusion: dict[str, Any] | None) -> Section:
    if infusion is None:
        return Section(gettext("Infusion"), ("",), [])
    cosign = infusion["cosignature"]
    rows = [
        (gettext("Infusion ID"), infusion["infusion_id"]),
        (gettext("Started"), infusion["started_at"]),
        (gettext("Started by"), infusion["started_by"]),
        (gettext("Completed"), infusion["completed_at"] or gettext("not yet")),
        (gettext("Completed by"), infusion["completed_by"] or ""),
        (
            gettext("Volume infused (mL)"),
            "" if infusion["volume_infused_ml"] is None else f"{infusion['volume_infused_ml']:g}",
        ),
        (gettext("Observation"), infusion["note"] or ""),
    ]
    if cosign:
        rows.append(
            (
                gettext("Second nurse (signature)"),
                f"{cosign['name']} ({cosign['user']}), {cosign['at']:%Y-%m-%d %H:%M} UTC: "
                f"{value_word('meaning', cosign['meaning'])}",
            )
        )
    return Section(gettext("Infusion"), _field_value(), rows, (50, 130))


def _material_sections(session: Any, view: dict[str, Any]) -> list[Section]:
    """For the pharmacist: what went into the bag, back to the lot and its signatures."""

    def shown(key: str) -> Any:
        value = view.get(key)
        return "" if value is None else study_text(value)  # the arm and the material in the study's words

    rows = [(field_label(k), shown(k)) for k in (
        "arm", "material", "lot_number", "container_id", "thaw_id", "thawed_at", "drawn_volume_ml",
        "dose_viable_cells", "witness", "witnessed_at")]  # fmt: skip
    sections = [Section(gettext("Material (unblinded: pharmacist only)"), _field_value(), rows, (50, 130))]
    lot = session.execute(select(Lot).where(Lot.lot_number == view["lot_number"])).scalar_one_or_none()
    if lot is not None:
        signatures = [(action_word(s.action), s.full_name, role_word(s.role), s.signed_at,
                       value_word("meaning", s.meaning)) for s in lot.signatures]  # fmt: skip
        columns = (gettext("Action"), gettext("Name"), gettext("Role"), gettext("When"), gettext("Meaning"))
        heading = gettext("Lot %(lot)s: signatures", lot=lot.lot_number)
        sections.append(Section(heading, columns, signatures))
    container = session.execute(
        select(Container).where(Container.container_id == view["container_id"])
    ).scalar_one_or_none()
    if container is not None:
        events = events_of(session, "container", container.container_id)
        rows = [(e["at"], action_word(e["action"]), e["user"], role_word(e["role"]), e["location"])
                for e in events]  # fmt: skip
        columns = _timeline_columns()[:5]
        heading = gettext("Container %(container)s: custody", container=container.container_id)
        sections.append(Section(heading, columns, rows))
    if view.get("thaw_id"):
        thaw = session.execute(select(Thaw).where(Thaw.thaw_id == view["thaw_id"])).scalar_one()
        columns = (gettext("Thaw"), gettext("When"), gettext("Viable cells per mL"),
                   gettext("Viability (percent)"), gettext("Volume (mL)"),
                   gettext("Recorded by"))  # fmt: skip
        row = (thaw.thaw_id, thaw.thawed_at, f"{thaw.viable_cells_per_ml:.3g}", f"{thaw.viability_percent:g}",
               f"{thaw.volume_ml:g}", thaw.recorded_by)  # fmt: skip
        sections.append(Section(gettext("Thaw"), columns, [row]))
    return sections


def bag_custody_pdf(uow: UnitOfWork, actor: Actor, bag_id: str, *, site: str) -> tuple[str, bytes]:
    with uow:
        session = uow.session
        bag = find_bag(session, bag_id)
        view = bag_view(session, actor, bag)
        infusion = session.execute(select(Infusion).where(Infusion.bag_pk == bag.id)).scalar_one_or_none()
        identity = [
            (gettext("Bag ID"), bag.bag_id), (gettext("Participant"), bag.participant_id),
            (gettext("Randomization code"), bag.randomization_code), (gettext("Prepared"), bag.prepared_at),
            (gettext("Prepared by"), bag.prepared_by), (gettext("Use by"), bag.use_by),
            (gettext("Status"), status_word(view["status"])), (gettext("Location"), _place(bag.location)),
            (gettext("Quarantined"), yes_no(bag.quarantined)),
        ]  # fmt: skip
        sections = [Section(gettext("Chain of identity"), _field_value(), identity, (50, 130))]
        if actor.unblinded:
            sections += _material_sections(session, view)
        sections.append(Section(gettext("Custody, scans and infusion (oldest first)"), _timeline_columns(),
                                _timeline_rows(bag_timeline(session, actor, bag)),
                                (30, 22, 24, 18, 28, 10, 14, 34)))  # fmt: skip
        sections.append(_infusion_section(infusion_view(infusion, bag) if infusion else None))
        provenance = Provenance(utcnow(), actor.username, chain_head(session), site)
        found = bag.bag_id
    title = gettext("Chain of identity and custody: bag %(bag)s", bag=found)
    return found, render_report(title, provenance, sections, words=report_words())


def participant_record_pdf(
    uow: UnitOfWork, actor: Actor, participant_id: str, *, site: str
) -> tuple[str, bytes]:
    """Code, bags, scans against the wristband, the infusion, its adverse events and any code-break (never the
    arm)."""
    with uow:
        session = uow.session
        wanted = (participant_id or "").strip()
        participant = session.execute(
            select(Participant).where(same_participant(Participant.participant_id, wanted))
        ).scalar_one_or_none()
        if participant is None:
            raise NotFound(f"No participant {wanted}", code="unknown_participant")
        now = utcnow()
        identity = [
            (gettext("Participant"), participant.participant_id),
            (gettext("Stratum"), study_text(participant.stratum)),
            (gettext("Randomization code"), participant.randomization_code),
            (gettext("Randomized"), participant.randomized_at),
            (gettext("Enrolled by"), participant.enrolled_by),
            (gettext("Stroke onset"), participant.onset_at or gettext("not recorded")),
        ]  # fmt: skip
        bags = session.execute(
            select(Bag).where(Bag.participant_id == participant.participant_id).order_by(Bag.id)
        ).scalars()
        bag_rows = [
            (b.bag_id, status_word(bag_view(session, actor, b, now)["status"]), b.prepared_at, b.use_by)
            for b in bags
        ]
        scans = session.execute(
            select(Scan, Bag.bag_id).outerjoin(Bag, Bag.id == Scan.bag_pk)
            .where(Scan.participant_id == participant.participant_id).order_by(Scan.id)
        ).all()  # fmt: skip
        scan_rows = [(s.at, bag or s.scanned_bag_id or "", value_word("result", s.result), s.username)
                     for s, bag in scans]  # fmt: skip
        infusion = session.execute(
            select(Infusion).where(Infusion.participant_id == participant.participant_id)
        ).scalar_one_or_none()
        breaks = session.execute(
            select(CodeBreak).where(CodeBreak.participant_pk == participant.id).order_by(CodeBreak.id)
        ).scalars()
        break_rows = [(b.broken_at, b.broken_by, b.reason) for b in breaks]
        ae_rows = [
            (e["ae_id"], e["onset_at"], str(e["grade"]), yes_no(e["serious"]),
             value_word("outcome", e["outcome"]) if e["outcome"] else gettext("not yet assessed"))
            for e in participant_events(session, participant.participant_id)
        ]  # fmt: skip
        sections = [
            Section(gettext("Participant"), _field_value(), identity, (50, 130)),
            Section(
                gettext("Bags"),
                (gettext("Bag"), gettext("Status"), gettext("Prepared"), gettext("Use by")),
                bag_rows,
            ),
            Section(
                gettext("Scans against this wristband"),
                (gettext("When"), gettext("Bag"), gettext("Result"), gettext("Nurse")),
                scan_rows,
            ),
            _infusion_section(
                infusion_view(infusion, session.get(Bag, infusion.bag_pk)) if infusion else None
            ),
            Section(
                gettext("Adverse events"),
                (
                    gettext("Adverse event"),
                    gettext("Onset"),
                    gettext("CTCAE grade"),
                    gettext("Serious"),
                    gettext("Outcome"),
                ),
                ae_rows,
            ),  # fmt: skip
            Section(
                gettext("Code-breaks (the arm revealed is never printed)"),
                (gettext("When"), gettext("By"), gettext("Reason")),
                break_rows,
            ),
        ]
        provenance = Provenance(now, actor.username, chain_head(session), site)
        found = participant.participant_id
    title = gettext("Participant record: %(participant)s", participant=found)
    return found, render_report(title, provenance, sections, words=report_words())
