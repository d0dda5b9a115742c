"""The slot mappings' checks outside the form (Rasa runs one action_validate_slot_mappings
for every slot, so they share this module): the conversation's language from what the
parent writes, and the needs a "no" to another question must not erase.

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
from actions.validation import slot_before_latest_message

LANGUAGE_SLOT = "language"
NEEDS_SLOT = "needs"


def language_to_keep(candidate: Any, clearly_written: bool, before: str | None) -> str | None:
    """A clearly written language wins; a likely one only where there was none."""
    if clearly_written or before is None:
        return candidate
    return before


class ValidateSlotMappings(ValidationAction):
    def name(self) -> str:
        return "action_validate_slot_mappings"

    def validate_needs(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Outside the form, a "no" to another question ("Do you see this at your child's
        school?" after a checklist) reads as the need "none": it must not erase the needs
        said before. The form checks its own answers (actions/plan_form.py)."""
        if (tracker.active_loop or {}).get("name"):
            return {NEEDS_SLOT: slot_value}
        said = [e.get("value") for e in common.latest_entities(tracker) if e.get("entity") == "need"]
        if any(need != "none" for need in said):
            return {NEEDS_SLOT: slot_value}
        return {NEEDS_SLOT: slot_before_latest_message(list(tracker.events), NEEDS_SLOT)}

    def validate_language(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        clearly = any(e.get("entity") == "detected_language" for e in common.latest_entities(tracker))
        before = slot_before_latest_message(list(tracker.events), LANGUAGE_SLOT)
        return {LANGUAGE_SLOT: language_to_keep(slot_value, clearly, before)}
