"""ISO 7064 Mod 37-2 against the published worked example and its error-detecting promise."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.checkchar import ALPHABET, is_valid, mod37_2, with_check


def test_the_published_worked_example():
    # UK Red Book, Annex 2: donation number G123 498 654 321 has the check character H (checksum 17).
    assert mod37_2("G123498654321") == "H"


def test_a_valid_identifier_is_recognised():
    assert is_valid("G123498654321H")
    assert not is_valid("G123498654321J")


@pytest.mark.parametrize("bad", ["", "A", "abc1", "A B", "A*"])
def test_malformed_identifiers_are_not_valid(bad):
    assert not is_valid(bad)


body = st.text(alphabet=ALPHABET[:-1], min_size=4, max_size=16)


@given(body, st.integers(min_value=0), st.sampled_from(ALPHABET[:-1]))
def test_every_single_character_substitution_is_caught(data, where, replacement):
    checked = with_check(data)
    i = where % len(data)
    if replacement != data[i]:
        assert not is_valid(checked[:i] + replacement + checked[i + 1 :])


@given(body, st.integers(min_value=0))
def test_every_adjacent_transposition_is_caught(data, where):
    checked = with_check(data)
    i = where % (len(data) - 1)
    if checked[i] != checked[i + 1]:
        swapped = checked[:i] + checked[i + 1] + checked[i] + checked[i + 2 :]
        assert not is_valid(swapped)
