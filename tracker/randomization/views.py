"""The statistician's list pages: status (codes used per stratum, commitments), generate, import, export."""

from __future__ import annotations

import base64
from typing import Any

from flask import Blueprint, g, render_template, request
from flask_babel import gettext

from tracker.errors import DomainError, Invalid
from tracker.randomization import services
from tracker.randomization.responses import csv_download, list_id_of
from tracker.web.context import reader, uow
from tracker.web.guard import requires

bp = Blueprint("randomization_pages", __name__)


def _page(status: int = 200, **context: Any) -> tuple[str, int]:
    context.setdefault("form", {})
    lists = services.list_status(reader(), g.actor)
    return render_template("randomization/status.html", lists=lists, **context), status


@bp.get("/randomization")
@requires("statistician", trial_wide=True)
def status():
    return _page()


def _whole_number(form: dict[str, str], field: str, problems: dict[str, list[str]]) -> int:
    text = form[field]
    if not text.isdigit() or len(text) > 19:
        problems[field] = [gettext("give a whole number, zero or more")]
        return 0
    return int(text)


@bp.post("/randomization/generate")
@requires("statistician", trial_wide=True)
def generate():
    form = {key: request.form.get(key, "").strip() for key in ("seed", "per_stratum", "block_sizes")}
    problems: dict[str, list[str]] = {}
    seed = _whole_number(form, "seed", problems)
    per_stratum = _whole_number(form, "per_stratum", problems)
    try:
        block_sizes = [int(part) for part in form["block_sizes"].split(",") if part.strip()]
    except ValueError:
        problems["block_sizes"] = [gettext("give whole numbers separated by commas, e.g. 2,4")]
        block_sizes = []
    try:
        if problems:
            raise Invalid(gettext("The list cannot be generated"), details=problems)
        summary = services.generate_list(uow(), g.actor, seed, per_stratum, block_sizes)
    except DomainError as exc:
        # The seed is never echoed back into the page.
        return _page(exc.status, error=exc, form={**form, "seed": ""})
    done = gettext(
        "List %(list)s generated: %(count)s codes.", list=summary.list_id, count=summary.code_count
    )
    return _page(done=done, done_list=summary)


@bp.post("/randomization/import")
@requires("statistician", trial_wide=True)
def import_list():
    """Two steps: the file is first read and previewed (rows and arms per stratum, every problem by line);
    the statistician then commits exactly the file previewed, carried in the form."""
    try:
        if request.form.get("step") == "commit":
            data = _previewed_file(request.form.get("list_data", ""))
            summary = services.import_list(uow(), g.actor, data)
        else:
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                raise Invalid(
                    gettext("Choose the list file to import"), details={"file": [gettext("missing")]}
                )
            data = upload.read(services.MAX_LIST_BYTES + 1)
            preview = services.preview_list(reader(), data)
            return _page(
                200 if preview.importable else 422, preview=preview, file_name=upload.filename,
                list_data=base64.b64encode(data).decode("ascii"),
            )  # fmt: skip
    except DomainError as exc:
        return _page(exc.status, error=exc)
    done = gettext("List %(list)s imported: %(count)s codes.", list=summary.list_id, count=summary.code_count)
    return _page(done=done, done_list=summary)


def _previewed_file(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        missing = {"file": [gettext("missing")]}
        raise Invalid(gettext("The previewed file was lost: choose it again"), details=missing) from None


@bp.get("/randomization/lists/<list_id>/export.csv")
@requires("statistician", trial_wide=True)
def export(list_id: str):
    number = list_id_of(list_id)
    return csv_download(services.export_list(uow(), g.actor, number), number)
