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
        # The NLU named the pillar: its words are not read again as a priority.
        ("engagement and collaboration, parent involvement", [{"entity": "pillar", "value": "3"}],
         "pillar", None, ("3", None, None)),
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


@pytest.mark.parametrize(("text", "expected"), [
    ("no hace falta, está en sexto", False), ("nah she's in 6th", False), ("Sí, y es de tercero", True),
    ("ok and he has an IEP", True), ("she's in 6th", None), ("nothing", None), ("😀", None), ("nombre", None),
])
def test_a_reply_that_opens_with_yes_or_no_answers_the_offer(text, expected):
    assert parsing.parse_show_or_skip("inform", text) is expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Roosevelt High", "Roosevelt High"),
        ("Our Lady Academy", "Our Lady Academy"),
        ("<b>Belmont High</b>", "Belmont High"),
        ("  Santa   Rosa   Charter ", "Santa Rosa Charter"),
        ("Escuela Primaria Niños Héroes", "Escuela Primaria Niños Héroes"),
        ("colegio san jose", "colegio san jose"),
        ("Harbor Teacher Prep Academy", "Harbor Teacher Prep Academy"),
    ],
)
def test_school_free_text_kept_when_it_names_a_school(text, expected):
    assert parsing.parse_school_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "1", "12", "Maria Lopez", "maria", "my son is in 3rd grade", "mi hijo esta en tercer grado",
        "my daughter maria goes to the school on 4th street near the park",  # a sentence, a child's name
        "my kids school", "la escuela de mi hijo", "she goes to high school", "school", "middle school",
        "la primaria", "call me 323 555 0123 school", "maria@example.com school", "www.school.org",
        "Lopez " * 3 + "Academy " * 4, "A" * 77 + " High", "", None, "<script>alert(1)</script>",
    ],
)
def test_school_free_text_never_a_number_a_name_or_a_sentence(text):
    assert parsing.parse_school_text(text) is None


@pytest.mark.parametrize(
    "intent, text, expected",
    [
        ("skip", "pass", True), (None, "skip", True), (None, "Skip it please", True),
        (None, "I'd rather not say", True), (None, "prefer not to say", True), (None, "No quiero decir", True),
        (None, "prefiero no decirlo", True), (None, "saltar", True), (None, "OMITIR", True),
        ("inform", "roosevelt", False), ("deny", "no", False), (None, "", False), (None, None, False),
    ],
)
def test_wants_to_skip(intent, text, expected):
    assert parsing.wants_to_skip(intent, text) is expected


@pytest.mark.parametrize(
    "intent, text, expected",
    [
        ("affirm", "/affirm", True), ("deny", "/deny", False), (None, "1", True), (None, "2", False), (None, "3", None),
        (None, "yes", True), (None, "Yes!", True), (None, "sí", True), (None, "Si", True), (None, "claro", True),
        (None, "no", False), (None, "No.", False), (None, "nope", False), (None, "no es", False),
        (None, "breed street", None), (None, "", None), ("inform", "si es esa escuela la de mi hijo", None),
    ],
)
def test_yes_no(intent, text, expected):
    assert parsing.parse_yes_no(intent, text) is expected


@pytest.mark.parametrize(
    "intent, text, entities, count, expected",
    [
        ("affirm", "yes", [], 1, 1), ("deny", "no", [], 1, 0), (None, "2", [], 1, 0), (None, "sí", [], 1, 1),
        (None, "garfield", [], 1, None),
        ("inform", '/inform{"number": "2"}', [{"entity": "number", "value": "2"}], 3, 2),
        (None, "1", [], 2, 1), (None, "2", [], 2, 2), (None, "3", [], 2, 0), (None, "4", [], 3, 0),
        (None, "5", [], 3, None),
        ("deny", "/deny", [], 2, 0), (None, "none of these", [], 3, 0), (None, "ninguna", [], 2, 0),
        (None, "no, ninguna de esas", [], 2, 0), ("affirm", "yes", [], 2, None), (None, "breed", [], 2, None),
    ],
)
def test_candidate_reply(intent, text, entities, count, expected):
    assert parsing.parse_candidate_reply(intent, text, entities, count) == expected


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


# --------------------------------------------------------------------------
# Free text kept for staff and echoed by SMS: never markup

@pytest.mark.parametrize(
    "text, expected",
    [
        ("&lt;img src=x onerror=alert(1)&gt;", ""),  # an escaped tag is still a tag
        ("&lt;script&gt;alert(1)&lt;/script&gt; Belmont", "alert(1) Belmont"),
        ("&amp;lt;script&amp;gt;x&amp;lt;/script&amp;gt;", "x"),  # double-escaped: unescaped until stable
        ("<b>Belmont</b>", "Belmont"),
        ("a < b > c", "a b c"),
        ("<<b>>Breed", "Breed"),
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("line\nbreak\ttab\x00nul", "line break tabnul"),
    ],
)
def test_clean_free_text_leaves_no_markup(text, expected):
    assert parsing.clean_free_text(text, 80) == expected


@pytest.mark.parametrize("depth", range(1, 12))
def test_clean_free_text_never_has_angle_brackets_however_deep_the_escaping(depth):
    text = "<img src=x onerror=alert(1)>"
    for _ in range(depth):
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    cleaned = parsing.clean_free_text(text, 200)
    assert "<" not in cleaned and ">" not in cleaned
