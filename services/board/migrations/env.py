from services.board.db import SCHEMA
from services.board.models import metadata
from shared.migrations import run_alembic

run_alembic(metadata, SCHEMA)
