"""``python -m services.actions.reminders [--date YYYY-MM-DD] [--days N] [--stale M]``."""

from __future__ import annotations

import argparse
import asyncio
from datetime import date

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from services.actions.config import ActionsSettings
from services.actions.reminders.service import run_reminders
from shared.clock import utc_today
from shared.logs import configure_logging


async def _run(url: str, day: date, days: int, stale: int) -> int:
    engine = create_async_engine(url)
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            return await run_reminders(session, day, days, stale)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    settings = ActionsSettings()
    parser = argparse.ArgumentParser(description="record today's reminders to action owners")
    parser.add_argument("--date", type=date.fromisoformat, default=utc_today())
    parser.add_argument("--days", type=int, default=settings.reminders_due_within_days)
    parser.add_argument("--stale", type=int, default=settings.reminders_stale_after_days)
    args = parser.parse_args(argv)
    configure_logging(settings.log_level, json=settings.json_logs, service="actions-reminders")
    count = asyncio.run(
        _run(settings.database_url.get_secret_value(), args.date, args.days, args.stale)
    )
    print(f"reminders recorded: {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
