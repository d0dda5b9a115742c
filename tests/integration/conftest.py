"""Integration fixtures: the real stack (bot/devstack.py), once per test session."""
from __future__ import annotations

import uuid
import pytest

from bot.devstack import MODEL, Stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first")
    running = Stack(tmp_path_factory.mktemp("stack"))
    try:
        running.start_actions()
        running.start_rasa()
        yield running
    finally:
        running.stop()


@pytest.fixture
def sender() -> str:
    return f"it-{uuid.uuid4().hex[:10]}"
