"""The tests hash passwords cheaply (tests/conftest.py); production must keep Argon2's recommended cost."""

from argon2 import PasswordHasher, profiles

from tests.conftest import PRODUCTION_HASHER
from tracker.users import services as user_services


def test_production_hashes_with_the_rfc_9106_low_memory_profile():
    recommended = profiles.RFC_9106_LOW_MEMORY
    assert (PRODUCTION_HASHER.time_cost, PRODUCTION_HASHER.memory_cost, PRODUCTION_HASHER.parallelism) == (
        recommended.time_cost,
        recommended.memory_cost,
        recommended.parallelism,
    )


def test_the_cheap_test_hasher_still_accepts_the_right_password_only():
    hasher: PasswordHasher = user_services._hasher
    assert hasher is not PRODUCTION_HASHER
    digest = hasher.hash("Correct-Horse-9")
    assert hasher.verify(digest, "Correct-Horse-9")
    # An unknown name is checked against the dummy hash, made by the same cheap hasher: it fails.
    assert not user_services._password_matches(None, "Correct-Horse-9")
