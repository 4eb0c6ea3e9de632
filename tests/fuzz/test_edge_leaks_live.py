"""Issue 18 item 3 on the real platform (the processes ``make run`` starts): a trailing slash
reaches the kpis service through the gateway and comes back without the service's address,
and the gateway's ``/metrics`` is refused without the metrics token."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest

from tests.fuzz.conftest import Platform

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_a_trailing_slash_answers_without_an_internal_address(platform: Platform) -> None:
    gateway = urlsplit(platform.gateway)
    with httpx.Client(base_url=platform.gateway, timeout=30) as client:
        for path in ("/v1/imports/", "/v1/actions/", "/v1/audits/"):
            r = client.get(path, headers=platform.auth("demo.admin"))
            assert r.status_code == 404, (path, r.status_code)
            assert "location" not in r.headers
            assert r.headers["content-type"] == "application/problem+json"
            answer = str(dict(r.headers)) + r.text
            # no address but the gateway's own appears in what comes back
            named = set(re.findall(r"(?:127\.0\.0\.1|localhost):(\d+)", answer))
            assert named <= {str(gateway.port)}, (path, named)


def test_gateway_metrics_are_not_public(platform: Platform) -> None:
    with httpx.Client(base_url=platform.gateway, timeout=30) as client:
        anonymous = client.get("/metrics")
        with_access_token = client.get("/metrics", headers=platform.auth("demo.admin"))
    for r in (anonymous, with_access_token):
        assert r.status_code == 401
        assert "http_requests_total" not in r.text
