"""The shipped definitions say in Chinese every study text a page or a label shows, and translate nothing
that is not in them."""

import json

import pytest

from tracker.studies.definition import parse_definition
from tracker.studies.services import read_definition_file


def shown_texts(study) -> set[str]:
    """What the pages and labels take from a definition (the filter `study` and the label's Chinese lines)."""
    texts = {study.title, study.sponsor, *study.label.values()}
    texts |= {meaning for meanings in study.signature_meanings.values() for meaning in meanings}
    for arm in study.arms:
        texts |= {arm.code, arm.material, arm.description}
    texts |= {stratum.label for stratum in study.strata}
    for specs in study.qc_tests.values():
        for spec in specs:
            texts |= {spec.test, *spec.allowed}
    for criterion in study.eligibility.criteria:
        texts.add(criterion.text)
        if criterion.unit:
            texts.add(criterion.unit)
    return texts - {"×10⁹/L", "g/L", "mmHg"}  # units written the same in Chinese


@pytest.mark.parametrize("name", ["umsis", "umsis-two-person"])
def test_every_study_text_a_page_shows_has_its_chinese(name):
    study = parse_definition(read_definition_file(name))
    chinese = study.translations["zh"]
    assert sorted(shown_texts(study) - set(chinese)) == []
    assert all(text.strip() for text in chinese.values())


@pytest.mark.parametrize("name", ["umsis", "umsis-two-person"])
def test_the_translations_name_only_text_of_the_definition(name):
    raw = read_definition_file(name)
    written = json.dumps({k: v for k, v in raw.items() if k != "translations"}, ensure_ascii=False)
    stale = [t for t in raw["translations"]["zh"] if json.dumps(t, ensure_ascii=False) not in written]
    assert stale == []


def test_a_definition_without_translations_still_loads_and_shows_its_own_words():
    raw = read_definition_file("umsis")
    del raw["translations"]
    assert parse_definition(raw).translations == {}
