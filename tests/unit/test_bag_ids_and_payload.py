"""Bag IDs and the signed QR payload: one shape for every bag, and a forged or mistyped label is refused."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.checkchar import is_valid
from tracker.errors import Invalid
from tracker.pharmacy.bag_ids import BODY_ALPHABET, is_bag_id, new_bag_id
from tracker.pharmacy.payload import (
    LENGTH,
    VERSION,
    BadSignature,
    UnreadablePayload,
    make_payload,
    read_payload,
)

KEY = "a-site-signing-key-of-some-length"
QR_ALPHANUMERIC = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def test_every_bag_id_has_the_one_format_and_a_valid_check_character():
    ids = [new_bag_id() for _ in range(2000)]
    shape = re.compile(rf"B[{BODY_ALPHABET}]{{10}}[0-9A-Z]")
    assert all(shape.fullmatch(bag_id) for bag_id in ids)
    assert all(is_valid(bag_id) and is_bag_id(bag_id) for bag_id in ids)
    assert len(set(ids)) == len(ids)


def test_bag_ids_do_not_reveal_the_order_they_were_made_in():
    ids = [new_bag_id() for _ in range(400)]
    # Made in order, yet not sorted, and neighbours share no more leading characters than chance allows.
    assert ids != sorted(ids)
    shared_second_char = sum(a[1] == b[1] for a, b in zip(ids, ids[1:], strict=False))
    assert shared_second_char < 40  # about 13 expected (1 in 31); a counter would share it almost always


@pytest.mark.parametrize(
    "text",
    ["", "B", "b23456789ABC", "B23456789AB", "B2345678OABC", "C23456789ABCD", None, 12, "B23456789ABC "],
)
def test_malformed_bag_ids_are_not_bag_ids(text):
    assert not is_bag_id(text)


def test_a_bag_id_with_a_wrong_check_character_is_not_a_bag_id():
    bag_id = new_bag_id()
    wrong = next(c for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c != bag_id[-1])
    assert not is_bag_id(bag_id[:-1] + wrong)


def test_a_payload_reads_back_to_its_bag():
    bag_id = new_bag_id()
    assert read_payload(make_payload(bag_id, KEY), KEY) == bag_id
    assert read_payload(make_payload(bag_id, KEY.encode()), KEY) == bag_id


def test_payloads_have_one_length_one_prefix_and_the_qr_alphanumeric_alphabet():
    payloads = [make_payload(new_bag_id(), KEY) for _ in range(500)]
    assert {len(p) for p in payloads} == {LENGTH}
    assert all(p.startswith(VERSION) for p in payloads)
    assert set("".join(payloads)) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") <= QR_ALPHANUMERIC


@pytest.mark.parametrize("typed", ["{p}\r\n", "  {p}  ", "{p}\n", "\t{p}\r", "{lower}", " {lower}\r\n"])
def test_what_a_keyboard_wedge_scanner_types_is_accepted(typed):
    bag_id = new_bag_id()
    payload = make_payload(bag_id, KEY)
    assert read_payload(typed.format(p=payload, lower=payload.lower()), KEY) == bag_id


def test_flipping_any_one_character_is_refused_never_accepted():
    payload = make_payload(new_bag_id(), KEY)
    for i, original in enumerate(payload):
        for replacement in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            if replacement == original:
                continue
            tampered = payload[:i] + replacement + payload[i + 1 :]
            with pytest.raises((BadSignature, UnreadablePayload)):
                read_payload(tampered, KEY)


def test_a_well_formed_payload_with_a_forged_signature_is_a_bad_signature():
    bag_id = new_bag_id()
    forged = make_payload(bag_id, "someone-elses-key")
    with pytest.raises(BadSignature) as raised:
        read_payload(forged, KEY)
    assert raised.value.code == "bad_signature"
    assert isinstance(raised.value, Invalid)
    assert raised.value.status == 422


def test_a_payload_signed_for_one_bag_does_not_sign_another():
    one, other = new_bag_id(), new_bag_id()
    spliced = VERSION + other + make_payload(one, KEY)[len(VERSION) + len(one) :]
    with pytest.raises(BadSignature):
        read_payload(spliced, KEY)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "hello",
        "CT2" + "A" * (LENGTH - 3),
        "{p}X",
        "{p_short}",
        "{p_spaced}",
        "CT1ＢＣＤ",
        None,
        42,
        b"bytes",
        "x" * 10_000,
    ],
)
def test_text_not_shaped_like_a_payload_is_unreadable(raw):
    payload = make_payload(new_bag_id(), KEY)
    if isinstance(raw, str):
        raw = raw.format(
            p=payload,
            p_short=payload[:-1],
            p_spaced=payload[:10] + " " + payload[10:],
        )
    with pytest.raises(UnreadablePayload) as raised:
        read_payload(raw, KEY)
    assert raised.value.code == "unreadable_payload"


def test_non_ascii_letters_that_upper_case_to_a_payload_are_unreadable():
    # "ſ".upper() == "S" and "ı".upper() == "I": such text was not typed by a scanner reading our label.
    payload = next(p for p in (make_payload(new_bag_id(), KEY) for _ in range(100)) if "S" in p or "I" in p)
    smuggled = payload.lower().replace("s", "ſ").replace("i", "ı")
    assert smuggled.upper() == payload
    with pytest.raises(UnreadablePayload):
        read_payload(smuggled, KEY)


def test_an_empty_key_is_a_programming_error_not_a_scan_result():
    with pytest.raises(ValueError, match="empty"):
        make_payload(new_bag_id(), "")


def test_only_a_bag_id_can_be_signed():
    with pytest.raises(ValueError, match="not a bag ID"):
        make_payload("P-0042", KEY)


@given(st.text(max_size=80))
def test_arbitrary_scanner_text_raises_only_the_two_scan_errors(raw):
    try:
        bag_id = read_payload(raw, KEY)
    except (UnreadablePayload, BadSignature):
        return
    assert is_bag_id(bag_id)  # only a genuinely signed payload could get here


@given(
    st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", min_size=LENGTH - 3)
)
def test_payload_shaped_text_with_the_prefix_raises_only_the_two_scan_errors(tail):
    with pytest.raises((UnreadablePayload, BadSignature)):
        read_payload(VERSION + tail[: LENGTH - 3], KEY)
