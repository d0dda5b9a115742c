"""A whole journey in a pseudo-locale that exists only as a catalog: every sentence the
parent receives must come out transformed, so no string escapes the catalogs, and a new
language needs no code change."""
from __future__ import annotations

import re
import shutil

import pytest

from bot.i18n import LOCALES_DIR
from bot.i18n.extract import collect_messages
from bot.i18n.pseudo import CLOSE, OPEN, PSEUDO_LANGUAGE, write_pseudo_catalog
from devtools.devstack import Stack

# Data that is not text: a school's name from the directory, priority ids, numbers, URLs.
DATA = re.compile(r"Breed Street Elementary|\b\d{1,2}[A-D]\b|https?://\S+|\b[AP]M\b")


@pytest.fixture(scope="module")
def pseudo_stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pseudo")
    locales = tmp / "locales"
    shutil.copytree(LOCALES_DIR, locales)
    write_pseudo_catalog(sorted({m for m, _ in collect_messages()}), locales)
    with Stack.running(tmp, env={"FGA_LOCALES_DIR": str(locales)}) as stack:
        yield stack


def outside_brackets(text: str) -> str:
    """The characters not inside any (possibly nested) pseudo-localized segment."""
    depth, kept = 0, []
    for char in text:
        if char == OPEN:
            depth += 1
        elif char == CLOSE:
            depth = max(depth - 1, 0)
        elif depth == 0:
            kept.append(char)
    return "".join(kept)


def escaped_text(message: dict) -> list:
    """Words of a message that are outside every pseudo-localized segment."""
    pieces = [message.get("text") or ""] + [b["title"] for b in message.get("buttons") or []]
    return [word for piece in pieces for word in re.findall(r"[A-Za-z]{2,}", DATA.sub(" ", outside_brackets(piece)))]


def test_whole_journey_in_a_pseudo_locale(pseudo_stack):
    sender = "pseudo-journey"
    say = lambda text: pseudo_stack.say(sender, text)  # noqa: E731
    turns = [
        say(f'/change_language{{"language": "{PSEUDO_LANGUAGE}"}}'),
        say("/greet"), say("1"), say("2"), say("4"), say("1"), say("3rd grade"), say("1 3"),
        say("breed street elementary"), say("1"), say("more questions"), say("/drop_question"), say("1"),
        say("/next_steps"), say("1"), say("/set_meeting"), say("tomorrow 3pm"), say("/invite_parents"),
        say("/share_guide"), say("/request_workshop"), say("/organize"), say("2"), say("/learn_pillars"),
        say("/learn_pillars"), say("/help"), say("zzqx wvvk"), say("/human_handoff"), say("/stop"),
    ]
    messages = [m for turn in turns for m in turn]
    assert len(messages) > 30
    escaped = {i: escaped_text(m) for i, m in enumerate(messages) if escaped_text(m)}
    assert not escaped, [(messages[i].get("text"), words) for i, words in escaped.items()]
    # the plan itself was there, in the pseudo-locale
    assert any("⟦2D, " in (m.get("text") or "") for m in messages)
