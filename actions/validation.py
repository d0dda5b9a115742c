"""Base class for the forms' validation actions (in the style of RasaHQ/financial-demo):
language and latest-message helpers, and the "didn't understand" answer, which never
loops (actions/misunderstanding.py)."""
from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from actions.misunderstanding import FIRST, SECOND, response_for_miss, should_flag
from bot.events import staff_event

REPHRASE_RESPONSES = (FIRST, SECOND)


def next_rephrase(previous_responses: Sequence[str]) -> str:
    """The rephrase prompt to send: never the one the bot's last turn used."""
    if REPHRASE_RESPONSES[0] in previous_responses:
        return REPHRASE_RESPONSES[1]
    return REPHRASE_RESPONSES[0]


class BaseFormValidation(FormValidationAction):
    @abstractmethod
    def name(self) -> str:
        """Each form's validation action names itself (and only those are registered)."""

    @staticmethod
    def lang(tracker: Tracker) -> str:
        return common.language(tracker)

    @staticmethod
    def text(tracker: Tracker) -> str:
        return common.latest_text(tracker)

    @staticmethod
    def entities(tracker: Tracker) -> list[dict[str, Any]]:
        return common.latest_entities(tracker)

    @staticmethod
    def prefilled(tracker: Tracker, slot: str) -> bool:
        """Whether the value is one the slot held before the form started: Rasa validates
        every filled slot when a form starts (a new topic keeps the child's profile; a
        website's school is set at the session start), while a slot read from a reply
        (from_text, only when it is the requested slot) is validated as it is answered."""
        return tracker.get_slot("requested_slot") != slot

    @staticmethod
    def value_before_this_message(tracker: Tracker, slot: str) -> Any:
        return slot_before_latest_message(list(tracker.events), slot)

    @staticmethod
    def answers_another_question(tracker: Tracker, requested: str) -> bool:
        """Whether the latest message gives a detail that another question of the form
        takes (a topic, the grade, needs), which its own validation keeps and confirms:
        such a message was understood, even if it does not answer the question asked."""
        takes = {"priority": ("pillar", "priority"), "pillar": ("pillar", "priority"),
                 "grade": ("grade",), "need": ("needs",)}
        return any(requested not in takes.get(str(e.get("entity")), (requested,))
                   for e in common.latest_entities(tracker))

    @staticmethod
    def not_understood(dispatcher: CollectingDispatcher, tracker: Tracker, response: str | None = None) -> None:
        """A specific hint the first time, then the numbered choices and the way to a
        person, then the offer of a person (and staff are told)."""
        dispatcher.utter_message(response=response_for_miss(tracker.events, hint=response),
                                 staff_event=misunderstanding_event(tracker))


def misunderstanding_event(tracker: Tracker) -> dict[str, Any] | None:
    """Tells staff once per run of misunderstandings that a parent may need a person
    (the staff event for the message that answers this miss, or None)."""
    return staff_event("repeated_misunderstanding") if should_flag(tracker.events) else None


def slot_before_latest_message(events: list[dict[str, Any]], slot: str) -> Any:
    """The slot's value before the parent's latest message (the tracker already holds
    what the slot mappings read from it); a reset or restart empties it."""
    value = None
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=len(events))
    for event in events[:last_user]:
        if event.get("event") == "slot" and event.get("name") == slot:
            value = event.get("value")
        elif event.get("event") in ("reset_slots", "restart"):
            value = None
    return value
