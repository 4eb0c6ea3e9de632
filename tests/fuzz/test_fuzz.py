"""Schemathesis against the gateway's merged OpenAPI, with a real token of each kind of caller.

Every operation gets a few generated requests (fixed seed, deterministic generation), each
sent as a council admin (a person with TOTP) and, for reads, as a viewer and as a partner
system (the police client); writes also as the CCG client. Checks: no 5xx, every error an
application/problem+json document, status codes, content types and bodies as documented.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from services.gateway.routing.table import owner_of
from tests.fuzz.checks import CHECKS, EXTRA_CHECKS
from tests.fuzz.conftest import MAX_EXAMPLES, Platform

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

READERS = ("demo.admin", "demo.viewer", "demo-police")
WRITERS = ("demo.admin", "demo-ccg")

#: "METHOD path" → (why, a request reproducing it). Owned by the actions engineer.
SERVICES = ("gateway", "actions", "kpis", "audit", "board")
#: The largest share of 429s a run may hold: a rate-limited case tests nothing behind the
#: limiter (the platform fixture raises the gateway's limits for this stack, by settings).
MAX_RATE_LIMITED_SHARE = 0.01


def _service_of(operation: Any) -> str:
    return owner_of(operation.path) or "gateway"


def _fuzz(operation: Any, platform: Platform, statuses: Counter[int]) -> None:
    readers = operation.method.upper() in ("GET", "HEAD")

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],  # no shrinking: report the first failure
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        for who in READERS if readers else WRITERS:
            response = case.call(headers=platform.auth(who), timeout=30)
            statuses[response.status_code] += 1
            case.validate_response(response, checks=CHECKS, additional_checks=EXTRA_CHECKS)

    run()


# (schemathesis' own pytest integration needs pytest < 9; this loops over the operations)
@pytest.mark.parametrize("service", SERVICES)
def test_gateway_api(api_schema: Any, platform: Platform, service: str) -> None:
    failures = []
    tested = 0
    statuses: Counter[int] = Counter()
    for result in api_schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if _service_of(operation) != service:
            continue
        tested += 1
        try:
            _fuzz(operation, platform, statuses)
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failure
            failures.append(f"{label}: {str(exc)[:2000]}")
    assert tested > 0
    sent = sum(statuses.values())
    assert statuses[429] <= MAX_RATE_LIMITED_SHARE * sent, (
        f"{statuses[429]} of {sent} fuzz requests were rate limited: {dict(statuses)}"
    )
    assert failures == [], "\n\n".join(failures)
