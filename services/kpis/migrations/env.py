from services.kpis.db import SCHEMA
from services.kpis.models import metadata
from shared.migrations import run_alembic

run_alembic(metadata, SCHEMA)
