"""The status machine of an action."""

from __future__ import annotations

ALLOWED: dict[str, tuple[str, ...]] = {
    "not_started": ("in_progress", "blocked", "deferred"),
    "in_progress": ("completed", "blocked", "deferred"),
    "blocked": ("in_progress", "deferred"),
    "deferred": ("not_started", "in_progress"),
    "completed": ("embedded", "in_progress"),
    "embedded": (),
}


def allowed_moves(current: str) -> tuple[str, ...]:
    return ALLOWED.get(current, ())
