"""Randomization lists for the statistician: generate, import a CSV, and their status."""

from __future__ import annotations

from flask import g, request

from tracker.errors import DomainError, Invalid
from tracker.randomization import services
from tracker.randomization.responses import csv_download, list_id_of
from tracker.randomization.schemas import GenerateRequest, ListOut, ListPage, ListPreviewOut
from tracker.web.api import answer, api_blueprint, endpoint
from tracker.web.context import reader, uow

bp = api_blueprint("randomization_api", __name__)


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"


@endpoint(bp, "/randomization/lists", "POST", roles=("statistician",), trial_wide=True,
          summary="Generate a stratified permuted-block list", body=GenerateRequest,
          answers={201: ListOut})  # fmt: skip
def generate(body: dict):
    summary = services.generate_list(uow(), g.actor, body["seed"], body["per_stratum"], body["block_sizes"])
    return answer(ListOut(), summary, 201)


def _uploaded_bytes() -> bytes:
    if request.content_length and request.content_length > services.MAX_LIST_BYTES + 64 * 1024:
        raise services.ListTooLarge("The list file is too large: nothing was stored")
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise Invalid("Send the list as the form field 'file'", details={"file": ["missing"]})
        return upload.read(services.MAX_LIST_BYTES + 1)
    if request.mimetype != "text/csv":
        raise UnsupportedMediaType("Send the list as text/csv or as multipart/form-data with a field 'file'")
    return request.get_data(cache=False)


@endpoint(bp, "/randomization/lists/import", "POST", roles=("statistician",), trial_wide=True,
          summary="Import a list (CSV: randomization_code,stratum,arm; text/csv body or multipart 'file')",
          answers={201: ListOut})  # fmt: skip
def import_list():
    summary = services.import_list(uow(), g.actor, _uploaded_bytes())
    return answer(ListOut(), summary, 201)


@endpoint(bp, "/randomization/lists/preview", "POST", roles=("statistician",), trial_wide=True,
          summary="Read a list file as the import would, without storing it: rows and arms per stratum, "
          "every problem by line (same body as the import)", answers={200: ListPreviewOut})  # fmt: skip
def preview_list():
    return answer(ListPreviewOut(), services.preview_list(reader(), _uploaded_bytes()))


@endpoint(bp, "/randomization/lists", "GET", roles=("statistician",), trial_wide=True,
          summary="Lists: commitment, salt, codes used per stratum and arm counts",
          answers={200: ListPage})  # fmt: skip
def lists():
    return answer(ListPage(), {"items": services.list_status(reader(), g.actor)})


@endpoint(bp, "/randomization/lists/<list_id>/export.csv", "GET", roles=("statistician",), trial_wide=True,
          summary="A list with its arms as CSV (randomization_code,stratum,arm), for `randomization verify`; "
          "audited", answers={200: "text/csv"})  # fmt: skip
def export_list(list_id: str):
    number = list_id_of(list_id)
    return csv_download(services.export_list(uow(), g.actor, number), number)
