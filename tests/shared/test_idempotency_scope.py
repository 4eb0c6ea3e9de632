"""The idempotency scope is the caller (issue 15, promise R6): one rule for every service."""

from __future__ import annotations

from dataclasses import replace

from shared.idempotency import SCOPE_MAX, caller_scope
from tests.support.tokens import caller


def test_people_behind_the_same_web_client_have_their_own_scope() -> None:
    ada = caller("police", ("contributor",), subject="ada")
    bob = caller("police", ("contributor",), subject="bob")
    cy = caller("ccg", ("contributor",), subject="ada")
    assert ada.client_id == bob.client_id == cy.client_id
    assert len({caller_scope(ada), caller_scope(bob), caller_scope(cy)}) == 3
    # the same person keeps one scope whatever their roles or token
    assert caller_scope(replace(ada, roles=frozenset({"viewer"}))) == caller_scope(ada)


def test_clients_and_people_never_share_a_scope() -> None:
    client = caller("police", (), ("actions:write",), subject="police-crm", kind="client")
    person = caller("police", ("contributor",), subject="police-crm")
    assert caller_scope(client) != caller_scope(person)


def test_long_subjects_are_hashed_not_cut() -> None:
    long_a = caller("council", subject="x" * 300 + "a")
    long_b = caller("council", subject="x" * 300 + "b")
    a, b = caller_scope(long_a, "kpis:submissions:"), caller_scope(long_b, "kpis:submissions:")
    assert a != b
    assert len(a) <= SCOPE_MAX
    assert len(b) <= SCOPE_MAX
