"""Commands that work at any point: help, start over, go back, a person, stop,
language, safety, and the answer to anything not understood."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, AllSlotsReset, EventType, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from actions.plan import plan_message
from actions.session import METADATA_SLOT, school_from_metadata
from actions.validation import next_rephrase
from bot import parsing
from bot.events import record_event
from bot.i18n import supported_languages
from bot.nlu import extract

PLAN_FORM_ORDER = ("pillar", "priority", "lookfors_seen", "grade", "needs", "school")
# Slots that survive "start over": the language, and what staff were told.
KEPT_ON_RESTART = ("language", "handoff_requested", "safety_flag")


def last_menu_message(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The last bot message that offered buttons, as sent; None if the language has
    changed since (it would be in the wrong language now)."""
    for event in reversed(events):
        if event.get("event") == "slot" and event.get("name") == "language":
            return None
        if event.get("event") == "bot" and (event.get("data") or {}).get("buttons"):
            menu = {"text": event.get("text"), "buttons": event["data"]["buttons"]}
            # A plan shown again still travels as data (SMS sends its link, not the list).
            plan = (event.get("metadata") or {}).get("plan")
            return {**menu, "plan": plan} if plan else menu
    return None


def resend_last_menu(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    menu = last_menu_message(tracker.events)
    if menu:
        dispatcher.utter_message(**menu)
    else:
        dispatcher.utter_message(response="utter_what_next")


def slots_to_clear_going_back(requested_slot: str | None) -> list[str]:
    """Going back from a question re-opens the one before it."""
    if requested_slot not in PLAN_FORM_ORDER:
        return []
    index = PLAN_FORM_ORDER.index(requested_slot)
    if index == 0:
        return []
    previous = PLAN_FORM_ORDER[index - 1]
    # The priority depends on the pillar: going back to the pillar clears both.
    return ["pillar", "priority"] if previous == "pillar" else [previous]


def language_requested(tracker: Tracker) -> str | None:
    return parsing.first_entity(common.latest_entities(tracker), "language") or extract.extract_language(
        common.latest_text(tracker), common.language(tracker)
    )


class ActionHelp(Action):
    def name(self) -> str:
        return "action_help"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        previous = common.previous_turn_responses(tracker)
        # The same help text twice in a row helps no one: the second time, rephrase.
        dispatcher.utter_message(response=next_rephrase(previous) if "utter_help" in previous else "utter_help")
        resend_last_menu(dispatcher, tracker)
        return []


class ActionRephrase(Action):
    """Anything not understood: a rephrase prompt (never the same one twice in a row),
    then the current menu again, and the message is forgotten by the dialogue."""

    def name(self) -> str:
        return "action_rephrase"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response=next_rephrase(common.previous_turn_responses(tracker)))
        resend_last_menu(dispatcher, tracker)
        # Forgetting the message must not forget the language it was written in.
        return [UserUtteranceReverted(), SlotSet("language", tracker.get_slot("language"))]


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        record_event(
            "handoff_requested",
            tracker.sender_id,
            school=tracker.get_slot("school") or None,
            school_code=tracker.get_slot("school_code"),
            priority=tracker.get_slot("priority"),
            language=common.language(tracker),
        )
        dispatcher.utter_message(response="utter_handoff")
        return [SlotSet("handoff_requested", True)]


class ActionCrisis(Action):
    """988 and 911 first, then the conversation is flagged for staff."""

    def name(self) -> str:
        return "action_crisis"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_crisis")
        record_event(
            "safety_flag",
            tracker.sender_id,
            school=tracker.get_slot("school") or None,
            school_code=tracker.get_slot("school_code"),
            language=common.language(tracker),
            reason="crisis_message",
        )
        dispatcher.utter_message(response="utter_crisis_resume")
        events: list[EventType] = [SlotSet("safety_flag", True)]
        if tracker.active_loop_name:
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        return events


class ActionStop(Action):
    def name(self) -> str:
        return "action_stop"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_stop")
        if tracker.active_loop_name:
            return [ActiveLoop(None), SlotSet("requested_slot", None)]
        return []


class ActionStartOver(Action):
    def name(self) -> str:
        return "action_start_over"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_start_over")
        dispatcher.utter_message(response="utter_greet")
        kept = [SlotSet(name, tracker.get_slot(name)) for name in KEPT_ON_RESTART]
        # The school of the website the chat sits on is not the parent's to forget.
        site = school_from_metadata(tracker.get_slot(METADATA_SLOT))
        if site:
            kept += [SlotSet(METADATA_SLOT, tracker.get_slot(METADATA_SLOT))]
            kept += [SlotSet(name, value) for name, value in site.items()]
        return [ActiveLoop(None), AllSlotsReset()] + kept


class ActionGoBack(Action):
    """In the plan form, re-asks the previous question; elsewhere shows the plan menu."""

    def name(self) -> str:
        return "action_go_back"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.active_loop_name == "plan_form":
            return [SlotSet(name, None) for name in slots_to_clear_going_back(tracker.get_slot("requested_slot"))]
        plan = common.current_plan(tracker)
        if plan is None:
            dispatcher.utter_message(response="utter_greet")
            return []
        dispatcher.utter_message(**plan_message(tracker, plan))
        return []


class ActionGreet(Action):
    """Greets; before any language is known, first asks for one in both languages."""

    def name(self) -> str:
        return "action_greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("language") is None:
            dispatcher.utter_message(response="utter_choose_language")
        else:
            dispatcher.utter_message(response="utter_greet")
        return []


class ActionChangeLanguage(Action):
    """Switches language (remembered in the slot, which carries over sessions). Said in
    the new language; after the first-contact language question, the greeting follows."""

    def name(self) -> str:
        return "action_change_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        wanted = language_requested(tracker)
        if wanted not in supported_languages():
            dispatcher.utter_message(response="utter_language_unsupported")
            return []
        dispatcher.utter_message(response="utter_language_changed", language=wanted)
        if "utter_choose_language" in common.previous_turn_responses(tracker):
            dispatcher.utter_message(response="utter_greet", language=wanted)
        return [SlotSet("language", wanted)]
