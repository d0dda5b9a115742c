"""Commands that work at any point: help, start over, go back, a person, stop,
language, safety, and the answer to anything not understood."""
from __future__ import annotations

import os
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, AllSlotsReset, EventType, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from actions.misunderstanding import response_for_miss
from actions.plan import plan_message
from actions.session import METADATA_SLOT, school_from_metadata
from actions.validation import misunderstanding_event, next_rephrase
from bot import parsing
from bot.events import staff_event
from bot.i18n import supported_languages
from bot.nlu.language import requested_language

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
    """The language asked for: a button's entity, or read from the parent's words (the
    NLU's `language` entity is the same reading; "I don't read Spanish" is not Spanish)."""
    return parsing.first_entity(common.latest_entities(tracker), "language") or requested_language(
        common.latest_text(tracker))


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
    """Anything not understood: a rephrase prompt that never loops (a hint, then the
    numbered choices and the way to a person, then the offer of a person), then the
    current menu again, and the message is forgotten by the dialogue."""

    def name(self) -> str:
        return "action_rephrase"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response=response_for_miss(tracker.events),
                                 staff_event=misunderstanding_event(tracker))
        resend_last_menu(dispatcher, tracker)
        # Forgetting the message must not forget the language it was written in.
        return [UserUtteranceReverted(), SlotSet("language", tracker.get_slot("language"))]


def office_contact() -> str | None:
    """Where parents ask about everything else: a phone number or web address the district
    configures (FGA_OFFICE_CONTACT), the same in every language."""
    contact = " ".join(os.environ.get("FGA_OFFICE_CONTACT", "").split())
    return contact or None


class ActionOutOfScope(Action):
    """A question for the school office (the bus, lunch, the calendar...): what the
    assistant does and where to ask instead; then the current step again (outside a
    form its menu; inside one, the form asks its question after this action)."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        contact = office_contact()
        if contact:
            dispatcher.utter_message(response="utter_out_of_scope_contact", contact=contact)
        else:
            dispatcher.utter_message(response="utter_out_of_scope")
        if not tracker.active_loop_name:
            resend_last_menu(dispatcher, tracker)
        return []


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_handoff", staff_event=staff_event("handoff_requested"))
        return [SlotSet("handoff_requested", True)]


class ActionCrisis(Action):
    """988 and 911 first, then the conversation is flagged for staff."""

    def name(self) -> str:
        return "action_crisis"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_crisis", staff_event=staff_event("safety_flag", "crisis_message"))
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
        elif not tracker.active_loop_name:  # inside a form, the form asks its question again
            dispatcher.utter_message(response=menu_to_repeat(tracker.events, domain), language=wanted)
        return [SlotSet("language", wanted)]


def menu_to_repeat(events: list[dict[str, Any]], domain: DomainDict) -> str:
    """The last menu the bot sent, to send again in another language: its response when
    it needs no variables, else the general menu (which leads back to the plan)."""
    for event in reversed(events):
        if event.get("event") == "bot" and (event.get("data") or {}).get("buttons"):
            name = (event.get("metadata") or {}).get("utter_action")
            variations = (domain.get("responses") or {}).get(name) or []
            if isinstance(name, str) and variations and not any(has_variables(v) for v in variations):
                return name
            break
    return "utter_what_next"


def has_variables(variation: dict[str, Any]) -> bool:
    texts = [variation.get("text") or ""] + [b.get("title") or "" for b in variation.get("buttons") or []]
    return any("{" in text.replace("{{", "").replace("}}", "") for text in texts)
