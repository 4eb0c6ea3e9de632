"""Notifications to people: e-mail over SMTP or GOV.UK Notify, or a log sink; retried.

A service that notifies (the actions service's consolidated reminders) builds a
:class:`Message`, picks its channel with :func:`channel_for` from its settings
(:class:`NotificationSettings`, the service's own prefix: ``ACTIONS_NOTIFY_CHANNEL`` …) and
calls :func:`deliver`, which retries a failed attempt (tenacity: ``notify_attempts``
attempts, exponential wait) and returns what happened, for the service to record in its
delivery table (who, what, channel, attempts, outcome — never the message body).

Channels: ``off`` (nothing sent, recorded as ``skipped``), ``log`` (the default: a log
line naming the recipient's reference and the subject, never the body), ``smtp``
(stdlib ``smtplib`` in a thread; STARTTLS unless told otherwise) and ``govuk_notify``
(``notifications-python-client``: one e-mail template with ``subject`` and ``body``
personalisation fields).
"""

from __future__ import annotations

import asyncio
import smtplib
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal, Protocol, TypeVar

from pydantic import BaseModel, Field, SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tenacity import AsyncRetrying, RetryError, stop_after_attempt, wait_exponential

from shared.logs import get_logger

log = get_logger(__name__)

ChannelName = Literal["off", "log", "smtp", "govuk_notify"]


class NotificationSettings(BaseModel):
    """Fields a notifying service's settings take in (its own environment prefix)."""

    notify_channel: ChannelName = Field(
        "log",
        description="how people are notified: off, log (a log line, no message body), "
        "smtp or govuk_notify",
    )
    notify_attempts: int = Field(3, ge=1, le=10, description="attempts per notification")
    notify_wait_s: float = Field(
        2.0, ge=0, description="first wait between attempts (doubles each time)"
    )
    smtp_host: str = Field("127.0.0.1", description="SMTP server")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port")
    smtp_starttls: bool = Field(True, description="STARTTLS before sending (off: local sink)")
    smtp_username: str | None = Field(None, description="SMTP login, when the server wants one")
    smtp_password: SecretStr | None = Field(None, description="SMTP password (secret)")
    smtp_sender: str = Field(
        "improvement-platform@localhost", description="the From address of e-mails"
    )
    smtp_timeout_s: float = Field(10.0, gt=0, description="SMTP connection timeout")
    govuk_notify_api_key: SecretStr | None = Field(
        None, description="GOV.UK Notify API key (secret)"
    )
    govuk_notify_template_id: str | None = Field(
        None,
        description="GOV.UK Notify e-mail template with ((subject)) and ((body)) fields",
    )


@dataclass(frozen=True)
class Message:
    """One e-mail: ``to`` an address, ``reference`` what it is about (kept in the
    delivery log, e.g. ``reminder:12:2026-12-04``), ``subject`` and ``body``."""

    to: str
    subject: str
    body: str
    reference: str


@dataclass(frozen=True)
class Delivery:
    """What happened: ``sent``, ``failed`` (every attempt failed) or ``skipped``
    (channel off); ``error`` the last failure's type (never its text: it may echo data)."""

    channel: str
    attempts: int
    outcome: str
    error: str | None = None


class Channel(Protocol):
    name: str

    async def send(self, message: Message) -> None: ...


class LogChannel:
    name = "log"

    async def send(self, message: Message) -> None:
        log.info("notification.logged", reference=message.reference, subject=message.subject)


class OffChannel:
    name = "off"

    async def send(self, message: Message) -> None:  # pragma: no cover - never called
        return None


class SmtpChannel:
    name = "smtp"

    def __init__(self, settings: NotificationSettings) -> None:
        self.settings = settings

    def _send(self, message: Message) -> None:
        s = self.settings
        email = EmailMessage()
        email["From"] = s.smtp_sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email.set_content(message.body)
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_username and s.smtp_password is not None:
                smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
            smtp.send_message(email)

    async def send(self, message: Message) -> None:
        await asyncio.to_thread(self._send, message)


class GovukNotifyChannel:
    name = "govuk_notify"

    def __init__(self, settings: NotificationSettings) -> None:
        from notifications_python_client.notifications import NotificationsAPIClient

        if settings.govuk_notify_api_key is None or not settings.govuk_notify_template_id:
            raise ValueError("govuk_notify needs notify_api_key and notify_template_id")
        self.client = NotificationsAPIClient(settings.govuk_notify_api_key.get_secret_value())
        self.template_id = settings.govuk_notify_template_id

    def _send(self, message: Message) -> None:
        self.client.send_email_notification(
            email_address=message.to,
            template_id=self.template_id,
            personalisation={"subject": message.subject, "body": message.body},
            reference=message.reference,
        )

    async def send(self, message: Message) -> None:
        await asyncio.to_thread(self._send, message)


def channel_for(settings: NotificationSettings) -> Channel:
    if settings.notify_channel == "smtp":
        return SmtpChannel(settings)
    if settings.notify_channel == "govuk_notify":
        return GovukNotifyChannel(settings)
    if settings.notify_channel == "off":
        return OffChannel()
    return LogChannel()


async def deliver(channel: Channel, message: Message, settings: NotificationSettings) -> Delivery:
    """Send ``message``, retrying a failed attempt; never raises."""
    if channel.name == "off":
        return Delivery(channel.name, 0, "skipped")
    attempts = 0
    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(settings.notify_attempts),
            wait=wait_exponential(multiplier=settings.notify_wait_s, max=60),
            reraise=False,
        ):
            with attempt:
                attempts += 1
                await channel.send(message)
    except RetryError as exc:
        error = exc.last_attempt.exception()
        name = type(error).__name__ if error is not None else "Error"
        log.warning(
            "notification.failed", reference=message.reference, attempts=attempts, error=name
        )
        return Delivery(channel.name, attempts, "failed", name)
    log.info("notification.sent", reference=message.reference, channel=channel.name)
    return Delivery(channel.name, attempts, "sent")


#: A delivery whose every attempt failed is tried again at later rounds, this many a day.
MAX_FAILED_ROUNDS = 3

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


def still_to_send(
    logged: Iterable[tuple[K, str]], max_failed_rounds: int = MAX_FAILED_ROUNDS
) -> Callable[[K], bool]:
    """From a day's delivery log, ``(recipient key, outcome)`` rows: whether a recipient is
    still to be sent to — nothing recorded but failures, fewer than ``max_failed_rounds``."""
    settled: set[K] = set()
    failed: Counter[K] = Counter()
    for key, outcome in logged:
        if outcome == "failed":
            failed[key] += 1
        else:
            settled.add(key)
    return lambda key: key not in settled and failed[key] < max_failed_rounds


async def send_and_record(
    sessionmaker: async_sessionmaker[AsyncSession],
    channel: Channel,
    settings: NotificationSettings,
    pending: Sequence[T],
    message: Callable[[T], Message | None],
    record: Callable[[AsyncSession, T, Delivery], Awaitable[None]],
) -> Counter[str]:
    """Send each pending item's message (``None``: it has no address, recorded as
    ``no_address`` — counted, never silently dropped) and record each outcome in its own
    transaction, so a later failure never loses an earlier record. Returns the outcomes."""
    outcomes: Counter[str] = Counter()
    for item in pending:
        found = message(item)
        if found is None:
            delivery = Delivery(channel.name, 0, "no_address")
        else:
            delivery = await deliver(channel, found, settings)
        async with sessionmaker() as session, session.begin():
            await record(session, item, delivery)
        outcomes[delivery.outcome] += 1
    return outcomes
