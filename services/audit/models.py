"""Every table of the service, imported so the metadata is complete (Alembic, tests)."""

from __future__ import annotations

from services.audit.audits.models import AuditSection, CaseAudit
from services.audit.db import Base, idempotency_keys, outbox
from services.audit.findings.models import Finding
from services.audit.notices.models import NotificationDelivery
from services.audit.programmes.models import AuditProgramme, ProgrammeCriterion
from services.audit.tools.models import AuditTool
from services.audit.trail.models import TrailCheckpoint, TrailEvent

metadata = Base.metadata

__all__ = [
    "AuditProgramme",
    "AuditSection",
    "AuditTool",
    "CaseAudit",
    "Finding",
    "NotificationDelivery",
    "ProgrammeCriterion",
    "TrailCheckpoint",
    "TrailEvent",
    "idempotency_keys",
    "metadata",
    "outbox",
]
