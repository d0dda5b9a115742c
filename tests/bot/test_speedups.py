"""bot/rasa/speedups.py changes what Rasa costs, never what it decides: the same
verdicts as `jsonschema.validate` on the action server's answers, the same classes as
walking Event's subclasses."""
from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

from bot.rasa import speedups

speedups.install()

SLOT = {"event": "slot", "name": "grade", "value": "3", "timestamp": None}
ANSWERS = [
    {"events": [], "responses": []},
    {"events": [SLOT, {"event": "active_loop", "name": "plan_form"}],
     "responses": [{"response": "utter_plan", "buttons": [], "custom": {}}]},
    {},
    {"events": [{"event": "followup", "name": "action_listen"}, {"event": "reset_slots"}]},
    {"events": [{"event": "slot", "value": 3}]},           # a slot event without its name
    {"events": [{"event": "no_such_event"}]},              # an event type Rasa does not know
    {"events": "slot"},                                    # not a list
    {"responses": ["utter_plan"]},                         # a response that is not an object
    {"events": [{"name": "grade"}]},                       # no event type
    "not an object",
]


def rasa_verdict(answer) -> bool:
    try:
        jsonschema.validate(answer, RemoteAction.action_response_format_spec())
    except jsonschema.ValidationError:
        return False
    return True


@pytest.mark.parametrize("answer", ANSWERS)
def test_action_answers_get_the_verdict_rasa_gives(answer):
    action = RemoteAction("action_plan", None)
    if rasa_verdict(answer):
        assert action._validate_action_result(answer) is True
    else:
        with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
            action._validate_action_result(answer)


def test_both_verdicts_occur_among_the_answers():
    assert {rasa_verdict(answer) for answer in ANSWERS} == {True, False}


def walked(type_name: str):
    return next((cls for cls in all_subclasses(Event) if cls.type_name == type_name), None)


@pytest.mark.parametrize("type_name", sorted({cls.type_name for cls in all_subclasses(Event)}))
def test_every_event_type_resolves_to_the_class_rasa_finds(type_name):
    assert Event.resolve_by_type(type_name) is walked(type_name)


def test_unknown_event_types_keep_rasas_answers():
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    assert Event.resolve_by_type("no_such_event", default=Event) is Event
    assert Event.resolve_by_type("topic") is None


def test_install_is_idempotent():
    check = RemoteAction._validate_action_result
    speedups.install()
    assert RemoteAction._validate_action_result is check
