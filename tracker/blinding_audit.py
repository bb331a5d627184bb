"""`flask --app app blinding audit`: in a scratch database, prepare a matched active and placebo bag, walk
both through the ward, collect everything each blinded role can receive about them (JSON answers, errors,
pages, labels, PDFs, CSV rows, the audit trail) and report every difference that remains once the random IDs
and the times are taken out. A difference is a leak: the command fails."""

from __future__ import annotations

import datetime as dt
import difflib
import io
import json
import re
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tracker.roles import ROLES, SYSTEM

PASSWORD = "Blinding-Audit-" + secrets.token_hex(4) + "Aa1"
BLINDED = tuple(role for role in ROLES if role not in ("pharmacist", "statistician"))
_TIME = re.compile(
    r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d| ?UTC)?"  # ISO and printed times
)
_DURATION = re.compile(r"\b\d+(\.\d+)?\s?(h|min|s|hours?|minutes?|seconds?)\b")
_HASH = re.compile(r"\b[0-9a-f]{16,64}\b")
_SEQ = re.compile(r'("seq": |"after_seq": |seq )\d+')
_CSRF = re.compile(r'name="csrf_token" value="[^"]*"')
PDF_SIZE_SLACK = 0.01  # random IDs compress a little differently: 1 % (at least 64 bytes) is not a signal


@dataclass
class BagCase:
    """One arm's bag and everything random about it, replaced by a placeholder before comparing."""

    arm: str
    participant_id: str = ""
    randomization_code: str = ""
    bag_id: str = ""
    qr_payload: str = ""
    ids: dict[str, str] = field(default_factory=dict)  # value -> placeholder
    seen: dict[tuple[str, str], Any] = field(default_factory=dict)  # (role, item) -> what the role received

    def remember(self, value: str, placeholder: str) -> None:
        if value:
            self.ids[value] = placeholder


def normalise(text: str, case: BagCase) -> str:
    for value, placeholder in sorted(case.ids.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(value, placeholder)
        text = text.replace(value.lower(), placeholder)
    text = _CSRF.sub('name="csrf_token" value="<csrf>"', text)
    text = _SEQ.sub(r"\1<n>", text)
    text = _HASH.sub("<hash>", text)
    text = _TIME.sub("<time>", text)
    return _DURATION.sub("<duration>", text)


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return f"pages={len(reader.pages)}\n" + "\n".join(page.extract_text() for page in reader.pages)


def _received(response: Any) -> tuple[str, int | None]:
    """What a response gives its reader, as comparable text, and its size when the size itself may leak."""
    kind = response.mimetype
    head = f"status={response.status_code} type={kind}\n"
    if kind == "application/json":
        return head + json.dumps(response.get_json(), sort_keys=True, indent=1, ensure_ascii=False), None
    if kind == "application/pdf":
        return head + _pdf_text(response.data), len(response.data)
    return head + response.get_data(as_text=True), None


class Walk:
    """Drives the scratch app through its API and pages as each role would."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.api = app.test_client()
        self.tokens: dict[str, str] = {}
        self.pages: dict[str, Any] = {}

    def token(self, role: str) -> str:
        if role not in self.tokens:
            from tracker.users.services import create_user
            from tracker.web.context import uow

            with self.app.app_context():
                create_user(uow(), SYSTEM, f"audit_{role}", role, PASSWORD, f"Audit {role}")
            answer = self.api.post(
                "/api/v1/auth/token", json={"username": f"audit_{role}", "password": PASSWORD}
            )
            self.tokens[role] = answer.get_json()["token"]
        return self.tokens[role]

    def call(self, role: str, method: str, url: str, body: Any = None, expect: int | None = None) -> Any:
        response = self.api.open(
            url, method=method, json=body, headers={"Authorization": f"Bearer {self.token(role)}"}
        )
        if expect is not None and response.status_code != expect:
            raise RuntimeError(
                f"{role} {method} {url}: {response.status_code} {response.get_data(as_text=True)}"
            )
        return response

    def page(self, role: str, url: str) -> Any:
        if role not in self.pages:
            self.token(role)
            client = self.app.test_client()
            login = client.get("/login").get_data(as_text=True)
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
            client.post(
                "/login", data={"username": f"audit_{role}", "password": PASSWORD, "csrf_token": csrf}
            )
            self.pages[role] = client
        return self.pages[role].get(url)

    def has_page(self, rule: str) -> bool:
        return any(r.rule == rule for r in self.app.url_map.iter_rules())


def _iso(delta: dt.timedelta = dt.timedelta()) -> str:
    return (dt.datetime.now(dt.UTC) + delta).isoformat()


_QC = {
    "ucmsc": {
        "sterility": "negative",
        "mycoplasma": "negative",
        "endotoxin": 0.1,
        "viability": 92,
        "cd73": 98,
        "cd90": 99,
        "cd105": 97,
        "cd34": 0.4,
        "cd45": 0.6,
        "hla_dr": 1.1,
        "karyotype": "normal",
    },
    "placebo": {"sterility": "negative", "endotoxin": 0.05},
}


def _released_lot(walk: Walk, lot_number: str, material: str) -> dict:
    body = {
        "lot_number": lot_number,
        "material": material,
        "manufactured_at": _iso(-dt.timedelta(days=3)),
        "expires_at": _iso(dt.timedelta(days=365)),
        "container_count": 4,
        "volume_ml_per_container": 20 if material == "ucmsc" else 100,
    }
    if material == "ucmsc":
        body["cells_per_container"] = 1.5e8
    lot = walk.call("gmp", "POST", "/api/v1/lots", body, expect=201).get_json()
    for test, value in _QC[material].items():
        walk.call(
            "gmp", "POST", f"/api/v1/lots/{lot_number}/qc-results", {"test": test, "value": value}, expect=201
        )
    walk.call(
        "qa",
        "POST",
        f"/api/v1/lots/{lot_number}/release",
        {"password": PASSWORD, "meaning": "QA release"},
        expect=200,
    )
    return lot


def _set_up(walk: Walk) -> tuple[dict[str, BagCase], str]:
    """Released lots, a list whose first two codes are active then placebo, three enrolled participants."""
    from tracker.randomization.services import import_list
    from tracker.users.services import actor_of
    from tracker.web.context import uow

    cells = _released_lot(walk, "BA-CELLS", "ucmsc")
    vehicle = _released_lot(walk, "BA-VEHICLE", "placebo")
    # Containers reach the pharmacy only in kits: one kit feeds the active bag's thaw and the placebo bag.
    kit = [cells["containers"][0]["container_id"], vehicle["containers"][0]["container_id"]]
    walk.call(
        "gmp", "POST", "/api/v1/containers/issue", {"container_ids": kit, "location": "Pharmacy"}, expect=201
    )
    codes = [
        "R" + "".join(secrets.choice("23456789ABCDEFGHJKMNPQRSTUVWXYZ") for _ in range(6)) for _ in range(3)
    ]
    rows = "randomization_code,stratum,arm\n" + "".join(
        f"{code},A,{arm}\n" for code, arm in zip(codes, ("active", "placebo", "active"), strict=True)
    )
    walk.token("statistician")
    with walk.app.app_context():
        from sqlalchemy import select

        from tracker.users.models import User
        from tracker.web.context import reader

        with reader() as work:
            statistician = actor_of(
                work.session.execute(select(User).where(User.username == "audit_statistician")).scalar_one()
            )
        import_list(uow(), statistician, rows.encode())
    cases = {}
    for arm, participant_id in (("active", "BA-0001"), ("placebo", "BA-0002"), ("bystander", "BA-0003")):
        enrolled = walk.call(
            "investigator",
            "POST",
            "/api/v1/participants",
            {"participant_id": participant_id, "stratum": "A"},
            expect=201,
        ).get_json()
        case = BagCase(arm, participant_id, enrolled["randomization_code"])
        case.remember(participant_id, "<participant>")
        case.remember(enrolled["randomization_code"], "<code>")
        cases[arm] = case
    container = cells["containers"][0]["container_id"]
    return cases, container


def _prepare(walk: Walk, case: BagCase, cell_container: str) -> None:
    body: dict[str, Any] = {"randomization_code": case.randomization_code, "final_volume_ml": 100}
    if case.arm == "active":
        thaw = walk.call(
            "pharmacist",
            "POST",
            "/api/v1/thaws",
            {
                "container_id": cell_container,
                "viable_cells_per_ml": 5e6,
                "viability_percent": 85,
                "volume_ml": 20,
            },
            expect=201,
        )
        body.update(thaw_id=thaw.get_json()["thaw_id"], drawn_volume_ml=20)
    else:
        body["placebo_lot"] = "BA-VEHICLE"
    bag = walk.call("pharmacist", "POST", "/api/v1/doses", body, expect=201).get_json()
    case.bag_id, case.qr_payload = bag["bag_id"], bag["qr_payload"]
    case.remember(bag["bag_id"], "<bag>")
    case.remember(bag["qr_payload"], "<payload>")


def _ward(walk: Walk, case: BagCase, bystander: BagCase) -> None:
    """What happens on the ward, the same for both bags; the nurse's answers are kept as they come."""
    bag = f"/api/v1/bags/{case.bag_id}"
    case.seen["pharmacist", "label.pdf"] = walk.call("pharmacist", "GET", f"{bag}/label.pdf", expect=200)
    case.seen["pharmacist", "label.zpl"] = walk.call(
        "pharmacist", "GET", f"{bag}/label.zpl?reason=audit", expect=200
    )
    case.seen["nurse", "qr_payload"] = case.qr_payload
    walk.call(
        "pharmacist", "POST", f"{bag}/handoffs", {"action": "dispatch", "location": "Pharmacy"}, expect=201
    )
    case.seen["nurse", "receive"] = walk.call(
        "nurse",
        "POST",
        f"{bag}/handoffs",
        {"action": "receive", "location": "Ward", "temperature_c": 5, "seal_intact": True},
        expect=201,
    )
    scans = [
        ("scan match", case.qr_payload, case.participant_id),
        ("scan wrong participant", case.qr_payload, bystander.participant_id),
        (
            "scan forged",
            case.qr_payload[:-1] + ("A" if case.qr_payload[-1] != "A" else "B"),
            case.participant_id,
        ),
    ]
    for name, payload, participant_id in scans:
        answer = walk.call(
            "nurse", "POST", "/api/v1/scans", {"qr_payload": payload, "participant_id": participant_id}
        )
        case.remember(answer.get_json().get("scan_id", ""), f"<scan:{name}>")
        case.seen["nurse", name] = answer
    case.remember(case.qr_payload[:-1] + ("A" if case.qr_payload[-1] != "A" else "B"), "<forged>")
    started = walk.call(
        "nurse",
        "POST",
        "/api/v1/infusions",
        {"bag_id": case.bag_id, "participant_id": case.participant_id},
        expect=201,
    )
    infusion_id = started.get_json()["infusion_id"]
    case.remember(infusion_id, "<infusion>")
    case.seen["nurse", "infusion start"] = started
    case.seen["nurse", "infusion end"] = walk.call(
        "nurse",
        "PATCH",
        f"/api/v1/infusions/{infusion_id}",
        {"completed_at": _iso(), "volume_infused_ml": 99},
        expect=200,
    )


def _reads(walk: Walk, case: BagCase) -> list[tuple[str, str, Callable[[], Any]]]:
    """Everything each blinded role may read about the bag and its participant, as (role, item, fetch)."""
    bag, pid = case.bag_id, case.participant_id
    reads: list[tuple[str, str, Callable[[], Any]]] = []
    api = {
        f"/api/v1/bags/{bag}": ("nurse", "investigator"),
        f"/api/v1/bags/{bag}/custody": ("nurse", "investigator", "qa"),
        f"/api/v1/bags/{bag}/custody.pdf": ("nurse", "investigator", "qa"),
        f"/api/v1/participants/{pid}": ("nurse", "investigator"),
        f"/api/v1/participants/{pid}/record.pdf": ("nurse", "investigator", "qa"),
        f"/api/v1/audit?entity_type=bag&entity_id={bag}": ("qa", "admin"),
        f"/api/v1/audit?entity_type=participant&entity_id={pid}": ("qa", "admin"),
        "/api/v1/audit?entity_type=infusion&entity_id={infusion}": ("qa", "admin"),
    }
    infusion = next((v for v, p in case.ids.items() if p == "<infusion>"), "")
    for url, roles in api.items():
        url = url.format(infusion=infusion)
        for role in roles:
            reads.append((role, normalise(url, case), lambda r=role, u=url: walk.call(r, "GET", u)))
    for role in ("qa",):
        reads.append(
            (
                role,
                "accountability row",
                lambda r=role: _row(walk.call(r, "GET", "/api/v1/reports/accountability"), bag),
            )
        )
    for role in ("qa", "admin"):
        reads.append(
            (
                role,
                "sdtm ex row",
                lambda r=role: _csv_row(walk.call(r, "GET", "/api/v1/exports/sdtm-ex.csv"), pid),
            )
        )
    pages = {
        f"/participants/{pid}": ("nurse", "investigator"),
        f"/ward/bags/{bag}": ("nurse", "investigator", "qa"),
    }
    for url, roles in pages.items():
        rule = re.sub(r"/[^/]+$", "/<participant_id>" if "participants" in url else "/<bag_id>", url)
        if walk.has_page(rule):
            for role in roles:
                reads.append((role, f"page {rule}", lambda r=role, u=url: walk.page(r, u)))
    return reads


def _row(response: Any, bag_id: str) -> str:
    rows = [row for row in response.get_json()["items"] if row["bag_id"] == bag_id]
    return json.dumps(rows, sort_keys=True, indent=1)


def _csv_row(response: Any, participant_id: str) -> str:
    lines = response.get_data(as_text=True).splitlines()
    return "\n".join([lines[0], *(line for line in lines[1:] if participant_id in line)])


def _as_text(value: Any) -> tuple[str, int | None]:
    if isinstance(value, str):
        return value, None
    return _received(value)


def compare(active: BagCase, placebo: BagCase) -> list[str]:
    """Every difference between what the same role received about the two bags."""
    problems = []
    for key in sorted(active.seen):
        role, item = key
        (a_text, a_size), (p_text, p_size) = _as_text(active.seen[key]), _as_text(placebo.seen.get(key, ""))
        a_norm, p_norm = normalise(a_text, active), normalise(p_text, placebo)
        if a_norm != p_norm:
            diff = difflib.unified_diff(
                a_norm.splitlines(), p_norm.splitlines(), "active", "placebo", lineterm="", n=0
            )
            problems.append(f"{role} · {item}: content differs\n    " + "\n    ".join(list(diff)[2:12]))
        if a_size is not None and p_size is not None:
            allowed = max(64, PDF_SIZE_SLACK * max(a_size, p_size))
            if abs(a_size - p_size) > allowed:
                problems.append(
                    f"{role} · {item}: sizes {a_size} and {p_size} bytes differ by more than {allowed:.0f}"
                )
    return problems


def run(echo: Callable[[str], None]) -> int:
    """Build the scratch trial, collect, compare; the number of differences found."""
    from tracker import create_app

    with tempfile.TemporaryDirectory() as scratch:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{scratch}/blinding-audit.db",
                "AUTO_MIGRATE": True,
                "TESTING": True,
                "SECRET_KEY": secrets.token_hex(16),
                "QR_SIGNING_KEY": secrets.token_hex(16),
                "DEFAULT_STUDY": "umsis",
            }
        )
        app.instance_path = scratch
        try:
            walk = Walk(app)
            cases, cell_container = _set_up(walk)
            active, placebo, bystander = cases["active"], cases["placebo"], cases["bystander"]
            for case in (active, placebo):
                _prepare(walk, case, cell_container)
            for case in (active, placebo):
                _ward(walk, case, bystander)
            for case in (active, placebo):
                for role, item, fetch in _reads(walk, case):
                    case.seen[role, item] = fetch()
            if (
                len(active.qr_payload) != len(placebo.qr_payload)
                or not (active.qr_payload + placebo.qr_payload).isalnum()
            ):
                echo("qr payloads differ in length or alphabet")
            problems = compare(active, placebo)
        finally:
            app.extensions["tracker"].engine.dispose()
    echo(
        f"Compared {len(active.seen)} things blinded roles receive about a matched active and placebo bag "
        f"(roles: {', '.join(BLINDED)})."
    )
    for problem in problems:
        echo(f"DIFFERENCE {problem}")
    echo(
        "No differences: nothing received tells the arms apart."
        if not problems
        else f"{len(problems)} differences."
    )
    return len(problems)
