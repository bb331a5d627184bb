"""Page forms: typed like the API's JSON, validated by the same marshmallow schemas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from flask_babel import gettext
from marshmallow import Schema, ValidationError

from tracker.errors import DomainError
from tracker.text import control_character_problems
from tracker.web.filters import site_zone
from tracker.web.problems import refusal_sentence


class FormRefused(Exception):
    """A form whose fields the schema refused; shown on the page like a domain error."""

    code = "validation_failed"

    def __init__(self, message: str, status: int, details: dict) -> None:
        super().__init__(message)
        self.message, self.status, self.details = message, status, details


def form_data(
    form: Any, names: Iterable[str], *, time_fields: Iterable[str] = (), integer_fields: Iterable[str] = ()
) -> dict[str, Any]:
    """The filled-in fields of a form, typed as the API's JSON would be: empty means absent, a
    datetime-local is read in the site's zone, whole numbers become integers."""
    time_fields, integer_fields = set(time_fields), set(integer_fields)
    data: dict[str, Any] = {}
    for name in names:
        value = (form.get(name) or "").strip()
        if not value:
            continue
        if name in time_fields:
            try:
                parsed = dt.datetime.fromisoformat(value)
            except ValueError:
                data[name] = value  # the schema names it
                continue
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=site_zone())
            data[name] = parsed.isoformat()
        elif name in integer_fields and value.lstrip("-").isdigit():
            data[name] = int(value)
        else:
            data[name] = value
    return data


def load_form(schema: type[Schema], data: dict[str, Any]) -> dict[str, Any]:
    problems = control_character_problems(data)
    if problems:
        raise FormRefused(gettext("Some fields are missing or invalid"), 422, problems)
    try:
        return schema().load(data)
    except ValidationError as exc:
        raise FormRefused(gettext("Some fields are missing or invalid"), 422, exc.messages) from None


def refusal(exc: DomainError | FormRefused) -> tuple[str, int, dict]:
    """The refusal's sentence in the reader's language, its status and its details (labelled by the page)."""
    return refusal_sentence(exc), exc.status, exc.details
