"""The heap alive after start-up is frozen out of full collections (not in test profiles)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from shared.app import build_app
from shared.config import ServiceSettings


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process must not pin the other tests' objects


@pytest.mark.parametrize(
    ("profile", "setting", "frozen"),
    [
        ("local", None, True),
        ("test", None, False),
        ("test", True, True),
        ("local", False, False),
    ],
)
def test_the_default_follows_the_profile(profile: str, setting: bool | None, frozen: bool) -> None:
    settings = ServiceSettings(profile=profile, freeze_heap=setting)
    assert settings.heap_frozen_after_start is frozen


@pytest.mark.parametrize("freeze", [True, False])
async def test_start_up_freezes_what_it_loaded(unfrozen: None, freeze: bool) -> None:
    settings = ServiceSettings(profile="test", freeze_heap=freeze)
    app = build_app(settings, title="t", description="d", use_database=False)
    assert gc.get_freeze_count() == 0
    async with app.router.lifespan_context(app):
        assert (gc.get_freeze_count() > 1000) is freeze
