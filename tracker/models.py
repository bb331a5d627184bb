"""Every table, imported in one place so that metadata and migrations see the whole schema."""

import tracker.randomization.allocation  # noqa: F401 - registers the arm table; only that module touches it
from tracker.audit.models import ArchivedAuditEvent, AuditEvent, AuditHead, AuditSeal, UnblindedAuditEvent
from tracker.custody.models import CustodyEvent
from tracker.db import Base
from tracker.doses.models import Bag, BagPreparation
from tracker.infusions.models import Infusion, Scan
from tracker.lots.models import Container, Lot, LotSignature, QcResult
from tracker.notifications.models import Notification
from tracker.participants.models import CodeBreak, Participant
from tracker.randomization.models import RandomizationCode, RandomizationList
from tracker.stock.models import Kit, KitContainer
from tracker.studies.models import Study
from tracker.thaws.models import Thaw
from tracker.users.models import ApiToken, LoginAttempt, User

__all__ = [
    "ApiToken", "ArchivedAuditEvent", "AuditEvent", "AuditHead", "AuditSeal", "UnblindedAuditEvent", "Base",
    "LoginAttempt", "Study", "User",
    "CodeBreak", "Notification", "Participant", "RandomizationCode", "RandomizationList",
    "Container", "CustodyEvent", "Lot",
    "LotSignature", "QcResult", "Bag", "BagPreparation", "Thaw", "Infusion", "Scan", "Kit", "KitContainer",
]  # fmt: skip
