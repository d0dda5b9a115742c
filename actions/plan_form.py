"""The guided journey's form (steps 2-4 of the guide plus the child's profile):
pillar -> priority -> what to look for -> grade -> needs -> school."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from actions.validation import BaseFormValidation
from bot import parsing
from bot.schools import load_directory

# The school question's state (custom slots, see domain.yml): the schools offered and
# waiting for the parent's yes or choice, those the parent said are not theirs, and
# whether the name was already asked for a second time (it is asked twice at most).
SCHOOL_QUESTION_SLOTS = ("school_candidates", "school_rejected", "school_asked_again")
SCHOOL_QUESTION_RESET = {slot: None for slot in SCHOOL_QUESTION_SLOTS}
# A choice of n schools (bot.schools.MAX_SUGGESTIONS at most) has its own response:
# its buttons are the n schools and "None of these".
SCHOOL_CHOICE_RESPONSES = {2: "utter_ask_school_choice_2", 3: "utter_ask_school_choice_3"}


def not_in_guide_message(tracker: Tracker, topic_id: str) -> dict[str, Any]:
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
    def name(self) -> str:
        return "validate_plan_form"

    def _topic(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
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

    def validate_pillar(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._topic(dispatcher, tracker)

    def validate_priority(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._topic(dispatcher, tracker)

    def validate_lookfors_seen(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if isinstance(value, bool):
            return {"lookfors_seen": value}
        show = parsing.parse_show_or_skip(common.latest_intent(tracker), self.text(tracker))
        if show is None:
            self.not_understood(dispatcher, tracker)
            return {"lookfors_seen": None}
        if show:
            dispatcher.utter_message(**lookfors_message(tracker))
        return {"lookfors_seen": show}

    def validate_grade(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        grade = parsing.parse_grade(self.text(tracker), self.entities(tracker), self.lang(tracker))
        if grade is None and value in common.labels().grades:
            grade = value  # prefilled from an entity earlier
        if grade is None:
            self.not_understood(dispatcher, tracker, "utter_invalid_grade")
        return {"grade": grade}

    def validate_needs(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value and self.prefilled(tracker, "needs"):
            return {"needs": value}  # the profile kept from an earlier topic
        needs = parsing.parse_needs(
            self.text(tracker), common.labels().need_ids, self.entities(tracker), self.lang(tracker)
        )
        if not needs:
            self.not_understood(dispatcher, tracker, "utter_invalid_needs")
            return {"needs": None}
        return {"needs": needs, **SCHOOL_QUESTION_RESET}  # the school question comes next, asked afresh

    def validate_school(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Nothing is kept that the parent did not confirm or that does not clearly name
        a school: a directory match is offered first ("Is it ...?", or a short choice),
        anything else unclear is asked once more, then the question is left unanswered."""
        if value is not None and self.prefilled(tracker, "school"):
            # Kept from an earlier topic, or the website's school (actions/session.py).
            return school_answered(value, tracker.get_slot("school_code"))
        intent, text = common.latest_intent(tracker), self.text(tracker)
        offered = list(tracker.get_slot("school_candidates") or [])
        rejected = list(tracker.get_slot("school_rejected") or [])
        if parsing.wants_to_skip(intent, text) or (intent == "deny" and not offered):
            return school_answered("", None)
        directory = load_directory()
        if offered:
            chosen = parsing.parse_candidate_reply(intent, text, self.entities(tracker), len(offered))
            school = directory.get(offered[chosen - 1]) if chosen else None
            if school:
                return school_answered(school.name, school.school_code)
            if chosen == 0:
                return self._ask_again_or_move_on(dispatcher, tracker, rejected + offered)
            # Neither yes nor no: maybe another school's name, read as a new answer.
        suggested = directory.suggestions(text, exclude=rejected)
        if suggested:
            codes = [m.school_code for m in suggested]
            return {"school": None, "school_candidates": codes, "school_rejected": rejected}
        own_words = parsing.parse_school_text(text)
        if own_words:
            dispatcher.utter_message(response="utter_school_found", school=own_words)
            return school_answered(own_words, None)
        return self._ask_again_or_move_on(dispatcher, tracker, rejected)

    @staticmethod
    def _ask_again_or_move_on(
        dispatcher: CollectingDispatcher, tracker: Tracker, rejected: list[str]
    ) -> dict[str, Any]:
        if tracker.get_slot("school_asked_again"):
            dispatcher.utter_message(response="utter_school_not_kept")
            return school_answered("", None)
        return {"school": None, "school_candidates": None, "school_rejected": rejected, "school_asked_again": True}


def school_answered(name: str, school_code: Any) -> dict[str, Any]:
    """The school question is over: a school ("" when skipped) and no pending state."""
    return {"school": name, "school_code": school_code, **SCHOOL_QUESTION_RESET}


def lookfors_message(tracker: Tracker) -> dict[str, Any]:
    """The checklist for the chosen priority, filtered by grade band when known."""
    priority = common.guide().priority(tracker.get_slot("priority"))
    return {
        "response": "utter_lookfors",
        "priority_name": common.tr(tracker, priority.name),
        "lookfor_lines": common.bullet_lines(common.lookfor_texts(tracker, priority.id)),
    }


class ActionAskPriority(Action):
    """Asks for a priority with the chosen pillar's priorities as buttons."""

    def name(self) -> str:
        return "action_ask_priority"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        pillar = common.guide().pillar(tracker.get_slot("pillar"))
        buttons = [
            {"title": f"{p.id} {common.tr(tracker, p.name)}", "payload": f'/choose_topic{{"priority": "{p.id}"}}'}
            for p in pillar.priorities
            if p.in_guide
        ]
        dispatcher.utter_message(
            response="utter_ask_priority", pillar_name=common.tr(tracker, pillar.name), buttons=buttons
        )
        return []


class ActionAskLookforsSeen(Action):
    """Introduces the chosen priority and offers its "What to look for" checklist."""

    def name(self) -> str:
        return "action_ask_lookfors_seen"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        priority = common.guide().priority(tracker.get_slot("priority"))
        dispatcher.utter_message(
            response="utter_ask_lookfors_seen",
            priority_id=priority.id,
            priority_name=common.tr(tracker, priority.name),
            statement=common.tr(tracker, priority.statement or ""),
        )
        return []


class ActionAskSchool(Action):
    """Asks for the school, or to confirm what the directory found: "Is it ...?" for one
    school, a numbered choice for two or three, the name again after a no."""

    def name(self) -> str:
        return "action_ask_school"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        directory = load_directory()
        offered = [directory.get(code) for code in tracker.get_slot("school_candidates") or []]
        names = [school.name for school in offered if school]
        if len(names) == 1:
            dispatcher.utter_message(response="utter_ask_school_confirm", school=names[0])
        elif len(names) in SCHOOL_CHOICE_RESPONSES:
            numbered = {f"school_{n}": name for n, name in enumerate(names, 1)}
            dispatcher.utter_message(response=SCHOOL_CHOICE_RESPONSES[len(names)], **numbered)
        elif tracker.get_slot("school_asked_again"):
            dispatcher.utter_message(response="utter_ask_school_again")
        else:
            dispatcher.utter_message(response="utter_ask_school")
        return []
