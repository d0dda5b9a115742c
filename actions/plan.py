"""The plan: build it, show it, add questions, remove one, change the topic."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from actions.plan_form import lookfors_message
from actions.validation import BaseFormValidation
from bot import parsing
from bot.nlu.topic_guess import guess_priorities
from bot.planner import Plan


def plan_message(tracker: Tracker, plan: Plan) -> dict[str, Any]:
    # `plan` travels with the message (Rasa keeps extra keys as metadata): the api turns
    # it into the printable plan page, and SMS sends a summary with the link instead.
    return {
        "response": "utter_plan",
        "priority_name": common.priority_name(tracker, plan.priority),
        "plan_lines": common.plan_lines(tracker, plan),
        "plan": common.plan_data(tracker, plan),
    }


class ActionBuildPlan(Action):
    """Builds a fresh plan when the form is complete (steps 6 and 7)."""

    def name(self) -> str:
        return "action_build_plan"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        plan = common.rebuilt_plan(tracker, plan_ready=True, plan_dropped=[], plan_pages=0)
        dispatcher.utter_message(**plan_message(tracker, plan))
        return [SlotSet("plan_ready", True), SlotSet("plan_dropped", []), SlotSet("plan_pages", 0)]


class ActionShowPlan(Action):
    def name(self) -> str:
        return "action_show_plan"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        plan = common.current_plan(tracker)
        if plan is None:
            dispatcher.utter_message(response="utter_no_plan_yet")
        else:
            dispatcher.utter_message(**plan_message(tracker, plan))
        return []


class ActionMoreQuestions(Action):
    def name(self) -> str:
        return "action_more_questions"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        plan = common.current_plan(tracker)
        if plan is None:
            dispatcher.utter_message(response="utter_no_plan_yet")
            return []
        if not plan.remaining:
            dispatcher.utter_message(response="utter_no_more_questions")
            dispatcher.utter_message(**plan_message(tracker, plan))
            return []
        pages = int(tracker.get_slot("plan_pages") or 0) + 1
        dispatcher.utter_message(**plan_message(tracker, common.rebuilt_plan(tracker, plan_pages=pages)))
        return [SlotSet("plan_pages", pages)]


class ValidateDropForm(BaseFormValidation):
    def name(self) -> str:
        return "validate_drop_form"

    def validate_drop_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        plan = common.current_plan(tracker)
        if plan is None:
            return {"drop_number": None, "requested_slot": None}
        number = parsing.parse_drop_number(self.text(tracker), self.entities(tracker), len(plan.items))
        if number is None:
            dispatcher.utter_message(response="utter_invalid_drop_number", count=len(plan.items))
        return {"drop_number": str(number) if number else None}


class ActionDropQuestion(Action):
    """Removes the chosen item (it never comes back) and shows the plan again."""

    def name(self) -> str:
        return "action_drop_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        plan = common.current_plan(tracker)
        number = tracker.get_slot("drop_number")
        if plan is None:
            dispatcher.utter_message(response="utter_no_plan_yet")
            return [SlotSet("drop_number", None)]
        if not number or not 1 <= int(number) <= len(plan.items):
            dispatcher.utter_message(**plan_message(tracker, plan))
            return [SlotSet("drop_number", None)]
        dropped = list(tracker.get_slot("plan_dropped") or []) + [plan.items[int(number) - 1].id]
        dispatcher.utter_message(response="utter_question_dropped", number=number)
        dispatcher.utter_message(**plan_message(tracker, common.rebuilt_plan(tracker, plan_dropped=dropped)))
        return [SlotSet("plan_dropped", dropped), SlotSet("drop_number", None)]


class ActionChangePriority(Action):
    """Changes the topic without starting over: the child's profile stays, the plan
    form asks only for what the new topic needs (pillar/priority, checklist offer)."""

    def name(self) -> str:
        return "action_change_priority"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        choice = parsing.resolve_topic(
            common.guide(), common.latest_text(tracker), common.latest_entities(tracker), common.language(tracker)
        )
        events: list[EventType] = [
            SlotSet("lookfors_seen", None),
            SlotSet("plan_ready", False),
            SlotSet("plan_dropped", []),
            SlotSet("plan_pages", 0),
            SlotSet("topic_guesses", None),
        ]
        if choice.priority:
            return events + [SlotSet("pillar", choice.pillar), SlotSet("priority", choice.priority)]
        if choice.pillar:
            return events + [SlotSet("pillar", choice.pillar), SlotSet("priority", None)]
        # A worry in other words: the form's first question offers the closest priorities.
        guesses = [p for p, _ in guess_priorities(common.latest_text(tracker), common.language(tracker))]
        return events[:-1] + [SlotSet("pillar", None), SlotSet("priority", None),
                              SlotSet("topic_guesses", guesses or None)]


class ActionShowLookfors(Action):
    def name(self) -> str:
        return "action_show_lookfors"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not tracker.get_slot("priority"):
            dispatcher.utter_message(response="utter_no_plan_yet")
            return []
        dispatcher.utter_message(**lookfors_message(tracker))
        return []
