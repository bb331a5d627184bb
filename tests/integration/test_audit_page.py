"""The audit trail page and its printable PDF, as QA reads and signs them: newest first, 50 a page, filters
that narrow and survive paging, each change as "old → new", the same blinded view the API gives; and the
accountability PDF in words a reviewer signs, in English and in Chinese."""

from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.integration.randomization_support import text_mentions_an_arm
from tests.integration.test_chinese_coverage import PEOPLE_TEXT, ROLES, english_words
from tests.lots_support import create_lot
from tests.pdf_support import flat, pdf_pages, pdf_text
from tests.pharmacy_support import CELL_LOT, build_trial
from tests.ward_support import move, ready_bag
from tracker.audit.models import AuditEvent, UnblindedAuditEvent
from tracker.audit.wording import (
    ACTION_WORDS,
    FIELD_LABELS,
    KEYED_BY_DATA,
    action_word,
    field_label,
    value_word,
)
from tracker.web.context import reader

SEQ_CELL = re.compile(r"<tr>\s*<td>(\d+)</td>")
PAGE_LINK = re.compile(r'<a (?:rel="(?:next|prev)" )?href="(/audit\?[^"]+)">')


def _page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return html.unescape(response.get_data(as_text=True))


def _seqs(text: str) -> list[int]:
    return [int(s) for s in SEQ_CELL.findall(text)]


def _actions(text: str) -> set[str]:
    """The actions of a page's events (each action cell holds its words for people, its name for machines)."""
    return set(re.findall(r'<td data-action="(\w+)">', text))


def _older_link(text: str) -> str:
    return html.unescape(re.search(r'<a rel="next" href="([^"]+)"', text).group(1))


@pytest.fixture
def busy_trail(make_user):
    """A trail of 70 user creations (plus the readers' own events): more than one page."""
    return [make_user("nurse") for _ in range(70)]


def test_the_page_shows_the_newest_event_first_fifty_a_page_and_the_older_ones_next(busy_trail, browse):
    qa = browse("qa")
    api_events = _api_events(qa)
    first = _page(qa, "/audit")
    seqs = _seqs(first)
    assert len(seqs) == 50
    assert seqs == sorted(seqs, reverse=True)
    assert seqs[0] == api_events[-1]["seq"]  # the newest event of the trail comes first
    assert "Page 1 of 2" in first
    second = _page(qa, _older_link(first))
    older = _seqs(second)
    assert older == sorted(older, reverse=True)
    assert older[0] == seqs[-1] - 1
    assert sorted(seqs + older) == [e["seq"] for e in api_events]


def _api_events(page_client, **query) -> list[dict]:
    """The same trail through the API (oldest first, unchanged), read with a token of the same user."""
    client = page_client.client
    token = client.post("/api/v1/auth/token", json={"username": page_client.username, "password": PASSWORD})
    response = client.get(
        "/api/v1/audit", query_string={"limit": 5000, **query},
        headers={"Authorization": f"Bearer {token.json['token']}"},
    )  # fmt: skip
    assert response.status_code == 200, response.json
    seqs = [e["seq"] for e in response.json["events"]]
    assert seqs == sorted(seqs)  # the API still answers oldest first
    return response.json["events"]


def test_paging_keeps_the_filters_and_pins_the_trail_as_it_was(busy_trail, browse, make_user):
    qa = browse("qa")
    first = _page(qa, "/audit?entity_type=user&action=create")
    link = _older_link(first)
    query = parse_qs(urlsplit(link).query)
    assert query["entity_type"] == ["user"]
    assert query["action"] == ["create"]
    assert query["page"] == ["2"]
    make_user("nurse", "written_while_paging")  # a newer event does not shift the older pages
    second = _page(qa, link)
    assert "written_while_paging" not in second
    assert _seqs(second)[0] < _seqs(first)[-1]
    assert _actions(second) == {"create"}
    for other in PAGE_LINK.findall(first):
        assert "entity_type=user" in html.unescape(other)
    assert "written_while_paging" in _page(qa, "/audit?entity_type=user&action=create")


def test_each_filter_narrows_the_events(busy_trail, browse, make_user, login):
    qa = browse("qa")
    gmp = login("gmp")
    create_lot(gmp, "UC-0042", "ucmsc", container_count=2)
    everything = _seqs(_page(qa, "/audit"))
    by_user = _page(qa, f"/audit?user={gmp.username}")
    assert 0 < len(_seqs(by_user)) < len(everything)
    assert set(re.findall(r"<td>(\w+)<br><span", by_user)) == {gmp.username}
    signs_in = _page(qa, "/audit?action=sign_in")
    assert 0 < len(_seqs(signs_in)) < len(everything)
    assert _actions(signs_in) == {"sign_in"}
    lot = _page(qa, "/audit?entity_type=lot&entity_id=UC-0042")
    assert len(_seqs(lot)) == 1
    assert "UC-0042" in lot
    containers = _seqs(_page(qa, "/audit?entity_type=container"))
    assert len(containers) == 2
    today = dt.date.today()
    assert _page(qa, f"/audit?since={today + dt.timedelta(days=2)}").count("No events match.") == 1
    assert _page(qa, f"/audit?until={today - dt.timedelta(days=2)}").count("No events match.") == 1
    yesterday, tomorrow = today - dt.timedelta(days=1), today + dt.timedelta(days=1)
    this_week = _seqs(_page(qa, f"/audit?since={yesterday}&until={tomorrow}"))
    assert this_week == everything
    refused = qa.get("/audit?since=yesterday")
    assert refused.status_code == 422
    assert "since" in refused.get_data(as_text=True)


@pytest.fixture
def trial(login, runner, tmp_path):
    return build_trial(login, runner, tmp_path)


def test_the_changes_read_old_to_new_with_added_fields_marked(trial, browse):
    qa = browse("qa")
    text = _page(qa, f"/audit?entity_type=lot&entity_id={CELL_LOT}&action=release")
    assert '<td data-action="release">Release</td>' in text
    assert "Status:</span> Quarantine → Released" in text
    assert re.search(r"Signed by:</span> qa\d+ <span class=\"audit-mark\">\(added\)</span>", text)
    # Times read in the site's zone, to the second: no microseconds, no ISO "T".
    signed_at = re.search(r"Signed at:</span> ([^<]+) <span", text).group(1)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", signed_at), signed_at
    # Hashes are shortened with the whole one in a title.
    event_hash = re.search(r'title="Event hash: ([0-9a-f]{64})">([0-9a-f]{12})…<', text)
    assert event_hash
    assert event_hash.group(1).startswith(event_hash.group(2))
    assert '"status"' not in text  # no raw JSON


def test_a_blinded_qa_page_shows_no_arm_and_the_apis_blinded_view(trial, browse):
    active, placebo = ready_bag(trial, "active"), ready_bag(trial, "placebo")
    qa = browse("qa")
    pages = []
    for bag in (active, placebo):
        for query in (f"entity_type=bag&entity_id={bag['bag_id']}",
                      f"entity_type=participant&entity_id={bag['participant_id']}"):  # fmt: skip
            whole_page = _page(qa, f"/audit?{query}")
            assert not text_mentions_an_arm(whole_page), query
            text = _results(whole_page)
            assert CELL_LOT not in text
            assert "thaw" not in text.lower()
            pages.append(text)
        # The page shows exactly the events the API shows this reader, newest first.
        api = _api_events(qa, entity_type="bag", entity_id=bag["bag_id"])
        assert _seqs(pages[-2]) == [e["seq"] for e in reversed(api)]
    assert _normalised(pages[0]) == _normalised(pages[2])
    whole = _results(_page(qa, "/audit?entity_type=bag"))
    assert not text_mentions_an_arm(whole)


def _results(text: str) -> str:
    """The events a page shows, without its filter form (which offers every record type, thaw too)."""
    return text[text.index("audit-table") :]


_VARIES = re.compile(
    r"B[0-9A-Z]{11}|R[0-9A-Z]{6}|P-\d{3}|[0-9a-f]{12,64}|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \w+|<td>\d+</td>|"
    r"\w+\d+(?=<br><span)|event \d+|\d+–\d+ of \d+|of \d+\.|name=\"csrf_token\" value=\"[^\"]+\""
)


def _normalised(text: str) -> str:
    return _VARIES.sub("<v>", text)


def test_the_audit_pdf_is_a_signed_table_with_page_numbers(busy_trail, browse):
    qa = browse("qa")
    response = qa.get("/reports/audit.pdf?entity_type=user&since=&until=")
    text = pdf_text(response)
    for header in ("Seq", "Time", "User", "Role", "Action", "Record", "Changes", "Reason"):
        assert header in text
    assert "Audit trail" in text
    assert "Filters: record User" in text
    assert "Study: NCT04811651" in text
    assert f"{qa.username}" in text
    assert "Review and signature" in text
    pages = pdf_pages(response)
    assert len(pages) > 1
    for number, page_text in enumerate(pages, start=1):
        assert f"page {number} of {len(pages)}" in page_text
        assert "Changes" in page_text  # the header row on every page
        assert "Reason" in page_text
    assert "Review and signature" in pages[-1]
    assert '{"' not in text  # no raw JSON
    assert re.search(r"\+ Role: nurse", text)


def test_the_audit_pdf_carries_the_pages_filters_and_changes(trial, browse):
    qa = browse("qa")
    text = pdf_text(qa.get(f"/reports/audit.pdf?entity_type=lot&entity_id={CELL_LOT}&action=release"))
    assert "Status: Quarantine → Released" in text
    assert f"record Lot {CELL_LOT}" in text
    assert "action Release" in text
    assert "page 1 of 1" in text
    assert qa.get("/reports/audit.pdf?entity_type=spaceship").status_code == 422


@pytest.fixture
def browse_in_chinese(browse):
    def sign_in(role):
        page_client = browse(role)
        page_client.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
        return page_client

    return sign_in


def test_the_audit_pdf_and_page_in_chinese(trial, browse_in_chinese):
    qa = browse_in_chinese("qa")
    text = pdf_text(qa.get(f"/reports/audit.pdf?entity_type=lot&entity_id={CELL_LOT}"))
    for words in (
        "审计追踪",
        "序号",
        "时间",
        "用户",
        "角色",
        "操作",
        "记录",
        "变更",
        "原因",
        "第 1 页，共",
        "审核与签名",
    ):
        assert words in text, words
    assert "Review and signature" not in text
    assert "脐带间充质干细胞治疗缺血性卒中" in text  # the study's title in its own translation
    names = {qa.username, *PEOPLE_TEXT, *(f"{r.title()} Tester" for r in ROLES)}
    assert not english_words([flat(text)], names)  # fields, actions, statuses, study words
    page = _page(qa, "/audit")
    assert "变更" in page
    assert "最新的在前" in page


def test_the_accountability_pdf_says_statuses_in_words(trial, browse):
    bags = [ready_bag(trial, "active"), ready_bag(trial, "placebo")]
    move(trial, bags[1]["bag_id"], "destroy")
    trial.prepare(*[(code, arm) for pid, (code, arm) in trial.participants.items()][2])
    qa = browse("qa")
    response = qa.get("/reports/accountability.pdf")
    text = pdf_text(response)
    for header in (
        "Bag",
        "Participant",
        r"Randomization\s+code",
        "Status",
        "Prepared",
        "Received",
        "Reconciled",
    ):
        assert re.search(header, text), header
    for word in ("in stock", "received", "destroyed"):
        assert word in text, word
    for machine_value in ("in_stock", "in_transit", "True", "False"):
        assert machine_value not in text
    assert "Yes" in text  # reconciled
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", text)
    assert "page 1 of 1" in text
    assert "Review and signature" in text
    assert CELL_LOT not in text
    assert not text_mentions_an_arm(text)
    # The CSV keeps its machine values.
    csv_text = qa.get("/reports/accountability.csv").get_data(as_text=True)
    assert ",received," in csv_text


def test_the_accountability_pdf_in_chinese(trial, browse_in_chinese):
    ready_bag(trial, "active")
    qa = browse_in_chinese("qa")
    text = pdf_text(qa.get("/reports/accountability.pdf"))
    for words in ("输液袋清点", "已接收", "库存中", "是", "第 1 页，共 1 页", "审核与签名"):
        assert words in text, words
    assert "received" not in text


def test_the_pharmacists_accountability_pdf_reconciles_per_lot_in_words(trial):
    ready_bag(trial, "active")
    text = pdf_text(trial.pharmacist.get("/api/v1/reports/accountability.pdf"))
    assert "Per lot" in text
    assert CELL_LOT in text
    assert "received" in text
    assert "Yes" in text
    for machine_value in ("in_stock", "True", "False"):
        assert machine_value not in text


def _fields(record: dict | None) -> set[str]:
    """A before's or after's fields, those of the objects it holds too (not a stratum's letter)."""
    found = set()
    for name, value in (record or {}).items():
        found.add(name)
        if isinstance(value, dict) and name not in KEYED_BY_DATA:
            found |= _fields(value)
    return found


def test_every_action_and_field_a_trial_records_has_words(app, trial):
    """The code's own views (a bag's, a thaw's, an infusion's) are recorded whole: each of their fields, in
    the blinded trail and the unblinded one, has a label (tests/unit/test_audit_wording.py reads the rest)."""
    bag = ready_bag(trial, "active")
    scan = trial.nurse.post(
        "/api/v1/scans", json={"qr_payload": bag["qr_payload"], "participant_id": bag["participant_id"]}
    )
    assert scan.status_code == 200, scan.json
    actions, fields = set(), set()
    with app.app_context(), reader() as uow:
        for model in (AuditEvent, UnblindedAuditEvent):
            for event in uow.session.execute(select(model)).scalars():
                actions.add(event.action)
                fields |= _fields(event.before) | _fields(event.after)
    assert {"prepare", "thaw", "receive", "scan"} <= actions
    assert sorted(actions - set(ACTION_WORDS)) == []
    assert sorted(fields - set(FIELD_LABELS)) == []


def test_the_audit_words_in_chinese(app):
    """Statuses, codes and the sentences the rules record read in Chinese; an unknown field readably."""
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert field_label("temperature_c") == "温度（°C）"
        assert field_label("a_field_added_later") == "a field added later"
        assert action_word("quarantine_release") == "解除隔离"
        assert value_word("status", "released") == "已放行"
        assert value_word("result", "wrong_participant") == "受试者不符"
        assert value_word("quarantine_reasons", "12.5 °C is outside 2–8 °C") == "12.5 °C 超出 2–8 °C 范围"
        assert value_word("reasons", "viability 62 % is below 70 %") == "存活率 62 % 低于 70 %"
        assert value_word("channel", "pages") == "网页"
        assert value_word("signed_by", "qa7") == "qa7"  # a user name stays as it is
