"""Actions with tracker and dispatcher fakes (rasa-sdk's own classes)."""
from __future__ import annotations

import pytest

from actions.conversation import (
    ActionChangeLanguage,
    ActionCrisis,
    ActionGoBack,
    ActionHandoff,
    ActionRephrase,
    ActionStartOver,
    last_menu_message,
    slots_to_clear_going_back,
)
from actions.guide_info import ActionOrganize, ActionPillarsOverview
from actions.meeting import (
    ActionInviteParents,
    ActionMeetingMessage,
    ActionRequestWorkshop,
    ActionSaveMeeting,
    ValidateMeetingForm,
)
from actions.plan import ActionBuildPlan, ActionChangePriority, ActionDropQuestion, ActionMoreQuestions, ActionShowPlan
from actions.plan_form import SCHOOL_CHOICE_RESPONSES, ActionAskLookforsSeen, ActionAskPriority, ValidatePlanForm
from actions.validation import REPHRASE_RESPONSES, next_rephrase
from bot.schools import MAX_SUGGESTIONS

PROFILE = {"pillar": "2", "priority": "2D", "grade": "3", "needs": ["english_learner"],
           "school": "Breed Street Elementary", "lookfors_seen": False}
PLAN_SLOTS = {**PROFILE, "plan_ready": True, "plan_dropped": [], "plan_pages": 0}


def slots_of(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def run(action, dispatcher, tracker, domain):
    return await action.run(dispatcher, tracker, domain)


def responses(dispatcher):
    return [m.get("response") for m in dispatcher.messages]


@pytest.mark.parametrize(
    "text, entities, requested, expected",
    [
        ("my son keeps missing school", [], "pillar",
         {"pillar": "2", "priority": "2D", "lookfors_seen": None, "topic_guesses": None}),
        ("3", [], "pillar", {"pillar": "3", "priority": None, "topic_guesses": None}),
        ("2", [], "priority", {"pillar": "1", "priority": "1B", "lookfors_seen": None, "topic_guesses": None}),
    ],
)
async def test_plan_form_topic(text, entities, requested, expected, tracker_factory, dispatcher, domain):
    tracker = tracker_factory({"pillar": "1" if requested == "priority" else None, "requested_slot": requested},
                              text=text, intent="choose_topic", entities=entities, active_loop="plan_form")
    result = ValidatePlanForm().validate_pillar(text, dispatcher, tracker, domain)
    assert result == expected


async def test_pillar_five_points_to_the_strategic_plan(tracker_factory, dispatcher, domain):
    tracker = tracker_factory({"requested_slot": "pillar"}, text="5", intent="choose_topic", active_loop="plan_form")
    assert ValidatePlanForm().validate_pillar("5", dispatcher, tracker, domain) == {
        "pillar": None, "priority": None, "topic_guesses": None}
    message = dispatcher.messages[0]
    assert message["response"] == "utter_not_in_guide_pillar"
    assert message["name"] == "Investing in Staff" and "lausdstrategicplan" in message["url"]


async def test_unclear_answers_alternate_rephrase_prompts(tracker_factory, dispatcher, domain):
    first = tracker_factory({"requested_slot": "pillar"}, text="qwerty", intent="nlu_fallback")
    ValidatePlanForm().validate_pillar("qwerty", dispatcher, first, domain)
    bot_said = [{"event": "user"}, {"event": "bot", "metadata": {"utter_action": dispatcher.messages[0]["response"]}},
                {"event": "bot", "metadata": {"utter_action": "utter_ask_pillar"}}, {"event": "user"}]
    second = tracker_factory({"requested_slot": "pillar"}, text="asdfgh", intent="nlu_fallback", events=bot_said)
    ValidatePlanForm().validate_pillar("asdfgh", dispatcher, second, domain)
    assert responses(dispatcher) == list(REPHRASE_RESPONSES)


def test_next_rephrase_never_repeats():
    first = next_rephrase([])
    assert next_rephrase([first, "utter_ask_grade"]) != first
    assert next_rephrase([REPHRASE_RESPONSES[1]]) == REPHRASE_RESPONSES[0]


def test_previous_turn_is_what_the_bot_said_since_the_parents_last_message(tracker_factory):
    from actions.common import previous_turn_responses

    def bot(name):
        return {"event": "bot", "metadata": {"utter_action": name}}

    events = [{"event": "user"}, bot("utter_greet"),
              {"event": "user"}, bot("utter_rephrase_1"), bot("utter_ask_pillar"),
              {"event": "user"}]
    assert previous_turn_responses(tracker_factory(events=events)) == ["utter_rephrase_1", "utter_ask_pillar"]
    # the events an action sees also hold what followed the current message
    later = events + [{"event": "slot", "name": "grade", "value": "3"}, {"event": "action", "name": "plan_form"}]
    assert previous_turn_responses(tracker_factory(events=later)) == ["utter_rephrase_1", "utter_ask_pillar"]


async def test_show_checklist_in_the_form(tracker_factory, dispatcher, domain):
    slots = {**PROFILE, "grade": None, "requested_slot": "lookfors_seen"}
    tracker = tracker_factory(slots, text="yes", intent="affirm")
    assert ValidatePlanForm().validate_lookfors_seen("yes", dispatcher, tracker, domain) == {"lookfors_seen": True}
    assert dispatcher.messages[0]["response"] == "utter_lookfors"
    assert "daily outreach" in dispatcher.messages[0]["lookfor_lines"]


@pytest.mark.parametrize("text, grade", [
    ("3rd grade", "3"), ("kinder", "K"), ("TK", "TK"), ("12", "12"), ("blue", None),
])
async def test_grade(text, grade, tracker_factory, dispatcher, domain):
    tracker = tracker_factory({"requested_slot": "grade"}, text=text, intent="inform")
    assert ValidatePlanForm().validate_grade(text, dispatcher, tracker, domain) == {"grade": grade}
    assert bool(dispatcher.messages) == (grade is None)


async def test_needs_by_numbers(tracker_factory, dispatcher, domain):
    tracker = tracker_factory({"requested_slot": "needs"}, text="1 2", intent="inform")
    result = ValidatePlanForm().validate_needs("1 2", dispatcher, tracker, domain)
    assert result["needs"] == ["english_learner", "disability"]


def school_turn(tracker_factory, text, intent="inform", entities=None, **state):
    """A reply to the school question, with the question's state so far."""
    slots = {**PROFILE, "school": None, "school_code": None, "requested_slot": "school", **state}
    return tracker_factory(slots, text=text, intent=intent, entities=entities, active_loop="plan_form")


def answer_school(tracker_factory, dispatcher, domain, text, intent="inform", entities=None, **state):
    tracker = school_turn(tracker_factory, text, intent, entities, **state)
    return ValidatePlanForm().validate_school(text, dispatcher, tracker, domain)


def asked(result):
    """The state the next question is asked with (None where the result leaves a slot as is)."""
    return {k: result.get(k) for k in ("school_candidates", "school_rejected", "school_asked_again")}


QUESTION_OVER = {"school_candidates": None, "school_rejected": None, "school_asked_again": None}
ROOSEVELT = "4172"  # the sample directory's Roosevelt Senior High


async def test_a_directory_match_is_offered_not_kept(tracker_factory, dispatcher, domain):
    result = answer_school(tracker_factory, dispatcher, domain, "rosevelt high")
    assert result["school"] is None and result["school_candidates"] == [ROOSEVELT]
    assert dispatcher.messages == []  # the question (action_ask_school) says it


@pytest.mark.parametrize(
    "text, intent",
    [("yes", "affirm"), ("/affirm", "affirm"), ("1", None), ("sí", None), ("si", "inform"), ("Yes!", "nlu_fallback")],
)
async def test_yes_keeps_the_offered_school(text, intent, tracker_factory, dispatcher, domain):
    result = answer_school(tracker_factory, dispatcher, domain, text, intent, school_candidates=[ROOSEVELT])
    assert result == {"school": "Roosevelt Senior High", "school_code": ROOSEVELT, **QUESTION_OVER}


@pytest.mark.parametrize("text, intent", [("no", "deny"), ("/deny", "deny"), ("2", None), ("nope", "nlu_fallback")])
async def test_no_asks_once_more_for_the_name(text, intent, tracker_factory, dispatcher, domain):
    result = answer_school(tracker_factory, dispatcher, domain, text, intent, school_candidates=[ROOSEVELT])
    assert result["school"] is None
    assert asked(result) == {"school_candidates": None, "school_rejected": [ROOSEVELT], "school_asked_again": True}
    # the name again: a school the parent turned down is not offered twice, their own words are kept
    again = answer_school(tracker_factory, dispatcher, domain, "Roosevelt Elementary", **asked(result))
    assert again == {"school": "Roosevelt Elementary", "school_code": None, **QUESTION_OVER}
    assert responses(dispatcher) == ["utter_school_found"]


async def test_no_then_a_directory_name_is_offered_again(tracker_factory, dispatcher, domain):
    state = {"school_rejected": [ROOSEVELT], "school_asked_again": True}
    result = answer_school(tracker_factory, dispatcher, domain, "escuela breed", **state)
    assert result["school"] is None and result["school_candidates"] == ["5023"]
    confirmed = answer_school(tracker_factory, dispatcher, domain, "si", "affirm", **asked(result))
    assert confirmed["school"] == "Breed Street Elementary" and confirmed["school_code"] == "5023"


async def test_close_candidates_are_a_numbered_choice(tracker_factory, dispatcher, domain):
    result = answer_school(tracker_factory, dispatcher, domain, "garfield or roosevelt")
    offered = result["school_candidates"]
    assert result["school"] is None and set(offered) == {ROOSEVELT, "4318"}
    number = [{"entity": "number", "value": "2"}]
    second = answer_school(tracker_factory, dispatcher, domain, '/inform{"number": "2"}', "inform", number,
                           school_candidates=offered)
    assert second["school_code"] == offered[1]
    by_text = answer_school(tracker_factory, dispatcher, domain, "1", None, school_candidates=offered)
    assert by_text["school_code"] == offered[0]
    for none in ("3", "none of these", "ninguna"):
        rejected = answer_school(tracker_factory, dispatcher, domain, none, None, school_candidates=offered)
        assert rejected["school"] is None and rejected["school_rejected"] == offered


@pytest.mark.parametrize(
    "text, intent, state",
    [
        ("skip", "skip", {}),
        ("prefer not to say", "nlu_fallback", {}),
        ("no quiero decir", "deny", {}),
        ("no", "deny", {}),  # at the question itself, as before: no school
        ("skip", "skip", {"school_candidates": [ROOSEVELT]}),  # skip works at the confirmation too
        ("prefiero no decirlo", "inform", {"school_candidates": [ROOSEVELT, "4318"]}),
        ("no", "deny", {"school_asked_again": True}),
    ],
)
async def test_skip_ends_the_question_without_a_school(text, intent, state, tracker_factory, dispatcher, domain):
    result = answer_school(tracker_factory, dispatcher, domain, text, intent, **state)
    assert result == {"school": "", "school_code": None, **QUESTION_OVER}


async def test_own_words_that_name_a_school_are_kept(tracker_factory, dispatcher, domain):
    result = answer_school(tracker_factory, dispatcher, domain, "Our Lady Academy")
    assert result == {"school": "Our Lady Academy", "school_code": None, **QUESTION_OVER}
    said = dispatcher.messages[0]
    assert said["response"] == "utter_school_found" and said["school"] == "Our Lady Academy"


@pytest.mark.parametrize("text", ["1", "Maria Lopez", "my son is in 3rd grade", "mi hijo va en tercero"])
async def test_a_number_a_name_or_a_sentence_is_never_kept(text, tracker_factory, dispatcher, domain):
    first = answer_school(tracker_factory, dispatcher, domain, text)
    assert first["school"] is None  # asked again, once
    assert asked(first) == {"school_candidates": None, "school_rejected": [], "school_asked_again": True}
    second = answer_school(tracker_factory, dispatcher, domain, text, **asked(first))
    assert second == {"school": "", "school_code": None, **QUESTION_OVER}  # then on, without a school
    assert responses(dispatcher) == ["utter_school_not_kept"]


@pytest.mark.parametrize(
    "state, response, variables",
    [
        ({}, "utter_ask_school", {}),
        ({"school_candidates": [ROOSEVELT]}, "utter_ask_school_confirm", {"school": "Roosevelt Senior High"}),
        ({"school_candidates": [ROOSEVELT, "4318"]}, "utter_ask_school_choice_2",
         {"school_1": "Roosevelt Senior High", "school_2": "Garfield Senior High"}),
        ({"school_candidates": ["5023", "5274", "5318"]}, "utter_ask_school_choice_3",
         {"school_1": "Breed Street Elementary", "school_2": "Soto Street Elementary",
          "school_3": "Sheridan Street Elementary"}),
        ({"school_asked_again": True, "school_rejected": [ROOSEVELT]}, "utter_ask_school_again", {}),
    ],
)
async def test_ask_school_says_what_the_question_is_waiting_for(
    state, response, variables, tracker_factory, dispatcher, domain
):
    from actions.plan_form import ActionAskSchool

    await run(ActionAskSchool(), dispatcher, school_turn(tracker_factory, "", **state), domain)
    message = dispatcher.messages[0]
    assert message["response"] == response
    assert {k: message.get(k) for k in variables} == variables


def test_school_questions_buttons_are_yes_no_or_the_schools_and_none(domain):
    confirm = domain["responses"]["utter_ask_school_confirm"][0]["buttons"]
    assert [b["payload"] for b in confirm] == ["/affirm", "/deny"]
    # Every choice the directory can offer (bot.schools.MAX_SUGGESTIONS at most) has its response.
    assert set(SCHOOL_CHOICE_RESPONSES) == set(range(2, MAX_SUGGESTIONS + 1))
    for count, response in SCHOOL_CHOICE_RESPONSES.items():
        buttons = domain["responses"][response][0]["buttons"]
        assert [b["title"] for b in buttons[:-1]] == [f"{{school_{n}}}" for n in range(1, count + 1)]
        assert buttons[-1]["payload"] == "/deny"


async def test_needs_answered_starts_the_school_question_afresh(tracker_factory, dispatcher, domain):
    tracker = tracker_factory({"requested_slot": "needs", "school_candidates": [ROOSEVELT], "school_asked_again": True},
                              text="1", intent="inform")
    result = ValidatePlanForm().validate_needs("1", dispatcher, tracker, domain)
    assert result == {"needs": ["english_learner"], **QUESTION_OVER}


async def test_ask_priority_lists_the_pillars_priorities(tracker_factory, dispatcher, domain):
    await run(ActionAskPriority(), dispatcher, tracker_factory({"pillar": "3"}), domain)
    message = dispatcher.messages[0]
    assert message["response"] == "utter_ask_priority" and message["pillar_name"] == "Engagement and Collaboration"
    assert [b["payload"] for b in message["buttons"]] == [
        '/choose_topic{"priority": "3A"}', '/choose_topic{"priority": "3B"}',
    ]


async def test_ask_lookfors_offer_carries_the_priority_statement(tracker_factory, dispatcher, domain):
    await run(ActionAskLookforsSeen(), dispatcher, tracker_factory({"priority": "1C"}), domain)
    assert dispatcher.messages[0]["statement"].startswith("The District will eliminate opportunity gaps")


async def test_build_plan_numbers_each_item_with_its_source(tracker_factory, dispatcher, domain):
    events = await run(ActionBuildPlan(), dispatcher, tracker_factory(PROFILE), domain)
    assert slots_of(events)["plan_ready"] is True
    lines = dispatcher.messages[0]["plan_lines"].splitlines()
    assert 5 <= len(lines) <= 8
    assert lines[0].startswith("1. ") and lines[0].endswith("(2D, What to ask)")
    assert any(line.endswith("(personalized: English learner)") for line in lines)
    assert "What are our school's goals" in lines[-1]


async def test_plan_travels_as_data_in_the_parents_language(tracker_factory, dispatcher, domain):
    await run(ActionBuildPlan(), dispatcher, tracker_factory({**PROFILE, "language": "es"}), domain)
    message = dispatcher.messages[0]
    plan = message["plan"]
    lines = message["plan_lines"].splitlines()
    assert plan["language"] == "es" and plan["priority"] == "2D"
    assert plan["priority_name"] == "Asistencia sobresaliente" and plan["pillar_name"] == "Alegría y Bienestar"
    assert [q["number"] for q in plan["questions"]] == list(range(1, len(lines) + 1))
    assert all(line.startswith(f"{q['number']}. {q['text']} ({q['source']})")
               for q, line in zip(plan["questions"], lines, strict=False))
    assert plan["look_for"] and all(text.startswith(("La escuela", "El Distrito")) for text in plan["look_for"])
    assert plan["school"] == "Breed Street Elementary" and plan["meeting_time"] is None


async def test_saved_meeting_travels_as_data(tracker_factory, dispatcher, domain):
    when = "2026-12-01T15:00:00-08:00"
    await run(ActionSaveMeeting(), dispatcher, tracker_factory({**PLAN_SLOTS, "meeting_time": when}), domain)
    assert dispatcher.messages[0]["meeting"] == {"starts_at": when, "priority": "2D"}


async def test_show_plan_before_and_after(tracker_factory, dispatcher, domain):
    await run(ActionShowPlan(), dispatcher, tracker_factory(), domain)
    await run(ActionShowPlan(), dispatcher, tracker_factory(PLAN_SLOTS), domain)
    assert responses(dispatcher) == ["utter_no_plan_yet", "utter_plan"]


async def test_more_questions_then_nothing_left(tracker_factory, dispatcher, domain):
    events = await run(ActionMoreQuestions(), dispatcher, tracker_factory(PLAN_SLOTS), domain)
    assert slots_of(events) == {"plan_pages": 1}
    events = await run(ActionMoreQuestions(), dispatcher, tracker_factory({**PLAN_SLOTS, "plan_pages": 9}), domain)
    assert events == [] and responses(dispatcher)[-2:] == ["utter_no_more_questions", "utter_plan"]


async def test_drop_question(tracker_factory, dispatcher, domain):
    events = await run(ActionDropQuestion(), dispatcher, tracker_factory({**PLAN_SLOTS, "drop_number": "1"}), domain)
    assert slots_of(events) == {"plan_dropped": ["2D.ask.1"], "drop_number": None}
    assert "mentorship" not in dispatcher.messages[-1]["plan_lines"]


@pytest.mark.parametrize(
    "text, entities, expected",
    [("switch to bullying", [], {"pillar": "2", "priority": "2A"}),
     ("pillar 3 please", [], {"pillar": "3", "priority": None}),
     ("different topic", [], {"pillar": None, "priority": None})],
)
async def test_change_priority_keeps_the_profile(text, entities, expected, tracker_factory, dispatcher, domain):
    tracker = tracker_factory(PLAN_SLOTS, text=text, entities=entities)
    events = await run(ActionChangePriority(), dispatcher, tracker, domain)
    slots = slots_of(events)
    assert {k: slots[k] for k in ("pillar", "priority")} == expected
    assert slots["plan_ready"] is False and slots["lookfors_seen"] is None
    assert "grade" not in slots and "needs" not in slots


async def test_meeting_time_from_free_text(tracker_factory, dispatcher, domain):
    tracker = tracker_factory({"requested_slot": "meeting_time"}, text="next tuesday at 3", intent="set_meeting")
    found = ValidateMeetingForm().validate_meeting_time("next tuesday at 3", dispatcher, tracker, domain)
    value = found["meeting_time"]
    assert value.endswith(("-08:00", "-07:00")) and "T15:00:00" in value
    day_only = tracker_factory(text="tuesday")
    partial = ValidateMeetingForm().validate_meeting_time("tuesday", dispatcher, day_only, domain)
    assert partial == {"meeting_time": None} and responses(dispatcher) == ["utter_meeting_time_incomplete"]


async def test_meeting_message_with_and_without_school(tracker_factory, dispatcher, domain):
    await run(ActionMeetingMessage(), dispatcher, tracker_factory(PLAN_SLOTS), domain)
    await run(ActionMeetingMessage(), dispatcher, tracker_factory({**PLAN_SLOTS, "school": ""}), domain)
    assert responses(dispatcher) == ["utter_meeting_message", "utter_meeting_message_no_school"]
    assert dispatcher.messages[0]["priority_name"] == "Outstanding attendance"


async def test_invite_mentions_the_meeting_when_saved(tracker_factory, dispatcher, domain):
    tracker = tracker_factory({**PLAN_SLOTS, "meeting_time": "2026-12-01T15:00:00-08:00"})
    await run(ActionInviteParents(), dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_invite_text"
    assert dispatcher.messages[0]["meeting_when"].startswith("Tuesday, December 1")


def staff_events(dispatcher):
    return [m["staff_event"] for m in dispatcher.messages if m.get("staff_event")]


async def test_workshop_request_is_a_staff_event(tracker_factory, dispatcher, domain):
    await run(ActionRequestWorkshop(), dispatcher, tracker_factory(PLAN_SLOTS, sender_id="c-42"), domain)
    assert staff_events(dispatcher) == [{"type": "workshop_requested"}]
    assert dispatcher.messages[0]["response"] == "utter_workshop_recorded"


async def test_handoff_and_crisis_are_told_to_staff(tracker_factory, dispatcher, domain):
    await run(ActionHandoff(), dispatcher, tracker_factory(PLAN_SLOTS), domain)
    events = await run(ActionCrisis(), dispatcher, tracker_factory(PLAN_SLOTS, active_loop="plan_form"), domain)
    assert responses(dispatcher) == ["utter_handoff", "utter_crisis", "utter_crisis_resume"]
    assert slots_of(events)["safety_flag"] is True
    assert {"event": "active_loop", "name": None} in [{k: e.get(k) for k in ("event", "name")} for e in events]
    assert staff_events(dispatcher) == [{"type": "handoff_requested"},
                                        {"type": "safety_flag", "reason": "crisis_message"}]
    assert dispatcher.messages[1].get("staff_event")  # on the crisis answer itself


async def test_start_over_keeps_language_and_flags(tracker_factory, dispatcher, domain):
    events = await run(ActionStartOver(), dispatcher, tracker_factory({**PLAN_SLOTS, "safety_flag": True}), domain)
    assert [e["event"] for e in events[:2]] == ["active_loop", "reset_slots"]
    assert slots_of(events) == {"language": "en", "handoff_requested": None, "safety_flag": True}


@pytest.mark.parametrize(
    "requested, cleared",
    [("pillar", []), ("priority", ["pillar", "priority"]), ("grade", ["lookfors_seen"]), ("school", ["needs"])],
)
def test_go_back_reopens_the_previous_question(requested, cleared):
    assert slots_to_clear_going_back(requested) == cleared


async def test_go_back_outside_the_form_shows_the_plan(tracker_factory, dispatcher, domain):
    await run(ActionGoBack(), dispatcher, tracker_factory(PLAN_SLOTS), domain)
    assert responses(dispatcher) == ["utter_plan"]


async def test_rephrase_resends_the_menu_unless_the_language_changed(tracker_factory, dispatcher, domain):
    menu = {"event": "bot", "text": "Pick one", "data": {"buttons": [{"title": "A", "payload": "/a"}]}}
    assert last_menu_message([menu])["text"] == "Pick one"
    assert last_menu_message([menu, {"event": "slot", "name": "language", "value": "es"}]) is None
    events = await run(ActionRephrase(), dispatcher, tracker_factory({"language": "es"}, events=[menu]), domain)
    assert [e["event"] for e in events] == ["rewind", "slot"]
    assert slots_of(events) == {"language": "es"}  # the detected language survives the rewind
    assert dispatcher.messages[1]["text"] == "Pick one" and dispatcher.messages[1]["buttons"]


def test_a_plan_shown_again_keeps_its_data():
    plan = {"priority": "2D", "questions": [{"number": 1, "text": "Q?"}]}
    shown = {"event": "bot", "text": "Your questions", "data": {"buttons": [{"title": "A", "payload": "/a"}]},
             "metadata": {"utter_action": "utter_plan", "plan": plan}}
    assert last_menu_message([shown])["plan"] == plan


async def test_unsupported_language_is_said_in_the_current_one(tracker_factory, dispatcher, domain):
    events = await run(ActionChangeLanguage(), dispatcher, tracker_factory(text="french please"), domain)
    assert events == [] and responses(dispatcher) == ["utter_language_unsupported"]


async def test_english_switch(tracker_factory, dispatcher, domain):
    events = await run(ActionChangeLanguage(), dispatcher, tracker_factory(text="english please"), domain)
    assert slots_of(events) == {"language": "en"}
    assert dispatcher.messages[0]["language"] == "en"


async def test_pillars_overview_then_detail(tracker_factory, dispatcher, domain):
    await run(ActionPillarsOverview(), dispatcher, tracker_factory(), domain)
    said = [{"event": "user"}, {"event": "bot", "metadata": {"utter_action": "utter_pillars_overview"}},
            {"event": "user"}]
    await run(ActionPillarsOverview(), dispatcher, tracker_factory(events=said), domain)
    assert responses(dispatcher) == ["utter_pillars_overview", "utter_pillars_detail"]
    assert "2D Outstanding attendance" in dispatcher.messages[1]["pillar_lines"]
    assert "Literacy" in dispatcher.messages[1]["goal_names"]


async def test_organize_menu_then_a_step(tracker_factory, dispatcher, domain):
    await run(ActionOrganize(), dispatcher, tracker_factory(), domain)
    await run(ActionOrganize(), dispatcher, tracker_factory(entities=[{"entity": "step", "value": "3"}]), domain)
    assert len(dispatcher.messages[0]["buttons"]) == 4
    assert dispatcher.messages[1]["title"] == "Foster community action"
    assert dispatcher.messages[1]["quote"] == "Action is in the reaction"


async def test_greeting_asks_for_a_language_first(tracker_factory, dispatcher, domain):
    from actions.conversation import ActionGreet

    await run(ActionGreet(), dispatcher, tracker_factory({"language": None}), domain)
    await run(ActionGreet(), dispatcher, tracker_factory({"language": "es"}), domain)
    assert responses(dispatcher) == ["utter_choose_language", "utter_greet"]


async def test_choosing_a_language_after_the_question_greets_in_it(tracker_factory, dispatcher, domain):
    events = [{"event": "user"}, {"event": "bot", "metadata": {"utter_action": "utter_choose_language"}},
              {"event": "user"}]
    tracker = tracker_factory({"language": None}, text='/change_language{"language": "es"}',
                              entities=[{"entity": "language", "value": "es"}], events=events)
    result = await run(ActionChangeLanguage(), dispatcher, tracker, domain)
    assert slots_of(result) == {"language": "es"}
    assert [(m["response"], m["language"]) for m in dispatcher.messages] == [("utter_language_changed", "es"),
                                                                            ("utter_greet", "es")]


async def test_help_twice_in_a_row_rephrases_instead(tracker_factory, dispatcher, domain):
    from actions.conversation import ActionHelp

    await run(ActionHelp(), dispatcher, tracker_factory(events=[{"event": "user"}]), domain)
    events = [{"event": "user"}, {"event": "bot", "metadata": {"utter_action": "utter_help"}}, {"event": "user"}]
    await run(ActionHelp(), dispatcher, tracker_factory(events=events), domain)
    assert [r for r in responses(dispatcher) if r] == [
        "utter_help", "utter_what_next", "utter_rephrase_1", "utter_what_next",
    ]


# --- the session start: a door's school (the web chat's data-school) ------------------------


async def test_a_session_started_with_a_known_school_keeps_it_and_carries_the_slots_over(
    tracker_factory, dispatcher, domain
):
    from actions.session import ActionSessionStart

    tracker = tracker_factory({"language": "es", "session_started_metadata": {"school_code": "5023"}})
    events = await run(ActionSessionStart(), dispatcher, tracker, domain)
    assert events[0]["event"] == "session_started"
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")
    assert slots_of(events) == {"language": "es", "plan_pages": 0, "plan_ready": False,
                                "session_started_metadata": {"school_code": "5023"},
                                "school": "Breed Street Elementary", "school_code": "5023"}
    assert dispatcher.messages == []


@pytest.mark.parametrize("metadata", [None, {}, {"school_code": "0000"}, {"school_code": 5023},
                                      {"school_code": "5" * 200}, "5023"])
async def test_a_session_without_a_known_school_sets_none(tracker_factory, dispatcher, domain, metadata):
    from actions.session import ActionSessionStart

    events = await run(ActionSessionStart(), dispatcher,
                       tracker_factory({"session_started_metadata": metadata}), domain)
    assert "school" not in slots_of(events) and "school_code" not in slots_of(events)


async def test_a_session_start_carries_nothing_over_when_the_domain_says_so(tracker_factory, dispatcher, domain):
    from actions.session import ActionSessionStart

    domain = {**domain, "session_config": {"carry_over_slots_to_new_session": False}}
    events = await run(ActionSessionStart(), dispatcher, tracker_factory(PLAN_SLOTS), domain)
    assert slots_of(events) == {}


async def test_start_over_keeps_the_websites_school(tracker_factory, dispatcher, domain):
    metadata = {"school_code": "5023"}
    tracker = tracker_factory({**PLAN_SLOTS, "school": "Roosevelt", "session_started_metadata": metadata})
    events = await run(ActionStartOver(), dispatcher, tracker, domain)
    assert slots_of(events)["school"] == "Breed Street Elementary" and slots_of(events)["school_code"] == "5023"
    assert slots_of(events)["session_started_metadata"] == metadata


def test_the_websites_school_prefilled_at_the_session_start_is_kept_when_the_form_starts(
    tracker_factory, dispatcher, domain
):
    site = {"session_started_metadata": {"school_code": "5023"}, "school_code": "5023"}
    tracker = tracker_factory(site, text="/start_guide", intent="start_guide", active_loop="plan_form")
    kept = ValidatePlanForm().validate_school("Breed Street Elementary", dispatcher, tracker, domain)
    assert kept["school"] == "Breed Street Elementary" and kept["school_code"] == "5023"
    assert dispatcher.messages == []
    # Asked, the same words are the parent's answer: a directory match to confirm.
    tracker = school_turn(tracker_factory, "Breed Street Elementary")
    asked = ValidatePlanForm().validate_school("Breed Street Elementary", dispatcher, tracker, domain)
    assert asked["school"] is None and asked["school_candidates"] == ["5023"]


@pytest.mark.parametrize("school, code", [("Roosevelt Senior High", ROOSEVELT), ("Our Lady Academy", None), ("", None)])
def test_a_new_topic_keeps_the_childs_profile_when_the_form_starts_again(
    school, code, tracker_factory, dispatcher, domain
):
    """After a plan, a new topic (action_change_priority) starts the plan form again with
    the profile filled; Rasa validates those slots then, with the topic message as the
    latest text, before it asks for the checklist (the first slot left to fill)."""
    tracker = tracker_factory({**PROFILE, "pillar": "2", "priority": "2A", "lookfors_seen": None,
                               "school": school, "school_code": code, "requested_slot": "lookfors_seen"},
                              text="let's talk about bullying", intent="choose_topic",
                              entities=[{"entity": "priority", "value": "2A"}], active_loop="plan_form")
    form = ValidatePlanForm()
    assert form.validate_needs(PROFILE["needs"], dispatcher, tracker, domain) == {"needs": PROFILE["needs"]}
    assert form.validate_school(school, dispatcher, tracker, domain) == {
        "school": school, "school_code": code, **QUESTION_OVER}
    assert dispatcher.messages == []  # nothing said about needs or the school
