"""Meeting date/time from a parent's free text (English or Spanish), and back.

Pure module: no Rasa import, nothing heavy at import time (dateparser and the
regexes are loaded on first use and cached). It returns data only; the bot's
sentences live elsewhere.

How parents text is not how calendars are written, so clock times, parts of the
day, "today/tomorrow" and weekdays are read by the small rules below, and
dateparser (in the parent's language, preferring future dates) resolves explicit
calendar dates ("dec 3", "12/3", "3 de diciembre"). Rules, in order of use:

1. Clock: "3pm", "8:30", "3-4pm" (start), "at 3"/"a las 3"/"@3", "3 de la
   tarde", "3 o'clock", "noon"/"mediodía". A bare number counts only after
   "at"/"a las" or when it is the whole message (the answer to "what time?").
2. Hour without am/pm: 1-6 -> afternoon, 7-11 -> morning, 12 -> noon (school
   hours); 0 and 13-23 are 24-hour time. A part-of-day word in the message
   overrides it ("tonight at 7" -> 19:00) when the result is plausible.
3. Part of day without a clock: morning/"en la mañana" -> 9:00,
   afternoon/"after school"/"después de clases" -> 15:00, evening/"en la
   noche" -> 18:00. "this morning", "tonight", "esta tarde" also mean today.
4. Spanish "mañana" is tomorrow, except after "en la/por la/de la/esta"
   (morning). "mañana en la mañana" is tomorrow morning. Accents are optional.
5. Day, first source that says anything wins: explicit calendar date (a
   weekday that contradicts it is ignored) > today/tomorrow/pasado mañana >
   weekday name. Two different candidates from the winning source are
   ambiguous: no date, so the bot asks.
6. A weekday name is the next such day after today, never today. "next
   Tuesday" is also the coming Tuesday (parents rarely mean the week after);
   "next week Tuesday"/"la próxima semana" moves it into next Mon-Sun week.
7. Numeric dates follow the language's order (en 12/3 = Dec 3, es 12/3 = 12
   March). A year-less date that only fits ~a year ahead ("Nov 20" typed on
   Nov 23) is a date that just passed, so it is reported as in the past.
8. A result at or before `now` is not usable: when=None, in_past=True.
"""
from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.text import without_accents

TIMEZONE_NAME = "America/Los_Angeles"
SUPPORTED_LANGS = ("en", "es")
MAX_TEXT_CHARS = 500  # a meeting request fits in a few SMS; longer text is junk

# Part-of-day defaults (hour) when no clock time is given.
PART_OF_DAY_HOURS = {"morning": 9, "afternoon": 15, "evening": 18}
# A year-less date further ahead than this most likely meant one that just passed.
PAST_DATE_WINDOW_DAYS = 300
# Babel locale per bot language: LAUSD families are in the US (12-hour clock).
FORMAT_LOCALES = {"en": "en_US", "es": "es_US"}


@dataclass(frozen=True)
class ParsedMeeting:
    """What was understood; `when` is set only when it is a usable future time."""

    when: datetime | None
    has_date: bool
    has_time: bool
    in_past: bool = False
    day: date | None = None  # the understood day, even if `when` is None
    clock: time | None = None  # the understood time of day, even if no day


NOTHING = ParsedMeeting(None, False, False)


@lru_cache(maxsize=1)
def local_zone() -> ZoneInfo:
    return ZoneInfo(TIMEZONE_NAME)


# --------------------------------------------------------------------------
# Word lists (accent-free, lowercase: text is normalized before matching)

_MONTHS = [
    "january", "jan", "february", "feb", "march", "mar", "april", "apr", "may", "june", "jun", "july", "jul",
    "august", "aug", "september", "sept", "sep", "october", "oct", "november", "nov", "december", "dec",
    # Spanish
    "enero", "ene", "febrero", "marzo", "abril", "abr", "mayo", "junio", "julio", "agosto", "ago",
    "septiembre", "setiembre", "octubre", "noviembre", "diciembre", "dic",
]

_WEEKDAYS = {
    "monday": 0, "mon": 0, "lunes": 0,
    "tuesday": 1, "tues": 1, "tue": 1, "tusday": 1, "tuseday": 1, "martes": 1,
    "wednesday": 2, "wed": 2, "weds": 2, "wensday": 2, "wendsday": 2,
    "wednsday": 2, "miercoles": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "thrusday": 3, "jueves": 3,
    "friday": 4, "fri": 4, "viernes": 4,
    "saturday": 5, "sabado": 5,  # no "sat": the SAT test
    "sunday": 6, "domingo": 6,  # no "sun": it is in school names (Sun Valley)
}
_ES_WEEKDAYS = ["lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo"]

_RELATIVE_DAYS = (
    (r"pasado\s+manana|day\s+after\s+tomorrow", 2),
    (r"tomorrow|tomorow|tommorow|tommorrow|tmrw|tmr|2morrow|manana", 1),
    (r"today|hoy", 0),
)

_PARTS_OF_DAY = (
    ("morning", r"(?:this|in\s+the)?\s*mornings?|esta\s+manana"
                r"|(?:en|por|de)\s+la\s+manana|(?:en|por)\s+las\s+mananas"),
    ("afternoon", r"(?:this|in\s+the)?\s*afternoons?|after\s+school"
                  r"|(?:en|por|de)\s+la\s+tarde|esta\s+tarde"
                  r"|despues\s+de\s+(?:las?\s+)?(?:clases?|escuela)"
                  r"|saliendo\s+de\s+(?:la\s+)?escuela"),
    ("evening", r"(?:this|in\s+the)?\s*evenings?|tonight|at\s+night"
                r"|(?:en|por|de)\s+la\s+noche|esta\s+noche"),
)


@dataclass(frozen=True)
class _Patterns:
    html_tag: re.Pattern
    meridiem: re.Pattern
    greeting: re.Pattern
    clocks: tuple[re.Pattern, ...]
    noon: re.Pattern
    parts: tuple[tuple[str, re.Pattern], ...]
    today_part: re.Pattern
    relative: tuple[tuple[re.Pattern, int], ...]
    next_week: re.Pattern
    month_first: re.Pattern
    day_first: re.Pattern
    numeric: re.Pattern
    day_of_month: tuple[re.Pattern, ...]
    weekday: re.Pattern


@lru_cache(maxsize=1)
def _patterns() -> _Patterns:
    months = "|".join(sorted(_MONTHS, key=len, reverse=True))
    weekdays = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
    # A number right before these is a date, not an hour.
    not_a_date = rf"(?!\s*(?:/|-[0-9]|st\b|nd\b|rd\b|th\b|de\s+(?:{months})\b))"
    # "3rd grade", "5to grado", "2nd period" are about the child, not the date.
    not_a_grade = (r"(?!\s*(?:grade|grader|period|floor|place|time|year|grado|ano"
                   r"|periodo|piso|de\s+(?:primaria|secundaria|prepa)))")
    h = r"(?P<h>[0-9]{1,2})"
    return _Patterns(
        html_tag=re.compile(r"<[^<>]{0,300}>"),
        meridiem=re.compile(r"([0-9])\s*([ap])\.?\s?m\b\.?"),
        greeting=re.compile(
            r"\b(?:good\s+(?:morning|afternoon|evening|night)"
            r"|buen(?:os|as)\s+(?:dias|tardes|noches))\b"
        ),
        clocks=(
            # Order matters: the most explicit form wins.
            re.compile(rf"\b{h}(?::(?P<m>[0-5][0-9]))?\s*(?:-|to)\s*"
                       r"(?P<h2>[0-9]{1,2})(?::[0-5][0-9])?\s*(?P<mer>am|pm)\b"),
            re.compile(rf"\b{h}:(?P<m>[0-5][0-9])(?:\s*(?P<mer>am|pm)\b)?"),
            re.compile(rf"\b{h}\s*(?P<mer>am|pm)\b"),
            re.compile(rf"\b{h}\s+(?:o\s?'?\s?clock\s+)?(?P<part>de\s+la\s+"
                       r"(?:manana|tarde|noche)|in\s+the\s+(?:morning|afternoon"
                       r"|evening)|at\s+night)\b"),
            re.compile(rf"(?:\bat|@|\ba\s+las?|\baround|\bby|\bpara\s+las?"
                       rf"|\bdesde\s+las?|\bcomo\s+a\s+las?)\s*{h}\b{not_a_date}"),
            re.compile(rf"\b{h}\s*o\s?'?\s?clock\b"),
            re.compile(rf"^\W*{h}\W*$"),
        ),
        noon=re.compile(r"\b(?:noon|midday|mediodia|medio\s+dia)\b"),
        parts=tuple(
            (name, re.compile(rf"\b(?:{rx})\b")) for name, rx in _PARTS_OF_DAY
        ),
        today_part=re.compile(r"^(?:this|tonight|esta)\b"),
        relative=tuple(
            (re.compile(rf"\b(?:{rx})\b"), days) for rx, days in _RELATIVE_DAYS
        ),
        next_week=re.compile(
            r"\b(?:next\s+week|la\s+(?:proxima|otra)\s+semana"
            r"|la\s+semana\s+(?:que\s+viene|que\s+entra|proxima|entrante))\b"
        ),
        month_first=re.compile(
            rf"\b(?P<mon>{months})\.?\s+(?:the\s+)?(?P<d>[0-9]{{1,2}})"
            r"(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>[0-9]{4})\b)?"
        ),
        day_first=re.compile(
            r"\b(?P<d>[0-9]{1,2})(?:st|nd|rd|th|ero|ro|er|do|to|vo|mo|no|o)?\s+"
            rf"(?:de\s+|of\s+)?(?P<mon>{months})\b\.?"
            r"(?:,?\s+(?:de\s+|del\s+)?(?P<y>[0-9]{4})\b)?"
        ),
        # "12/3", "12/3/26", "12-3-2026"; "3-4" without a year is an hour range.
        numeric=re.compile(
            r"\b(?P<a>[0-9]{1,2})(?:/(?P<b>[0-9]{1,2})(?:/(?P<y>[0-9]{4}|[0-9]{2}))?"
            r"|-(?P<b2>[0-9]{1,2})-(?P<y2>[0-9]{4}|[0-9]{2}))\b"
        ),
        day_of_month=(
            re.compile(r"\b(?P<d>[0-9]{1,2})(?:st|nd|rd|th)\b" + not_a_grade),
            re.compile(r"\b(?:el\s+(?:dia\s+)?|dia\s+)(?P<d>[0-9]{1,2})"
                       r"(?:ero|ro|er|do|to|vo|mo|no|o)?\b(?!\s*(?::|/))" + not_a_grade),
            # Spanish "el martes 3" is Tuesday the 3rd.
            re.compile(rf"\b(?:{'|'.join(_ES_WEEKDAYS)})\s+(?P<d>[0-9]{{1,2}})\b"
                       r"(?!\s*(?::|/|y\b))"),
        ),
        weekday=re.compile(rf"\b(?P<w>{weekdays})s?\b"),
    )


# --------------------------------------------------------------------------
# Text helpers

def _normalize(text: str) -> str:
    """Lowercase, no accents/HTML, 'p.m.' -> ' pm', single spaces, capped."""
    rx = _patterns()
    text = html.unescape(text[:MAX_TEXT_CHARS])
    text = rx.html_tag.sub(" ", text)
    text = without_accents(text.lower())
    text = rx.meridiem.sub(r"\1 \2m", text)
    return " ".join(text.split())


def _blank(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """Replace matched spans with separators so later rules cannot reuse them."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = ";" * (end - start)
    return "".join(chars)


def _language(lang: str | None) -> str:
    code = (lang or "").replace("_", "-").split("-")[0].lower()
    return code if code in SUPPORTED_LANGS else "en"


def _in_local_zone(moment: datetime) -> datetime:
    if moment.tzinfo is None:  # naive: taken as Los Angeles wall time
        return moment.replace(tzinfo=local_zone())
    return moment.astimezone(local_zone())


def _local_now(now: datetime | None) -> datetime:
    return datetime.now(local_zone()) if now is None else _in_local_zone(now)


def _single(values: list) -> object | None:
    """The value if all candidates agree, else None (ambiguous)."""
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else None


# --------------------------------------------------------------------------
# Time of day

def _find_part_of_day(text: str) -> tuple[str | None, bool, list[tuple[int, int]]]:
    """(part, means_today, spans of the part-of-day words)."""
    found: list[str] = []
    today = False
    spans: list[tuple[int, int]] = []
    for name, rx in _patterns().parts:
        for m in rx.finditer(text):
            found.append(name)
            today = today or bool(_patterns().today_part.match(m.group().strip()))
            spans.append(m.span())
    return _single(found), today, spans  # type: ignore[return-value]


def _resolve_hour(hour: int, meridiem: str | None, part: str | None) -> int:
    if meridiem == "am":
        return 0 if hour == 12 else hour
    if meridiem == "pm":
        return hour if hour == 12 else hour + 12
    if hour == 0 or hour > 12:  # 24-hour clock
        return hour
    if part == "morning" and 5 <= hour <= 11:
        return hour
    if part in ("afternoon", "evening") and hour <= 11:
        return hour + 12
    return hour + 12 if hour <= 6 else hour  # school-day default; 12 is noon


def _range_start_meridiem(hour: int, end_hour: int, meridiem: str | None) -> str | None:
    """'3-4pm' starts at 3pm; '11-1pm' / '11-12pm' start in the morning."""
    return meridiem if hour < end_hour < 12 else None


def _find_clock(text: str, part: str | None) -> tuple[time | None, str]:
    """(time of day, text without it). The first valid pattern wins."""
    rx = _patterns()
    noon = rx.noon.search(text)
    if noon:
        return time(12, 0), _blank(text, [noon.span()])
    for pattern in rx.clocks:
        for m in pattern.finditer(text):
            groups = m.groupdict()
            hour, minute = int(groups["h"]), int(groups.get("m") or 0)
            meridiem = groups.get("mer")
            if groups.get("h2"):
                meridiem = _range_start_meridiem(hour, int(groups["h2"]), meridiem)
            if groups.get("part"):
                meridiem = "am" if groups["part"].endswith(("manana", "morning")) else "pm"
            if hour > 23 or (meridiem and hour > 12):
                continue
            resolved = _resolve_hour(hour, meridiem, part)
            return time(resolved, minute), _blank(text, [m.span()])
    return None, text


# --------------------------------------------------------------------------
# Day

def _dateparser_date(snippet: str, lang: str, now: datetime) -> date | None:
    """Resolve an explicit calendar date with dateparser (lazy import)."""
    import dateparser  # heavy: imported on first use only

    settings = {
        "PREFER_DATES_FROM": "future",
        "TIMEZONE": TIMEZONE_NAME,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "RELATIVE_BASE": now.replace(tzinfo=None),
    }
    # The parent's language first; the other one covers mixed-language texts.
    for language in [lang] + [code for code in SUPPORTED_LANGS if code != lang]:
        try:
            parsed = dateparser.parse(snippet, languages=[language], settings=settings)
        except Exception:  # third-party parser: junk input must not break the bot
            parsed = None
        if parsed is not None:
            return parsed.date()
    return None


def _one_year_earlier(day: date) -> date | None:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # Feb 29 has no twin a year earlier
        return None


def _calendar_date(
    snippet: str, parts: tuple[int, ...], year: str | None, lang: str, now: datetime
) -> date | None:
    """dateparser's answer, if it really is the typed day/month (and year).

    dateparser "repairs" impossible input ("2/30" -> some other date), so the
    result must use the typed numbers; `parts` are the numbers that may be
    (month, day) in either order, or just the day for month names.
    """
    day = _dateparser_date(snippet, lang, now)
    if day is None:
        return None
    if len(parts) == 2 and (day.month, day.day) not in (parts, parts[::-1]):
        return None
    if len(parts) == 1 and day.day != parts[0]:
        return None
    if year:
        return day if day.year % 100 == int(year) % 100 else None
    if (day - now.date()).days > PAST_DATE_WINDOW_DAYS:
        return _one_year_earlier(day) or day  # rule 7: it just passed
    return day


def _next_day_of_month(dom: int, today: date) -> date | None:
    """'the 5th': this month if still ahead (or today), else the next month that has it."""
    if not 1 <= dom <= 31:
        return None
    year, month = today.year, today.month
    for _ in range(3):
        try:
            candidate = date(year, month, dom)
        except ValueError:
            candidate = None
        if candidate is not None and candidate >= today:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _take(pattern: re.Pattern, text: str) -> tuple[list[re.Match], str]:
    """All matches, and the text with them blanked out."""
    matches = list(pattern.finditer(text))
    return matches, _blank(text, [m.span() for m in matches])


def _explicit_dates(text: str, lang: str, now: datetime) -> list[date]:
    rx = _patterns()
    found: list[date | None] = []
    for pattern in (rx.month_first, rx.day_first):
        matches, text = _take(pattern, text)
        for m in matches:
            snippet = f"{m['d']} {m['mon']} {m['y'] or ''}".strip()
            found.append(_calendar_date(snippet, (int(m["d"]),), m["y"], lang, now))
    matches, text = _take(rx.numeric, text)
    for m in matches:
        parts = (int(m["a"]), int(m["b"] or m["b2"]))
        found.append(_calendar_date(m.group(), parts, m["y"] or m["y2"], lang, now))
    for pattern in rx.day_of_month:
        matches, text = _take(pattern, text)
        found += [_next_day_of_month(int(m["d"]), now.date()) for m in matches]
    return [day for day in found if day is not None]


def _relative_days(text: str, today: date, means_today: bool) -> list[date]:
    found = [today] if means_today else []
    for pattern, days in _patterns().relative:
        found += [today + timedelta(days=days) for _ in pattern.finditer(text)]
        text = pattern.sub(";", text)  # "pasado mañana" is not also "mañana"
    return found


def _coming_weekday(weekday: int, today: date, next_week: bool) -> date:
    day = today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    next_monday = today + timedelta(days=7 - today.weekday())
    return day + timedelta(days=7) if next_week and day < next_monday else day


def _weekdays(text: str, today: date) -> list[date]:
    rx = _patterns()
    next_week = bool(rx.next_week.search(text))
    return [
        _coming_weekday(_WEEKDAYS[m["w"]], today, next_week)
        for m in rx.weekday.finditer(text)
    ]


def _find_day(text: str, lang: str, now: datetime, means_today: bool) -> date | None:
    """Rule 5: the first source with candidates decides; disagreement -> None."""
    today = now.date()
    for candidates in (
        lambda: _explicit_dates(text, lang, now),
        lambda: _relative_days(text, today, means_today),
        lambda: _weekdays(text, today),
    ):
        found = candidates()
        if found:
            return _single(found)  # type: ignore[return-value]
    return None


# --------------------------------------------------------------------------
# Public API

def _combine(day: date, clock: time) -> datetime:
    """Aware local datetime; the UTC round trip fixes DST-gap wall times."""
    naive = datetime.combine(day, clock)
    return naive.replace(tzinfo=local_zone()).astimezone(timezone.utc).astimezone(local_zone())


def parse_meeting_time(text: str, lang: str = "en", now: datetime | None = None) -> ParsedMeeting:
    """Understand a meeting day/time; never raises on junk (returns NOTHING)."""
    if not isinstance(text, str):
        return NOTHING
    normalized = _normalize(text)
    if not normalized:
        return NOTHING
    local_now = _local_now(now)
    normalized = _patterns().greeting.sub(";", normalized)  # "good morning" is no time
    part, means_today, part_spans = _find_part_of_day(normalized)
    clock, rest = _find_clock(normalized, part)
    rest = _blank(rest, part_spans)  # so "en la mañana" is not also "tomorrow"
    if clock is None and part is not None:
        clock = time(PART_OF_DAY_HOURS[part], 0)
    day = _find_day(rest, _language(lang), local_now, means_today)

    in_past = day is not None and day < local_now.date()
    when = None
    if day is not None and clock is not None and not in_past:
        when = _combine(day, clock)
        if when <= local_now:
            in_past, when = True, None
    return ParsedMeeting(
        when=when,
        has_date=day is not None,
        has_time=clock is not None,
        in_past=in_past,
        day=day,
        clock=clock,
    )


def read_meeting_time(value: object) -> datetime | None:
    """A saved meeting time (the ISO text the bot stores, or a datetime) as an aware Los
    Angeles datetime; None when missing or unreadable. Naive values are LA wall time."""
    if isinstance(value, datetime):
        return _in_local_zone(value)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return _in_local_zone(datetime.fromisoformat(value.strip()))
    except ValueError:
        return None


# --------------------------------------------------------------------------
# Formatting (Babel locale data decides words, order and separators)

@lru_cache(maxsize=16)
def _babel_locale(lang: str):
    from babel import Locale, UnknownLocaleError

    code = (lang or "en").replace("-", "_")
    code = FORMAT_LOCALES.get(code.lower(), code)
    try:
        return Locale.parse(code)
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse(FORMAT_LOCALES["en"])


def _widen(pattern: str) -> str:
    """CLDR skeleton adjustment: full weekday (EEEE) and full month (MMMM).

    Babel returns the closest skeleton ("E, MMM d") without widening fields.
    """
    pieces = re.split(r"('(?:[^']|'')*')", pattern)  # odd pieces are quoted literals
    for i in range(0, len(pieces), 2):
        widened = re.sub(r"E+", "EEEE", re.sub(r"c+", "cccc", pieces[i]))
        pieces[i] = re.sub(r"(?<![ML])([ML])\1\1(?![ML])", r"\1\1\1\1", widened)
    return "".join(pieces)


@lru_cache(maxsize=16)
def _date_pattern(locale) -> str:
    from babel.dates import match_skeleton

    skeletons = locale.datetime_skeletons
    key = match_skeleton("MMMMEEEEd", skeletons) or match_skeleton("MMMEd", skeletons)
    return _widen(skeletons[key].pattern) if key else locale.date_formats["long"].pattern


def _fill_combination(pattern: str, date_text: str, time_text: str) -> str:
    """Apply a CLDR '{1} ... {0}' pattern (quotes mark literal text)."""
    literal = pattern.replace("''", "\0").replace("'", "").replace("\0", "'")
    return literal.replace("{1}", date_text).replace("{0}", time_text)


def format_long_date(moment: datetime, lang: str = "en") -> str:
    """The LA calendar day of a moment, Babel's "long" date: "December 4, 2026"."""
    from babel.dates import format_date

    return format_date(_in_local_zone(moment).date(), format="long", locale=_babel_locale(lang))


def format_meeting_time(when: datetime, lang: str = "en") -> str:
    """Weekday, month day and short time in the parent's locale, LA time.

    Narrow/no-break spaces from CLDR become plain spaces: they would force
    SMS into UCS-2 (70 instead of 160 characters per segment).
    """
    from babel.dates import format_date, format_time

    locale = _babel_locale(lang)
    local = _in_local_zone(when)
    date_text = format_date(local.date(), _date_pattern(locale), locale=locale)
    time_text = format_time(local, "short", tzinfo=local_zone(), locale=locale)
    combined = _fill_combination(locale.datetime_formats["full"], date_text, time_text)
    return combined.replace("\u202f", " ").replace("\u00a0", " ")
