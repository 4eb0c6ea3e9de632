"""The one way the board service writes an outbox event (the relay ships it to the trail)."""

from __future__ import annotations

from services.board.db import outbox
from shared.outbox import emitter

PURPOSE = "board governance"

emit = emitter(outbox, PURPOSE)
