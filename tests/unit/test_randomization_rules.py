"""The permuted-block generator, the commitment encoding and list-file validation, as pure rules."""

import secrets
from collections import Counter

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


def test_generated_codes_have_the_one_fixed_format_and_are_unique():
    taken: set[str] = set()
    codes = [rules.new_code(secrets.choice, taken) for _ in range(2000)]
    assert len(set(codes)) == 2000
    assert all(rules.CODE_PATTERN.match(c) for c in codes)


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
        b"raaaaa4,F,both\n"
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
