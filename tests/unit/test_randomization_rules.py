"""The permuted-block generator, the commitment encoding and list-file validation, as pure rules."""

import re
import secrets
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.randomization import rules

ARMS = ("active", "placebo")
STRATA = ("A", "B", "C", "D", "E")


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**63 - 1), per_stratum=st.integers(min_value=2, max_value=60))
def test_every_block_is_balanced_and_the_blocks_fill_each_stratum_exactly(seed, per_stratum):
    per_stratum += per_stratum % 2  # 2,4-blocks make even strata
    sequence = rules.generate_allocation(seed, STRATA, ARMS, per_stratum, [2, 4])
    assert set(sequence) == set(STRATA)
    for blocks in sequence.values():
        assert sum(len(b) for b in blocks) == per_stratum
        for block in blocks:
            assert len(block) in (2, 4)
            counts = Counter(block)
            assert counts["active"] == counts["placebo"] == len(block) // 2


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**63 - 1))
def test_block_sizes_vary_within_each_stratum(seed):
    # 120 codes make ~40 blocks per stratum; all of one size by chance is about 2**-40.
    sequence = rules.generate_allocation(seed, STRATA, ARMS, 120, [2, 4])
    for blocks in sequence.values():
        assert {len(b) for b in blocks} == {2, 4}


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_the_same_seed_gives_the_same_sequence(seed):
    first = rules.generate_allocation(seed, STRATA, ARMS, 40, [2, 4, 6])
    assert first == rules.generate_allocation(seed, STRATA, ARMS, 40, [2, 4, 6])


def test_blocks_are_shuffled_not_patterned():
    sequence = rules.generate_allocation(7, STRATA, ARMS, 200, [4])
    orders = {block for blocks in sequence.values() for block in blocks}
    assert len(orders) == 6  # every arrangement of two and two occurs


def test_seeds_differ_in_their_sequences():
    assert rules.generate_allocation(1, STRATA, ARMS, 40, [2, 4]) != rules.generate_allocation(
        2, STRATA, ARMS, 40, [2, 4]
    )


def test_block_sizes_must_be_multiples_of_the_arm_count_and_fill_the_stratum():
    assert rules.block_size_problems([2, 4], 2, 20) == []
    assert rules.block_size_problems([3], 2, 9)
    assert rules.block_size_problems([], 2, 10)
    assert rules.block_size_problems([4, 4], 2, 8)
    assert "whole blocks" in rules.block_size_problems([4, 6], 2, 2)[0]
    assert rules.block_size_problems([4, 6], 2, 14) == []  # 4+4+6: the generator never paints itself in


def test_generated_codes_keep_their_own_format_and_are_unique():
    taken: set[str] = set()
    codes = [rules.new_code(secrets.choice, taken) for _ in range(2000)]
    assert len(set(codes)) == 2000
    assert all(re.fullmatch(r"R[2-9A-HJ-NP-Z]{6}", c) for c in codes)
    assert all(rules.code_problem(c) is None for c in codes)


@pytest.mark.parametrize(
    "code", ["UA0011", "1007", "S3-017", "umsis/B/12", "a.b_c", "X", "Z" * 32, "-1", "ua0011"]
)
def test_a_code_is_whatever_the_author_wrote_within_the_one_rule(code):
    assert rules.code_problem(code) is None


@pytest.mark.parametrize("code", ["", "Z" * 33, "S3 017", "a;b", "ü1", "a\tb", "=1+1", "'x"])
def test_a_code_outside_the_rule_is_refused(code):
    assert "1–32 letters" in rules.code_problem(code)


def test_a_study_may_narrow_the_rule():
    assert rules.code_problem("UA0011", r"UA\d{4}") is None
    assert "study's code pattern" in rules.code_problem("UA00111", r"UA\d{4}")
    assert "1–32 letters" in rules.code_problem("UA 011", r".*")  # never wider than the tracker's rule


def test_a_spreadsheet_file_parses_as_its_author_sees_it():
    data = (
        "\ufeffrandomization_code , stratum,arm\r\n"
        " UA0011 ,A, active\r\n"
        "1007,B,placebo\r\n"
        "\r\n"
        "S3-017 , C , active \r\n"
        "umsis/B/12,D,placebo\r\n"
        ",,\r\n"
    ).encode()
    parsed = rules.parse_list_csv(data, STRATA, ARMS, set())
    assert parsed.problems == {}
    assert parsed.rows == [
        rules.ListRow("UA0011", "A", "active"),
        rules.ListRow("1007", "B", "placebo"),
        rules.ListRow("S3-017", "C", "active"),
        rules.ListRow("umsis/B/12", "D", "placebo"),
    ]


def test_codes_are_unique_regardless_of_case_in_the_file_and_against_stored_ones():
    data = b"randomization_code,stratum,arm\nua0011,A,active\nUA0011,A,placebo\nS3-017,A,active\n"
    parsed = rules.parse_list_csv(data, STRATA, ARMS, {"S3-017"})
    assert "repeats line 2" in parsed.problems["line 3"][0]
    assert "already stored" in parsed.problems["line 4"][0]


def test_a_cell_the_app_neutralised_reads_back_as_written():
    data = b"randomization_code,stratum,arm\n'-17,A,active\n"
    assert rules.parse_list_csv(data, STRATA, ARMS, set()).rows == [rules.ListRow("-17", "A", "active")]


def test_the_commitment_is_sha256_over_the_documented_encoding():
    rows = [rules.ListRow("RAAAAA2", "A", "active"), rules.ListRow("RBBBBB3", "A", "placebo")]
    encoded = rules.commitment_bytes("ab12", rows)
    assert encoded == (
        b'["tracker-randomization-v1","ab12",[["RAAAAA2","A","active"],["RBBBBB3","A","placebo"]]]'
    )
    assert rules.commitment("ab12", rows) == __import__("hashlib").sha256(encoded).hexdigest()
    assert rules.commitment("ab12", rows) != rules.commitment("ab13", rows)
    assert rules.commitment("ab12", rows) != rules.commitment("ab12", rows[::-1])


def test_a_good_file_parses_in_order():
    data = b"randomization_code,stratum,arm\r\nRAAAAA2,A,active\r\nRBBBBB3,B,placebo\r\n"
    parsed = rules.parse_list_csv(data, STRATA, ARMS, set())
    assert parsed.problems == {}
    assert [r.code for r in parsed.rows] == ["RAAAAA2", "RBBBBB3"]


def test_every_problem_is_reported_by_line():
    data = (
        b"randomization_code,stratum,arm\n"
        b"RAAAAA2,A,active\n"
        b"RAAAAA2,A,placebo\n"
        b"raa aa4,F,both\n"
        b"RCCCCC5,A\n"
        b"RSTORED,A,active\n"
    )
    parsed = rules.parse_list_csv(data, STRATA, ARMS, {"RSTORED"})
    assert parsed.rows == []
    assert set(parsed.problems) == {"line 3", "line 4", "line 5", "line 6"}
    assert "repeats line 2" in parsed.problems["line 3"][0]
    assert len(parsed.problems["line 4"]) == 3
    assert "already stored" in parsed.problems["line 6"][0]


def test_a_file_with_a_nul_byte_is_refused_not_crashed_on():
    parsed = rules.parse_list_csv(
        b"randomization_code,stratum,arm\nRAAAAA2,A,act\x00ive\n", STRATA, ARMS, set()
    )
    assert parsed.rows == []
    assert parsed.problems
