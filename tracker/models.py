"""Every table, imported in one place so that metadata and migrations see the whole schema."""

from tracker.audit.models import AuditEvent, AuditHead
from tracker.custody.models import CustodyEvent
from tracker.db import Base
from tracker.lots.models import Container, Lot, LotSignature, QcResult
from tracker.studies.models import Study
from tracker.users.models import ApiToken, LoginAttempt, User

__all__ = [
    "ApiToken", "AuditEvent", "AuditHead", "Base", "Container", "CustodyEvent", "LoginAttempt", "Lot",
    "LotSignature", "QcResult", "Study", "User",
]  # fmt: skip
