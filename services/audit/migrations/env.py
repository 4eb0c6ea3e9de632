from services.audit.db import SCHEMA
from services.audit.models import metadata
from shared.migrations import run_alembic

run_alembic(metadata, SCHEMA)
