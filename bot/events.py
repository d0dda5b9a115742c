"""Staff events: the moments parent-center staff must know of (a parent asked for a
person, the bot answered a crisis, misunderstood several times in a row, a workshop was
requested, a meeting saved). An action attaches one to the message it sends
(`dispatcher.utter_message(..., staff_event=staff_event(...))`); the channels pass it to
the api with the message's other metadata (bot.rasa.channels.PASSED_METADATA), and the
api records it in its database for the dashboard's inbox. Nothing is written on the bot's
side: the conversation's details (school, topic, language) travel in the turn's summary
(bot.summary), so an event holds only its type and, for a crisis, why.
"""
from __future__ import annotations

from typing import Any

EVENT_TYPES = ("handoff_requested", "safety_flag", "workshop_requested", "meeting_scheduled",
               "repeated_misunderstanding")
REASONS = ("crisis_message",)
# The events that put a conversation in the staff's handoff inbox.
HANDOFF_EVENTS = ("handoff_requested", "safety_flag", "repeated_misunderstanding")


def staff_event(event_type: str, reason: str | None = None) -> dict[str, Any]:
    """The event as message metadata. Unknown types or reasons are refused, so nothing
    unexpected (a message text) can travel as one by mistake."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown staff event type: {event_type}")
    if reason is not None and reason not in REASONS:
        raise ValueError(f"unknown staff event reason: {reason}")
    return {"type": event_type, **({"reason": reason} if reason else {})}


def read_staff_event(value: Any) -> dict[str, str] | None:
    """A staff event as it arrives with a message (the api's side): its type and reason
    when both are known, else None."""
    if not isinstance(value, dict) or value.get("type") not in EVENT_TYPES:
        return None
    reason = value.get("reason")
    return {"type": value["type"], **({"reason": reason} if reason in REASONS else {})}
