"""Every page a role can reach, for a user who reads Chinese, shows no English word but the IDs, units, codes
and proper names a Chinese site uses as they are: each role signs in with Chinese, follows every link of its
pages (the navigation, then the records those pages list: a lot, a bag, a participant, the audit trail ...)
and reads the text a person sees, including labels read aloud and placeholders."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from tests.integration.eligibility_support import page_form
from tests.integration.randomization_support import import_list, list_rows
from tests.pharmacy_support import build_trial, iso
from tests.ward_support import WARD, move

# What a Chinese page shows as is: the product, codes and standards, units, file types, the app's name.
ALLOWED = {
    "UC-MSC", "QR", "NCT", "UMSIS", "mL", "EU", "CD", "HLA", "HLA-DR", "DR", "PDF", "CSV", "ZPL", "QC", "QA",
    "GMP", "SDTM", "EX", "AE", "CFR", "Part", "IV", "ID", "IDs", "UTC", "CST", "English", "OK", "SMTP", "MiB",
    "STUDYID", "DOMAIN", "USUBJID", "EXSEQ", "EXTRT", "EXDOSE", "EXDOSU", "EXROUTE", "EXSTDTC", "EXENDTC",
    "JSON", "API", "HTTP", "URL", "ISO", "CDISC", "ALT", "AST", "NIHSS", "mRS", "mmHg", "KiB",
    "x", "e", "g", "h", "d", "wk", "min",
}  # fmt: skip
# Text typed by the test's people (locations, names) is theirs, not the app's; `system` is an account's name.
PEOPLE_TEXT = (WARD, "Pharmacy", "QA release", "Freezer", "Lab store", "Tester", "system", "Site 01")
NOWHERE = "/no-such-page"  # the page a mistyped address shows
SKIPPED_PATHS = ("/logout", "/api/", "/static/", "/language")
SKIPPED_ENDINGS = (".pdf", ".csv", ".zpl", ".json", ".png", ".svg")
WORD = re.compile(r"[A-Za-z][A-Za-z'’]*(?:-[A-Za-z]+)*")
VISIBLE_ATTRIBUTES = ("aria-label", "placeholder", "title", "alt")


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag in ("script", "style", "template", "code"):
            self._hidden += 1
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag == "input" and attributes.get("type") in ("submit", "button") and attributes.get("value"):
            self.parts.append(attributes["value"])
        self.parts.extend(attributes[name] for name in VISIBLE_ATTRIBUTES if attributes.get(name))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template", "code") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def english_words(texts: list[str], names: set[str]) -> set[str]:
    """Each English word with the text it stands in, e.g. 'placebo (in: Arm placebo)'."""
    found = set()
    for text in texts:
        for name in sorted(names, key=len, reverse=True):
            text = text.replace(name, " ")
        for token in re.split(r"\s+", text):
            if any(ch.isdigit() for ch in token) or re.fullmatch(r"([A-Z]{1,3}-)?[A-Z0-9]{6,}\*?", token):
                # an ID, a code, a number with its unit (UC-0001, AE-ZPZSHRBQV, 2026-12-03 14:30); an ID's
                # check character may be a '*' (tracker/checkchar.py): a container CYABDGCMBE* is no word
                continue
            for word in WORD.findall(token):
                if word not in ALLOWED and not re.fullmatch(r"[A-Z]", word):  # a stratum, a box's row
                    found.add(f"{word!r} in {' '.join(text.split())[:80]!r}")
    return found


def _shape(url: str) -> str:
    """One visit per kind of page: the IDs in a path make no new page."""
    path = urlsplit(url).path
    return re.sub(r"/[^/]*\d[^/]*", "/{id}", path)


def walk(page_client, names: set[str], skip: tuple[str, ...] = ()) -> dict[str, set[str]]:
    """{url: English words} for every page reachable from the home page by links, one of each shape."""
    queue, seen, found = ["/", NOWHERE], set(), {}
    while queue:
        url = queue.pop(0)
        shape = _shape(url)
        if shape in seen:
            continue
        seen.add(shape)
        response = page_client.get(url)
        # a record the audit trail names may be closed to this role: its refusal is a page too
        assert response.status_code in (200, 302, 403) or url == NOWHERE, (url, response.status_code)
        if response.status_code == 302 or "text/html" not in response.content_type:
            continue
        parser = _VisibleText()
        parser.feed(response.get_data(as_text=True))
        if not any(url.startswith(prefix) for prefix in skip):
            words = english_words(parser.parts, names)
            if words:
                found[url] = words
        for href in parser.links:
            href = href.split("#")[0]
            if (
                href.startswith("/")
                and not href.startswith(SKIPPED_PATHS)
                and not urlsplit(href).path.endswith(SKIPPED_ENDINGS)
            ):
                queue.append(href)
    return found


@pytest.fixture
def a_trial_in_progress(login, runner, tmp_path):
    """Lots, issued kits, participants, a bag of each arm in the ward and one infused: every record a page
    can show."""
    trial = build_trial(login, runner, tmp_path)
    (p_active, code_active), *_ = trial.of_arm("active")
    (p_placebo, code_placebo), *_ = trial.of_arm("placebo")
    infused = trial.prepare(code_active, "active")
    received = trial.prepare(code_placebo, "placebo")
    move(trial, infused["bag_id"], "dispatch", "receive")
    move(trial, received["bag_id"], "dispatch", "receive")
    scan = trial.nurse.post(
        "/api/v1/scans", json={"qr_payload": infused["qr_payload"], "participant_id": p_active}
    )
    assert scan.status_code == 200, scan.json
    started = trial.nurse.post(
        "/api/v1/infusions",
        json={"bag_id": infused["bag_id"], "participant_id": p_active, "started_at": iso()},
    )
    assert started.status_code == 201, started.json
    trial.infusion_id = started.json["infusion_id"]
    trial.bags = {"infused": (infused, p_active), "received": (received, p_placebo)}
    return trial


ROLES = ("admin", "gmp", "qa", "pharmacist", "nurse", "investigator", "statistician")
# Pages whose body the walk does not read: none (the audit trail's fields and actions are in words too).
SKIPPED_BODIES = ()


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_a_role_is_in_chinese(role, browse, a_trial_in_progress):
    page_client = browse(role)
    page_client.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    names = {page_client.username, *PEOPLE_TEXT, *(f"{r.title()} Tester" for r in ROLES)}
    english = walk(page_client, names, skip=SKIPPED_BODIES)
    assert not english, "\n".join(f"{url}: {w}" for url, words in english.items() for w in sorted(words))


def _english_in(response, names: set[str]) -> set[str]:
    parser = _VisibleText()
    parser.feed(response.get_data(as_text=True))
    return english_words(parser.parts, names)


def test_the_answers_to_forms_are_in_chinese_too(browse, runner, tmp_path):
    """What a form answers (a review to confirm, a refusal naming fields and criteria) is read as carefully
    as the page it came from."""
    import_list(runner, tmp_path, list_rows(per_stratum=2))
    investigator, lab = browse("investigator"), browse("gmp")
    for page_client in (investigator, lab):
        page_client.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    names = {investigator.username, lab.username, *PEOPLE_TEXT, *(f"{r.title()} Tester" for r in ROLES)}
    answers = {
        "enrol review": investigator.submit(
            "/participants/enrol", page_form("W-01", onset_at=iso(-dt.timedelta(hours=30)))
        ),
        "ineligible": investigator.submit(
            "/participants/enrol",
            page_form("W-02", stratum="A", eligibility={"haemoglobin": 115, "tumour": "yes"}),
        ),
        "incomplete": investigator.submit("/participants/enrol", {"participant_id": "W-03", "stratum": "A"}),
        "bad lot": lab.submit(
            "/lots/new", {"lot_number": "VH-0009", "material": "placebo", "container_count": "x"}
        ),
    }
    assert [r.status_code for r in answers.values()] == [200, 422, 422, 422]
    assert "血红蛋白：填写为 115" in answers["ineligible"].get_data(as_text=True)
    assert re.search(r"30 小时 0 分钟（1\.2\d 天）", answers["enrol review"].get_data(as_text=True))
    english = {what: _english_in(response, names) for what, response in answers.items()}
    assert not any(english.values()), english


def test_the_wards_answers_are_in_chinese(browse, a_trial_in_progress):
    """The bedside check's refusal and match, and a refused completion of an infusion (a volume that is not a
    number), said in Chinese."""
    nurse = browse("nurse")
    nurse.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    names = {nurse.username, *PEOPLE_TEXT, *(f"{r.title()} Tester" for r in ROLES)}
    (bag, participant), (_, someone_else) = (
        a_trial_in_progress.bags["received"],
        a_trial_in_progress.bags["infused"],
    )
    infusion = f"/ward/infusions/{a_trial_in_progress.infusion_id}"
    answers = {
        "wrong participant": nurse.submit(
            "/ward/scan", {"qr_payload": bag["qr_payload"], "participant_id": someone_else}, form_page="/ward"
        ),
        "match": nurse.submit(
            "/ward/scan", {"qr_payload": bag["qr_payload"], "participant_id": participant}, form_page="/ward"
        ),
        "volume not a number": nurse.submit(
            f"{infusion}/complete", {"volume_infused_ml": "lots"}, form_page=infusion
        ),
    }
    assert "输注体积（mL）" in answers["volume not a number"].get_data(as_text=True)
    assert "请输入数字。" in answers["volume not a number"].get_data(as_text=True)
    english = {what: _english_in(response, names) for what, response in answers.items()}
    assert not any(english.values()), english
