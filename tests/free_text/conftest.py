"""Free-text conversations (make test-free-text): the real stack as tests/conftest.py's
`stack` starts it (devtools/devstack.py), with Rasa's HTTP API on behind a random token,
so that each conversation's end state is read from its tracker.

This directory is collected only when it is asked for (`pytest tests/free_text`, as
`make test-free-text` runs it): a plain `pytest` over tests/ leaves it out, so no other
target runs these conversations a second time."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.conversations import ApiStack

HERE = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "free_text: whole free-text conversations (make test-free-text only)")


def asked_for(config: pytest.Config) -> bool:
    """Whether the command line names this directory or something in it."""
    for arg in config.args:
        path = Path(str(arg).split("::")[0]).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.parent == HERE and collection_path.suffix == ".py" and not asked_for(config):
        return True
    return None


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[ApiStack]:
    """The real action server and Rasa server, once per session, with the tracker API."""
    with ApiStack.serving(tmp_path_factory.mktemp("stack")) as running:
        yield running
