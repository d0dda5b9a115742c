"""Staff events travel with the bot's messages: a type from the list and, for a crisis,
its reason; nothing else can be carried (no message text, no phone number)."""
import pytest

from bot.events import EVENT_TYPES, read_staff_event, staff_event


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_every_event_type_travels_as_its_type_alone(event_type):
    assert staff_event(event_type) == {"type": event_type}


def test_a_crisis_says_why():
    assert staff_event("safety_flag", "crisis_message") == {"type": "safety_flag", "reason": "crisis_message"}


@pytest.mark.parametrize("event_type, reason", [("chat_log", None), ("safety_flag", "she said: ...")])
def test_unknown_types_and_reasons_are_refused(event_type, reason):
    with pytest.raises(ValueError):
        staff_event(event_type, reason)


@pytest.mark.parametrize("value, expected", [
    ({"type": "handoff_requested"}, {"type": "handoff_requested"}),
    ({"type": "safety_flag", "reason": "crisis_message", "text": "hi"}, {"type": "safety_flag",
                                                                          "reason": "crisis_message"}),
    ({"type": "safety_flag", "reason": "made up"}, {"type": "safety_flag"}),
    ({"type": "chat_log"}, None),
    ("handoff_requested", None),
    (None, None),
])
def test_the_api_reads_only_known_types_and_reasons(value, expected):
    assert read_staff_event(value) == expected
