"""Every table, imported in one place so that metadata and migrations see the whole schema."""

import tracker.randomization.allocation  # noqa: F401 - registers the arm table; only that module touches it
from tracker.adverse_events.models import AdverseEvent
from tracker.audit.models import ArchivedAuditEvent, AuditEvent, AuditHead, AuditSeal, UnblindedAuditEvent
from tracker.custody.models import ContainerQuarantine, CustodyEvent
from tracker.db import Base
from tracker.deviations.models import Deviation, DeviationClosure
from tracker.lots.models import Container, Lot, LotSignature, QcResult
from tracker.notifications.models import Notification
from tracker.participants.models import CodeBreak
from tracker.pharmacy.models import Bag, BagPreparation
from tracker.randomization.models import Participant, RandomizationCode, RandomizationList
from tracker.shipments.models import Shipment, ShipmentItem
from tracker.sites.models import Site
from tracker.stock.models import Kit, KitContainer
from tracker.storage.models import StorageMove, StorageUnit, TemperatureReading
from tracker.studies.models import Study
from tracker.thaws.models import Thaw
from tracker.users.models import ApiToken, LoginAttempt, User
from tracker.ward.models import Infusion, Scan

__all__ = [
    "ApiToken", "ArchivedAuditEvent", "AuditEvent", "AuditHead", "AuditSeal", "UnblindedAuditEvent", "Base",
    "LoginAttempt", "Study", "User",
    "CodeBreak", "Notification", "Participant", "RandomizationCode", "RandomizationList",
    "Container", "ContainerQuarantine", "CustodyEvent", "Lot",
    "LotSignature", "QcResult", "Bag", "BagPreparation", "Thaw", "Infusion", "Scan", "Kit", "KitContainer",
    "Deviation", "DeviationClosure",
    "AdverseEvent",
    "StorageMove", "StorageUnit", "TemperatureReading", "Site",
    "Shipment", "ShipmentItem",
]  # fmt: skip
