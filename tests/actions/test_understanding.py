"""Understanding parents in their own words, in the actions: "Did you mean ...?",
details said before they are asked, corrections, out-of-scope questions, and a
language switch that brings the menu back."""
from __future__ import annotations

import pytest

import actions.plan_form as plan_form
from actions.conversation import ActionChangeLanguage, ActionOutOfScope, ActionRephrase, menu_to_repeat
from actions.plan_form import ActionAskPillar, ActionAskPriority, ValidatePlanForm, grade_correction, guess_answer


def slots_of(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def responses(dispatcher):
    return [m.get("response") for m in dispatcher.messages]


def bot(name, buttons=None):
    return {"event": "bot", "metadata": {"utter_action": name}, "data": {"buttons": buttons} if buttons else {}}


@pytest.fixture
def guesses(monkeypatch):
    """The guesses the topic matcher returns, set by each test (the matcher itself is
    tested in tests/bot/test_topic_guess.py)."""
    chosen: list[tuple[str, float]] = []
    monkeypatch.setattr(plan_form, "guess_priorities", lambda text, lang, limit=3: list(chosen))
    return chosen


async def test_an_unclear_topic_close_to_priorities_offers_them(tracker_factory, dispatcher, domain, guesses):
    guesses += [("1A", 0.8), ("1C", 0.7)]
    tracker = tracker_factory({"requested_slot": "pillar"}, text="the thing about what they learn",
                              intent="choose_topic",
                              active_loop="plan_form", events=[{"event": "user"}])
    result = ValidatePlanForm().validate_pillar("the thing about what they learn", dispatcher, tracker, domain)
    assert result == {"pillar": None, "topic_guesses": ["1A", "1C"]}
    assert dispatcher.messages == []  # the ask action offers them instead of the question
    asked = tracker_factory({"topic_guesses": ["1A", "1C"], "language": "es"})
    await ActionAskPillar().run(dispatcher, asked, domain)
    message = dispatcher.messages[0]
    assert message["response"] == "utter_did_you_mean_2"
    assert message["guess_1_id"] == "1A" and message["guess_2_id"] == "1C"
    assert message["guess_1"] == "1A Instrucción de alta calidad"  # in the conversation's language


async def test_the_priority_question_also_offers_the_guesses(tracker_factory, dispatcher, domain):
    tracker = tracker_factory({"pillar": "2", "topic_guesses": ["2B"]})
    await ActionAskPriority().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_did_you_mean_1"] and dispatcher.messages[0]["guess_1_id"] == "2B"


@pytest.mark.parametrize(("intent", "guessed", "expected"), [
    ("affirm", ["2B"], "2B"), ("affirm", ["2B", "2C"], None), ("deny", ["2B"], False),
    ("choose_topic", ["2B"], None), ("affirm", [], None),
    ("show_lookfors", ["3A"], "3A"), ("show_lookfors", ["3A", "2C"], None),
])
def test_guess_answer(intent, guessed, expected):
    assert guess_answer(intent, guessed) == expected


async def test_yes_to_one_guess_chooses_it(tracker_factory, dispatcher, domain):
    tracker = tracker_factory({"requested_slot": "pillar", "topic_guesses": ["2B"]}, text="yes", intent="affirm",
                              active_loop="plan_form")
    result = ValidatePlanForm().validate_pillar("yes", dispatcher, tracker, domain)
    assert result == {"pillar": "2", "priority": "2B", "lookfors_seen": None, "topic_guesses": None}


async def test_show_me_what_to_look_for_after_one_guess_chooses_it_and_shows_the_list(tracker_factory, dispatcher,
                                                                                     domain):
    tracker = tracker_factory({"requested_slot": "pillar", "topic_guesses": ["3A"], "language": "es"},
                              text="enséñame qué buscar", intent="show_lookfors", active_loop="plan_form")
    result = ValidatePlanForm().validate_pillar("enséñame qué buscar", dispatcher, tracker, domain)
    assert result == {"pillar": "3", "priority": "3A", "lookfors_seen": True, "topic_guesses": None}
    assert responses(dispatcher) == ["utter_lookfors"]
    assert dispatcher.messages[0]["checklist"]["priority"] == "3A"


async def test_a_grade_while_the_topic_is_asked_is_no_miss_and_keeps_the_guesses(tracker_factory, dispatcher,
                                                                                  domain):
    events = [{"event": "user"}, bot("utter_did_you_mean_1"), {"event": "user"}]
    tracker = tracker_factory({"requested_slot": "pillar", "topic_guesses": ["3A"], "grade": "1", "language": "es"},
                              text="primer grado", intent="inform",
                              entities=[{"entity": "grade", "value": "1", "start": 0, "end": 12}],
                              active_loop="plan_form", events=events)
    assert ValidatePlanForm().validate_pillar("primer grado", dispatcher, tracker, domain) == {"pillar": None}
    assert dispatcher.messages == []  # "Noted" comes from the grade; the guess is offered again


async def test_details_with_a_worry_in_other_words_offer_guesses_from_the_worry(tracker_factory, dispatcher, domain,
                                                                                 guesses):
    guesses += [("1A", 0.8)]
    events = [{"event": "user"}, bot("utter_rephrase_1"), {"event": "user"}, bot("utter_rephrase_2"),
              {"event": "user"}]  # even after two misses: the details were understood
    text = "she's in second grade, still learning english, and that thing with letters"
    tracker = tracker_factory({"requested_slot": "pillar", "grade": "2"}, text=text, intent="inform",
                              entities=[{"entity": "grade", "value": "2", "start": 9, "end": 21},
                                        {"entity": "need", "value": "english_learner", "start": 29, "end": 45}],
                              active_loop="plan_form", events=events)
    assert ValidatePlanForm().validate_pillar(text, dispatcher, tracker, domain) == {
        "pillar": None, "topic_guesses": ["1A"]}
    assert dispatcher.messages == []


def test_without_spans_blanks_the_named_entities_only():
    from bot.text import without_spans

    entities = [{"entity": "grade", "start": 0, "end": 9}, {"entity": "priority", "start": 14, "end": 21}]
    assert without_spans("3rd grade and reading", entities, ("grade",)) == "          and reading"


async def test_another_topic_while_the_checklist_is_offered_is_taken_whatever_the_intent(tracker_factory,
                                                                                         dispatcher, domain):
    text = "bueno no, lo que más me preocupa es que falta mucho a la escuela"
    tracker = tracker_factory({"requested_slot": "lookfors_seen", "pillar": "1", "priority": "1A", "language": "es"},
                              text=text, intent="deny", entities=[{"entity": "priority", "value": "2D"}],
                              active_loop="plan_form")
    result = ValidatePlanForm().validate_lookfors_seen(text, dispatcher, tracker, domain)
    assert result == {"pillar": "2", "priority": "2D", "lookfors_seen": None, "topic_guesses": None}
    same = tracker_factory({"requested_slot": "lookfors_seen", "pillar": "1", "priority": "1A"}, text="no thanks",
                           intent="deny", entities=[{"entity": "priority", "value": "1A"}], active_loop="plan_form")
    assert ValidatePlanForm().validate_lookfors_seen("no thanks", dispatcher, same, domain) == {"lookfors_seen": False}


async def test_a_new_topic_while_the_checklist_is_offered_is_no_miss(tracker_factory, dispatcher, domain):
    tracker = tracker_factory({"requested_slot": "lookfors_seen", "priority": "3B"}, text="información accesible",
                              intent="choose_topic", entities=[{"entity": "priority", "value": "3B"}],
                              active_loop="plan_form")
    result = ValidatePlanForm().validate_lookfors_seen("información accesible", dispatcher, tracker, domain)
    assert result == {"lookfors_seen": None}
    assert dispatcher.messages == []
    unclear = tracker_factory({"requested_slot": "lookfors_seen"}, text="hmm what", intent="nlu_fallback",
                              active_loop="plan_form")
    ValidatePlanForm().validate_lookfors_seen("hmm what", dispatcher, unclear, domain)
    assert responses(dispatcher) == ["utter_rephrase_1"]


async def test_no_to_the_guesses_asks_the_question_again(tracker_factory, dispatcher, domain):
    tracker = tracker_factory({"requested_slot": "pillar", "topic_guesses": ["2B", "2C"]}, text="no",
                              intent="deny", active_loop="plan_form")
    assert ValidatePlanForm().validate_pillar("no", dispatcher, tracker, domain) == {"pillar": None,
                                                                                     "topic_guesses": None}


async def test_the_third_miss_offers_a_person_even_with_guesses(tracker_factory, dispatcher, domain, guesses):
    guesses += [("1A", 0.8)]
    events = [{"event": "user"}, bot("utter_did_you_mean_1"), {"event": "user"}, bot("utter_rephrase_2"),
              {"event": "user"}]
    tracker = tracker_factory({"requested_slot": "pillar"}, text="that other thing", intent="choose_topic",
                              active_loop="plan_form", events=events)
    result = ValidatePlanForm().validate_pillar("that other thing", dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_offer_person"]
    assert result["pillar"] is None
    assert dispatcher.messages[0]["staff_event"] == {"type": "repeated_misunderstanding"}


async def test_rephrase_outside_a_form_never_loops(tracker_factory, dispatcher, domain):
    said: list[dict] = [{"event": "user"}, bot("utter_what_next", buttons=[{"title": "x", "payload": "/x"}])]
    answers, flagged = [], []
    for _ in range(3):
        dispatcher.messages.clear()
        tracker = tracker_factory(text="zzz", intent="nlu_fallback", events=said + [{"event": "user"}])
        await ActionRephrase().run(dispatcher, tracker, domain)
        answers.append(dispatcher.messages[0]["response"])
        flagged += [m["staff_event"]["type"] for m in dispatcher.messages if m.get("staff_event")]
        said += [{"event": "user"}, bot(answers[-1]), bot("utter_what_next", buttons=[{"title": "x", "payload": "/x"}])]
    assert answers == ["utter_rephrase_1", "utter_rephrase_2", "utter_offer_person"]
    assert flagged == ["repeated_misunderstanding"]  # once, with the offer of a person


async def test_a_grade_said_before_it_is_asked_is_kept_and_confirmed(tracker_factory, dispatcher, domain):
    tracker = tracker_factory({"requested_slot": "lookfors_seen", "grade": "3"}, text="no thanks, she's in 3rd grade",
                              intent="deny", entities=[{"entity": "grade", "value": "3"}], active_loop="plan_form")
    assert ValidatePlanForm().validate_grade("3", dispatcher, tracker, domain) == {"grade": "3"}
    assert responses(dispatcher) == ["utter_noted_grade"] and dispatcher.messages[0]["grade"] == "3rd grade"


async def test_a_grade_kept_from_an_earlier_topic_is_not_confirmed_again(tracker_factory, dispatcher, domain):
    tracker = tracker_factory({"requested_slot": "priority", "grade": "3"}, text="attendance", intent="choose_topic",
                              active_loop="plan_form")
    assert ValidatePlanForm().validate_grade("3", dispatcher, tracker, domain) == {"grade": "3"}
    assert dispatcher.messages == []


async def test_needs_said_early_are_kept_but_a_bare_no_is_not_none(tracker_factory, dispatcher, domain):
    said = tracker_factory({"requested_slot": "lookfors_seen"}, text="yes please, he's an english learner",
                           intent="affirm", entities=[{"entity": "need", "value": "english_learner"}],
                           active_loop="plan_form")
    assert ValidatePlanForm().validate_needs(["english_learner"], dispatcher, said, domain) == {
        "needs": ["english_learner"]}
    assert responses(dispatcher) == ["utter_noted_needs"]
    bare_no = tracker_factory({"requested_slot": "lookfors_seen"}, text="no", intent="deny",
                              entities=[{"entity": "need", "value": "none"}], active_loop="plan_form")
    assert ValidatePlanForm().validate_needs(["none"], dispatcher, bare_no, domain) == {"needs": None}
    # A bare "no" to the checklist after a change of topic keeps the needs given before it.
    kept = [{"event": "slot", "name": "needs", "value": ["foster_youth"]}, {"event": "user", "text": "no"},
            {"event": "slot", "name": "needs", "value": ["none"]}]
    after_new_topic = tracker_factory({"requested_slot": "lookfors_seen", "needs": ["none"]}, text="no",
                                      intent="deny", entities=[{"entity": "need", "value": "none"}],
                                      active_loop="plan_form", events=kept)
    assert ValidatePlanForm().validate_needs(["none"], dispatcher, after_new_topic, domain) == {
        "needs": ["foster_youth"]}


async def test_a_grade_correction_while_the_needs_are_asked(tracker_factory, dispatcher, domain):
    tracker = tracker_factory({"requested_slot": "needs", "grade": "4"}, text="no wait, she's in 5th, sorry",
                              intent="inform", entities=[{"entity": "grade", "value": "5"}], active_loop="plan_form")
    result = ValidatePlanForm().validate_needs("no wait, she's in 5th, sorry", dispatcher, tracker, domain)
    assert result == {"grade": "5", "needs": None}
    assert responses(dispatcher) == ["utter_noted_grade"]


@pytest.mark.parametrize(("text", "entities", "current", "expected"), [
    ("no, she's in 5th", [{"entity": "grade", "value": "5"}], "4", "5"),
    ("1 3", [{"entity": "grade", "value": "1"}], "4", None),  # the needs menu, not a grade
    ("she's in 4th", [{"entity": "grade", "value": "4"}], "4", None),  # the same grade: nothing to correct
    ("an IEP", [], "4", None),
])
def test_grade_correction(text, entities, current, expected):
    assert grade_correction(text, entities, current) == expected


async def test_out_of_scope_says_where_to_ask_and_shows_the_menu_again(tracker_factory, dispatcher, domain,
                                                                       monkeypatch):
    monkeypatch.delenv("FGA_OFFICE_CONTACT", raising=False)
    menu = bot("utter_next_steps", buttons=[{"title": "Ask for a meeting", "payload": "/meeting_message"}])
    menu["text"] = "Next steps"
    tracker = tracker_factory(text="what time is pickup", intent="out_of_scope", events=[{"event": "user"}, menu])
    await ActionOutOfScope().run(dispatcher, tracker, domain)
    assert responses(dispatcher)[0] == "utter_out_of_scope"
    assert dispatcher.messages[1]["buttons"] == [{"title": "Ask for a meeting", "payload": "/meeting_message"}]


async def test_out_of_scope_gives_the_configured_contact_and_lets_the_form_ask(tracker_factory, dispatcher, domain,
                                                                               monkeypatch):
    monkeypatch.setenv("FGA_OFFICE_CONTACT", "  (213) 555-0100 \n achieve.lausd.net ")
    tracker = tracker_factory(text="is school open tomorrow", intent="out_of_scope", active_loop="plan_form")
    await ActionOutOfScope().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_out_of_scope_contact"]
    assert dispatcher.messages[0]["contact"] == "(213) 555-0100 achieve.lausd.net"


def test_menu_to_repeat_resends_plain_menus_and_falls_back_for_ones_with_variables(domain):
    plain = [{"event": "user"}, bot("utter_next_steps", buttons=[{"title": "a", "payload": "/a"}])]
    assert menu_to_repeat(plain, domain) == "utter_next_steps"
    with_variables = [{"event": "user"}, bot("utter_plan", buttons=[{"title": "a", "payload": "/a"}])]
    assert menu_to_repeat(with_variables, domain) == "utter_what_next"
    assert menu_to_repeat([], domain) == "utter_what_next"


async def test_a_language_switch_outside_a_form_brings_the_menu_back_in_the_new_language(tracker_factory, dispatcher,
                                                                                         domain):
    events = [{"event": "user"}, bot("utter_next_steps", buttons=[{"title": "a", "payload": "/a"}]),
              {"event": "user"}]
    tracker = tracker_factory({"language": "en"}, text="en español por favor", intent="change_language",
                              entities=[{"entity": "language", "value": "es"}], events=events)
    result = await ActionChangeLanguage().run(dispatcher, tracker, domain)
    assert slots_of(result) == {"language": "es"}
    assert [(m["response"], m["language"]) for m in dispatcher.messages] == [
        ("utter_language_changed", "es"), ("utter_next_steps", "es")]


# --------------------------------------------------------------------------- language
from actions.slot_mappings import ValidateSlotMappings, language_to_keep  # noqa: E402
from actions.validation import slot_before_latest_message  # noqa: E402


def language_events(before: str | None) -> list[dict]:
    events: list[dict] = [{"event": "action", "name": "action_session_start"}]
    if before:
        events.append({"event": "slot", "name": "language", "value": before})
    return events + [{"event": "user", "text": "..."}, {"event": "slot", "name": "language", "value": "xx"}]


@pytest.mark.parametrize("before", [None, "en", "es"])
def test_the_language_before_this_turn_ignores_the_new_candidate(before):
    assert slot_before_latest_message(language_events(before), "language") == before


def test_a_restart_empties_the_slot_before_this_turn():
    events = language_events("es")
    events.insert(2, {"event": "restart"})
    assert slot_before_latest_message(events, "language") is None


@pytest.mark.parametrize(("candidate", "clearly", "before", "kept"), [
    ("es", False, None, "es"),  # "gracias" as a first message: answered in Spanish
    ("en", False, "es", "es"),  # "yes" from a Spanish-speaking parent: no switch
    ("en", True, "es", "en"),  # a whole English sentence: switch
])
def test_language_to_keep(candidate, clearly, before, kept):
    assert language_to_keep(candidate, clearly, before) == kept


async def test_the_slot_check_keeps_a_running_conversation_s_language(tracker_factory, dispatcher, domain):
    tracker = tracker_factory({"language": "en"}, text="yes", entities=[{"entity": "likely_language", "value": "en"}],
                              events=language_events("es"))
    assert ValidateSlotMappings().validate_language("en", dispatcher, tracker, domain) == {"language": "es"}
    clear = tracker_factory({"language": "en"}, text="can you write to me in english from now on",
                            entities=[{"entity": "detected_language", "value": "en"}], events=language_events("es"))
    assert ValidateSlotMappings().validate_language("en", dispatcher, clear, domain) == {"language": "en"}


async def test_a_worry_about_absences_is_the_topic_not_also_a_need(tracker_factory, dispatcher, domain):
    tracker = tracker_factory({"requested_slot": "pillar"}, intent="choose_topic", active_loop="plan_form",
                              text="he is in 3rd and an english learner and misses school",
                              entities=[{"entity": "need", "value": "english_learner"},
                                        {"entity": "need", "value": "attendance"},
                                        {"entity": "priority", "value": "2D"}])
    result = ValidatePlanForm().validate_needs(["english_learner", "attendance"], dispatcher, tracker, domain)
    assert result == {"needs": ["english_learner"]}


def needs_events(before: list[str] | None) -> list[dict]:
    events: list[dict] = [{"event": "action", "name": "action_session_start"}]
    if before:
        events.append({"event": "slot", "name": "needs", "value": before})
    return events + [{"event": "user", "text": "..."}, {"event": "slot", "name": "needs", "value": ["none"]}]


@pytest.mark.parametrize(("said", "before", "read", "kept"), [
    # "no" to the checklist question after a topic change: the needs said before stay
    ("none", ["foster_youth"], ["none"], ["foster_youth"]),
    # ... and none are set when none were said yet (the form will ask)
    ("none", None, ["none"], None),
    # a need named outside the form is kept, as the mapping read it
    ("disability", ["foster_youth"], ["disability"], ["disability"]),
])
async def test_a_no_outside_the_form_does_not_erase_the_needs(tracker_factory, dispatcher, domain, said, before,
                                                              read, kept):
    tracker = tracker_factory({"needs": read}, text="no", entities=[{"entity": "need", "value": said}],
                              events=needs_events(before))
    assert ValidateSlotMappings().validate_needs(read, dispatcher, tracker, domain) == {"needs": kept}


async def test_the_form_checks_its_own_needs(tracker_factory, dispatcher, domain):
    tracker = tracker_factory({"needs": ["none"]}, text="no", entities=[{"entity": "need", "value": "none"}],
                              events=needs_events(["gifted"]), active_loop="plan_form")
    assert ValidateSlotMappings().validate_needs(["none"], dispatcher, tracker, domain) == {"needs": ["none"]}
