"""The lab's, QA's, investigator's and statistician's pages for a browser that asks for Simplified Chinese:
each shows its heading and labels in Chinese, none of the English it used to show, and no emoji a tablet
without an emoji font would draw as an empty box."""

import pytest

from tests.conftest import PASSWORD
from tests.integration.randomization_support import import_list, list_rows
from tests.lots_support import create_lot

GLYPHS_WITHOUT_A_FONT = ("⛔", "⏸", "⌛", "📄", "➕")


@pytest.fixture
def browse_in_chinese(browse):
    """browse_in_chinese(role) -> a signed-in page client whose every request asks for zh-CN."""

    def sign_in(role):
        page_client = browse(role)
        page_client.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
        return page_client

    return sign_in


def _page(page_client, url, status=200, *, data=None, form_page=None):
    if data is None:
        response = page_client.get(url)
    else:
        response = page_client.submit(url, data, form_page=form_page)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def _shows(text, chinese, english):
    for words in chinese:
        assert words in text, words
    for words in english:
        assert words not in text, words
    for glyph in GLYPHS_WITHOUT_A_FONT:
        assert glyph not in text, glyph


@pytest.fixture
def a_lot_failing_endotoxin(login):
    gmp = login("gmp")
    create_lot(gmp, "VH-0001", "placebo")
    response = gmp.post("/api/v1/lots/VH-0001/qc-results", json={"test": "endotoxin", "value": 0.9})
    assert response.status_code == 201, response.json
    return "VH-0001"


def test_the_lot_list_and_the_new_lot_form_are_in_chinese(browse_in_chinese, a_lot_failing_endotoxin):
    lab = browse_in_chinese("gmp")
    _shows(
        _page(lab, "/lots"),
        ["<h1>批次</h1>", "登记新批次", "物料", "在库容器", "放行障碍", "2 项未解决", "隔离", "按状态筛选"],
        ["Register a new lot", "Containers in store", "Blocks release", "Quarantine", "Filter by status"],
    )
    _shows(
        _page(lab, "/lots/new"),
        [
            "<h1>登记新批次</h1>",
            "批号",
            "生产时间（本中心时间）",
            "每容器细胞数",
            "冷冻柜",
            "创建批次（隔离状态）",
        ],
        ["Lot number", "Manufactured at", "Cells per container", "Freezer", "Create lot in quarantine"],
    )


def test_a_bad_new_lot_form_says_so_in_chinese(browse_in_chinese):
    lab = browse_in_chinese("gmp")
    _shows(
        _page(lab, "/lots/new", 422, data={"lot_number": "VH-0002", "material": "placebo"}),
        ["部分字段缺失或无效", "icon-stop"],
        ["Some fields are missing or invalid"],
    )


def test_a_lot_and_its_qc_entry_are_in_chinese(browse_in_chinese, a_lot_failing_endotoxin):
    qa = browse_in_chinese("qa")
    _shows(
        _page(qa, f"/lots/{a_lot_failing_endotoxin}"),
        [
            "批次 VH-0001", "结果与质量标准对照", "阻碍放行的事项", "不合格", "缺失", "无菌检查：无结果",
            "细菌内毒素：0.9 不符合 &lt; 0.5 EU/mL", "全部 QC 录入记录", "尚无 QA 签名。", "签名：放行或拒绝",
            "检验报告书（PDF）",
        ],
        [
            "Results against specification", "What blocks release", "does not meet", "no result",
            "Every QC entry", "No QA signature yet", "Certificate of analysis", ">Fail<", "Missing",
        ],
    )  # fmt: skip
    lab = browse_in_chinese("gmp")
    _shows(
        _page(lab, f"/lots/{a_lot_failing_endotoxin}/qc"),
        [
            "<h1>录入质量控制（QC）结果</h1>",
            "检验项目",
            "细菌内毒素（标准：&lt; 0.5 EU/mL）",
            "更正先前的结果（录入错误的数值）",
            "记录这些结果",
            'data-pass="合格" data-fail="不合格"',  # the live verdict's words
        ],
        ["Enter QC results", "Correct an earlier result", "Record these results", "(spec:", "New result"],
    )


def test_the_signing_page_is_in_chinese(browse_in_chinese, a_lot_failing_endotoxin):
    qa = browse_in_chinese("qa")
    url = f"/lots/{a_lot_failing_endotoxin}/sign"
    _shows(
        _page(qa, url),
        [
            "<h1>签署批次 VH-0001",
            "电子签名（21 CFR Part 11）",
            "本签名的含义",
            "您的密码",
            "签名放行",
            "签名拒绝",
            "放行：QC 结果已审核且符合质量标准",  # the meaning to choose, in the reader's language
        ],
        [
            "Sign lot",
            "electronic signature",
            "Meaning of this signature",
            "Sign release",
            "Sign rejection",
            "> Released: QC results",
        ],
    )
    _shows(
        _page(qa, url, 422, data={"action": "scrap", "password": PASSWORD}),
        ["请选择放行、拒绝或召回", "未知操作"],
        ["Choose release, reject or recall", "unknown action"],
    )


@pytest.fixture
def enrolled(runner, tmp_path, login):
    import_list(runner, tmp_path, list_rows(per_stratum=2))
    investigator = login("investigator")
    response = investigator.post("/api/v1/participants", json={"participant_id": "M-1", "stratum": "A"})
    assert response.status_code == 201, response.json
    return investigator


def test_the_participant_pages_are_in_chinese(browse_in_chinese, enrolled):
    investigator = browse_in_chinese("investigator")
    _shows(
        _page(investigator, "/participants"),
        ["<h1>受试者</h1>", "查找受试者", "随机号", "分层", "入组资格", "无记录"],
        ["Find a participant", "Randomization code", "Eligibility", "none recorded"],
    )
    _shows(
        _page(investigator, "/participants/enrol"),
        ["<h1>受试者入组</h1>", "受试者编号", "卒中发病时间", "根据发病时间确定", "入选标准", "排除标准",
         "（符合条件：", "至不足", "核查入组资格和分层"],
        ["Participant ID", "Stroke onset", "Inclusion criteria", "Exclusion criteria", "eligible when",
         "to under", "Check eligibility and stratum"],
    )  # fmt: skip
    _shows(
        _page(investigator, "/participants/M-1"),
        ["<h1>受试者 M-1</h1>", "分层依据", "研究者选择（未记录发病时间）", "入组时未记录资格核查表。"],
        ["Stratum from", "investigator's choice", "No eligibility checklist"],
    )


def test_the_code_break_pages_are_in_chinese(browse_in_chinese, enrolled):
    investigator = browse_in_chinese("investigator")
    _shows(
        _page(investigator, "/participants/code-break"),
        ["<h1>紧急揭盲</h1>", "<strong>一名</strong>受试者", "受试者编号", "原因", "核对"],
        ["Emergency code-break", "Break the blind", "Participant ID", ">Review<"],
    )
    _shows(
        _page(
            investigator, "/participants/code-break", 422, data={"step": "review", "participant_id": "M-1"}
        ),
        ["紧急揭盲须说明原因", "请说明为何救治需要知道组别", "icon-stop"],
        ["needs a reason"],
    )
    _shows(
        _page(
            investigator, "/participants/code-break",
            data={"step": "review", "participant_id": "M-1", "reason": "SAE"},
        ),
        ["您即将对受试者 <strong>M-1</strong>（分层 A", "此操作无法撤销。", "签名并揭盲"],
        ["You are about to unblind", "Sign and unblind", "cannot be undone"],
    )  # fmt: skip


def test_the_randomization_lists_page_is_in_chinese(browse_in_chinese, runner, tmp_path):
    import_list(runner, tmp_path, list_rows(per_stratum=2))
    statistician = browse_in_chinese("statistician")
    _shows(
        _page(statistician, "/randomization"),
        ["<h1>随机化列表</h1>", "列表 1", "承诺哈希（SHA-256）：", "盐值：", "已用随机号", "生成列表",
         "导入列表", "随机种子", "区组大小（以逗号分隔）", "生成并提交", "预览"],
        ["Generate a list", "Import a list", "Commitment", "Salt:", "Codes per stratum", "Block sizes",
         "Download list"],
    )  # fmt: skip
    refused = _page(
        statistician, "/randomization/generate", 422,
        data={"seed": "x", "per_stratum": "2", "block_sizes": "2"}, form_page="/randomization",
    )  # fmt: skip
    _shows(refused, ["无法生成该列表", "请填写零或正整数"], ["cannot be generated", "give a whole number"])


def test_the_notifications_page_is_in_chinese(browse_in_chinese, enrolled, monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    response = enrolled.post("/api/v1/participants/M-1/unblind", json={"reason": "SAE", "password": PASSWORD})
    assert response.status_code == 200, response.json
    qa = browse_in_chinese("qa")
    _shows(
        _page(qa, "/notifications"),
        ["<h1>通知</h1>", "最新的在前", "创建时间", "接收方", "主题", "申办方", "质量保证", "未发送"],
        ["Newest first", "E-mailed", "not sent", '<th scope="col">Subject'],
    )


def test_the_account_pages_are_in_chinese(browse_in_chinese, make_user):
    admin = browse_in_chinese("admin")
    nurse = make_user("nurse", "ward.nurse")
    text = _page(admin, "/admin/users")
    _shows(text, ["人员与账户", "添加用户", "姓名", "您的密码（即您的签名）"], ["Add a user", "Last sign-in"])
    text = _page(admin, f"/admin/users/{nurse}")
    _shows(text, ["停用账户", "重置密码", "账户历史"], ["Disable the account", "Forgotten password"])
    refused = _page(
        admin, f"/admin/users/{admin.username}", 409,
        data={"action": "disable", "reason": "测试", "password": PASSWORD}, form_page=f"/admin/users/{nurse}",
    )  # fmt: skip
    _shows(refused, ["最后一位启用中的管理员"], ["last active admin"])
    text = _page(admin, "/account/password")
    _shows(text, ["更改我的密码", "当前密码", "再次输入新密码"], ["Current password"])
    weak = _page(
        admin, "/account/password", 422,
        data={"current_password": PASSWORD, "new_password": "Password123", "confirm_password": "Password123"},
    )  # fmt: skip
    _shows(weak, ["这是最常见的密码之一"], ["most common"])
