"""Overdue QA findings reach their owners: one consolidated e-mail a day per owner address."""
