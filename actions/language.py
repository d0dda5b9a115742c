"""The conversation's language from what the parent writes (the slot mappings' checks).

The NLU's language detector (bot/rasa/components.py) marks a message that is clearly one
language as `detected_language`, and one with only some evidence ("gracias", "bienestar")
as `likely_language`. A clear message may switch a running conversation; a likely one
only sets the language of a conversation that has none yet, so that a new parent's first
reply is in their language, while "ok" or "yes" from a Spanish-speaking parent later on
never switches it."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker, ValidationAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common

LANGUAGE_SLOT = "language"


def language_before_this_turn(events: list[dict[str, Any]]) -> str | None:
    """The language slot as it was before the parent's latest message."""
    seen_latest_message = False
    for event in reversed(events):
        if event.get("event") == "user":
            seen_latest_message = True
        elif seen_latest_message and event.get("event") == "slot" and event.get("name") == LANGUAGE_SLOT:
            return event.get("value")
    return None


def language_to_keep(candidate: Any, clearly_written: bool, before: str | None) -> str | None:
    """A clearly written language wins; a likely one only where there was none."""
    if clearly_written or before is None:
        return candidate
    return before


class ValidateSlotMappings(ValidationAction):
    def name(self) -> str:
        return "action_validate_slot_mappings"

    def validate_language(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        clearly = any(e.get("entity") == "detected_language" for e in common.latest_entities(tracker))
        return {LANGUAGE_SLOT: language_to_keep(slot_value, clearly, language_before_this_turn(tracker.events))}
