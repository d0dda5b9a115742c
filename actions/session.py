"""The start of a conversation session: Rasa's own behaviour (slots carried over, as the
domain's session_config says) plus what the door knows before the parent says anything.

The web chat's widget sits on one school's website, so the api passes that school's
code (validated there against the directory) in the first message's metadata; Rasa
hands it to this action as the `session_started_metadata` slot. A school the
directory knows is kept as the parent's school, so the plan form never asks for it.
SMS sends no metadata: nothing changes for it."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.schools import load_directory

METADATA_SLOT = "session_started_metadata"
SCHOOL_CODE_KEY = "school_code"
# The longest school code the api passes on (api/chat: the `school` field's limit).
MAX_SCHOOL_CODE_CHARS = 32


def school_from_metadata(metadata: Any) -> dict[str, Any]:
    """The school and school_code slots for the school named in a session's metadata,
    or nothing when there is none or the directory does not know it."""
    code = metadata.get(SCHOOL_CODE_KEY) if isinstance(metadata, dict) else None
    if not isinstance(code, str) or not code or len(code) > MAX_SCHOOL_CODE_CHARS:
        return {}
    school = load_directory().get(code)
    return {"school": school.name, "school_code": school.school_code} if school else {}


def carried_over_slots(tracker: Tracker, domain: DomainDict) -> list[EventType]:
    """What Rasa's default action_session_start carries into the new session."""
    if not (domain.get("session_config") or {}).get("carry_over_slots_to_new_session", True):
        return []
    return [SlotSet(name, value) for name, value in tracker.slots.items() if value is not None]


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        school = school_from_metadata(tracker.get_slot(METADATA_SLOT))
        events: list[EventType] = [SessionStarted(), *carried_over_slots(tracker, domain)]
        events += [SlotSet(name, value) for name, value in school.items()]
        return events + [ActionExecuted("action_listen")]
