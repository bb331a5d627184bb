"""Two bags' labels differ only in their random IDs, codes, participant and times: same page, fonts,
drawing, near-equal sizes, same ZPL program, payloads and bag IDs of one shape.

The label data cannot say what is in the bag, so "an active and a placebo bag" here are two labels built
from the same study text for different participants, as the pharmacy would build them for either."""

import random
import re
from datetime import timedelta

from labels import render_label_pdf, render_label_zpl
from tests.unit.labelkit import KEY, PREPARED, drawing_operators, page_contents, pdf_objects, sample_label
from tracker.checkchar import with_check
from tracker.pharmacy.bag_ids import BODY_ALPHABET, is_bag_id
from tracker.pharmacy.payload import make_payload

VARYING = ("participant_id", "randomization_code", "bag_id", "prepared_text", "use_by_text", "qr_payload")


def _bag_id(rng: random.Random) -> str:
    while True:
        candidate = with_check("B" + "".join(rng.choice(BODY_ALPHABET) for _ in range(10)))
        if candidate[-1] != "*":
            return candidate


def _label(rng: random.Random):
    bag_id = _bag_id(rng)
    return sample_label(
        bag_id=bag_id,
        qr_payload=make_payload(bag_id, KEY),
        participant_id=f"UMS-{rng.randrange(1, 9):02d}-{rng.randrange(10000):04d}",
        randomization_code=f"R-{rng.choice('ABCDE')}-{rng.randrange(1000):04d}",
        prepared_at=PREPARED + timedelta(minutes=rng.randrange(200_000)),
    )


def _pair():
    rng = random.Random(20260314)
    return _label(rng), _label(rng)


def test_matched_labels_have_the_same_page_fonts_and_everything_but_their_drawing():
    first, second = (render_label_pdf(label) for label in _pair())
    objects_first, objects_second = pdf_objects(first), pdf_objects(second)
    assert objects_first.keys() == objects_second.keys()
    (contents_object,) = {int(n) for n in re.findall(rb"/Contents (\d+) 0 R", first)}
    differing = {n for n in objects_first if objects_first[n] != objects_second[n]}
    assert differing == {contents_object}  # page size, fonts, font files, metadata: byte for byte the same
    assert re.findall(rb"/MediaBox \[[^\]]*\]", first) == re.findall(rb"/MediaBox \[[^\]]*\]", second)


def test_matched_labels_draw_the_same_operators_at_the_same_places_but_for_text_and_qr_modules():
    first, second = (page_contents(render_label_pdf(label))[0] for label in _pair())
    assert first != second
    assert drawing_operators(first) == drawing_operators(second)
    assert drawing_operators(first).count("<qr path>") == 1  # the whole symbol is one path


def test_matched_labels_differ_in_size_no_more_than_two_bags_of_one_kind():
    rng = random.Random(7)
    one_kind = [len(render_label_pdf(_label(rng))) for _ in range(20)]
    spread = max(one_kind) - min(one_kind)
    first, second = (len(render_label_pdf(label)) for label in _pair())
    assert abs(first - second) <= spread
    assert spread < 0.01 * min(one_kind)  # the IDs move the size by bytes, not by anything structural


def test_matched_zpl_is_the_same_program_but_for_the_bag_fields():
    first_label, second_label = _pair()
    first, second = render_label_zpl(first_label).splitlines(), render_label_zpl(second_label).splitlines()
    assert len(first) == len(second)
    assert first != second
    varying_first = {getattr(first_label, name) for name in VARYING}
    for line_first, line_second in zip(first, second, strict=True):
        if line_first == line_second:
            continue
        data = re.search(r"\^FD(?:MA,)?(.*?)\^FS", line_first).group(1)
        assert data in varying_first
        masked = re.sub(r"\^FD.*?\^FS", "^FD^FS", line_first)
        assert masked == re.sub(r"\^FD.*?\^FS", "^FD^FS", line_second)


def test_matched_payloads_and_bag_ids_have_one_length_one_alphabet_one_format():
    first, second = _pair()
    assert len(first.qr_payload) == len(second.qr_payload)
    assert first.qr_payload[:3] == second.qr_payload[:3]
    assert set(first.qr_payload + second.qr_payload) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert is_bag_id(first.bag_id)
    assert is_bag_id(second.bag_id)
    assert len(first.bag_id) == len(second.bag_id)
    assert len(first.prepared_text) == len(second.prepared_text)
