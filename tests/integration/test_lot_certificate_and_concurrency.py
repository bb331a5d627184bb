"""The certificate of analysis carries the results and the signature; simultaneous releases sign once."""

import threading

from sqlalchemy import func, select

from tests.conftest import PASSWORD
from tests.integration.test_chinese_coverage import PEOPLE_TEXT, english_words
from tests.lots_support import create_lot, enter_results, passing_lot
from tests.pdf_support import embedded_fonts, flat, pdf_text
from tracker.audit.models import AuditEvent
from tracker.lots.models import LotSignature
from tracker.web.context import reader


def test_the_certificate_carries_the_results_against_specification_and_the_release_signature(login):
    gmp, qa = login("gmp"), login("qa")
    passing_lot(gmp, "UC-0001", donor_code="UCD-17")
    enter_results(gmp, "UC-0001", {"endotoxin": 0.21})
    signed = qa.post(
        "/api/v1/lots/UC-0001/release", json={"password": PASSWORD, "meaning": "Approved for clinical use"}
    ).json
    for role_client in (qa, gmp, login("pharmacist")):
        response = role_client.get("/api/v1/lots/UC-0001/certificate.pdf")
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    for expected in (
        "Certificate of analysis", "NCT04811651", "UC-0001", "UCD-17", "RELEASED",
        "endotoxin", "< 0.5 EU/mL", "0.21 EU/mL", "sterility", "negative", "viability", ">= 80%", "92.5%",
        "karyotype", "normal", "PASS",
        "Qa Tester", qa.username, "Approved for clinical use", signed["signed_at"][:19].replace("T", " "),
        "Superseded results", "0.12 EU/mL",
    ):  # fmt: skip
        assert expected in text, expected
    assert "FAIL" not in text


def test_an_unreleased_lots_certificate_says_so_and_shows_what_is_missing(login):
    gmp = login("gmp")
    create_lot(gmp, "VH-0001", "placebo")
    enter_results(gmp, "VH-0001", {"endotoxin": 0.9})
    text = pdf_text(gmp.get("/api/v1/lots/VH-0001/certificate.pdf").data)
    assert "NOT RELEASED" in text
    assert "FAIL" in text
    assert "MISSING" in text
    assert "QUARANTINE" in text


def test_the_certificate_prints_in_chinese_for_a_chinese_reader(login, browse):
    """Headings, tests, word results, verdicts, statuses and the signature block in Chinese, the Chinese
    font embedded; the same certificate for an English reader keeps its English words."""
    gmp, qa = login("gmp"), login("qa")
    passing_lot(gmp, "UC-0001", donor_code="UCD-17")
    enter_results(gmp, "UC-0001", {"endotoxin": 0.21})  # supersedes the passing 0.12
    meaning = "Released: QC results reviewed and meet specification"  # the study translates it
    assert (
        qa.post("/api/v1/lots/UC-0001/release", json={"password": PASSWORD, "meaning": meaning}).status_code
        == 200
    )
    create_lot(gmp, "VH-0001", "placebo")
    enter_results(gmp, "VH-0001", {"endotoxin": 0.9})
    reader = browse("qa")
    reader.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    files = {lot: reader.get(f"/lots/{lot}/certificate.pdf") for lot in ("UC-0001", "VH-0001")}
    texts = {lot: pdf_text(response.data) for lot, response in files.items()}
    for words in (
        "检验报告书", "批号", "脐带供者编号", "UC-MSC（脐带间充质干细胞）", "已放行", "结果与质量标准对照",
        "检验项目", "判定", "无菌检查", "阴性", "细胞活率", "核型", "正常", "合格", "已被取代的结果",
        "批处置", "质量保证", "签名时间", "签名含义：放行：QC 结果已审核且符合质量标准",
    ):  # fmt: skip
        assert words in texts["UC-0001"], words
    for words in ("安慰剂（溶媒）", "不合格", "缺失", "未放行", "隔离"):
        assert words in texts["VH-0001"], words
    names = {reader.username, qa.username, gmp.username, *PEOPLE_TEXT, "Qa Tester", "Gmp Tester"}
    english = {lot: english_words([flat(text)], names) for lot, text in texts.items()}
    assert not any(english.values()), english
    for lot, response in files.items():
        assert any("WenQuanYiMicroHei" in name for name in embedded_fonts(response.data)), lot

    reader.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    text = pdf_text(reader.get("/lots/UC-0001/certificate.pdf").data)
    for words in (
        "Certificate of analysis",
        "Results against specification",
        "sterility",
        "PASS",
        "Disposition",
    ):
        assert words in text, words


def test_an_unknown_lots_certificate_is_a_404(login):
    assert login("qa").get("/api/v1/lots/NOPE/certificate.pdf").status_code == 404


def test_simultaneous_releases_of_one_lot_leave_exactly_one_signature(app, login):
    gmp = login("gmp")
    passing_lot(gmp, "UC-0001")
    signers = [login("qa") for _ in range(4)]
    barrier = threading.Barrier(len(signers))
    statuses: list[int] = []

    def release(token: str) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            "/api/v1/lots/UC-0001/release",
            json={"password": PASSWORD, "meaning": "ok"},
            headers={"Authorization": f"Bearer {token}"},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=release, args=(s.token,)) for s in signers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409, 409, 409]
    with app.app_context(), reader() as work:
        assert work.session.execute(select(func.count()).select_from(LotSignature)).scalar_one() == 1
        releases = work.session.execute(
            select(func.count()).where(AuditEvent.action == "release", AuditEvent.entity_id == "UC-0001")
        ).scalar_one()
        assert releases == 1
