"""The guided journey's form (steps 2-4 of the guide plus the child's profile):
pillar -> priority -> what to look for -> grade -> needs -> school."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from actions.misunderstanding import guesses_may_be_offered
from actions.validation import BaseFormValidation
from bot import parsing
from bot.nlu.topic_guess import guess_priorities
from bot.schools import load_directory
from bot.text import without_spans

# The school question's state (custom slots, see domain.yml): the schools offered and
# waiting for the parent's yes or choice, those the parent said are not theirs, and
# whether the name was already asked for a second time (it is asked twice at most).
SCHOOL_QUESTION_SLOTS = ("school_candidates", "school_rejected", "school_asked_again")
SCHOOL_QUESTION_RESET = {slot: None for slot in SCHOOL_QUESTION_SLOTS}
# A choice of n schools (bot.schools.MAX_SUGGESTIONS at most) has its own response:
# its buttons are the n schools and "None of these".
SCHOOL_CHOICE_RESPONSES = {2: "utter_ask_school_choice_2", 3: "utter_ask_school_choice_3"}
# "Did you mean ...?": the priorities offered when a reply is close to two or three (or
# one) of them but names none; cleared when a topic is chosen.
TOPIC_GUESSES_SLOT = "topic_guesses"
# A worry that names a priority also reads as a need; said as the topic, it is only the topic.
TOPIC_NEEDS = {"2D": "attendance"}


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
        requested = tracker.get_slot("requested_slot")
        unanswered = {"pillar": None} if requested == "pillar" else {"priority": None}
        guessed = list(tracker.get_slot(TOPIC_GUESSES_SLOT) or [])
        picked = guess_answer(common.latest_intent(tracker), guessed)
        if picked is False:  # "no" to the guesses: the question again, without them
            return {**unanswered, TOPIC_GUESSES_SLOT: None}
        entities = [{"entity": "priority", "value": picked}] if picked else self.entities(tracker)
        choice = parsing.resolve_topic(
            common.guide(),
            self.text(tracker),
            entities,
            self.lang(tracker),
            requested_slot=requested,
            current_pillar=tracker.get_slot("pillar"),
        )
        if choice.not_in_guide:
            dispatcher.utter_message(**not_in_guide_message(tracker, choice.not_in_guide))
            return {"pillar": None, "priority": None, TOPIC_GUESSES_SLOT: None}
        if choice.priority:
            if common.latest_intent(tracker) == "show_lookfors":  # "show me what to look for": the topic and its list
                dispatcher.utter_message(**lookfors_message(tracker, choice.priority))
                return {"pillar": choice.pillar, "priority": choice.priority, "lookfors_seen": True,
                        TOPIC_GUESSES_SLOT: None}
            return {"pillar": choice.pillar, "priority": choice.priority, "lookfors_seen": None,
                    TOPIC_GUESSES_SLOT: None}
        if choice.pillar:
            return {"pillar": choice.pillar, "priority": None, TOPIC_GUESSES_SLOT: None}
        detail_given = self.answers_another_question(tracker, requested)
        # Guessed from the words that are not a grade or a need ("primer grado" alone
        # guesses nothing; "2nd grade, worried about her reading" still guesses 1A).
        topic_words = without_spans(self.text(tracker), self.entities(tracker), ("grade", "need"))
        guesses = [p for p, _ in guess_priorities(topic_words, self.lang(tracker))]
        if detail_given and not guesses:
            # The grade or needs were noted by their own questions; this one (or the
            # guesses still waiting for a yes) is asked again, and it is no miss.
            return unanswered
        if guesses and (detail_given or guesses_may_be_offered(tracker.events)):
            # The ask action offers them ("Did you mean 1) ... 2) ...?") instead of the question.
            return {**unanswered, TOPIC_GUESSES_SLOT: guesses}
        self.not_understood(dispatcher, tracker)
        return {**unanswered, TOPIC_GUESSES_SLOT: guesses or None}

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
        new_topic = parsing.first_entity(self.entities(tracker), "priority")
        if new_topic and new_topic.upper() != tracker.get_slot("priority"):
            # "no, what worries me more is that he misses school": another topic, whatever
            # the classifier made of the sentence; its checklist is offered instead.
            return self._topic(dispatcher, tracker)
        show = parsing.parse_show_or_skip(common.latest_intent(tracker), self.text(tracker))
        if show is None:
            if not self.answers_another_question(tracker, "lookfors_seen"):  # a new topic, a grade: no miss
                self.not_understood(dispatcher, tracker)
            return {"lookfors_seen": None}
        if show:
            dispatcher.utter_message(**lookfors_message(tracker))
        return {"lookfors_seen": show}

    def validate_grade(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        said = parsing.parse_grade(self.text(tracker), self.entities(tracker), self.lang(tracker))
        if self.prefilled(tracker, "grade"):
            # Kept from an earlier topic, or said before it was asked: confirmed briefly.
            grade = value if value in common.labels().grades else None
            if grade and said == grade:
                dispatcher.utter_message(response="utter_noted_grade", grade=grade_name(tracker, grade))
            return {"grade": grade}
        if said is None:
            self.not_understood(dispatcher, tracker, "utter_invalid_grade")
        return {"grade": said}

    def validate_needs(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        need_ids = common.labels().need_ids
        if value and self.prefilled(tracker, "needs"):
            return self._needs_said_early(value, dispatcher, tracker)
        needs = parsing.parse_needs(self.text(tracker), need_ids, self.entities(tracker), self.lang(tracker))
        if not needs:
            corrected = grade_correction(self.text(tracker), self.entities(tracker), tracker.get_slot("grade"))
            if corrected:  # "no wait, she's in 5th": the grade again, then this question
                dispatcher.utter_message(response="utter_noted_grade", grade=grade_name(tracker, corrected))
                return {"grade": corrected, "needs": None}
            self.not_understood(dispatcher, tracker, "utter_invalid_needs")
            return {"needs": None}
        return {"needs": needs, **SCHOOL_QUESTION_RESET}  # the school question comes next, asked afresh

    def _needs_said_early(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        """Needs kept from an earlier topic stay as they are; needs said in this message,
        before the question, are kept (but a bare "no" to another question is not "none")."""
        entities = self.entities(tracker)
        said = [e.get("value") for e in entities if e.get("entity") == "need"]
        if not said:
            return {"needs": value}
        # "he keeps missing school" chooses the attendance priority; it is not also a need.
        topic_words = {TOPIC_NEEDS.get(p) for p in parsing.entity_values(entities, "priority")}
        needs = [n for n in dict.fromkeys(value)
                 if n in common.labels().need_ids and n != "none" and n not in topic_words]
        if not needs:  # a "no" to another question: the needs stay what they were
            return {"needs": self.value_before_this_message(tracker, "needs")}
        names = ", ".join(common.tr(tracker, common.labels().need_label(n)) for n in needs)
        dispatcher.utter_message(response="utter_noted_needs", needs=names)
        return {"needs": needs}

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
        directory = load_directory()
        corrected = grade_correction(text, self.entities(tracker), tracker.get_slot("grade"))
        if corrected and not directory.suggestions(text):  # "3rd Street Elementary" is a school
            # "no wait, she's in 5th" while the school is asked: the grade, then this question
            dispatcher.utter_message(response="utter_noted_grade", grade=grade_name(tracker, corrected))
            return {"grade": corrected, "school": None}
        if parsing.wants_to_skip(intent, text) or (intent == "deny" and not offered):
            return school_answered("", None)
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


def grade_name(tracker: Tracker, grade: str) -> str:
    return common.tr(tracker, common.labels().grade_label(grade) or grade)


def grade_correction(text: str, entities: list[dict[str, Any]], current: str | None) -> str | None:
    """A different grade written in words while another question is open ("no, she's in
    5th"); a bare menu answer ("1 3") is never one."""
    if not any(c.isalpha() for c in text or ""):
        return None
    grade = parsing.first_entity(entities, "grade")
    return grade if grade and grade != current else None


# Replies that accept a single guess: "yes", or "show me what to look for" (about it).
GUESS_ACCEPTED = ("affirm", "show_lookfors")


def guess_answer(intent: str | None, guessed: list[str]) -> str | bool | None:
    """A yes or no to the guesses just offered: the one guess for "yes", False for "no",
    None when the reply is something else (read as a new answer)."""
    if not guessed:
        return None
    if intent in GUESS_ACCEPTED and len(guessed) == 1:
        return guessed[0]
    if intent == "deny":
        return False
    return None


def school_answered(name: str, school_code: Any) -> dict[str, Any]:
    """The school question is over: a school ("" when skipped) and no pending state."""
    return {"school": name, "school_code": school_code, **SCHOOL_QUESTION_RESET}


def lookfors_message(tracker: Tracker, priority_id: str | None = None) -> dict[str, Any]:
    """The checklist for the chosen priority (or `priority_id`, being chosen now), filtered
    by grade band when known. `checklist` travels with the message (like a plan): by SMS
    the api sends a link to the priority's public checklist page instead of the list (and
    the list on TEXT)."""
    priority = common.guide().priority(priority_id or tracker.get_slot("priority"))
    return {
        "response": "utter_lookfors",
        "priority_name": common.tr(tracker, priority.name),
        "lookfor_lines": common.bullet_lines(common.lookfor_texts(tracker, priority.id)),
        "checklist": {"priority": priority.id, "language": common.language(tracker),
                      "grade": tracker.get_slot("grade") or None},
    }


GUESS_RESPONSES = {1: "utter_did_you_mean_1", 2: "utter_did_you_mean_2", 3: "utter_did_you_mean_3"}


def guesses_message(tracker: Tracker, guessed: list[str]) -> dict[str, Any]:
    """ "Did you mean ...?": yes or no for one guess, a short numbered choice (and
    "something else") for two or three."""
    guide = common.guide()
    shown = guessed[: max(GUESS_RESPONSES)]
    named: dict[str, Any] = {}
    for n, priority_id in enumerate(shown, 1):
        named[f"guess_{n}"] = f"{priority_id} {common.tr(tracker, guide.priority(priority_id).name)}"
        named[f"guess_{n}_id"] = priority_id
    return {"response": GUESS_RESPONSES[len(shown)], **named}


def offer_guesses(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Offers the guessed priorities, if there are any, instead of the question."""
    guessed = tracker.get_slot(TOPIC_GUESSES_SLOT)
    if guessed:
        dispatcher.utter_message(**guesses_message(tracker, guessed))
    return bool(guessed)


class ActionAskPillar(Action):
    """Asks for a pillar, or offers the guessed priorities after an unclear answer."""

    def name(self) -> str:
        return "action_ask_pillar"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not offer_guesses(dispatcher, tracker):
            dispatcher.utter_message(response="utter_ask_pillar")
        return []


class ActionAskPriority(Action):
    """Asks for a priority with the chosen pillar's priorities as buttons (or offers the
    guessed priorities after an unclear answer)."""

    def name(self) -> str:
        return "action_ask_priority"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if offer_guesses(dispatcher, tracker):
            return []
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
