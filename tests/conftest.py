"""Fixtures shared by every test suite (the bot's and the api's): no Rasa imports here."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def staff_events_file(tmp_path, monkeypatch) -> Path:
    """Every test writes staff events to its own file, never to var/."""
    path = tmp_path / "staff_events.jsonl"
    monkeypatch.setenv("STAFF_EVENTS_PATH", str(path))
    return path
