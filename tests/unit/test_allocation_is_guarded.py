"""The allocation (the arm of each code) is read and written in one module only."""

import re
from pathlib import Path

import pytest

import tracker
from tracker.errors import Forbidden
from tracker.randomization.allocation import arm_counts, arm_of
from tracker.roles import ROLES, Actor

PACKAGE = Path(tracker.__file__).parent
GUARD = PACKAGE / "randomization" / "allocation.py"
# Modules that may name the table without touching it: the one declaration of what is unblinded.
NAMES_ONLY = {PACKAGE / "blinding.py"}


def test_no_module_but_the_guard_touches_the_allocation_model_or_table():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path == GUARD or path in NAMES_ONLY or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"\bAllocation\b", text) or re.search(r"""["']allocation["']""", text):
            offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []


def test_the_declaration_names_the_table_but_never_touches_it():
    for module in NAMES_ONLY:
        text = module.read_text(encoding="utf-8")
        assert not re.search(r"\bAllocation\b|sqlalchemy|from tracker", text), module


def test_the_guard_exists_and_defines_the_model():
    assert re.search(r"^class Allocation\(Base\):", GUARD.read_text(encoding="utf-8"), re.MULTILINE)


@pytest.mark.parametrize("role", sorted(set(ROLES) - {"pharmacist", "statistician"}))
def test_the_guard_refuses_every_blinded_role_an_arm(role):
    with pytest.raises(Forbidden, match="may not learn"):
        arm_of(None, Actor(1, "x", "X", role), "RAAAAA2")  # refused before it touches a session


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_an_investigator_needs_a_code_break_reason(reason):
    with pytest.raises(Forbidden):
        arm_of(None, Actor(1, "x", "X", "investigator"), "RAAAAA2", code_break_reason=reason)


@pytest.mark.parametrize("role", sorted(set(ROLES) - {"statistician"}))
def test_only_the_statistician_counts_arms(role):
    with pytest.raises(Forbidden):
        arm_counts(None, Actor(1, "x", "X", role))
