"""Tests for bot.meeting_time (pure module: no Rasa)."""
from __future__ import annotations

import subprocess
import sys
import time as clock
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.meeting_time import (
    NOTHING,
    ParsedMeeting,
    format_long_date,
    format_meeting_time,
    parse_meeting_time,
    read_meeting_time,
)

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=LA)  # a Monday, 10:00
REPO_ROOT = Path(__file__).resolve().parents[2]


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LA)


@pytest.mark.parametrize(
    "lang, text, expected",
    [
        ("en", "next Tuesday at 3", at(11, 24, 15)),  # coming Tuesday, 3 -> afternoon
        ("en", "tuesday 3pm", at(11, 24, 15)),
        ("en", "tomorrow at 8:30", at(11, 24, 8, 30)),  # 8 -> morning
        ("en", "dec 3 at 2", at(12, 3, 14)),
        ("en", "12/3 at 10am", at(12, 3, 10)),  # en: month/day
        ("en", "the 5th at 4", at(12, 5, 16)),  # the 5th already passed this month
        ("en", "friday morning", at(11, 27, 9)),
        ("en", "monday after school", at(11, 30, 15)),  # today is Monday: next week's
        ("en", "Monday at 7", at(11, 30, 7)),
        ("en", "today at 3", at(11, 23, 15)),
        ("en", "tonight at 7", at(11, 23, 19)),
        ("en", "Wednesday evening", at(11, 25, 18)),
        ("en", "Good morning! Can we meet Wednesday at 4?", at(11, 25, 16)),
        ("en", "3-4pm on thursday", at(11, 26, 15)),
        ("en", "noon on friday", at(11, 27, 12)),
        ("en", "next week tuesday at 3", at(12, 1, 15)),
        ("en", "Tue 12/1 at 2:45 PM", at(12, 1, 14, 45)),
        ("en", "My son is in 3rd grade, tuesday at 11", at(11, 24, 11)),
        ("en", "jan 5th at 9:15am", at(1, 5, 9, 15, year=2027)),
        ("en", "wensday 2:30", at(11, 25, 14, 30)),
        ("en", "<b>Friday</b> at 2 &amp; thanks 🙏", at(11, 27, 14)),
        ("es", "el jueves a las 8", at(11, 26, 8)),
        ("es", "mañana en la tarde", at(11, 24, 15)),
        ("es", "manana a las 3", at(11, 24, 15)),
        ("es", "el martes 3 de diciembre a las 3 pm", at(12, 3, 15)),  # the date wins
        ("es", "el lunes en la mañana", at(11, 30, 9)),
        ("es", "viernes 10am", at(11, 27, 10)),
        ("es", "pasado mañana a las 9", at(11, 25, 9)),
        ("es", "mañana en la mañana", at(11, 24, 9)),
        ("es", "miercoles a las 4", at(11, 25, 16)),
        ("es", "el sabado a las 10 de la mañana", at(11, 28, 10)),
        ("es", "12/3 a las 10", at(3, 12, 10, year=2027)),  # es: day/month
        ("es", "el 5 a las 4", at(12, 5, 16)),
        ("es", "hoy a las 3 de la tarde", at(11, 23, 15)),
        ("es", "Buenas tardes, el viernes a las 5:30 p.m.", at(11, 27, 17, 30)),
        ("es", "después de clases el jueves", at(11, 26, 15)),
        ("es", "el martes de la próxima semana a las 3", at(12, 1, 15)),
        ("es", "esta noche a las 7", at(11, 23, 19)),
        ("es", "Mi hijo está en 5to grado. El viernes a las 2", at(11, 27, 14)),
        ("es", "el martes 1ro de diciembre a las 2", at(12, 1, 14)),
    ],
)
def test_parses_exact_datetime(lang: str, text: str, expected: datetime) -> None:
    parsed = parse_meeting_time(text, lang, now=NOW)
    assert parsed.when == expected
    assert parsed.when.utcoffset() == expected.utcoffset()
    assert (parsed.has_date, parsed.has_time, parsed.in_past) == (True, True, False)
    assert parsed.day == expected.date() and parsed.clock == expected.time()


def test_result_is_aware_los_angeles_and_respects_dst() -> None:
    parsed = parse_meeting_time("3/15 at 10am", "en", now=NOW)
    assert parsed.when == at(3, 15, 10, year=2027)
    assert parsed.when.tzinfo == LA
    assert parsed.when.utcoffset() == timedelta(hours=-7)  # PDT
    gap = parse_meeting_time("march 14 at 2:30am", "en", now=NOW).when  # DST gap
    assert gap is not None and gap.utcoffset() == timedelta(hours=-7)


@pytest.mark.parametrize(
    "lang, text, day, clock_time",
    [
        ("en", "tuesday", date(2026, 11, 24), None),
        ("en", "tuesday 3", date(2026, 11, 24), None),  # bare number: not a time
        ("es", "mañana", date(2026, 11, 24), None),
        ("es", "el martes 8", date(2026, 12, 8), None),  # Spanish: Tuesday the 8th
        ("en", "at 3pm", None, time(15)),
        ("en", "3", None, time(15)),  # whole message = answer to "what time?"
        ("es", "en la tarde", None, time(15)),
        ("en", "monday or tuesday at 3", None, time(15)),  # two days: ambiguous
        ("en", "2/30 at 3", None, time(15)),  # impossible date
    ],
)
def test_partial_answers_report_what_is_missing(
    lang: str, text: str, day: date | None, clock_time: time | None
) -> None:
    parsed = parse_meeting_time(text, lang, now=NOW)
    assert parsed.when is None and not parsed.in_past
    assert (parsed.has_date, parsed.has_time) == (day is not None, clock_time is not None)
    assert (parsed.day, parsed.clock) == (day, clock_time)


@pytest.mark.parametrize(
    "text, day",
    [
        ("today at 8", date(2026, 11, 23)),  # already 10:00
        ("today at 10", date(2026, 11, 23)),  # right now is not schedulable
        ("this morning", date(2026, 11, 23)),
        ("Nov 20 at 3", date(2026, 11, 20)),  # not next year's Nov 20
        ("12/3/2025 at 3", date(2025, 12, 3)),
    ],
)
def test_past_times_are_not_usable(text: str, day: date) -> None:
    parsed = parse_meeting_time(text, "en", now=NOW)
    assert parsed.when is None
    assert parsed.in_past and parsed.has_date and parsed.has_time
    assert parsed.day == day


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "   ",
        "😀🙏👍",
        "<html><body><p>hola</p></body></html>",
        "x" * 5000,
        "a" * 5000 + " tuesday at 3",  # beyond the length cap
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "\x00\x01\x02",
        "12345678",
        "99:99",
        "32/13",
        "feb 30",
        "ok thanks",
        "gracias",
        None,
        12345,
    ],
)
def test_junk_never_raises(junk) -> None:
    assert parse_meeting_time(junk, "en", now=NOW) == ParsedMeeting(None, False, False)
    assert parse_meeting_time(junk, "es", now=NOW) == NOTHING


@pytest.mark.parametrize("lang", ["es-US", "ES", "es_MX"])
def test_language_codes_are_normalized(lang: str) -> None:
    assert parse_meeting_time("12/3 a las 10", lang, now=NOW).when == at(3, 12, 10, year=2027)


@pytest.mark.parametrize("lang", [None, "", "fr", "zz"])
def test_unknown_language_falls_back_to_english(lang) -> None:
    assert parse_meeting_time("12/3 at 10am", lang, now=NOW).when == at(12, 3, 10)


def test_mixed_language_date_still_parses() -> None:
    assert parse_meeting_time("3 de diciembre at 3", "en", now=NOW).when == at(12, 3, 15)


def test_now_defaults_to_current_time_and_accepts_other_zones() -> None:
    parsed = parse_meeting_time("tomorrow at 3")
    expected_day = datetime.now(LA).date() + timedelta(days=1)
    assert parsed.when == datetime.combine(expected_day, time(15), tzinfo=LA)
    utc_now = NOW.astimezone(timezone.utc)  # same instant, other zone
    assert parse_meeting_time("today at 3", "en", now=utc_now).when == at(11, 23, 15)
    naive_now = NOW.replace(tzinfo=None)  # naive = Los Angeles wall time
    assert parse_meeting_time("today at 3", "en", now=naive_now).when == at(11, 23, 15)


def test_warm_call_is_fast() -> None:
    texts = ["next Tuesday at 3", "el martes 3 de diciembre a las 3 pm", "12/3 at 10am"]
    for text in texts:  # warm up dateparser's language data
        parse_meeting_time(text, "es", now=NOW)
    start = clock.perf_counter()
    for _ in range(20):
        for text in texts:
            parse_meeting_time(text, "es", now=NOW)
    per_call_ms = (clock.perf_counter() - start) * 1000 / (20 * len(texts))
    assert per_call_ms < 50


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2026-12-03T15:30:00-08:00", at(12, 3, 15, 30)),
        ("2026-12-03T23:30:00+00:00", at(12, 3, 15, 30)),  # UTC -> LA
        ("2026-12-03T15:30:00", at(12, 3, 15, 30)),  # naive: LA wall time
        (" 2026-12-03T15:30:00-08:00 ", at(12, 3, 15, 30)),
        ("next tuesday-ish", None),
        ("", None),
        (None, None),
        (42, None),
    ],
)
def test_read_meeting_time(value, expected) -> None:
    read = read_meeting_time(value)
    assert read == expected and (read is None or read.tzinfo is not None)


def test_format_long_date_is_the_la_day_in_the_parents_locale() -> None:
    late_utc = datetime(2026, 12, 5, 3, 0, tzinfo=timezone.utc)  # still Dec 4 in Los Angeles
    assert format_long_date(late_utc, "en") == "December 4, 2026"
    assert format_long_date(late_utc, "es") == "4 de diciembre de 2026"


def test_import_is_light() -> None:
    code = (
        "import sys, bot.meeting_time; "
        "heavy = [m for m in ('rasa', 'dateparser', 'babel') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)


# --------------------------------------------------------------------------
# Formatting

MEETING = datetime(2026, 12, 3, 15, 0, tzinfo=LA)


@pytest.mark.parametrize(
    "lang, expected",
    [
        ("en", "Thursday, December 3, 3:00 PM"),
        ("es", "jueves, 3 de diciembre, 3:00 p.m."),
        ("es-US", "jueves, 3 de diciembre, 3:00 p.m."),
        ("zz", "Thursday, December 3, 3:00 PM"),  # unknown locale -> en_US
    ],
)
def test_format_meeting_time(lang: str, expected: str) -> None:
    assert format_meeting_time(MEETING, lang) == expected


def test_format_converts_to_los_angeles_and_is_sms_safe() -> None:
    utc = MEETING.astimezone(timezone.utc)  # 23:00 UTC
    assert format_meeting_time(utc, "en") == "Thursday, December 3, 3:00 PM"
    assert format_meeting_time(MEETING.replace(tzinfo=None), "en").endswith("3:00 PM")
    for lang in ("en", "es"):
        assert "\u202f" not in format_meeting_time(MEETING, lang)
        assert "\u00a0" not in format_meeting_time(MEETING, lang)


def test_format_uses_locale_data_for_any_locale() -> None:
    french = format_meeting_time(MEETING, "fr")
    assert "jeudi" in french and "décembre" in french and "15:00" in french


def test_parse_then_format_round_trip() -> None:
    parsed = parse_meeting_time("el jueves a las 8", "es", now=NOW)
    assert format_meeting_time(parsed.when, "es") == "jueves, 26 de noviembre, 8:00 a.m."
