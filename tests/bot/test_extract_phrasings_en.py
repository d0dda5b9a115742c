"""English phrasings added to bot/nlu/lexicon/en.yml: worries in parents' own words, a bare
grade followed by its year, danger that an ordinary block used to hide, and everyday idioms
and school letters with a frightening word that are not a crisis."""
import pytest

from bot.nlu import extract as ex


# --------------------------------------------------------------------------- topics
@pytest.mark.parametrize(
    "text,expected",
    [
        # 1A: report-card language, missing work, a failed subject
        ("the report card says he's below standard in math", "1A"),
        ("she is not meeting standards in writing", "1A"),
        ("his english language arts grade is low", "1A"),
        ("ela is her hardest class", "1A"),
        ("he has 7 missing assignments in history", "1A"),
        ("she flunked the science test again", "1A"),
        # 1C: a failed class that cannot be made up (credit recovery)
        ("he failed geometry and they say he can't make it up", "1C"),
        ("she has to make them up next summer", "1C"),
        ("the counselor said there's no way to make it up", "1C"),
        # 1D
        ("she wants to go to la universidad someday", "1D"),
        # 2A: drills of every kind; LGBTQ students
        ("the intruder drill upset him, how do they get kids ready", "2A"),
        ("how does the school prepare students for earthquakes", "2A"),
        ("do they protect lgbtq students here", "2A"),
        # 2B
        ("the lonche is always cold", "2B"),
        # 2C: left out, no one to play with
        ("the girls leave her out every day", "2C"),
        ("nobody wants to be his friend", "2C"),
        ("the other kids won't play with her", "2C"),
        ("no one wants to sit with my son at lunch", "2C"),
        ("she eats alone every day", "2C"),
        ("nobody lets him join their games", "2C"),
        # 2D: rough counts, late every single morning, a missed first class, the letter
        ("he's missed about 12 days so far", "2D"),
        ("she has missed at least 9 days", "2D"),
        ("he's missing a ton of school", "2D"),
        ("she's late every single morning", "2D"),
        ("he keeps missing second period", "2D"),
        ("she misses her first class a lot", "2D"),
        ("we got a chronic absenteeism notice", "2D"),
        ("the attendance letter came yesterday", "2D"),
        # 3A: the teacher and the parent, parents kept off campus
        ("the teacher doesn't like my kid", "3A"),
        ("her teacher won't talk to me", "3A"),
        ("i think the teacher has something against us", "3A"),
        ("they don't let parents on campus now", "3A"),
        ("parents aren't allowed inside the school anymore", "3A"),
        ("we feel shut out by the school", "3A"),
        ("i rarely hear from his teacher", "3A"),
        ("i never hear anything from her teacher", "3A"),
        ("my relationship with my daughter's teacher is not good", "3A"),
        # 3B: interpreters, getting hold of anyone, finding out the same day
        ("there is no interpreter at the school meetings", "3B"),
        ("never any translation at the elac meetings", "3B"),
        ("it's so hard to get info from the office", "3B"),
        ("i can never get ahold of the principal", "3B"),
        ("the office never answers", "3B"),
        ("we found out about the assembly the day of", "3B"),
        ("everything they send home is in english", "3B"),
        ("we never know what's happening over there", "3B"),
        # more 2C and 2D in other words
        ("he blows up over nothing", "2C"),
        ("she has a bad temper", "2C"),
        ("tardiness", "2D"),
        ("he fakes being sick to stay home", "2D"),
    ],
)
def test_worries_in_parents_words(text, expected):
    assert ex.extract_topic(text, "en") == expected


@pytest.mark.parametrize(
    "text",
    [
        "i need to prepare him for a test",  # not an emergency drill
        "juniper dual language academy",  # a school's name, not a topic
        "cypress medical magnet",
        "she missed the bus",
        "he needs an absence note for the doctor",  # still out of scope
        "i don't want to go on with this",  # leaving the chat, not refusing school
        "the balloon blew up at the party",  # a thing, not a temper
    ],
)
def test_no_topic(text):
    assert ex.extract_topic(text, "en") is None


def test_dual_language_as_a_wish_is_still_a_topic():
    assert ex.extract_topic("i want him in dual language", "en") == "1B"


# --------------------------------------------------------------------------- grade
@pytest.mark.parametrize(
    "text,expected",
    [
        ("ninth, his first year of high school", "9"),
        ("seventh - her last year at that school", "7"),
        ("sixth, first year of middle school", "6"),
        ("12th, his final year", "12"),
    ],
)
def test_a_bare_grade_followed_by_its_year(text, expected):
    assert ex.extract_grade(text, "en") == expected


def test_a_date_is_not_a_pillar():
    assert ex.extract_pillar("dec 2nd 9am", "en") is None


# --------------------------------------------------------------------------- crisis
@pytest.mark.parametrize(
    "text",
    [
        # an adult who hits children ("hits the kids" alone is a child's behavior)
        "the gym coach hits the kids who talk back",
        "his teacher slaps students who don't listen",
        "the aide always smacks him on the head",
        "the bus driver shoves the little ones",
        # the school lost a child; a child neither in class nor at home
        "the school lost my daughter and no one can tell me where she is",
        "the bus lost my son this afternoon",
        "he is not in class and he's not home",
        # "on" in a YAML list was read as true, so "cutting on" was taken for ordinary talk
        "she's been cutting on her legs",
        # still danger
        "my stepdad pushes her around at home",
        "a kid posted threatening messages about the school",
        "the teacher grabbed her arm and dragged her",
    ],
)
def test_danger_fires(text):
    assert ex.is_crisis(text, "en")


@pytest.mark.parametrize(
    "text",
    [
        "this is a stab in the dark, but what does pillar 2 mean",
        "let me shoot the principal a quick email first",
        "i'll shoot her a text tonight",
        "can you help me shoot off an email to the office",
        "the school sent a threatening letter about her absences",
        "we got a letter threatening a sarb referral",
        "kids tease him and push him around at recess",
        "older kids make fun of her and then push her around in line",
        "i'm going to lose my mind with this schedule",
        "the school lost my kid's jacket",
        "the coach hits the ball to the kids",
        "the coach beat the other team",
    ],
)
def test_ordinary_talk_with_a_frightening_word_is_not_danger(text):
    assert not any(ex.is_crisis(text, lang) for lang in ("en", "es"))
