"""Load the Wirral plan 2017-2019 (run by ``make run``): ``python -m services.actions.seed``.

Idempotent: a plan already loaded (same title and authority) is left as it is, so a second
run changes nothing. Connects as the service's own role (``ACTIONS_DATABASE_URL``).
"""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import create_async_engine

from services.actions.config import ActionsSettings
from services.actions.plans.loader import load_plan, read_seed
from shared.logs import configure_logging, get_logger

log = get_logger("actions.seed")


async def seed(database_url: str) -> bool:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            plan_id, inserted = await load_plan(conn, read_seed())
    finally:
        await engine.dispose()
    log.info("seed.loaded" if inserted else "seed.present", plan_id=plan_id)
    return inserted


def main() -> None:
    settings = ActionsSettings()
    configure_logging(settings.log_level, json=settings.json_logs, service="actions-seed")
    asyncio.run(seed(settings.database_url.get_secret_value()))


if __name__ == "__main__":
    main()
