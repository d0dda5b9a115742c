"""The guided journey's form (steps 2-4 of the guide plus the child's profile):
pillar -> priority -> what to look for -> grade -> needs -> school."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from actions.validation import BaseFormValidation
from bot import parsing
from bot.schools import load_directory

def not_in_guide_message(tracker: Tracker, topic_id: str) -> Dict[str, Any]:
    """The response and variables that point to the Strategic Plan."""
    guide = common.guide()
    if topic_id.isdigit():
        pillar = guide.pillar(topic_id)
        return {"response": "utter_not_in_guide_pillar", "name": common.tr(tracker, pillar.name),
                "pillar_id": pillar.id, "url": guide.strategic_plan_url}
    priority = guide.priority(topic_id)
    return {"response": "utter_not_in_guide_priority", "name": common.tr(tracker, priority.name),
            "url": guide.strategic_plan_url}


class ValidatePlanForm(BaseFormValidation):
    def name(self) -> Text:
        return "validate_plan_form"

    def _topic(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        choice = parsing.resolve_topic(
            common.guide(),
            self.text(tracker),
            self.entities(tracker),
            self.lang(tracker),
            requested_slot=tracker.get_slot("requested_slot"),
            current_pillar=tracker.get_slot("pillar"),
        )
        if choice.not_in_guide:
            dispatcher.utter_message(**not_in_guide_message(tracker, choice.not_in_guide))
            return {"pillar": None, "priority": None}
        if choice.priority:
            return {"pillar": choice.pillar, "priority": choice.priority, "lookfors_seen": None}
        if choice.pillar:
            return {"pillar": choice.pillar, "priority": None}
        self.not_understood(dispatcher, tracker)
        return {"pillar": None} if tracker.get_slot("requested_slot") == "pillar" else {"priority": None}

    def validate_pillar(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return self._topic(dispatcher, tracker)

    def validate_priority(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return self._topic(dispatcher, tracker)

    def validate_lookfors_seen(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if isinstance(value, bool):
            return {"lookfors_seen": value}
        show = parsing.parse_show_or_skip(common.latest_intent(tracker), self.text(tracker))
        if show is None:
            self.not_understood(dispatcher, tracker)
            return {"lookfors_seen": None}
        if show:
            dispatcher.utter_message(**lookfors_message(tracker))
        return {"lookfors_seen": show}

    def validate_grade(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        grade = parsing.parse_grade(self.text(tracker), self.entities(tracker), self.lang(tracker))
        if grade is None and value in common.labels().grades:
            grade = value  # prefilled from an entity earlier
        if grade is None:
            self.not_understood(dispatcher, tracker, "utter_invalid_grade")
        return {"grade": grade}

    def validate_needs(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        needs = parsing.parse_needs(self.text(tracker), common.labels().need_ids, self.entities(tracker), self.lang(tracker))
        if not needs:
            self.not_understood(dispatcher, tracker, "utter_invalid_needs")
            return {"needs": None}
        return {"needs": needs}

    def validate_school(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if common.latest_intent(tracker) in ("skip", "deny"):
            return {"school": "", "school_code": None}
        text = self.text(tracker)
        match = load_directory().best_match(text)
        if match:
            dispatcher.utter_message(response="utter_school_found", school=match.name)
            return {"school": match.name, "school_code": match.school_code}
        own_words = parsing.parse_school_text(text)
        if own_words is None:
            self.not_understood(dispatcher, tracker)
            return {"school": None}
        return {"school": own_words, "school_code": None}


def lookfors_message(tracker: Tracker) -> Dict[str, Any]:
    """The checklist for the chosen priority, filtered by grade band when known."""
    priority = common.guide().priority(tracker.get_slot("priority"))
    return {
        "response": "utter_lookfors",
        "priority_name": common.tr(tracker, priority.name),
        "lookfor_lines": common.bullet_lines(common.lookfor_texts(tracker, priority.id)),
    }


class ActionAskPriority(Action):
    """Asks for a priority with the chosen pillar's priorities as buttons."""

    def name(self) -> Text:
        return "action_ask_priority"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        pillar = common.guide().pillar(tracker.get_slot("pillar"))
        buttons = [
            {"title": f"{p.id} {common.tr(tracker, p.name)}", "payload": f'/choose_topic{{"priority": "{p.id}"}}'}
            for p in pillar.priorities
            if p.in_guide
        ]
        dispatcher.utter_message(response="utter_ask_priority", pillar_name=common.tr(tracker, pillar.name), buttons=buttons)
        return []


class ActionAskLookforsSeen(Action):
    """Introduces the chosen priority and offers its "What to look for" checklist."""

    def name(self) -> Text:
        return "action_ask_lookfors_seen"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        priority = common.guide().priority(tracker.get_slot("priority"))
        dispatcher.utter_message(
            response="utter_ask_lookfors_seen",
            priority_id=priority.id,
            priority_name=common.tr(tracker, priority.name),
            statement=common.tr(tracker, priority.statement),
        )
        return []
