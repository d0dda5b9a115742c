"""Numbered menus and reply parsing, without a tracker."""
import pytest

from bot import parsing
from bot.guide.labels import load_labels
from bot.guide.model import load_guide
from bot.menus import last_menu, parse_menu_number, parse_number_list, pick_button

GUIDE = load_guide()
NEED_IDS = load_labels().need_ids


@pytest.mark.parametrize(
    "text, number",
    [("2", 2), (" 2 ", 2), ("2.", 2), ("#3", 3), ("(1)", 1), ("4)", 4), ("option 2", 2), ("opción 3", 3),
     ("opcion 3", 3), ("number 5", 5), ("12", 12)],
)
def test_menu_numbers(text, number):
    assert parse_menu_number(text) == number


@pytest.mark.parametrize("text", ["", None, "2 kids", "grade 3", "at 3pm", "123", "two", "1 3", "3rd"])
def test_not_menu_numbers(text):
    assert parse_menu_number(text) is None


@pytest.mark.parametrize(
    "text, numbers",
    [("1 3", [1, 3]), ("1,3", [1, 3]), ("1 and 3", [1, 3]), ("1 y 3", [1, 3]), ("3 1 3", [3, 1]), ("7", []),
     ("1 and my son", []), ("", [])],
)
def test_number_lists(text, numbers):
    assert parse_number_list(text, 6) == numbers


BUTTONS = [{"title": "A", "payload": "/a"}, {"title": "B", "payload": "/b"}]


def test_pick_button_by_number():
    assert pick_button("2", BUTTONS)["payload"] == "/b"
    assert pick_button("3", BUTTONS) is None
    assert pick_button("hello", BUTTONS) is None


def test_last_menu_is_the_latest_buttons_since_the_parent_spoke():
    events = [
        {"event": "bot", "text": "old", "data": {"buttons": [{"title": "X", "payload": "/x"}]}},
        {"event": "user", "text": "hi"},
        {"event": "bot", "text": "menu", "data": {"buttons": BUTTONS}},
        {"event": "bot", "text": "no buttons", "data": {}},
    ]
    assert last_menu(events) == BUTTONS
    assert last_menu(events + [{"event": "user", "text": "2"}]) == []


@pytest.mark.parametrize(
    "text, entities, requested, pillar, expected",
    [
        ("my son keeps missing school", [], "pillar", None, ("2", "2D", None)),
        ("", [{"entity": "pillar", "value": "3"}], "pillar", None, ("3", None, None)),
        ("2", [], "pillar", None, ("2", None, None)),
        ("4", [], "pillar", None, (None, None, "4")),
        ("2", [], "priority", "2", ("2", "2B", None)),
        ("b", [], "priority", "1", ("1", "1B", None)),
        ("5", [], "priority", "3", (None, None, None)),
        ("", [{"entity": "priority", "value": "3c"}], "priority", "3", (None, None, "3C")),
        ("operational effectiveness", [], "pillar", None, (None, None, "4")),
        ("asdfgh", [], "pillar", None, (None, None, None)),
    ],
)
def test_resolve_topic(text, entities, requested, pillar, expected):
    choice = parsing.resolve_topic(GUIDE, text, entities, "en", requested, pillar)
    assert (choice.pillar, choice.priority, choice.not_in_guide) == expected


@pytest.mark.parametrize(
    "text, entities, needs",
    [
        ("1 3", [], ["english_learner", "gifted"]),
        ("6", [], ["none"]),
        ("", [{"entity": "need", "value": "disability"}], ["disability"]),
        ("he has an iep", [], ["disability"]),
        ("none", [], ["none"]),
        ("1 6", [], ["english_learner"]),
        ("banana", [], []),
    ],
)
def test_parse_needs(text, entities, needs):
    assert parsing.parse_needs(text, NEED_IDS, entities) == needs


@pytest.mark.parametrize(
    "intent, text, expected",
    [("affirm", "yes", True), ("show_lookfors", "", True), ("skip", "skip", False), ("deny", "no", False),
     (None, "1", True), (None, "2", False), ("nlu_fallback", "purple", None)],
)
def test_show_or_skip(intent, text, expected):
    assert parsing.parse_show_or_skip(intent, text) is expected


@pytest.mark.parametrize(
    "text, expected",
    [("Roosevelt High", "Roosevelt High"), ("<b>Belmont</b>", "Belmont"), ("  lots   of   space ", "lots of space"),
     ("my daughter maria goes to the school on 4th street near the park", None), ("", None)],
)
def test_school_free_text(text, expected):
    assert parsing.parse_school_text(text) == expected


@pytest.mark.parametrize(
    "text, entities, count, expected",
    [("3", [], 7, 3), ("", [{"entity": "number", "value": "2"}], 7, 2), ("the last one", [], 7, 7),
     ("remove number 4 pls", [], 7, 4), ("9", [], 7, None), ("which?", [], 7, None)],
)
def test_drop_number(text, entities, count, expected):
    assert parsing.parse_drop_number(text, entities, count) == expected


def test_grade_from_entity_or_text():
    assert parsing.parse_grade("", [{"entity": "grade", "value": "K"}]) == "K"
    assert parsing.parse_grade("she is in 3rd grade") == "3"
    assert parsing.parse_grade("purple") is None
