"""Schemathesis fuzzes every operation of /api/v1/openapi.json in process, through the WSGI app, with a bearer
token of each role the operation admits: no answer may be a 5xx, and every answer must match its documented
schema and media type. Both schema-valid and schema-breaking requests are sent; path parameters are random
or name records that exist. FUZZ_EXAMPLES raises the number of examples per operation for a longer run."""

from __future__ import annotations

import os
import re
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import PASSWORD
from tests.lots_support import passing_lot
from tests.pharmacy_support import build_trial
from tests.sites_support import add_site
from tests.ward_support import ready_bag, start

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
DERANDOMIZE = "FUZZ_EXAMPLES" not in os.environ  # CI repeats one run; a longer run explores
GUARD_CODES = {"missing_token", "invalid_token", "wrong_role", "account_disabled"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _roles(operation: Any) -> tuple[str, ...]:
    found = re.match(r"Roles: (.*)\.$", operation.definition.raw.get("description", ""))
    return tuple(found.group(1).split(", ")) if found else ()


def _known_records(login: Any, runner: Any, tmp_path: Any) -> dict[str, str]:
    """One record of each kind a path names, so that some requests reach past the 404."""
    trial = build_trial(login, runner, tmp_path)
    add_site(login, "SITE-02")
    passing_lot(trial.gmp, "UC-0002")  # one lot still in quarantine
    thaw = trial.thaw()
    (participant, code), *_ = trial.of_arm("placebo")
    bag = trial.prepare(code, "placebo")
    infused = ready_bag(trial, "active")
    infusion = start(trial, infused["bag_id"], infused["participant_id"]).json
    deviation = trial.qa.post(
        "/api/v1/deviations",
        json={"title": "t", "description": "d", "category": "other", "bag_id": bag["bag_id"]},
    ).json
    adverse_event = trial.nurse.post(
        f"/api/v1/infusions/{infusion['infusion_id']}/adverse-events",
        json={"onset_at": infusion["started_at"], "description": "Flushing", "grade": 3, "serious": True,
              "seriousness_criteria": ["hospitalisation"], "actions_taken": ["infusion_slowed"]},
    ).json  # fmt: skip
    unit = trial.gmp.post(
        "/api/v1/storage-units",
        json={"unit_id": "LN2-01", "name": "Main", "kind": "ln2_freezer", "location": "GMP lab"},
    ).json
    kit = []
    for lot, material in (("UC-SHIP", "ucmsc"), ("VEH-SHIP", "placebo")):
        kit.append(passing_lot(trial.gmp, lot, material)["containers"][0]["container_id"])
        trial.qa.post(f"/api/v1/lots/{lot}/release", json={"password": PASSWORD, "meaning": "ok"})
    shipment = trial.gmp.post(
        "/api/v1/shipments", json={"destination_site": "site-02", "container_ids": kit}
    ).json
    return {
        "lot_number": "UC-0002", "container_id": trial.cell_containers[0], "participant_id": participant,
        "code": "SITE-02",
        "thaw_id": thaw["thaw_id"], "bag_id": bag["bag_id"], "list_id": "1",
        "infusion_id": infusion["infusion_id"], "username": login("qa").username,
        "deviation_id": deviation["deviation_id"], "ae_id": adverse_event["ae_id"],
        "unit_id": unit["unit_id"], "shipment_id": shipment["shipment_id"],
    }  # fmt: skip


def _fuzz(operation: Any, mode: GenerationMode, known: dict[str, str], token_for: Any) -> set[str]:
    roles = _roles(operation) or ("public",)
    path_names = re.findall(r"\{([a-z_]+)\}", operation.path)
    strategies = [operation.as_strategy(mode)]
    if path_names:
        fixed = {name: known[name] for name in path_names}
        strategies.append(operation.as_strategy(mode, path_parameters=fixed))
    revokes = operation.method.upper() == "DELETE"
    outcomes: set[str] = set()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=DERANDOMIZE,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies), role=st.sampled_from(roles))
    def call(case: Any, role: str) -> None:
        # Negative cases may leave the token out on purpose (schemathesis then drops this header too).
        headers = {} if role == "public" else {"Authorization": f"Bearer {token_for(role, fresh=revokes)}"}
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        error = response.json().get("error", {}) if response.status_code >= 400 else {}
        outcomes.add(error.get("code", str(response.status_code)))

    call()
    return outcomes


def test_no_api_operation_answers_5xx_or_breaks_its_documented_schema(app, login, runner, tmp_path):
    known = _known_records(login, runner, tmp_path)
    tokens: dict[str, str] = {}

    def token_for(role: str, fresh: bool) -> str:
        # Revoking signs out, so that operation gets a fresh token every time, kept by no one else.
        if fresh:
            return login(role).token
        if role not in tokens:
            tokens[role] = login(role).token
        return tokens[role]

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    failures, answered = [], {}
    for operation in operations:
        for mode in GenerationMode:
            label = f"{operation.method.upper()} {operation.path} ({mode.value})"
            try:
                answered[label] = _fuzz(operation, mode, known, token_for)
            except Exception as exc:  # noqa: BLE001 - collected so that one run reports every operation
                failures.append(f"{label}: {exc}")
    assert not failures, "\n\n".join(failures)
    # The tokens worked: every route answered some schema-valid request itself, not only its guard.
    for label, outcomes in answered.items():
        if label.endswith("(positive)"):
            assert outcomes - GUARD_CODES, f"{label} answered only {outcomes}"
