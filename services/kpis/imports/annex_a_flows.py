"""The Annex A's flows besides the standard ones (``compute.FLOWS``), issue 17 item 3.

- ``CONTACTS_DECIDED`` / ``CONTACTS_1WD``: contacts with the front door's decision recorded
  (a decision date: not in the DfE Annex A, some local exports add it), counted in the month
  of the contact, and the share decided within one working day (Working Together: a decision
  about next steps within one working day; working days as for assessments, bank holidays
  of England and Wales excluded, a decision on the day of the contact is 0 days);
- ``EH_ASSESSMENTS`` / ``EH_ASSESSMENTS_COMPLETED``: early help assessments (Annex A
  List 2, where the authority returns it) started, and completed, in the month.

Without the column or the list, no value (no month of zeros).
"""

from __future__ import annotations

from services.kpis.imports.compute import Flow

FLOWS = (
    Flow(
        "cm_contact",
        "contact_date",
        "CONTACTS_DECIDED",
        {"CONTACTS_1WD": "working_days <= 1"},
        where="decision_date IS NOT NULL",
    ),
    Flow("cm_early_help", "start_date", "EH_ASSESSMENTS", {}),
    Flow(
        "cm_early_help",
        "completion_date",
        "EH_ASSESSMENTS_COMPLETED",
        {},
        where="completion_date IS NOT NULL",
    ),
)
