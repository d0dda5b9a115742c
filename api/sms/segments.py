"""Replies shaped for SMS: encoding and segment counting, numbered menus, and long replies
split into a few numbered parts. Pure functions, no I/O.

Carriers bill per segment, and a single non-GSM character (an "á", an emoji) switches the
whole message to UCS-2, which holds less than half as much per segment; so every limit here
is measured on the exact text that will be sent, part by part.
"""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# GSM 03.38 (3GPP TS 23.038, section 6.2.1) default alphabet, one row per 16 codes,
# 0x00-0x7F. 0x1B (ESC) is the escape into the extension table, not a character, so it is
# left out: 127 characters. Greek capitals are written as escapes so that look-alike Latin
# letters (A, B, E, ...) can't slip in: Δ Φ Γ Λ Ω Π Ψ Σ Θ Ξ.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"  # 0x00-0x0F
    "\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039eÆæßÉ"  # 0x10-0x1F (no 0x1B)
    " !\"#¤%&'()*+,-./"  # 0x20-0x2F: 0x24 is ¤; $ lives at 0x02
    "0123456789:;<=>?"  # 0x30-0x3F
    "¡ABCDEFGHIJKLMNO"  # 0x40-0x4F
    "PQRSTUVWXYZÄÖÑÜ§"  # 0x50-0x5F
    "¿abcdefghijklmno"  # 0x60-0x6F
    "pqrstuvwxyzäöñüà"  # 0x70-0x7F
)

# GSM 03.38 extension table (section 6.2.1.1): each is sent as ESC + code, so 2 septets.
# 0x0A form feed, 0x14 ^, 0x28 {, 0x29 }, 0x2F \, 0x3C [, 0x3D ~, 0x3E ], 0x40 |, 0x65 €.
GSM7_EXTENSION = "\f^{}\\[~]|€"

# Payload sizes per segment. A concatenated message spends 6 bytes of each segment on the
# user data header: 7 septets in GSM-7 (160 -> 153), 3 UTF-16 units in UCS-2 (70 -> 67).
GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67

# A cut at a paragraph, line or sentence is taken only when it keeps at least this share
# of what would fit; otherwise a lower-level cut fills the part better.
MIN_FILL = 0.5

PARAGRAPH, LINE, SENTENCE, WORD = 0, 1, 2, 3

# SMS_SPANISH_GSM7: the letters of the Spanish texts that are not in GSM 03.38, each folded
# to the GSM-7 letter a reader expects: the acute vowels (é and É are in the table and stay,
# as do ñ Ñ ü Ü ¿ ¡), the ordinal indicators of "3.º grado", and À (à is in the table).
SPANISH_FOLDS = {"á": "a", "í": "i", "ó": "o", "ú": "u", "Á": "A", "Í": "I", "Ó": "O", "Ú": "U",
                 "º": "o", "ª": "a", "À": "A"}
_SPANISH_FOLDS = str.maketrans(SPANISH_FOLDS)

_BASIC = frozenset(GSM7_BASIC)
_EXTENSION = frozenset(GSM7_EXTENSION)
_WHITESPACE = re.compile(r"\s+")
# Text before a space that ends a sentence: . ! ? or … then any closing quotes/brackets.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*$")
# Code points that belong to the character before them (combining accents, emoji joiners
# and variation selectors, skin tones): a hard cut never lands in front of one.
_JOINERS = frozenset("\u200d\ufe0e\ufe0f") | frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM 03.38 basic set or its extension table."""
    return all(ch in _BASIC or ch in _EXTENSION for ch in text)


def septet_count(text: str) -> int:
    """GSM-7 length: extension characters take two septets. Text must be GSM-7."""
    if not is_gsm7(text):
        raise ValueError("text is not GSM-7")
    return sum(_gsm7_costs(text))


def utf16_units(text: str) -> int:
    """UCS-2 length as carriers count it: characters outside the BMP (most emoji) take two."""
    return len(text.encode("utf-16-le")) // 2


def segment_count(text: str) -> int:
    """Segments a carrier bills for this text (0 for an empty one).

    Up to 160 septets (GSM-7) or 70 UTF-16 units (UCS-2) is one segment; beyond that each
    segment holds 153 or 67, and, as Twilio's segment calculator does, a 2-septet
    extension character or a surrogate pair is never split across two segments."""
    if not text:
        return 0
    costs, single, multi = _costs(text)
    if sum(costs) <= single:
        return 1
    segments, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            segments, used = segments + 1, 0
        used += cost
    return segments


def sms_body(text: str, language: str | None, fold_spanish_setting: bool) -> str:
    """An SMS body as it goes out in `language`: folded by fold_spanish when the setting
    (SMS_SPANISH_GSM7) is on and the language is Spanish, else unchanged."""
    return fold_spanish(text) if fold_spanish_setting and language == "es" else text


def fold_spanish(text: str) -> str:
    """The text with only SPANISH_FOLDS' letters replaced ("Está aquí" -> "Esta aqui"), for
    an SMS body in Spanish: every other character is kept, so a text that needed UCS-2 for
    those letters alone becomes GSM-7. Accents written as combining marks are composed
    first (NFC), so a decomposed "á" folds too and a decomposed "é" stays an "é"."""
    return unicodedata.normalize("NFC", text).translate(_SPANISH_FOLDS)


def journey_cost(parts: Iterable[str]) -> int:
    """Total segments billed for sending these parts, each as its own SMS."""
    return sum(segment_count(part) for part in parts)


def render_buttons(text: str, buttons: Sequence[Mapping[str, Any]] | None) -> str:
    """The text followed by one "n) title" line per quick-reply button.

    Every button is numbered, in order, even one without a title: the bot maps a bare
    number back to the n-th button of its last menu (bot/menus.py)."""
    if not buttons:
        return text
    lines = [f"{number}) {str(button.get('title') or '').strip()}" for number, button in enumerate(buttons, 1)]
    head = text.rstrip()
    return "\n".join([head, *lines] if head else lines)


def split_message(text: str, max_segments: int = 3) -> list[str]:
    """A long reply as parts of at most max_segments segments each, numbered "(1/3) ".

    Cuts at paragraph, then line (menus and list items are lines), then sentence, then
    word boundaries; a word is cut only when it alone is longer than a part. The
    whitespace at a cut is dropped, every other character is kept in order. The number
    prefix counts toward each part's limit; each part is measured in its own encoding."""
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    body = text.strip()
    if not body:
        return []
    if segment_count(body) <= max_segments:
        return [body]
    reserve = len(_prefix(2, 2))
    while True:
        pieces = _cut(body, max_segments, reserve)
        needed = len(_prefix(len(pieces), len(pieces)))
        if needed <= reserve:
            break
        reserve = needed  # 10+ parts: "(10/12) " is longer than the room kept for it
    total = len(pieces)
    return [_prefix(number, total) + piece for number, piece in enumerate(pieces, 1)]


def shape_reply(messages: Sequence[Mapping[str, Any]], max_segments: int = 3) -> list[str]:
    """Rasa REST messages ({"text", "buttons"?, ...}) -> the SMS bodies to send, in order.

    Buttons become numbered lines. A message whose paragraphs mix GSM-7 and UCS-2 is sent
    as its paragraphs grouped by encoding when that costs fewer segments (one "está" makes
    a whole message UCS-2). Consecutive messages are joined into one SMS (a blank line
    between them) when the result still fits in max_segments and costs no more segments
    than sending them apart (mixing a GSM-7 text with a UCS-2 one can cost more). A
    message too long for one SMS is split and numbered on its own; a short message after
    it may join its last part. Messages without text or buttons (images, custom payloads)
    have nothing to send by SMS and are skipped."""
    parts: list[str] = []
    pending: str | None = None
    texts = (render_buttons(str(message.get("text") or ""), message.get("buttons")).strip() for message in messages)
    for text in (piece for whole in texts if whole for piece in by_encoding(whole)):
        if segment_count(text) > max_segments:
            if pending is not None:
                parts.append(pending)
            *done, pending = split_message(text, max_segments)
            parts.extend(done)
        elif pending is None:
            pending = text
        elif _worth_merging(pending, text, max_segments):
            pending = _join(pending, text)
        else:
            parts.append(pending)
            pending = text
    if pending is not None:
        parts.append(pending)
    return parts


def by_encoding(text: str) -> list[str]:
    """The text's paragraphs, consecutive ones of the same encoding (GSM-7 or UCS-2)
    together, when sending those groups apart costs fewer segments than the whole text;
    otherwise the text as it is. Nothing is dropped but the blank lines between groups."""
    paragraphs = [p.strip() for p in text.split("\n\n")]
    groups: list[list[str]] = []
    for paragraph in (p for p in paragraphs if p):
        if groups and is_gsm7(groups[-1][0]) == is_gsm7(paragraph):
            groups[-1].append(paragraph)
        else:
            groups.append([paragraph])
    if len(groups) < 2:
        return [text]
    pieces = ["\n\n".join(group) for group in groups]
    return pieces if journey_cost(pieces) < segment_count(text) else [text]


# --- helpers -------------------------------------------------------------------------


def _gsm7_costs(text: str) -> list[int]:
    return [2 if ch in _EXTENSION else 1 for ch in text]


def _costs(text: str) -> tuple[list[int], int, int]:
    """Per-code-point cost and the single/multi segment sizes of the text's encoding."""
    if is_gsm7(text):
        return _gsm7_costs(text), GSM7_SINGLE, GSM7_MULTI
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text], UCS2_SINGLE, UCS2_MULTI


def _prefix(number: int, total: int) -> str:
    return f"({number}/{total}) "


def _join(first: str, second: str) -> str:
    return f"{first}\n\n{second}"


def _worth_merging(first: str, second: str, max_segments: int) -> bool:
    merged = segment_count(_join(first, second))
    return merged <= max_segments and merged <= segment_count(first) + segment_count(second)


def _fits(piece: str, max_segments: int, reserve: int) -> bool:
    # The prefix is digits, parentheses, "/" and a space: GSM-7, and 1 unit in UCS-2 too,
    # so any GSM-7 stand-in of the same length measures it exactly.
    return segment_count("0" * reserve + piece) <= max_segments


def _boundaries(text: str) -> list[tuple[int, int, int]]:
    """(end of the part before, start of the part after, level) for each whitespace run."""
    found = []
    for run in _WHITESPACE.finditer(text):
        newlines = run.group().count("\n")
        if newlines >= 2:
            level = PARAGRAPH
        elif newlines == 1:
            level = LINE
        elif _SENTENCE_END.search(text[max(0, run.start() - 4) : run.start()]):
            level = SENTENCE
        else:
            level = WORD
        found.append((run.start(), run.end(), level))
    return found


def _max_chars(max_segments: int) -> int:
    """No part can hold more code points than this: each costs at least one septet/unit."""
    return max(GSM7_SINGLE, max_segments * GSM7_MULTI)


def _longest_fit(text: str, start: int, max_segments: int, reserve: int) -> int:
    """The largest end such that text[start:end] fits (fitting shrinks as text grows)."""
    low, high = start, min(len(text), start + _max_chars(max_segments))
    while low < high:
        middle = (low + high + 1) // 2
        if _fits(text[start:middle], max_segments, reserve):
            low = middle
        else:
            high = middle - 1
    return low


def _hard_cut(text: str, start: int, limit: int) -> int:
    """A cut inside a word: back off so an accent or emoji joiner stays with its letter."""
    end = limit
    while end > start + 1 and (unicodedata.combining(text[end]) or text[end] in _JOINERS or text[end - 1] == "\u200d"):
        end -= 1
    return end


def _choose_cut(candidates: list[tuple[int, int, int]], start: int, limit: int) -> tuple[int, int, int]:
    """The farthest cut of the highest level that still fills the part reasonably."""
    for level in (PARAGRAPH, LINE, SENTENCE):
        ends = [cut for cut in candidates if cut[2] == level]
        if ends and ends[-1][0] - start >= MIN_FILL * (limit - start):
            return ends[-1]
    return candidates[-1]


def _cut(text: str, max_segments: int, reserve: int) -> list[str]:
    """Greedy: each part is as long as fits, ending at the best boundary within reach."""
    boundaries = _boundaries(text)
    ends = [cut[0] for cut in boundaries]
    pieces: list[str] = []
    start = 0
    while start < len(text):
        if len(text) - start <= _max_chars(max_segments) and _fits(text[start:], max_segments, reserve):
            pieces.append(text[start:])
            break
        limit = _longest_fit(text, start, max_segments, reserve)
        if limit <= start:
            raise ValueError("max_segments leaves no room for text after the part number")
        candidates = boundaries[bisect_right(ends, start) : bisect_right(ends, limit)]
        if candidates:
            end, start_next, _ = _choose_cut(candidates, start, limit)
        else:
            end = start_next = _hard_cut(text, start, limit)
        pieces.append(text[start:end])
        start = start_next
    return pieces
