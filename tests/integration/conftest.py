"""Integration fixtures: the real stack (tests/conftest.py `stack`: devtools/devstack.py,
once per test session) and a new conversation for each test."""
from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def sender() -> str:
    return f"it-{uuid.uuid4().hex[:10]}"
