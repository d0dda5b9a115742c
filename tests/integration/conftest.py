"""Integration fixtures: the real stack (devtools/devstack.py), once per test session."""
from __future__ import annotations

import uuid

import pytest

from devtools.devstack import Stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    with Stack.running(tmp_path_factory.mktemp("stack")) as running:
        yield running


@pytest.fixture
def sender() -> str:
    return f"it-{uuid.uuid4().hex[:10]}"
