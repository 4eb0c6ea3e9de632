"""Every table of the service, imported so the metadata is complete (Alembic, tests)."""

from __future__ import annotations

from services.actions.actions.models import Action, ActionEvent, ActionOwner, ActionStep
from services.actions.criteria.models import CriterionIndicator
from services.actions.db import Base, idempotency, outbox
from services.actions.plans.models import Owner, Plan, SuccessCriterion, Theme
from services.actions.progress.models import ProgressUpdate
from services.actions.recommendations.models import Recommendation, RecommendationAction
from services.actions.reminders.models import NotificationDelivery, Reminder
from services.actions.risks.models import Risk
from services.actions.sprints.models import Sprint

metadata = Base.metadata

__all__ = [
    "Action",
    "ActionEvent",
    "ActionOwner",
    "ActionStep",
    "CriterionIndicator",
    "NotificationDelivery",
    "Owner",
    "Plan",
    "ProgressUpdate",
    "Recommendation",
    "RecommendationAction",
    "Reminder",
    "Risk",
    "Sprint",
    "SuccessCriterion",
    "Theme",
    "idempotency",
    "metadata",
    "outbox",
]
