"""Key rotation: ``python -m services.gateway.keys rotate`` (or ``list``, or ``rewrap``).

``rewrap`` wraps every stored key with ``GATEWAY_KEY_WRAPPING_KEY`` (keys from before keys
were wrapped, or wrapped by ``GATEWAY_KEY_WRAPPING_KEY_PREVIOUS`` during its rotation).

The new key is published in the JWKS at once and signs only after ``GATEWAY_KEY_PUBLISH_DELAY_S``
(longer than any instance caches the key set); the previous key stops signing then and stays
published until every token it signed has expired. Reads ``GATEWAY_DATABASE_URL``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from sqlalchemy.ext.asyncio import create_async_engine

from services.gateway.config import GatewaySettings
from services.gateway.keys import repository
from services.gateway.keys.keyring import rewrap_keys, rotate
from shared.clock import utc_now
from shared.db import create_sessionmaker


async def _main(command: str, delay: int | None) -> int:
    settings = GatewaySettings()
    engine = create_async_engine(settings.database_url.get_secret_value())
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as session, session.begin():
            if command == "rewrap":
                count = await rewrap_keys(session, settings.key_wrapper())
                print(f"{count} key(s) wrapped with wrapping key {settings.key_wrapper().key_id}")
            if command == "rotate":
                key = await rotate(
                    session,
                    wrapper=settings.key_wrapper(),
                    publish_delay_s=settings.key_publish_delay_s if delay is None else delay,
                    max_token_lifetime_s=settings.access_token_ttl_s,
                )
                print(f"new key {key.kid}: published now, signs from {key.activate_at:%H:%M:%S}")
            now = utc_now()
            for k in await repository.live_keys(session, now):
                state = "signing" if k.activate_at <= now and not k.retire_at else "published"
                if k.retire_at and k.retire_at <= now:
                    state = "retired"
                print(
                    f"{k.kid}  {state:9}  activate {k.activate_at:%Y-%m-%d %H:%M:%S}  "
                    f"expire {k.expire_at or '-'}"
                )
    finally:
        await engine.dispose()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m services.gateway.keys")
    parser.add_argument("command", choices=["rotate", "list", "rewrap"])
    parser.add_argument("--publish-delay", type=int, default=None, help="seconds (default: env)")
    args = parser.parse_args()
    return asyncio.run(_main(args.command, args.publish_delay))


if __name__ == "__main__":
    sys.exit(main())
