"""The one way this service's domains write an outbox event (shipped to the audit trail);
``caller=None``: a scheduled job acts."""

from __future__ import annotations

from services.actions.db import outbox
from shared.outbox import emitter

PURPOSE = "improvement plan"

emit = emitter(outbox, PURPOSE)
