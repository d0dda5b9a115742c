"""SMS shaping: GSM 03.38 detection, segment counts, numbered menus, splitting, merging."""
import random
import re
import unicodedata

import pytest

from api.sms.segments import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    is_gsm7,
    journey_cost,
    render_buttons,
    segment_count,
    septet_count,
    shape_reply,
    split_message,
    utf16_units,
)

PREFIX = re.compile(r"^\((\d+)/(\d+)\) ")


# --- the GSM 03.38 table -------------------------------------------------------------


def test_basic_table_has_the_127_characters_of_the_standard():
    assert len(GSM7_BASIC) == 127  # 128 codes minus ESC (0x1B)
    assert len(set(GSM7_BASIC)) == 127
    assert "\x1b" not in GSM7_BASIC


@pytest.mark.parametrize(
    "code, char",
    [(0x00, "@"), (0x02, "$"), (0x09, "Ç"), (0x0A, "\n"), (0x0D, "\r"), (0x10, "Δ"), (0x11, "_"), (0x1C, "Æ"),
     (0x1F, "É"), (0x20, " "), (0x24, "¤"), (0x40, "¡"), (0x5B, "Ä"), (0x5D, "Ñ"), (0x5F, "§"), (0x60, "¿"),
     (0x7D, "ñ"), (0x7F, "à")],
)
def test_characters_sit_at_their_gsm_codes(code, char):
    # ESC (0x1B) is left out of the string, so codes past it are one position earlier.
    index = code if code < 0x1B else code - 1
    assert GSM7_BASIC[index] == char


def test_greek_capitals_are_greek_not_latin_look_alikes():
    greek = GSM7_BASIC[0x10:0x1B]
    assert greek.replace("_", "") == "ΔΦΓΛΩΠΨΣΘΞ"
    assert all(unicodedata.name(c).startswith("GREEK CAPITAL LETTER") for c in greek if c != "_")


def test_extension_table():
    assert sorted(GSM7_EXTENSION) == sorted("\f^{}\\[~]|€")


@pytest.mark.parametrize("char", list("éÉñÑüÜàèùìòÇÄÖäöåÅÆæßØø¿¡£¥§¤@_$"))
def test_accented_letters_in_the_basic_set_are_gsm7(char):
    assert is_gsm7(char)
    assert septet_count(char) == 1


@pytest.mark.parametrize(
    "char", list("áíóúÁÍÓÚçâêôõãÀÈÌÒÙ`’“”–—•…\t") + ["😀", "\u00a0", "α", "\u2126", "A\u0301"]
)
def test_characters_outside_gsm7_force_ucs2(char):
    assert not is_gsm7("Hola " + char)
    assert segment_count("Hola " + char) == 1
    assert segment_count("a" * 70 + char) >= 2  # 160 would have fit in GSM-7


def test_lower_case_graves_are_in_the_table_but_capitals_are_not():
    assert all(is_gsm7(c) for c in "àèìòù")
    assert not any(is_gsm7(c) for c in "ÀÈÌÒÙ")
    assert is_gsm7("\u03a9") and not is_gsm7("\u2126")  # Greek Omega yes, Ohm sign no


@pytest.mark.parametrize("char", list("^{}\\[~]|€\f"))
def test_extension_characters_count_two_septets(char):
    assert is_gsm7(char)
    assert septet_count(char) == 2
    assert septet_count("a" + char + "b") == 4


def test_septet_count_refuses_ucs2_text():
    with pytest.raises(ValueError):
        septet_count("canción")


@pytest.mark.parametrize(
    "text, units",
    [("abc", 3), ("á", 1), ("😀", 2), ("a😀b", 4), ("👍🏽", 4), ("中文", 2)],
)
def test_utf16_units_count_surrogate_pairs_twice(text, units):
    assert utf16_units(text) == units


# --- segment counts ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, segments",
    [
        ("", 0),
        ("a", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("a" * 459, 3),
        ("a" * 460, 4),
        ("€" * 80, 1),  # 160 septets
        ("€" * 80 + "a", 2),  # 161 septets
        ("a" * 159 + "€", 2),  # the euro sign takes the 160th and 161st septets
        ("a" * 158 + "€", 1),
        ("ñ" * 160, 1),  # ñ is GSM-7: a Spanish text without á/í/ó/ú keeps 160
        ("á" * 70, 1),
        ("á" * 71, 2),
        ("a" * 69 + "á", 1),
        ("a" * 70 + "á", 2),
        ("á" * 134, 2),
        ("á" * 135, 3),
        ("😀" * 35, 1),  # 70 UTF-16 units
        ("😀" * 35 + "a", 2),
        ("a" * 69 + "😀", 2),  # 71 units
    ],
)
def test_segment_count(text, segments):
    assert segment_count(text) == segments


def test_one_accent_turns_a_single_gsm_segment_into_three():
    text = "a" * 150
    assert segment_count(text) == 1
    assert segment_count(text + "á") == 3  # 151 UCS-2 units: ceil(151/67)


def test_an_escape_sequence_is_not_split_across_segments():
    # 152 + 2 + 152 = 306 septets (ceil(306/153) = 2), but the € can't straddle the first
    # boundary: it moves to segment 2, pushing its last septet into a third.
    assert segment_count("a" * 152 + "€" + "a" * 152) == 3
    assert segment_count("a" * 151 + "€" + "a" * 153) == 2


def test_a_surrogate_pair_is_not_split_across_segments():
    assert segment_count("a" * 66 + "😀" + "a" * 66) == 3  # 134 units, emoji at 67-68
    assert segment_count("a" * 65 + "😀" + "a" * 67) == 2


def test_journey_cost_adds_the_parts():
    assert journey_cost([]) == 0
    assert journey_cost(["hi", "a" * 161, "á" * 71]) == 1 + 2 + 2


# --- numbered buttons ----------------------------------------------------------------


def test_buttons_become_numbered_lines():
    buttons = [{"title": "English", "payload": "/en"}, {"title": "Español", "payload": "/es"}]
    assert render_buttons("Choose", buttons) == "Choose\n1) English\n2) Español"


@pytest.mark.parametrize("buttons", [None, []])
def test_no_buttons_leaves_the_text_alone(buttons):
    assert render_buttons("Hello", buttons) == "Hello"


def test_buttons_without_text_and_untitled_buttons_keep_their_numbers():
    rendered = render_buttons("", [{"title": " A "}, {"payload": "/b"}, {"title": "C"}])
    assert rendered == "1) A\n2) \n3) C"


# --- splitting -----------------------------------------------------------------------


def words_of(parts):
    return " ".join(PREFIX.sub("", part) for part in parts).split()


def test_a_short_text_is_one_unnumbered_part():
    assert split_message("  Hello there.  ") == ["Hello there."]


@pytest.mark.parametrize("text", ["", "   \n\n  "])
def test_empty_text_has_no_parts(text):
    assert split_message(text) == []


def test_max_segments_must_be_positive():
    with pytest.raises(ValueError):
        split_message("hi", max_segments=0)


def test_parts_are_numbered_and_the_prefix_counts():
    text = " ".join(["word"] * 100)  # 499 septets
    parts = split_message(text, max_segments=1)
    total = len(parts)
    assert total > 1
    for number, part in enumerate(parts, 1):
        assert part.startswith(f"({number}/{total}) ")
        assert segment_count(part) == 1
    assert words_of(parts) == text.split()


def test_a_text_that_fits_exactly_is_not_split():
    assert split_message("a" * 160, max_segments=1) == ["a" * 160]
    assert len(split_message("a " * 80 + "b", max_segments=1)) == 2


def test_cuts_prefer_paragraphs():
    first = "First paragraph. " + "x " * 60
    second = "Second paragraph. " + "y " * 60
    parts = split_message(first.strip() + "\n\n" + second.strip(), max_segments=1)
    assert [PREFIX.sub("", p) for p in parts] == [first.strip(), second.strip()]


def test_cuts_at_lines_before_sentences():
    menu = "Pick a priority. Reply with a number.\n" + "\n".join(f"{i}) Option number {i} here" for i in range(1, 9))
    parts = split_message(menu, max_segments=1)
    assert len(parts) > 1
    for part in parts:
        body = PREFIX.sub("", part)
        # every part ends at the end of a line of the original menu
        assert menu.split(body)[1][:1] in ("", "\n")
    assert words_of(parts) == menu.split()


def test_cuts_at_sentences_before_words():
    sentence = "This sentence has exactly eight words in it."
    text = " ".join([sentence] * 12)
    parts = split_message(text, max_segments=1)
    for part in parts:
        assert PREFIX.sub("", part).endswith(".")


def test_a_word_longer_than_a_part_is_cut_inside():
    url = "https://example.org/" + "a" * 400
    parts = split_message("See " + url + " today", max_segments=1)
    assert all(segment_count(p) <= 1 for p in parts)
    assert "".join(words_of(parts)) == ("See " + url + " today").replace(" ", "")
    assert PREFIX.sub("", parts[0]) == "See"  # the long word starts its own part


def test_each_part_is_measured_in_its_own_encoding():
    gsm = " ".join(["plain"] * 60)  # 359 septets: 3 GSM segments
    spanish = " ".join(["canción"] * 20)  # 159 units: UCS-2
    parts = split_message(gsm + "\n\n" + spanish, max_segments=3)
    assert len(parts) == 2
    assert is_gsm7(parts[0]) and not is_gsm7(parts[1])
    assert all(segment_count(p) <= 3 for p in parts)


def test_ten_or_more_parts_keep_room_for_longer_numbers():
    text = " ".join(f"w{i}" for i in range(600))
    parts = split_message(text, max_segments=1)
    assert len(parts) >= 10
    assert parts[-1].startswith(f"({len(parts)}/{len(parts)}) ")
    assert all(segment_count(p) <= 1 for p in parts)
    assert words_of(parts) == text.split()


def test_an_emoji_sequence_is_not_cut_in_the_middle():
    text = "👍🏽" * 200  # no spaces at all: hard cuts only
    parts = split_message(text, max_segments=1)
    for part in parts:
        body = PREFIX.sub("", part)
        assert not body.startswith("🏽")
        assert segment_count(part) <= 1
    assert "".join(PREFIX.sub("", p) for p in parts) == text


VOCABULARY = [
    "the", "school", "principal", "meeting", "questions", "grade", "child", "reading", "math", "attendance",
    "English", "learner",
    "escuela", "reunión", "pregunta", "niño", "lectura", "matemáticas", "asistencia", "inglés", "¿Cómo", "¡Hola!",
    "año", "día", "señora", "café",
    "😀", "👍🏽", "{braces}", "[brackets]", "50€", "a-b", "x/y", "1)", "2)", "3)",
]


def random_text(rng):
    words_per_sentence = lambda: rng.randint(1, 25)  # noqa: E731
    paragraphs = []
    for _ in range(rng.randint(1, 6)):
        lines = []
        for _ in range(rng.randint(1, 5)):
            sentences = []
            for _ in range(rng.randint(1, 4)):
                words = [rng.choice(VOCABULARY) for _ in range(words_per_sentence())]
                if rng.random() < 0.05:
                    words.append("x" * rng.randint(100, 700))  # a very long "word"
                sentences.append(" ".join(words) + rng.choice([".", "?", "!", ""]))
            lines.append(rng.choice([" ", "  "]).join(sentences))
        paragraphs.append("\n".join(lines))
    return rng.choice(["", " ", "\n"]) + "\n\n".join(paragraphs) + rng.choice(["", "\n", "  "])


@pytest.mark.parametrize("max_segments", [1, 2, 3, 5])
def test_splitting_properties_on_generated_texts(max_segments):
    rng = random.Random(20240501 + max_segments)
    for _ in range(150):
        text = random_text(rng)
        parts = split_message(text, max_segments)
        # no part over the limit, measured in its own encoding
        assert all(1 <= segment_count(p) <= max_segments for p in parts), parts
        # numbering: none for one part, (i/n) in order for several
        if len(parts) == 1:
            assert parts[0] == text.strip()
        else:
            expected = [(str(i), str(len(parts))) for i in range(1, len(parts) + 1)]
            assert [PREFIX.match(p).groups() for p in parts] == expected
        bodies = [PREFIX.sub("", p) if len(parts) > 1 else p for p in parts]
        # nothing lost, nothing added: only whitespace at the cuts is dropped
        assert re.sub(r"\s+", "", "".join(bodies)) == re.sub(r"\s+", "", text)
        # every word survives in order unless it had to be cut
        if all(len(w) < 60 for w in text.split()):
            assert words_of(parts) == text.split()
        # each body is verbatim text from the input, with no edge whitespace
        for body in bodies:
            assert body == body.strip() and body in text


def test_splitting_is_deterministic():
    rng = random.Random(7)
    text = random_text(rng)
    assert split_message(text, 1) == split_message(text, 1)


# --- shaping a Rasa reply ------------------------------------------------------------


def test_short_messages_merge_into_one_sms():
    messages = [
        {"recipient_id": "c_1", "text": "Thanks!"},
        {"recipient_id": "c_1", "text": "Which grade is your child in?",
         "buttons": [{"title": "K-5", "payload": "/k5"}, {"title": "6-8", "payload": "/68"}]},
    ]
    assert shape_reply(messages) == ["Thanks!\n\nWhich grade is your child in?\n1) K-5\n2) 6-8"]


def test_merging_saves_segments():
    messages = [{"text": "x" * 100}, {"text": "y" * 100}, {"text": "z" * 100}]
    separate = journey_cost(m["text"] for m in messages)
    parts = shape_reply(messages, max_segments=3)
    assert len(parts) == 1
    assert journey_cost(parts) < separate


def test_messages_are_not_merged_past_max_segments():
    messages = [{"text": "x" * 150}, {"text": "y" * 150}]
    assert shape_reply(messages, max_segments=1) == ["x" * 150, "y" * 150]


def test_a_gsm_message_and_a_ucs2_message_stay_apart_when_merging_costs_more():
    gsm, ucs2 = "a" * 150, "Está bien"
    assert segment_count(gsm + "\n\n" + ucs2) > segment_count(gsm) + segment_count(ucs2)
    assert shape_reply([{"text": gsm}, {"text": ucs2}]) == [gsm, ucs2]


def test_a_long_message_is_split_and_a_short_one_can_follow_in_its_last_part():
    long_text = " ".join(["word"] * 150)
    parts = shape_reply([{"text": long_text}, {"text": "Reply 1 or 2", "buttons": [{"title": "Yes"}, {"title": "No"}]}])
    assert len(parts) == 2 and parts[0].startswith("(1/2) ") and parts[1].startswith("(2/2) ")
    assert parts[-1].endswith("Reply 1 or 2\n1) Yes\n2) No")
    assert all(segment_count(p) <= 3 for p in parts)


def test_a_short_message_before_a_long_one_is_sent_first():
    long_text = " ".join(["palabra"] * 120)
    parts = shape_reply([{"text": "Hi"}, {"text": long_text}])
    assert parts[0] == "Hi"
    assert parts[1].startswith("(1/")


def test_empty_messages_and_images_are_skipped():
    messages = [{"text": ""}, {"image": "https://example.org/a.png"}, {"text": "  "}, {"text": "Hello"}]
    assert shape_reply(messages) == ["Hello"]
    assert shape_reply([]) == []


def test_buttons_alone_are_sent():
    assert shape_reply([{"buttons": [{"title": "Yes"}, {"title": "No"}]}]) == ["1) Yes\n2) No"]


def test_shaped_reply_keeps_every_word_in_order():
    rng = random.Random(99)
    for _ in range(50):
        messages = [{"text": random_text(rng)} for _ in range(rng.randint(1, 4))]
        parts = shape_reply(messages, max_segments=2)
        assert all(segment_count(p) <= 2 for p in parts)
        expected = re.sub(r"\s+", "", "".join(m["text"] for m in messages))
        assert re.sub(r"\s+", "", "".join(PREFIX.sub("", p) for p in parts)) == expected
