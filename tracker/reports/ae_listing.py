"""The adverse event listing as files (CSV with provenance headers, PDF in the reader's language), alike for
the pages and the API: every event by participant then onset, with its infusion and bag, onset and end, CTCAE
grade, seriousness and its criteria, the actions taken, the investigator's causality and outcome, and the
sponsor clock of a serious one. Nothing in it differs by arm: no arm, material, lot, container or thaw
(the adverse event answers carry none), so the file is the same for every reader who may read the events."""

from __future__ import annotations

from flask import Response, current_app, g
from flask_babel import gettext

from tracker.adverse_events import rules as ae_rules
from tracker.adverse_events import services as ae_services
from tracker.audit import changes
from tracker.audit.provenance import csv_response
from tracker.audit.wording import value_word
from tracker.pdf import Provenance, Section, render_report
from tracker.reports.schemas import AdverseEventListingRow
from tracker.reports.wording import report_words, role_word, study_name, yes_no
from tracker.web.context import report_reader
from tracker.web.filters import site_zone

# Everyone who reads the adverse events (the nurse, the investigator, QA) may take their listing.
AE_LISTING_ROLES = ae_rules.READERS
LIST_SEPARATOR = "; "


def ae_listing_report() -> dict:
    return ae_services.listing(report_reader(), g.actor)


def _head(report: dict) -> tuple[int, str]:
    return report["audit_head"]["seq"], report["audit_head"]["hash"]


def _flat(item: dict) -> dict:
    """The codes of the list fields joined, as a spreadsheet cell holds them."""
    return {
        **item,
        "seriousness_criteria": LIST_SEPARATOR.join(item["seriousness_criteria"]),
        "actions_taken": LIST_SEPARATOR.join(item["actions_taken"]),
    }


def ae_listing_csv_response() -> Response:
    report = ae_listing_report()
    schema = AdverseEventListingRow
    rows = schema(many=True).dump([_flat(i) for i in report["items"]])
    return csv_response(list(schema().fields), rows, "adverse-events.csv", g.actor, _head(report))


def _words(field: str, codes: list[str]) -> str:
    return "\n".join(value_word(field, code) for code in codes)


def ae_listing_pdf_response() -> Response:
    """The listing a safety reviewer signs: counts (serious or not, by CTCAE grade), then every event."""
    report = ae_listing_report()
    zone = site_zone()
    provenance = Provenance(report["generated_at"], report["generated_by"], _head(report),
                            current_app.config["SITE_NAME"])  # fmt: skip

    def when(value: object) -> str:
        return "" if value is None else changes.local_time(value, zone)

    items = report["items"]
    serious = [i for i in items if i["serious"]]
    by_seriousness = [
        [gettext("Serious"), len(serious)],
        [gettext("Not serious"), len(items) - len(serious)],
        [
            gettext("Serious, not yet reported to the sponsor"),
            sum(1 for i in serious if not i["sponsor_reported_at"]),
        ],
        [gettext("Overdue for the sponsor"), sum(1 for i in items if i["overdue"])],
        [gettext("Reported to the sponsor late"), sum(1 for i in items if i["reported_late"])],
        [gettext("All"), len(items)],
    ]
    by_grade = [
        [str(grade), sum(1 for i in serious if i["grade"] == grade),
         sum(1 for i in items if i["grade"] == grade and not i["serious"]),
         sum(1 for i in items if i["grade"] == grade)]
        for grade in ae_rules.GRADES
    ]  # fmt: skip

    def where(item: dict) -> str:
        named = ((gettext("Participant"), "participant_id"), (gettext("Infusion"), "infusion_id"),
                 (gettext("Bag"), "bag_id"))  # fmt: skip
        return "\n".join(f"{label}: {item[key]}" for label, key in named)

    def times(item: dict) -> str:
        ended = when(item["resolved_at"]) if item["resolved_at"] else gettext("not ended")
        onset, end = gettext("Onset"), gettext("End")
        return f"{onset}: {when(item['onset_at'])}\n{end}: {ended}"

    def seriousness(item: dict) -> str:
        if not item["serious"]:
            return yes_no(False)
        return f"{yes_no(True)}\n{_words('seriousness_criteria', item['seriousness_criteria'])}"

    def actions(item: dict) -> str:
        said = _words("actions_taken", item["actions_taken"])
        return f"{said}\n{item['treatment']}" if item.get("treatment") else said

    def assessment(item: dict) -> str:
        if not item["outcome"]:
            return gettext("not yet assessed")
        lines = [value_word("causality", item["causality"]), value_word("outcome", item["outcome"])]
        if item["assessed_by"]:
            lines.append(f"{item['assessed_by']} · {when(item['assessed_at'])}")
        return "\n".join(lines)

    def clock(item: dict) -> str:
        if not item["serious"]:
            return gettext("no clock (not serious)")
        due, reported = gettext("Due"), gettext("Reported")
        lines = [f"{due}: {when(item['report_due_at'])}"]
        if item["sponsor_reported_at"]:
            lines.append(f"{reported}: {when(item['sponsor_reported_at'])}")
            lines.append(f"{item['sponsor_reported_by']}")
            if item["reported_late"]:
                lines.append(gettext("late"))
        elif item["overdue"]:
            lines.append(gettext("overdue"))
        else:
            lines.append(gettext("not yet reported"))
        return "\n".join(lines)

    def recorded(item: dict) -> str:
        return f"{when(item['recorded_at'])}\n{item['recorded_by']} ({role_word(item['recorded_by_role'])})"

    columns = [
        gettext("Adverse event"), gettext("About"), gettext("Onset and end"), gettext("What happened"),
        gettext("CTCAE grade"), gettext("Serious"), gettext("Action taken"), gettext("Causality and outcome"),
        gettext("Sponsor clock"), gettext("Recorded"),
    ]  # fmt: skip
    rows = [
        [i["ae_id"], where(i), times(i), i["description"], str(i["grade"]), seriousness(i), actions(i),
         assessment(i), clock(i), recorded(i)]
        for i in items
    ]  # fmt: skip
    sections = [
        Section(gettext("Serious and not serious"), [gettext("Adverse events"), gettext("Count")],
                by_seriousness, (80, 30)),
        Section(gettext("By CTCAE grade"),
                [gettext("CTCAE grade"), gettext("Serious"), gettext("Not serious"), gettext("All")],
                by_grade, (30, 30, 30, 30)),
        Section(gettext("Adverse events (by participant, then onset)"), columns, rows,
                (28, 40, 30, 36, 12, 28, 26, 28, 26, 19)),
    ]  # fmt: skip
    details = [
        (gettext("Study"), study_name(report_reader())),
        (gettext("Generated"), f"{when(report['generated_at'])} · {report['generated_by']}"),
        (gettext("Adverse events"), str(len(items))),
    ]
    pdf = render_report(gettext("Adverse event listing"), provenance, sections, wide=True,
                        words=report_words(), details=details, signature=True)  # fmt: skip
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = "inline; filename=adverse-events.pdf"
    return response
