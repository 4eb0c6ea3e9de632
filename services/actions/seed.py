"""Load the Wirral plan 2017-2019 (run by ``make run``): ``python -m services.actions.seed``.

Idempotent: a plan already loaded (same title and authority) is left as it is, but for
recommendations of the data file it lacks (a set added later, as the LSCB's), which are added;
a second run changes nothing. Connects as the service's own role (``ACTIONS_DATABASE_URL``).
"""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import create_async_engine

from services.actions.config import ActionsSettings
from services.actions.plans.loader import load_plan, load_recommendations, read_seed
from shared.logs import configure_logging, get_logger

log = get_logger("actions.seed")


async def seed(database_url: str) -> bool:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            data = read_seed()
            plan_id, inserted = await load_plan(conn, data)
            if not inserted:
                # a plan loaded before a set was added to the data file gets the set now
                added = await load_recommendations(conn, plan_id, data)
                if added:
                    log.info("seed.recommendations_added", plan_id=plan_id, count=added)
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
