"""structlog configuration: JSON outside ``local``, context bound through contextvars.

Request bodies, tokens and secrets are never logged: the access log records method, route
template, status and duration only, and a processor drops keys that look like credentials.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

SENSITIVE_KEYS = frozenset(
    {
        "authorization",
        "password",
        "secret",
        "client_secret",
        "token",
        "access_token",
        "refresh_token",
        "body",
        "cookie",
    }
)


def _drop_sensitive(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if key.lower() in SENSITIVE_KEYS:
            event_dict[key] = "[redacted]"
    return event_dict


#: The one timestamp format of every log line, whatever wrote it (our events, uvicorn's,
#: the libraries' through the standard library): ISO 8601 in UTC with microseconds and
#: ``Z``, under the key ``timestamp`` (e.g. ``2026-12-04T08:33:03.439350Z``).
TIMESTAMPER = structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp")


def configure_logging(level: str = "INFO", *, json: bool = True, service: str = "") -> None:
    """Route stdlib and structlog through one renderer. Safe to call more than once."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        TIMESTAMPER,
        _drop_sensitive,
    ]
    if service:
        shared.insert(0, _add_service(service))
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's own access log repeats the raw path (query strings included): ours replaces it.
    logging.getLogger("uvicorn.access").disabled = True
    # outbound clients log full URLs (query strings included) at INFO
    for name in ("httpx", "httpcore", "aiohttp.access"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def _add_service(service: str) -> Any:
    def add(
        _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        event_dict.setdefault("service", service)
        return event_dict

    return add


def get_logger(name: str | None = None) -> Any:
    return structlog.stdlib.get_logger(name)


def _command_default() -> None:
    """Before (or without) ``configure_logging`` — the one-shot commands: bootstrap, provision,
    keys — structlog would stamp local time in its own format: use ours, as JSON on stderr
    (their standard output is for what they print for the operator)."""
    if structlog.is_configured():
        return
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            TIMESTAMPER,
            _drop_sensitive,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )


_command_default()
