"""The one way this service's domains write an outbox event (shipped to the audit trail)."""

from __future__ import annotations

from services.kpis.db import outbox
from shared.outbox import emitter

emit = emitter(outbox)
