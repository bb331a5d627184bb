"""Property: the study definition loader, given any mutation of the shipped definition, either returns a
definition or raises marshmallow's ValidationError, never any other exception."""

from __future__ import annotations

import copy
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from tracker.studies.definition import StudyDefinition, parse_definition
from tracker.studies.services import read_definition_file

SHIPPED = read_definition_file("umsis")

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**300, max_value=10**400)  # beyond a float
    | st.floats()  # NaN and infinities too
    | st.text(max_size=20)
    | st.sampled_from(["<", ">=", "number", "word", "ucmsc", "placebo", "A", "active", "", "1e999", "NaN"])
)
json_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3),
    max_leaves=6,
)


def _keys_of(document: Any) -> list[str]:
    """Every key in the document, so that added keys are often ones the schema knows, in the wrong place."""
    if isinstance(document, dict):
        return [*document, *(k for v in document.values() for k in _keys_of(v))]
    if isinstance(document, list):
        return [k for v in document for k in _keys_of(v)]
    return []


KNOWN_KEYS = sorted(set(_keys_of(SHIPPED)))


@st.composite
def mutated_definitions(draw: st.DrawFn) -> Any:
    document = copy.deepcopy(SHIPPED)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        document = _mutate(draw, document)
    return document


def _same_kind(value: Any) -> st.SearchStrategy:
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.integers(min_value=-10, max_value=10**6)
    if isinstance(value, float):
        return st.floats() | st.floats(min_value=-1, max_value=1e9)
    if isinstance(value, str):
        return st.sampled_from([value.upper(), value + value, value[:1], "x" * 41]) | st.text(max_size=8)
    return json_values


def _mutate(draw: st.DrawFn, node: Any) -> Any:
    """Replace, delete, add or duplicate somewhere at or below `node`; returns the new node."""
    containers = isinstance(node, dict | list) and len(node) > 0
    if containers and draw(st.integers(min_value=0, max_value=4)) > 0:  # mostly deep, where the checks are
        key = draw(st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node))))
        node[key] = _mutate(draw, node[key])
        return node
    action = draw(st.sampled_from(["replace", "delete", "add", "duplicate"]))
    if not isinstance(node, dict | list) and draw(st.booleans()):
        return draw(_same_kind(node))  # a plausible value: bounds, patterns and consistency get tested
    if action == "replace" or not isinstance(node, dict | list):
        return draw(json_values)
    if action == "delete" and node:
        key = draw(st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node))))
        del node[key]
    elif action == "add" and isinstance(node, dict):
        node[draw(st.sampled_from(KNOWN_KEYS) | st.text(max_size=8))] = draw(json_values)
    elif action == "duplicate" and isinstance(node, list) and node:
        node.append(copy.deepcopy(node[draw(st.integers(min_value=0, max_value=len(node) - 1))]))
    else:
        node = draw(json_values)
    return node


def test_the_shipped_definition_loads():
    assert isinstance(parse_definition(copy.deepcopy(SHIPPED)), StudyDefinition)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_definitions())
def test_any_mutation_of_the_definition_loads_or_is_refused_with_a_validation_error(document):
    try:
        loaded = parse_definition(document)
    except ValidationError as exc:
        messages = exc.messages
    else:
        messages = None
    if messages is not None:
        assert messages  # the refusal names what is wrong
        return
    assert isinstance(loaded, StudyDefinition)
    # What loads is usable: every number is finite and every arm's material has its QC tests.
    for value in (loaded.target_viable_cells, loaded.final_volume_ml, loaded.min_viability_percent):
        assert math.isfinite(value)
    assert {arm.material for arm in loaded.arms} <= set(loaded.qc_tests)
