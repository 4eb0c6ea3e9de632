from services.actions.db import SCHEMA
from services.actions.models import metadata
from shared.migrations import run_alembic

run_alembic(metadata, SCHEMA)
