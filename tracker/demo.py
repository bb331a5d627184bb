"""The evaluation data set behind `flask --app app demo`, grown by each feature to walk the whole chain."""

from __future__ import annotations

from sqlalchemy import select

from tracker.roles import ROLES, SYSTEM
from tracker.users.models import User
from tracker.users.services import create_user
from tracker.web.context import reader, uow

DEMO_NAMES = {
    "admin": "Admin Demo",
    "gmp": "Gao Min (GMP lab)",
    "qa": "Qian An (QA)",
    "pharmacist": "Pan Hua (pharmacy)",
    "nurse": "Niu Li (ward)",
    "investigator": "Yin Jie (investigator)",
    "statistician": "Shi Tong (statistics)",
}


def build_demo() -> list[str]:
    from tracker.cli import generated_password

    lines = ["Demo users (passwords are shown once; store them now):"]
    passwords: dict[str, str] = {}
    with reader() as work:
        existing = set(work.session.execute(select(User.username)).scalars())
    for role in ROLES:
        username = f"demo_{role}"
        if username in existing:
            lines.append(f"  {username:<20} {role:<13} (exists; password unchanged)")
            continue
        password = generated_password()
        create_user(uow(), SYSTEM, username, role, password, DEMO_NAMES[role])
        passwords[role] = password
        lines.append(f"  {username:<20} {role:<13} {password}")

    from tracker.lots.demo import build_demo_lots

    lines += build_demo_lots(passwords)
    return lines
