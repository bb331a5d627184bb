"""The deviation log as files (CSV with provenance headers, PDF in the reader's language), alike for the pages
and the API: every deviation with its category, state, who raised it when and how (by hand, or automatically
and by which action on which record), its due date, its investigation and CAPA, and QA's signed closure.
Blinded readers get no bag's source lot or container (tracker/blinding.py)."""

from __future__ import annotations

from flask import Response, current_app, g
from flask_babel import gettext

from tracker.audit import changes
from tracker.audit.provenance import csv_response
from tracker.audit.wording import VALUE_WORDS, action_word
from tracker.deviations import rules as deviation_rules
from tracker.deviations import services as deviation_services
from tracker.pdf import Provenance, Section, render_report
from tracker.reports.schemas import DeviationLogRow, DeviationLogRowWithSource
from tracker.reports.wording import report_words, study_name
from tracker.web.context import report_reader
from tracker.web.filters import entity_word, site_zone

# Everyone who reads the deviation board may take its log.
DEVIATION_LOG_ROLES = tuple(dict.fromkeys((*deviation_rules.MANAGERS, *deviation_rules.RAISERS)))


def deviation_log_report() -> dict:
    return deviation_services.deviation_log(report_reader(), g.actor)


def _head(report: dict) -> tuple[int, str]:
    return report["audit_head"]["seq"], report["audit_head"]["hash"]


def _flat(item: dict) -> dict:
    closure = item.get("closure") or {}
    return {
        **item,
        "closed_by": closure.get("signed_by"), "closed_by_name": closure.get("signed_by_name"),
        "closed_at": closure.get("signed_at"), "closure_meaning": closure.get("meaning"),
    }  # fmt: skip


def deviation_log_csv_response() -> Response:
    report = deviation_log_report()
    schema = DeviationLogRowWithSource if g.actor.unblinded else DeviationLogRow
    rows = schema(many=True).dump([_flat(i) for i in report["items"]])
    return csv_response(list(schema().fields), rows, "deviation-log.csv", g.actor, _head(report))


def _word(field: str, value: str | None) -> str:
    if not value:
        return ""
    words = VALUE_WORDS.get(field, {}).get(value)
    return gettext(words) if words else value


def trigger_words(source_action: str | None, trigger_type: str | None, trigger_id: str | None) -> str:
    """An automatic deviation's trigger in words: the action (and the scan's answer) on which record."""
    if not source_action:
        return ""
    action, _, result = source_action.partition(":")
    said = action_word(action)
    if result:
        said += f": {_word('result', result)}"
    if trigger_type:
        said += f" · {entity_word(trigger_type)} {trigger_id or ''}".rstrip()
    return said


def deviation_log_pdf_response() -> Response:
    """The log a QA reviewer signs: counts by state, then every deviation, oldest first."""
    report = deviation_log_report()
    zone = site_zone()
    provenance = Provenance(report["generated_at"], report["generated_by"], _head(report),
                            current_app.config["SITE_NAME"])  # fmt: skip

    def when(value: object) -> str:
        return "" if value is None else changes.local_time(value, zone)

    items = report["items"]
    counts = [[_word("state", s), sum(1 for i in items if i["state"] == s)] for s in deviation_rules.STATES]
    counts.append([gettext("Overdue"), sum(1 for i in items if i["overdue"])])

    def raised(item: dict) -> str:
        lines = [when(item["raised_at"]), f"{item['raised_by']} ({gettext(item['raised_by_role'])})",
                 _word("source", item["source"])]  # fmt: skip
        trigger = trigger_words(item.get("source_action"), item.get("trigger_type"), item.get("trigger_id"))
        return "\n".join([*lines, trigger] if trigger else lines)

    def links(item: dict) -> str:
        named = [
            (gettext("Lot"), "lot_number"),
            (gettext("Container"), "container_id"),
            (gettext("Bag"), "bag_id"),
            (gettext("Lot of the bag"), "source_lot_number"),
            (gettext("Container of the bag"), "source_container_id"),
            (gettext("Participant"), "participant_id"),
            (gettext("Infusion"), "infusion_id"),
        ]
        return "\n".join(f"{label}: {item[key]}" for label, key in named if item.get(key))

    def due(item: dict) -> str:
        return f"{when(item['due_at'])}\n{gettext('overdue')}" if item["overdue"] else when(item["due_at"])

    def summary(item: dict) -> str:
        named = [
            (gettext("What happened"), item["description"]),
            (gettext("Investigation"), item["investigation"]),
            (gettext("Root cause"), item["root_cause"]),
            (gettext("Corrective action"), item["corrective_action"]),
            (gettext("Preventive action"), item["preventive_action"]),
            (gettext("CAPA owner"), item["capa_owner"]),
            (gettext("CAPA due"), when(item["capa_due_at"]) if item["capa_due_at"] else None),
        ]
        return "\n".join(f"{label}: {text}" for label, text in named if text)

    def closure(item: dict) -> str:
        signed = item.get("closure")
        if not signed:
            return ""
        who = f"{signed['signed_by_name']} ({signed['signed_by']})"
        return f"{who}\n{when(signed['signed_at'])}\n{signed['meaning']}"

    columns = [
        gettext("Deviation"), gettext("Category"), gettext("Title"), gettext("State"), gettext("Raised"),
        gettext("Due"), gettext("About"), gettext("Investigation and CAPA"), gettext("Closure"),
    ]  # fmt: skip
    rows = [
        [i["deviation_id"], _word("category", i["category"]), i["title"], _word("state", i["state"]),
         raised(i), due(i), links(i), summary(i), closure(i)]
        for i in items
    ]  # fmt: skip
    sections = [
        Section(gettext("By state"), [gettext("State"), gettext("Deviations")], counts, (60, 30)),
        Section(gettext("Deviations (oldest first)"), columns, rows, (25, 22, 30, 20, 40, 22, 30, 51, 33)),
    ]
    details = [
        (gettext("Study"), study_name(report_reader())),
        (gettext("Generated"), f"{when(report['generated_at'])} · {report['generated_by']}"),
        (gettext("Deviations"), str(len(items))),
    ]
    pdf = render_report(gettext("Deviation log"), provenance, sections, wide=True, words=report_words(),
                        details=details, signature=True)  # fmt: skip
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = "inline; filename=deviation-log.pdf"
    return response
