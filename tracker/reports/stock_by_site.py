"""Stock by site and lot (issue 23): for each site and each lot with containers there, where its
containers are, its disposition, its expiry and the days left, as JSON, CSV and a page with a picture (an
SVG drawn on the server). Blinded readers count only what nothing the pharmacy does can change
(tracker/stock/services.py); the pharmacist also reads what became of the containers in the pharmacy. The
lots and containers are read with ordinary ORM reads: a person bound to sites gets their sites only, a
person of the whole trial all."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g
from flask_babel import gettext
from markupsafe import Markup

from tracker.audit.provenance import csv_response
from tracker.audit.services import read_chain_head
from tracker.reports.stock_chart import stock_svg
from tracker.stock import rules as stock_rules
from tracker.stock import services as stock
from tracker.translation import N_
from tracker.web.context import reader

# Who plans supply from it: the GMP lab, QA (the sponsor's and a site's) and the pharmacy; as the lot pages.
STOCK_REPORT_ROLES = ("gmp", "qa", "pharmacist")

COUNT_WORDS = {
    "in_store": N_("In the GMP lab's store"),
    "shipped": N_("Shipped, not issued"),
    "in_pharmacy": N_("In the pharmacy"),
    "discarded_in_lab": N_("Discarded before issue"),
    "issued": N_("In the pharmacy's stock"),
    "thawed": N_("Thawed"),
    "used": N_("Used"),
    "discarded_in_pharmacy": N_("Discarded in the pharmacy"),
}
SHORT_COUNT_WORDS = {
    "in_store": N_("store %(count)s"),
    "shipped": N_("shipped %(count)s"),
    "in_pharmacy": N_("pharmacy %(count)s"),
    "issued": N_("in stock %(count)s"),
}
BAND_WORDS = {
    "expired": N_("Expired"),
    "under_30_days": N_("Under 30 days"),
    "under_90_days": N_("Under 90 days"),
    "beyond_90_days": N_("90 days or more"),
}
DISPOSITION_WORDS = {
    "quarantine": N_("Quarantine"), "released": N_("Released"), "rejected": N_("Rejected"),
    "recalled": N_("Recalled"), "released_results_pending": N_("Released, results pending"),
    "released_result_failed": N_("Released, late result failed"),
}  # fmt: skip
CSV_COLUMNS = [
    "site_code", "site_name", "lot_number", "material", "disposition", "usable", "expires_at",
    "days_to_expiry", "expiry_band",
]  # fmt: skip


def stock_report() -> dict[str, Any]:
    report = stock.stock_by_site(reader(), g.actor, current_app.config["SITE_TIMEZONE"])
    return {**report, "generated_by": g.actor.username}


def stock_csv_response() -> Response:
    """One row per site and lot; the count columns are the reader's (blinded or the pharmacist's)."""
    head = read_chain_head(reader())
    report = stock_report()
    rows = [
        {
            "site_code": site["site_code"],
            "site_name": site["site_name"],
            "lot_number": lot["lot_number"],
            "material": lot["material"],
            "disposition": lot["disposition"],
            "usable": "yes" if lot["usable"] else "no",
            "expires_at": lot["expires_at"].isoformat(),
            "days_to_expiry": lot["days_to_expiry"],
            "expiry_band": lot["expiry_band"],
            **lot["counts"],
            "total": lot["total"],
        }  # fmt: skip
        for site in report["sites"]
        for lot in site["lots"]
    ]
    columns = [*CSV_COLUMNS, *report["count_names"], "total"]
    return csv_response(columns, rows, "stock-by-site.csv", g.actor, head)


def _counts_text(counts: dict[str, int], unblinded: bool) -> str:
    shown = ("in_store", "shipped", "issued" if unblinded else "in_pharmacy")
    return " · ".join(gettext(SHORT_COUNT_WORDS[name], count=counts[name]) for name in shown)


def stock_chart(report: dict[str, Any]) -> Markup:
    words = {
        "title": gettext("Stock by site and lot: days to expiry"),
        "desc": gettext(
            "One bar per lot and site, as long as the days left to the lot's expiry, coloured by band; the "
            "counts of its containers beside it."
        ),
        "empty": gettext("No container at this site"),
        "days": gettext("%(days)s days"),
        "expired_ago": gettext("expired %(days)s days ago"),
        "expired_today": gettext("expired today"),
        "axis": gettext("Days to expiry"),
        **{band: gettext(word) for band, word in BAND_WORDS.items()},
    }
    sites = [
        {**site, "lots": [
            {**lot, "material_word": gettext(stock_rules.material_word(lot["material"])),
             "counts_text": _counts_text(lot["counts"], report["unblinded"])}
            for lot in site["lots"]
        ]}
        for site in report["sites"]
    ]  # fmt: skip
    return Markup(stock_svg(sites, words))  # noqa: S704 - drawn here, every text in it escaped
