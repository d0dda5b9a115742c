"""Staff events carry only allowed fields: no message text, no phone number."""
import pytest

from bot.events import read_events, record_event


def test_an_event_is_one_json_line_with_a_pseudonymous_id(staff_events_file):
    record_event("handoff_requested", "c_123", school="Belmont Senior High", priority="2D", language="es", school_code=None)
    [event] = read_events(staff_events_file)
    assert event["type"] == "handoff_requested" and event["conversation_id"] == "c_123"
    assert "school_code" not in event  # empty fields are left out
    assert set(event) == {"type", "conversation_id", "at", "school", "priority", "language"}


@pytest.mark.parametrize("field", ["text", "message", "phone", "child_name"])
def test_fields_outside_the_list_are_refused(field, staff_events_file):
    with pytest.raises(ValueError):
        record_event("safety_flag", "c_1", **{field: "anything"})
    assert read_events(staff_events_file) == []


def test_unknown_event_types_are_refused():
    with pytest.raises(ValueError):
        record_event("chat_log", "c_1")
