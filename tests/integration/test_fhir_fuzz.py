"""Hypothesis fuzzes the FHIR routes, which the OpenAPI document does not describe (their capability statement
does) and test_api_fuzz.py therefore does not reach: random and hostile IDs in every path, random values of
every search parameter and unknown ones, as each role that may read FHIR. No answer is a 5xx, and every answer
is FHIR JSON that R5's models accept: the resource asked for (or a Bundle), or an OperationOutcome with a 4xx.
Redirects are followed, as a FHIR client follows them (werkzeug merges a doubled slash with a 308).
FUZZ_EXAMPLES raises the number of examples for a longer run, as for the API's fuzz."""

from __future__ import annotations

import os
from urllib.parse import quote, urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.test_fhir import READERS, _reader, _validated, infused  # noqa: F401 - the fixture

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
DERANDOMIZE = "FUZZ_EXAMPLES" not in os.environ
FUZZ = settings(
    max_examples=EXAMPLES, derandomize=DERANDOMIZE, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip

PATHS = (
    "/fhir/Patient/{}",
    "/fhir/Patient/{}/$everything",
    "/fhir/BiologicallyDerivedProduct/{}",
    "/fhir/BiologicallyDerivedProductDispense/{}",
    "/fhir/MedicationAdministration/{}",
    "/fhir/Provenance/{}",
)
SEARCHES = ("/fhir/BiologicallyDerivedProductDispense", "/fhir/MedicationAdministration", "/fhir/Provenance")
HOSTILE = (
    "", " ", "..", "../metadata", "%00", "' OR '1'='1", "P-001; DROP TABLE bags", "A" * 500, "\u202e",
    "audit-0", "audit--1", "audit-9" + "9" * 30, "B2222222222L-issue-0", "P-001/$everything",
)  # fmt: skip
DATE_PREFIXES = ("", "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap", "xx")


def _ids(trial) -> st.SearchStrategy[str]:
    """Real IDs of the trial's records (so some requests reach past the 404), hostile ones, random text."""
    known = [trial.stories[arm][key] for arm in trial.stories for key in ("participant_id", "bag_id")]
    known += [trial.stories[arm]["infusion_id"] for arm in trial.stories]
    known += [f"{trial.stories['active']['bag_id']}-issue-1", trial.stories["active"]["scan_id"], "audit-1"]
    return st.one_of(st.sampled_from(known + list(HOSTILE)), st.text(max_size=60))


def _dates() -> st.SearchStrategy[str]:
    iso = st.datetimes().map(lambda when: when.isoformat())
    days = st.dates().map(str)
    return st.one_of(
        st.builds(lambda prefix, value: prefix + value, st.sampled_from(DATE_PREFIXES), st.one_of(iso, days)),
        st.text(max_size=30),
    )


def _check(response) -> None:  # noqa: ANN001
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    body = _validated(response)  # FHIR JSON that R5 accepts, whatever the status
    if response.status_code >= 400:
        assert body["resourceType"] == "OperationOutcome", body
    else:
        assert body["resourceType"] != "OperationOutcome", body


@FUZZ
@given(data=st.data())
def test_reads_by_id_answer_a_resource_or_an_operation_outcome_never_a_5xx(infused, data):  # noqa: F811
    role = data.draw(st.sampled_from(READERS), label="role")
    path = data.draw(st.sampled_from(PATHS), label="path")
    value = data.draw(_ids(infused), label="id")
    _check(_reader(infused, role).get(path.format(quote(value, safe="")), follow_redirects=True))


@FUZZ
@given(data=st.data())
def test_searches_answer_a_bundle_or_an_operation_outcome_never_a_5xx(infused, data):  # noqa: F811
    role = data.draw(st.sampled_from(READERS), label="role")
    route = data.draw(st.sampled_from(SEARCHES), label="route")
    query = data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(("patient", "date", "_count", "status", "patient:exact", "_id")),
                st.one_of(_ids(infused), _dates(), st.integers(-5, 10**12).map(str)),
            ),
            max_size=4,
        ),
        label="query",
    )
    _check(_reader(infused, role).get(f"{route}?{urlencode(query)}", follow_redirects=True))
