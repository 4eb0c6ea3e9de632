"""Every table of the service, imported so the metadata is complete (Alembic, tests)."""

from __future__ import annotations

from services.kpis.db import Base, idempotency, outbox
from services.kpis.imports import models as import_models
from services.kpis.indicators.models import Indicator
from services.kpis.orgunits.models import OrgUnit
from services.kpis.reference.models import Benchmark, Population, Target
from services.kpis.releases.models import Release
from services.kpis.submissions.models import Submission
from services.kpis.values.models import IndicatorValue, ValuePeriod, ValueTransition
from services.kpis.webhooks.models import WebhookCursor, WebhookDelivery, WebhookSubscription

metadata = Base.metadata

__all__ = [
    "Benchmark",
    "Indicator",
    "IndicatorValue",
    "OrgUnit",
    "Population",
    "Release",
    "Submission",
    "Target",
    "ValuePeriod",
    "ValueTransition",
    "WebhookCursor",
    "WebhookDelivery",
    "WebhookSubscription",
    "idempotency",
    "import_models",
    "metadata",
    "outbox",
]
