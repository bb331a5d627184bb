"""The JSON API's plumbing: one decorator declares a route's roles and schemas, parses and documents it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, current_app, jsonify, request
from marshmallow import Schema, fields

from tracker.errors import DomainError, Invalid
from tracker.fields import ErrorDetail, ScannerText
from tracker.text import control_character_problems, scanner_text
from tracker.translation import N_
from tracker.web.guard import requires


class MalformedJson(DomainError):
    status = 400
    code = "malformed_json"


class NotJson(DomainError):
    status = 415
    code = "unsupported_media_type"


# Deeper JSON than any of our bodies needs is refused before a validator walks it (recursion).
MAX_JSON_DEPTH = 64


# A schema, a media type, nothing, or an OpenAPI schema object such as {"oneOf": [SchemaA, SchemaB]}.
Answer = type[Schema] | str | dict[str, Any] | None


@dataclass
class RouteDoc:
    blueprint: Blueprint
    rule: str
    method: str
    roles: tuple[str, ...]
    summary: str
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    answers: dict[int, Answer] = field(default_factory=dict)
    body_required: bool = True


ROUTES: list[RouteDoc] = []


def load_body(schema: type[Schema] | Schema) -> dict[str, Any]:
    """The JSON body, checked before the schema sees it: a JSON media type (415), parseable and at most
    MAX_JSON_DEPTH deep (400), an object, and no control characters but tab and newline in any text (422;
    scanner fields are first stripped of the spaces, CR and LF around them)."""
    text = request.get_data(as_text=True)
    if not text.strip():
        raw: Any = {}
    elif not request.is_json:
        raise NotJson("Send the body as JSON with the header Content-Type: application/json")
    else:
        raw = _parse_json(text)
    if not isinstance(raw, dict):
        raise Invalid(
            "The request body must be a JSON object", details={"_schema": ["must be a JSON object"]}
        )
    instance = _instance(schema)
    for name, declared in instance.fields.items():
        key = declared.data_key or name
        if isinstance(declared, ScannerText) and isinstance(raw.get(key), str):
            raw[key] = scanner_text(raw[key])
    problems = control_character_problems(raw)
    if problems:
        raise Invalid(N_("Some fields hold control characters"), details=problems)
    return instance.load(raw)


def _parse_json(text: str) -> Any:
    try:
        raw = json.loads(text)
    except RecursionError:
        raise MalformedJson(f"The JSON is nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError:
        raise MalformedJson("The request body is not valid JSON") from None
    if _depth(raw) > MAX_JSON_DEPTH:
        raise MalformedJson(f"The JSON is nested deeper than {MAX_JSON_DEPTH} levels")
    return raw


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def load_query(schema: type[Schema] | Schema) -> dict[str, Any]:
    """The query string as the schema's input: every repeated value of a List field (`?id=A&id=B`), the
    first value of any other parameter (control characters are refused before: web/security.py)."""
    instance = _instance(schema)
    lists = {
        field.data_key or name for name, field in instance.fields.items() if isinstance(field, fields.List)
    }
    raw = {key: request.args.getlist(key) if key in lists else request.args[key] for key in request.args}
    return instance.load(raw)


def _instance(schema: type[Schema] | Schema) -> Schema:
    return schema() if isinstance(schema, type) else schema


def endpoint(
    bp: Blueprint,
    rule: str,
    method: str,
    *,
    roles: tuple[str, ...],
    summary: str,
    body: type[Schema] | None = None,
    query: type[Schema] | None = None,
    answers: dict[int, Answer] | None = None,
    body_required: bool = True,
    before_password_change: bool = False,
    trial_wide: bool = False,
) -> Callable:
    """Register `rule` on `bp`: the guard runs first, then the body and query are validated into kwargs.

    With `body_required=False` the body may be left out, and is then read as `{}`. `before_password_change`
    opens the route to a user who has not yet replaced a one-time password."""

    def decorate(view: Callable) -> Callable:
        # One schema instance per route: making one copies every declared field; loading keeps no state in it.
        body_schema = body() if body is not None else None
        query_schema = query() if query is not None else None

        @wraps(view)
        def handler(**kwargs: Any) -> Any:
            if body_schema is not None:
                kwargs["body"] = load_body(body_schema)
            if query_schema is not None:
                kwargs["query"] = load_query(query_schema)
            return view(**kwargs)

        guarded = requires(*roles, before_password_change=before_password_change, trial_wide=trial_wide)(
            handler
        )
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=guarded, methods=[method])
        ROUTES.append(RouteDoc(bp, rule, method, roles, summary, body, query, answers or {}, body_required))
        return guarded

    return decorate


def answer(schema: Schema, obj: Any, status: int = 200) -> tuple[Any, int]:
    return jsonify(schema.dump(obj)), status


class ErrorBody(Schema):
    """Every error answers {"error": {"code", "message", "details"}}."""

    error = fields.Nested(ErrorDetail, required=True)


def api_blueprint(name: str, import_name: str) -> Blueprint:
    """A feature's API blueprint, mounted under /api/v1."""
    return Blueprint(name, import_name, url_prefix="/api/v1")


def _openapi_path(prefix: str, rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", prefix + rule)


def build_openapi() -> dict[str, Any]:
    spec = APISpec(
        title="Cell therapy chain-of-custody tracker",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("ErrorBody", schema=ErrorBody)
    paths: dict[str, dict[str, Any]] = {}
    for doc in ROUTES:
        path = _openapi_path(doc.blueprint.url_prefix or "", doc.rule)
        operation: dict[str, Any] = {"summary": doc.summary, "responses": {}}
        operation["description"] = (
            f"Roles: {', '.join(doc.roles)}." if doc.roles else "No authentication needed."
        )
        if doc.roles:
            operation["security"] = [{"bearer": []}]
        params = [
            {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"\{([a-z_]+)\}", path)
        ]
        if doc.query is not None:
            params.append({"in": "query", "schema": doc.query})
        if params:
            operation["parameters"] = params
        if doc.body is not None:
            operation["requestBody"] = {
                "required": doc.body_required,
                "content": {"application/json": {"schema": doc.body}},
            }
        for status, schema in (doc.answers or {200: None}).items():
            if isinstance(schema, str):
                operation["responses"][str(status)] = {"description": "OK", "content": {schema: {}}}
            elif schema is None:
                operation["responses"][str(status)] = {"description": "OK"}
            else:
                operation["responses"][str(status)] = {
                    "description": "OK",
                    "content": {"application/json": {"schema": schema}},
                }
        error = {"description": "Error", "content": {"application/json": {"schema": "ErrorBody"}}}
        operation["responses"]["default"] = error
        paths.setdefault(path, {})[doc.method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def openapi_document() -> dict[str, Any]:
    cache = current_app.extensions.setdefault("openapi", {})
    if "doc" not in cache:
        cache["doc"] = build_openapi()
    return cache["doc"]
