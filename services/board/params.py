"""Input guards of the board service's schemas and routes (the shared ones:
:mod:`shared.inputs`).

PostgreSQL refuses NUL characters in text and integers beyond 64 bits; both are caught at
the edge as 422s naming the field, never as database errors.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from shared.inputs import MAX_ID, NO_NUL, IdPath, Input, text_query
from shared.vocabulary import AgencyCode

#: an agency code (as the gateway's agencies)
Agency = AgencyCode
#: a meeting type's code
TypeCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,39}$")]
#: a plan action's reference (theme, criterion letter, number: ``1A1``); format only
ActionRef = Annotated[str, StringConstraints(pattern=r"^[1-9][A-Z][0-9]{1,2}$")]

__all__ = ["MAX_ID", "NO_NUL", "ActionRef", "Agency", "IdPath", "Input", "TypeCode", "text_query"]
