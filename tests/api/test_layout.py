"""The api's layers: the core (the turn every door shares included) and the features it
takes the bot's data to (plans, reminders) load no door and no Twilio client. Each import
runs in a fresh interpreter: the test process has imported everything already."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOORS = ("api.sms", "api.chat", "twilio")


def loaded_by(module: str) -> list[str]:
    """The modules importing `module` loads, in a new interpreter."""
    script = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


@pytest.mark.parametrize("module", ["api.core.turns", "api.plans.links", "api.outbound.store"])
def test_the_core_and_the_features_it_feeds_load_no_door(module):
    loaded = loaded_by(module)
    assert module in loaded  # a real import was looked at
    assert [name for name in loaded if any(name == door or name.startswith(door + ".") for door in DOORS)] == []
