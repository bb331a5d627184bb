"""Every action and field the code records in the audit trail has its words (tracker/audit/wording.py): a new
one cannot reach the audit page or its PDF untranslated. The code is read, not run: each `record_event`
call's action and the keys of the before and after it writes, and the tables of moves that name actions."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from tracker.audit.checkpoints import CHECKPOINT_ACTION
from tracker.audit.wording import (
    ACTION_WORDS,
    FIELD_LABELS,
    REFUSAL_WORDS,
    SOURCE_STEPS,
    SOURCE_WORDS,
    field_label,
    value_word,
)
from tracker.custody.rules import BAG_MOVES, CONTAINER_MOVES
from tracker.lots.rules import SIGNATURE_MOVES
from tracker.randomization.services import _ACTIONS as LIST_ACTIONS
from tracker.ward.rules import REFUSAL_MESSAGES

TRACKER = Path(__file__).resolve().parents[2] / "tracker"
# Actions a call computes: account changes (users/services.py) and a quarantine decision (handoffs.py).
COMPUTED_ACTIONS = {"enable", "disable", "update", "quarantine_release", "quarantine_destroy"}


@cache
def _record_event_calls() -> list[tuple[str, ast.Call]]:
    calls = []
    for path in TRACKER.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "record_event":
                calls.append((f"{path.relative_to(TRACKER)}:{node.lineno}", node))
    return calls


def _literal_keys(node: ast.AST) -> set[str]:
    """The string keys of the dict literals in an expression, nested ones too."""
    return {
        key.value
        for inner in ast.walk(node)
        if isinstance(inner, ast.Dict)
        for key in inner.keys
        if isinstance(key, ast.Constant) and isinstance(key.value, str)
    }


def test_the_code_records_events_the_test_can_find():
    assert len(_record_event_calls()) > 20


def test_every_action_recorded_has_words():
    named = {CHECKPOINT_ACTION, *CONTAINER_MOVES, *BAG_MOVES, *SIGNATURE_MOVES, *LIST_ACTIONS.values()}
    named |= COMPUTED_ACTIONS
    for where, call in _record_event_calls():
        action = call.args[2] if len(call.args) > 2 else None
        if isinstance(action, ast.Constant):
            named.add(action.value)
            assert action.value in ACTION_WORDS, where
        elif isinstance(action, ast.IfExp):  # print_label or reprint_label
            for branch in (action.body, action.orelse):
                assert branch.value in ACTION_WORDS, where
    assert sorted(named - set(ACTION_WORDS)) == []


def test_the_trails_own_events_have_words():
    """Migrations write the trail's own events with append_event, not record_event (upgrades.py, 0011)."""
    from tracker.audit.upgrades import MIGRATE_ACTION

    for action in (MIGRATE_ACTION, "reseal", "baseline_records"):
        assert action in ACTION_WORDS
    for name in ("revision", "rows_by_table", "archived_events", "sealed_events", "unblinded_events"):
        assert name in FIELD_LABELS


def test_every_field_recorded_before_or_after_has_a_label():
    fields = set()
    for where, call in _record_event_calls():
        for keyword in call.keywords:
            if keyword.arg in ("before", "after"):
                missing = _literal_keys(keyword.value) - set(FIELD_LABELS)
                assert not missing, (where, missing)
                fields |= _literal_keys(keyword.value)
    assert {"status", "signed_at", "temperature_c", "seal_intact"} <= fields


def test_an_unknown_field_reads_with_spaces_for_underscores():
    assert field_label("a_field_added_later") == "a field added later"


def _raise_automatic_sources() -> list[tuple[str, ast.AST]]:
    """The `source_action` of every automatic deviation the code raises (raise_automatic's sixth argument)."""
    found = []
    for path in TRACKER.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "raise_automatic":
                found.append((f"{path.relative_to(TRACKER)}:{node.lineno}", node.args[5]))
    return found


def test_what_raised_each_automatic_deviation_has_words():
    """The audit page reads `source_action` through source_action_word: each the code writes has its words
    (a single action, a step with a bedside refusal, or a handoff that quarantined a bag)."""
    sources = _raise_automatic_sources()
    assert len(sources) >= 9
    for where, source in sources:
        if isinstance(source, ast.Constant):
            assert source.value in SOURCE_WORDS or source.value in ACTION_WORDS, where
        else:  # f"scan:{result}", f"start:{refusal}" or f"{action}:quarantine"
            assert isinstance(source, ast.JoinedStr), where
            first, last = source.values[0], source.values[-1]
            if isinstance(first, ast.Constant):
                assert first.value.rstrip(":") in SOURCE_STEPS, where
            else:
                assert isinstance(last, ast.Constant), where
                assert last.value == ":quarantine", where
    assert set(REFUSAL_WORDS) == set(REFUSAL_MESSAGES)  # every refusal at the bedside, in a few words


def test_an_automatic_deviations_source_reads_as_words(app):
    with app.test_request_context():
        assert value_word("source_action", "start:wrong_participant") == (
            "Start of the infusion refused: not for this participant"
        )
        assert value_word("source_action", "scan:expired") == "Bedside scan refused: past its use-by time"
        assert value_word("source_action", "receive:quarantine") == "Receive: quarantine"
        assert value_word("source_action", "recall") == "Recall"
        assert value_word("source_action", "storage_excursion") == "Temperature excursion in storage"
        assert value_word("source_action", "scan:a_new_refusal") == "Bedside scan refused: a new refusal"
