"""Stock pages: the issue of kits from the GMP lab's store (gmp, pharmacist), the issued kits (every reader of
lots: when and what, nothing of the pharmacy's use) and the pharmacy's stock (the pharmacist, unblinded)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template, request

from tracker.errors import DomainError
from tracker.lots.containers import issue_choices
from tracker.lots.rules import LOT_NUMBER_PATTERN
from tracker.stock import services
from tracker.stock.schemas import IssueRequest, NextKitsRequest
from tracker.translation import N_
from tracker.web.context import reader, uow
from tracker.web.forms import FormRefused, form_data, load_form
from tracker.web.guard import requires
from tracker.web.pages import WORKSPACES

bp = Blueprint("stock_pages", __name__)

READERS = ("gmp", "qa", "pharmacist")
ISSUERS = ("gmp", "pharmacist")
WORKSPACES.extend(
    [
        (N_("Issue kits to the pharmacy"), "stock_pages.issue", ISSUERS),
        (N_("Issued kits"), "stock_pages.kits", READERS),
        (N_("Pharmacy stock"), "stock_pages.pharmacy_stock", ("pharmacist",)),
    ]
)


@bp.get("/kits")
@requires(*READERS)
def kits():
    return render_template("stock/kits.html", kits=services.issued_kits(reader()))


def _problems(exc: DomainError | FormRefused) -> list[str]:
    """What a refusal lists beyond its sentence: each container refused, or each field's complaint."""
    details = exc.details or {}
    if isinstance(details.get("containers"), list) and len(details["containers"]) > 1:
        return [p["message"] for p in details["containers"]]
    if isinstance(exc, FormRefused):
        return [
            f"{field}: {message}"
            for field, messages in details.items()
            for message in (messages if isinstance(messages, list) else [messages])
            if isinstance(message, str)
        ]
    return []


def _issue(form: Any) -> dict[str, Any]:
    location = form.get("location", "")
    if form.get("mode") == "next":
        lots = {key[len("lot_") :]: value for key, value in form.items() if key.startswith("lot_") and value}
        data = {**form_data(form, ("kits",), integer_fields=("kits",)), "lots": lots, "location": location}
        body = load_form(NextKitsRequest, data)
        return services.issue_next_kits(uow(), g.actor, body["lots"], body["kits"], body["location"])
    ids = [value.strip() for value in form.getlist("container_ids") if value.strip()]
    body = load_form(IssueRequest, {"container_ids": ids, "location": location})
    return services.issue_kits(uow(), g.actor, body["container_ids"], body["location"])


@bp.route("/kits/issue", methods=["GET", "POST"])
@requires(*ISSUERS)
def issue():
    error, problems, issued, status = None, [], None, 200
    if request.method == "POST":
        try:
            issued = _issue(request.form)
        except (DomainError, FormRefused) as exc:
            error, problems, status = exc, _problems(exc), exc.status
    back = request.values.get("back", "")
    return render_template(
        "stock/issue.html",
        choices=issue_choices(reader(), g.actor),
        form=request.form if error else {},
        error=error,
        problems=problems,
        issued=issued,
        back=back if LOT_NUMBER_PATTERN.fullmatch(back) else None,
    ), status


@bp.get("/pharmacy/stock")
@requires("pharmacist")
def pharmacy_stock():
    return render_template("stock/pharmacy.html", stock=services.pharmacy_stock(reader()))
