from services.gateway.db import SCHEMA
from services.gateway.models import metadata
from shared.migrations import run_alembic

run_alembic(metadata, SCHEMA)
