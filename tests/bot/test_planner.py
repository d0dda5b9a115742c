"""The planner: profile + priority -> 5-8 items, each with its source."""
import pytest

from bot.guide.model import band_matches, load_guide
from bot.guide.personalized import load_personalized
from bot.planner import MAX_QUESTIONS, Profile, build_plan

GUIDE = load_guide()
PERSONALIZED = load_personalized()
GUIDE_PRIORITIES = [p.id for p in GUIDE.guide_priorities()]
GRADES = ["TK", "K", "1", "3", "5", "6", "8", "9", "11", "12"]
NEEDS = ["english_learner", "disability", "gifted", "foster_youth", "attendance"]


def plan(priority, grade=None, needs=(), **kwargs):
    return build_plan(GUIDE, PERSONALIZED, priority, Profile(grade, tuple(needs)), **kwargs)


@pytest.mark.parametrize("priority", GUIDE_PRIORITIES)
@pytest.mark.parametrize("grade", GRADES)
def test_every_plan_has_five_to_eight_items_and_one_goal(priority, grade):
    items = plan(priority, grade).items
    assert 5 <= len(items) <= 8
    assert [i.kind for i in items].count("goal") == 1
    assert items[-1].kind == "goal"
    assert len({i.id for i in items}) == len(items)


@pytest.mark.parametrize("priority", GUIDE_PRIORITIES)
@pytest.mark.parametrize("grade", GRADES)
def test_questions_fit_the_childs_grade_band(priority, grade):
    asked = {q.id: q for p in GUIDE.guide_priorities() for q in p.ask}
    for item in plan(priority, grade).items:
        if item.id in asked:
            assert band_matches(asked[item.id].grade_band, grade), item.id


def test_elementary_question_only_for_elementary_grades():
    orton = "Orton-Gillingham"
    assert any(orton in i.text for i in plan("1A", "2").items)
    assert not any(orton in i.text for i in plan("1A", "10").items + plan("1A", "10", extra_pages=5).items)


def test_middle_and_high_question_not_for_a_kindergartner():
    credit = "credit recovery"
    assert not any(credit in i.text for i in plan("1C", "K", extra_pages=5).items)
    assert any(credit in i.text for i in plan("1C", "7", extra_pages=5).items)


def test_english_learner_gets_the_pro_tip_reclassification_question():
    items = plan("2D", "4", ["english_learner"]).items
    tip = [i for i in items if i.section == "pro_tip"]
    assert len(tip) == 1 and "reclassify" in tip[0].text
    assert tip[0].need == "english_learner"
    # and the guide's own 1D question on reclassification in time for A-G courses
    assert any(i.priority == "1D" and "reclassified in time" in i.text for i in items)


def test_disability_brings_the_1c_general_education_question_to_any_priority():
    items = plan("3A", "6", ["disability"]).items
    general_ed = [i for i in items if "general education setting" in i.text]
    assert general_ed and general_ed[0].priority == "1C" and general_ed[0].need == "disability"


@pytest.mark.parametrize("need", NEEDS)
@pytest.mark.parametrize("priority", ["1A", "2B", "3B"])
def test_each_need_adds_at_least_one_personalized_question(need, priority):
    items = plan(priority, "5", [need]).items
    assert any(i.need == need and i.kind == "question" for i in items)
    assert 5 <= len(items) <= 8


def test_none_is_not_a_need():
    assert plan("1B", "5", ["none"]).items == plan("1B", "5").items


def test_general_questions_come_first_then_personalized():
    items = plan("2A", "9", ["english_learner"]).items
    assert [i.need for i in items[:2]] == [None, None]
    assert items[2].need == "english_learner"


def test_every_item_carries_its_source():
    for item in plan("1C", "10", ["disability", "english_learner"]).items:
        assert item.priority in GUIDE_PRIORITIES
        assert item.section in ("what_to_ask", "success", "pro_tip")


def test_dropped_questions_never_come_back():
    first = plan("1A", "3")
    gone = first.items[0].id
    again = plan("1A", "3", dropped=[gone], extra_pages=3)
    assert gone not in again.ids
    assert len(again.items) >= len(first.items) - 1


def test_more_questions_adds_the_next_ones():
    base, more = plan("1A", "3"), plan("1A", "3", extra_pages=1)
    assert base.ids[:-1] == more.ids[: len(base.ids) - 1]
    assert len(more.items) > len(base.items)
    assert len(more.remaining) < len(base.remaining)


def test_more_questions_ends_when_nothing_is_left():
    last = plan("2D", "3", extra_pages=10)
    assert last.remaining == ()


def test_a_need_goal_is_preferred():
    goal = plan("1C", "4", ["english_learner"]).items[-1]
    assert goal.kind == "goal" and "reclassification" in goal.text


def test_attendance_goal_uses_the_childs_grade_line():
    goal = plan("2D", "7").items[-1]
    assert "6-8" in goal.text and goal.lead and "chronically absent" in goal.lead
    assert "chronically absent" in plan("2D").items[-1].text


def test_question_count_is_capped():
    items = plan("2A", "9", NEEDS).items
    assert len([i for i in items if i.kind == "question"]) <= MAX_QUESTIONS


def test_unknown_priority_is_an_error():
    with pytest.raises(KeyError):
        plan("9Z", "3")


def test_priority_id_is_case_insensitive():
    assert plan("2d", "3").priority == "2D"
