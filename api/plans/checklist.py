"""A priority's "What to look for" checklist by link: GET /look-for/{language}/{priority}
(optionally ?grade=3, the items for that grade, as the bot shows them). The checklist is
the Family Guide's own public content, so the page is public and its address says nothing
about the parent: no token, no contact, no phone number. Texts come from the guide through
the translation layer with their accents (never folded for SMS); the labels from
api/texts.yml (group `checklist_page`). The SMS door sends the link instead of the list,
and the list as text when the parent asks (TEXT).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from api.core.i18n import text
from api.core.templates import page_templates
from api.plans.page import NOTE_LINES, PRINT_ONCLICK, TEMPLATES_DIR
from bot.guide.labels import load_labels
from bot.guide.model import band_matches, load_guide
from bot.i18n import supported_language, translate

PATH = "/look-for"
# Public guide content: a browser or proxy may keep it a while (labels change only with a release).
CACHE_CONTROL = "public, max-age=3600"


@dataclass(frozen=True)
class Checklist:
    priority: str  # "2D"
    language: str  # a supported language code
    grade: str | None  # a grade the items were chosen for ("TK", "K", "1".."12"), or None for all
    priority_name: str
    pillar_name: str
    items: tuple[str, ...]  # translated, in the guide's order


def find_checklist(priority: Any, language: Any, grade: Any = None) -> Checklist | None:
    """The checklist of a priority the guide covers, in a supported language, for a known
    grade (an unknown grade is ignored: every item); None for anything else."""
    lang = supported_language(str(language)) if language else None
    try:
        found = load_guide().priority(str(priority))
    except KeyError:
        return None
    if lang is None or not found.in_guide or not found.look_for:
        return None
    grade = str(grade).strip().upper() if grade is not None else None
    if grade not in load_labels().grades:
        grade = None
    items = tuple(translate(item.text, lang) for item in found.look_for
                  if grade is None or band_matches(item.grade_band, grade))
    pillar = load_guide().pillar(found.pillar_id)
    return Checklist(found.id, lang, grade, translate(found.name, lang), translate(pillar.name, lang), items)


def checklist_url(public_base_url: str, checklist: Checklist) -> str:
    """The page's absolute address: short, since it goes in text messages."""
    url = f"{public_base_url}{PATH}/{checklist.language}/{quote(checklist.priority)}"
    return f"{url}?grade={quote(checklist.grade)}" if checklist.grade else url


def checklist_lines(checklist: Checklist) -> str:
    """The items as "- " lines (the bot's own list format), for a text message."""
    return "\n".join(f"- {item}" for item in checklist.items)


def render_checklist_page(checklist: Checklist) -> str:
    """The full HTML5 document: the same one-column, printable layout as the plan page."""
    def t(key: str, **values: Any) -> str:
        return text(f"checklist_page.{key}", checklist.language, **values)

    return page_templates(TEMPLATES_DIR).get_template("checklist.html").render(
        lang=checklist.language,
        t=t,
        topic={"pillar": checklist.pillar_name, "priority": f"{checklist.priority} {checklist.priority_name}"},
        items=checklist.items,
        note_lines=NOTE_LINES,
        print_onclick=PRINT_ONCLICK,
    )


def render_checklist_not_found(language: str) -> str:
    def t(key: str, **values: Any) -> str:
        return text(f"checklist_page.{key}", language, **values)

    return page_templates(TEMPLATES_DIR).get_template("unavailable.html").render(
        lang=language, t=t, heading=t("not_found_title"), message=t("not_found_text"), kind="not_found",
    )
