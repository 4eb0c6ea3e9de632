"""Input guards of the audit service's schemas and routes (the shared ones:
:mod:`shared.inputs`)."""

from __future__ import annotations

from shared.inputs import MAX_ID, NO_NUL, IdField, IdPath, IdQuery, Input, text_query

__all__ = ["MAX_ID", "NO_NUL", "IdField", "IdPath", "IdQuery", "Input", "text_query"]
