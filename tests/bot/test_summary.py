"""The summary staff see is read from the bot's slots and the responses it sent."""
import pytest

from bot.summary import grade_band, steps_done, summarize


def bot(name):
    return {"event": "bot", "text": "anything", "metadata": {"utter_action": name}}


@pytest.mark.parametrize("grade, band", [("TK", "elementary"), ("k", "elementary"), ("5", "elementary"),
                                         ("6", "middle"), ("8", "middle"), ("9", "high"), ("12", "high"),
                                         (None, None), ("13", None), ("", None)])
def test_the_grade_is_kept_as_its_band(grade, band):
    assert grade_band(grade) == band


def test_a_new_conversation_has_done_nothing():
    summary = summarize({}, [])
    assert summary["steps_done"] == [] and summary["needs"] == []
    assert not any(summary[flag] for flag in ("plan_ready", "invitation_sent", "guide_shared", "workshop_requested",
                                               "handoff_requested", "safety_flag"))


def test_a_whole_journey_reaches_every_step():
    slots = {"language": "es", "pillar": "2", "priority": "2D", "grade": "3", "needs": ["english_learner", "none"],
             "school": "Breed Street Elementary", "school_code": "5023", "plan_ready": True,
             "meeting_time": "2026-12-01T15:00:00-08:00", "handoff_requested": True}
    events = [bot(name) for name in ("utter_pillars_overview", "utter_lookfors", "utter_invite_text",
                                     "utter_share_guide", "utter_workshop_recorded")]
    summary = summarize(slots, events)
    assert summary["steps_done"] == list(range(1, 11))
    assert summary["grade_band"] == "elementary" and summary["needs"] == ["english_learner"]
    assert summary["school_code"] == "5023" and summary["school_text"] is None  # the directory names it
    assert summary["invitation_sent"] and summary["guide_shared"] and summary["workshop_requested"]
    assert summary["handoff_requested"] and not summary["safety_flag"]
    assert "3" not in summary.values()  # the grade itself is not kept


def test_a_school_in_the_parents_own_words_is_kept_as_given():
    summary = summarize({"school": "la escuela de la calle 3", "school_code": None}, [])
    assert summary["school_text"] == "la escuela de la calle 3" and summary["school_code"] is None


@pytest.mark.parametrize("slots, steps", [
    ({"pillar": "1"}, [2]),
    ({"priority": "1A", "plan_ready": True}, [2, 3, 6]),  # no grade or need: not personalized
    ({"priority": "1A", "plan_ready": True, "needs": ["none"]}, [2, 3, 6]),
    ({"priority": "1A", "plan_ready": True, "needs": ["disability"]}, [2, 3, 6, 7]),
    ({"priority": "1A", "grade": "K"}, [2, 3]),  # a grade without a plan is not step 7
])
def test_steps_follow_the_slots(slots, steps):
    assert steps_done(slots, set()) == steps


def test_only_the_bots_own_responses_count():
    user_said = {"event": "user", "text": "utter_share_guide", "metadata": {"utter_action": "utter_share_guide"}}
    assert summarize({}, [user_said])["guide_shared"] is False
