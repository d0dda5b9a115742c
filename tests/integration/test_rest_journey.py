"""Whole journeys over the REST channel against the real Rasa server and action server."""
from __future__ import annotations

from devtools.devstack import buttons, texts


def staff_events(messages):
    return [m["metadata"]["staff_event"] for m in messages if "staff_event" in m.get("metadata", {})]


def test_whole_journey_by_numbers_and_free_text(stack, sender):
    first_contact = stack.say(sender, "hi")  # no language yet: the choice, in both languages
    assert "Reply 1 for English" in texts(first_contact) and "Responda 2 para español" in texts(first_contact)
    greeting = stack.say(sender, "1")
    assert "OK, I'll write in English." in texts(greeting)
    assert "Family Guide Assistant" in texts(greeting)
    assert buttons(greeting)[:1] == ["Let's start"]

    pillars = stack.say(sender, "1")  # "Let's start", as an SMS parent would reply
    assert "Which pillar" in texts(pillars)
    assert "Joy and Wellness" in buttons(pillars)

    priorities = stack.say(sender, "2")  # Joy and Wellness
    assert "Joy and Wellness has these priorities" in texts(priorities)
    assert any("2D" in title for title in buttons(priorities))

    offer = stack.say(sender, "4")  # 2D Outstanding attendance
    assert "LAUSD will ensure outstanding attendance" in texts(offer)

    checklist = stack.say(sender, "1")  # show the checklist
    assert "What to look for" in texts(checklist)
    assert "What grade" in texts(checklist)

    assert "Does your child have any of these" in texts(stack.say(sender, "3rd grade"))
    assert "what school" in texts(stack.say(sender, "1")).lower()  # 1 = English learner

    confirm = stack.say(sender, "breed street elemntary")  # a typo: the directory's name, to confirm
    assert "Is it Breed Street Elementary?" in texts(confirm) and buttons(confirm) == ["Yes", "No"]
    plan = texts(stack.say(sender, "1"))  # yes
    assert "Your questions for the principal about Outstanding attendance" in plan
    assert "How are you supporting English learners to reclassify?" in plan
    assert "personalized: English learner" in plan
    assert "(2D, What to ask)" in plan
    assert "Grades K-5" in plan  # the goal line for a 3rd grader

    more = texts(stack.say(sender, "more questions"))
    assert more.count("?") > plan.count("?")  # the guide has one more question for this child

    meeting = texts(stack.say(sender, "next steps"))
    assert "Next steps" in meeting
    request = texts(stack.say(sender, "1"))
    assert "Hello, I am a parent at Breed Street Elementary" in request
    told_staff = []
    saved_messages = stack.say(sender, "the meeting is next tuesday at 3")
    told_staff += staff_events(saved_messages)
    saved = texts(saved_messages)
    assert "Saved! Your meeting: Tuesday" in saved and "3:00 PM" in saved
    invite = texts(stack.say(sender, "invite other parents"))
    assert "Tuesday" in invite and "Outstanding attendance" in invite

    workshop_messages = stack.say(sender, "ask for a workshop")
    told_staff += staff_events(workshop_messages)
    workshop = texts(workshop_messages)
    assert "workshop" in workshop and "Breed Street Elementary" in workshop
    assert told_staff == [{"type": "meeting_scheduled"}, {"type": "workshop_requested"}]
    # The turn's last message carries the conversation's summary for staff.
    summary = workshop_messages[-1]["metadata"]["summary"]
    assert summary["school_code"] == "5023" and summary["school_text"] is None
    assert summary["priority"] == "2D" and summary["grade_band"] == "elementary" and summary["plan_ready"]
    assert summary["meeting_time"] and summary["workshop_requested"] and summary["invitation_sent"]
    assert {3, 5, 6, 8, 10} <= set(summary["steps_done"])
    assert all("summary" not in m.get("metadata", {}) for m in workshop_messages[:-1])


def test_a_number_is_never_kept_as_the_school(stack, sender):
    for reply in ("lets start", "2", "4", "2", "3rd grade"):  # Joy and Wellness, 2D, no checklist
        stack.say(sender, reply)
    assert "what school" in texts(stack.say(sender, "6")).lower()  # 6 = none of these needs
    again = texts(stack.say(sender, "1"))
    assert "name of your child's school" in again and "skip" in again
    plan = texts(stack.say(sender, "1"))
    assert "without the school" in plan and "Your questions for the principal" in plan
    stack.say(sender, "next steps")
    request = texts(stack.say(sender, "1"))
    assert "Hello, I am a parent at your school." in request


def test_worry_in_free_text_goes_straight_to_the_priority(stack, sender):
    reply = texts(stack.say(sender, "my son keeps missing school"))
    assert "2D" in reply and "outstanding attendance" in reply.lower()


def test_pillar_four_gets_a_pointer_to_the_strategic_plan(stack, sender):
    stack.say(sender, "lets start")
    reply = texts(stack.say(sender, "what about operational effectiveness"))
    assert "Strategic Plan" in reply and "sites.google.com/lausd.net/lausdstrategicplan" in reply
    assert "Which pillar" in reply  # and the question again: no dead end


def test_crisis_message_gets_988_and_911_first_and_is_flagged(stack, sender):
    stack.say(sender, "lets start")
    messages = stack.say(sender, "my daughter said she wants to kill herself")
    assert "988" in messages[0]["text"] and "911" in messages[0]["text"]
    assert staff_events(messages) == [{"type": "safety_flag", "reason": "crisis_message"}]
    assert messages[-1]["metadata"]["summary"]["safety_flag"] is True


def test_fallback_never_repeats_itself_and_shows_the_menu_again(stack, sender):
    stack.say(sender, "hi")
    first = stack.say(sender, "qwrtzp vbnm")
    second = stack.say(sender, "zzxq plmk")
    assert first[0]["text"] != second[0]["text"]
    assert buttons(first) and buttons(second)  # the current menu comes back


def test_bad_input_gets_an_answer(stack, sender):
    for text in ["x" * 5000, "😀😀😀", "<script>alert(1)</script>", "   "]:
        status, messages = stack.post({"sender": sender, "message": text})
        assert status == 200 and texts(messages) and buttons(messages), (text[:20], messages)  # never a dead end
    assert stack.post({"message": "hi"})[0] == 400
    assert stack.post({"sender": sender, "message": 5})[0] == 400
    assert stack.post(None, raw=b"\xff\xfe not json")[0] == 400


def test_dead_action_server_loses_nothing(stack, sender):
    stack.say(sender, "lets start")
    stack.say(sender, "2")
    stack.stop_actions()
    try:
        status, _ = stack.post({"sender": sender, "message": "4"})
        assert status == 200
    finally:
        stack.start_actions()
    # The conversation is still there, with the priority picked while the action server was
    # down (Rasa set the slot itself): help is answered, then the form goes on to the next step.
    reply = texts(stack.say(sender, "help"))
    assert "show my plan" in reply
    assert "2D Outstanding attendance: LAUSD will ensure outstanding attendance" in reply


def user_turns_in_tracker(stack, sender):
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{stack.tmp / 'tracker.db'}")
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM events WHERE sender_id = :s AND type_name = 'user'"),
                                   {"s": sender}).scalar_one()
    engine.dispose()
    return count


def test_a_replayed_message_the_bot_has_is_answered_from_its_tracker_not_taken_twice(stack, sender):
    stack.say(sender, "hi")
    first = stack.post({"sender": sender, "message": "1", "message_id": "inbound-41", "replay": False})[1]
    assert "OK, I'll write in English." in texts(first)
    again = stack.post({"sender": sender, "message": "1", "message_id": "inbound-41", "replay": True})[1]
    assert texts(again) == texts(first) and buttons(again) == buttons(first)
    assert again[-1]["metadata"]["summary"]["language"] == "en"
    assert user_turns_in_tracker(stack, sender) == 2
    # A replay the bot never saw is an ordinary turn ("1": Let's start).
    unseen = stack.post({"sender": sender, "message": "1", "message_id": "inbound-42", "replay": True})[1]
    assert "Which pillar" in texts(unseen)
    assert user_turns_in_tracker(stack, sender) == 3
