"""The gateway's ``/metrics`` is not public (issue 18 item 3).

What the gateway's routes are called, how often and how slowly they answer is for the
platform's own monitoring: Prometheus sends ``GATEWAY_METRICS_TOKEN`` as a bearer token
(``authorization: credentials_file`` in its scrape config). With no token configured every
request is refused. An access token from ``/oauth/token`` does not open it. The services'
own ``/metrics`` are reached only inside the platform's network (the gateway forwards
``/v1/...`` only).
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.problems import Unauthorized

METRICS_SCHEME = "metricsToken"
metrics_bearer = HTTPBearer(
    scheme_name=METRICS_SCHEME,
    auto_error=False,
    description="GATEWAY_METRICS_TOKEN, for Prometheus (not an access token)",
)


async def metrics_access(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(metrics_bearer)],
) -> None:
    """401 unless the bearer token is the configured metrics token (compared in constant
    time); always 401 when none is configured."""
    expected = request.app.state.settings.metrics_token
    sent = credentials.credentials.encode() if credentials is not None else b""
    if expected is None or not hmac.compare_digest(sent, expected.get_secret_value().encode()):
        raise Unauthorized("the metrics token is required", headers={"WWW-Authenticate": "Bearer"})


MetricsAccess = Depends(metrics_access)
