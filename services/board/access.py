"""Who may do what with the board's records: the permissions of ``shared/rights.py``, then
this service's object-level rules.

- Reading meetings and meeting types (``board:read``): every person, and partner systems
  with the ``board:read`` scope. Board papers are the partnership's, not one agency's, so
  there is no agency filter on reading.
- Writing meetings (``board:write``): the board's administrators (``board_admin``, any
  agency: the secretariat may sit with a partner), council plan managers and
  administrators (a plan manager or administrator of another agency is refused here), and
  partner systems with the ``board:write`` scope.
- Extending the meeting types (``board:administer``): administrators and board
  administrators.
"""

from __future__ import annotations

from shared import rights
from shared.identity import Caller
from shared.problems import Forbidden


def require_read(caller: Caller) -> None:
    if not rights.holds(caller, "board:read"):
        raise Forbidden("reading board meetings needs board:read")


def can_write(caller: Caller) -> bool:
    if not rights.holds(caller, "board:write"):
        return False
    if caller.kind == "client" or caller.has_role("board_admin"):
        return True
    return caller.agency == rights.ADMIN_AGENCY


def require_writer(caller: Caller) -> None:
    if not can_write(caller):
        raise Forbidden(
            "writing board meetings needs a board administrator, or a council plan manager "
            "or administrator (or the board:write scope)"
        )


def require_type_administrator(caller: Caller) -> None:
    if not rights.holds(caller, "board:administer"):
        raise Forbidden("adding meeting types needs an administrator or board administrator")
