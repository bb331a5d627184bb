"""Accessibility of the pages that show one record (a lot, a bag, a participant, an infusion, an account):
axe-core at desktop and tablet size on each such page a role can open, with a trial day's records behind them;
any serious or critical violation fails. tests/e2e/test_accessibility.py covers the pages without a record."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_accessibility import SIZES, _describe, _violations
from tests.pharmacy_support import CELL_LOT, VEHICLE_LOT, build_trial, iso
from tests.ward_support import ready_bag, start

RECORD_ROLES = ("admin", "gmp", "qa", "pharmacist", "nurse", "investigator")


def _record_pages(role: str, trial: Any, user: str) -> list[str]:
    active = ready_bag(trial, "active")
    placebo = ready_bag(trial, "placebo")
    infusion = start(trial, active["bag_id"], active["participant_id"], started_at=iso())
    assert infusion.status_code == 201, infusion.json
    waiting_code = trial.of_arm("active")[1][1]
    lot = [f"/lots/{CELL_LOT}", f"/lots/{CELL_LOT}/boxes", f"/lots/{VEHICLE_LOT}"]
    ward = [f"/ward/bags/{active['bag_id']}", f"/ward/bags/{placebo['bag_id']}"]
    participant = [f"/participants/{active['participant_id']}", f"/participants/{placebo['participant_id']}"]
    return {
        "admin": [f"/admin/users/{user}"],
        "gmp": [*lot, f"/lots/{CELL_LOT}/qc"],
        "qa": [*lot, f"/lots/{CELL_LOT}/sign", *ward],
        "pharmacist": [
            *lot, f"/pharmacy/bags/{active['bag_id']}", f"/pharmacy/bags/{placebo['bag_id']}",
            f"/pharmacy/prepare/{waiting_code}",
        ],
        "nurse": [*participant, *ward, f"/ward/infusions/{infusion.json['infusion_id']}"],
        "investigator": [*participant, *ward],
    }[role]  # fmt: skip


@pytest.mark.parametrize("role", RECORD_ROLES)
def test_no_serious_or_critical_axe_violation_on_the_record_pages_of_the_role(
    login, runner, tmp_path, make_user, sign_in, page, live_server, role
):
    trial = build_trial(login, runner, tmp_path)
    user = make_user(role)
    urls = _record_pages(role, trial, user)
    sign_in(user)
    problems: list[str] = []
    for url in urls:
        page.set_viewport_size(SIZES[0])
        response = page.goto(f"{live_server}{url}")
        assert response is not None
        assert response.ok, f"{role} {url}: {response.status}"
        assert "text/html" in response.headers.get("content-type", "")
        for size in SIZES:
            page.set_viewport_size(size)
            problems += [_describe(url, size, v) for v in _violations(page)]
    assert not problems, f"{role}: {len(problems)} serious or critical violations\n" + "\n".join(problems)
