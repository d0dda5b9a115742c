"""Content-fidelity and structure tests for bot/guide/content/guide.yml.

The YAML is checked against the plain-text copy of the Family Guide
(bot/guide/source/family_guide_2022-26.txt): every sentence stored in the YAML
must appear in the (normalized) source, in the right priority, with the right
grade band. Only the project, pytest and yaml are imported here.
"""

import pytest
import yaml

from bot.guide import model
from bot.guide.model import GRADE_BANDS, NEEDS, band_matches, load_guide

# --------------------------------------------------------------------------- helpers

QUOTES = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'}
CHECKBOX = "\ufffd"  # "�": the guide's check-box bullets after conversion
DOT = "\u2022"  # "•": plain bullets (2D's grade sub-lines)
BULLET_TOKEN = "\u00a7"  # "§": stands in for a bullet when bullets must be kept

# Grade markers as they appear in the source (normalized, lower case), per band.
MARKERS = {
    "elementary": ("(for elementary schools)",),
    "middle_high": ("(middle and high schools)", "(for middle and high schools)"),
    "high": ("(high schools)", "(high schools only)"),
}
ALL_MARKERS = tuple(m for ms in MARKERS.values() for m in ms)


def _join_leftover_hyphens(text):
    """'so- cial' -> 'social' (a hyphen + space between two letters)."""
    parts = text.split("- ")
    out = parts[0]
    for part in parts[1:]:
        if out[-1:].isalpha() and part[:1].isalpha():
            out += part
        else:
            out += "- " + part
    return out


def normalize_source(raw, keep_bullets=False):
    """Normalize PDF-to-text debris so stored sentences can be found verbatim.

    Joins lines, re-joins words hyphenated across line breaks ("strate-\\ngy"),
    keeps real hyphens before digits ("(2019-\\n20)", "9th-\\n12th"), collapses
    whitespace, drops "�" (or replaces bullets by a token), straightens quotes
    and lowercases.
    """
    for curly, straight in QUOTES.items():
        raw = raw.replace(curly, straight)
    if keep_bullets:
        raw = raw.replace(CHECKBOX, f" {BULLET_TOKEN} ").replace(DOT, f" {BULLET_TOKEN} ")
    else:
        raw = raw.replace(CHECKBOX, " ")
    text = ""
    for line in raw.splitlines():
        line = line.strip()
        if not line:
            continue
        if text.endswith("-") and text[-2:-1].isalpha() and line[0].isalpha():
            text = text[:-1] + line  # hyphenated word split across lines
        elif text.endswith("-") and line[0].isdigit():
            text += line  # a real hyphen: "2019-" + "20)"
        else:
            text = f"{text} {line}" if text else line
    text = " ".join(text.split())
    text = _join_leftover_hyphens(text)
    return text.lower()


def norm(s):
    return " ".join(s.split()).lower()


RAW_SOURCE = model.SOURCE_PATH.read_text(encoding="utf-8")
SOURCE = normalize_source(RAW_SOURCE)
with open(model.CONTENT_PATH, encoding="utf-8") as _fh:
    DATA = yaml.safe_load(_fh)

GUIDE_PRIORITY_IDS = ["1A", "1B", "1C", "1D", "2A", "2B", "2C", "2D", "3A", "3B"]


def _priority_pages(raw):
    """Split the source into the ten priority pages: {"1A": [lines], ...}.

    A page starts at an indented "   What to look for" or " B | Enriching..." line;
    the last ends at "How to organize your school". Each page carries exactly one
    "X | Name" heading (sometimes mid-page); pillars advance when the letter is A.
    """
    lines = raw.splitlines()
    starts = [
        i
        for i, ln in enumerate(lines)
        if ln.startswith("   What to look for")
        or (ln.startswith(" ") and ln[1:2] in ("A", "B", "C", "D") and ln[2:5] == " | ")
    ]
    end = next(i for i, ln in enumerate(lines) if ln.strip() == "How to organize your school")
    bounds = list(zip(starts, starts[1:] + [end], strict=False))
    pages = {}
    headings = {}
    pillar = 0
    for lo, hi in bounds:
        page = lines[lo:hi]
        heads = [
            ln.strip()
            for ln in page
            if ln.strip()[:1] in ("A", "B", "C", "D") and ln.strip()[1:4] == " | "
        ]
        assert len(heads) == 1, f"page at line {lo + 1} has headings {heads}"
        letter = heads[0][0]
        if letter == "A":
            pillar += 1
        prid = f"{pillar}{letter}"
        pages[prid] = "\n".join(page)
        headings[prid] = heads[0][4:].strip()
    return pages, headings


PAGES, PAGE_HEADINGS = _priority_pages(RAW_SOURCE)
PAGE_TEXT = {prid: normalize_source(page) for prid, page in PAGES.items()}
PAGE_BULLETED = {prid: normalize_source(page, keep_bullets=True) for prid, page in PAGES.items()}


def _pillars():
    return DATA["pillars"]


def _guide_priorities():
    return [pr for p in _pillars() if p.get("in_guide") for pr in p["priorities"] if pr.get("in_guide")]


def _items(kinds=("look_for", "ask", "success_goals")):
    """(priority id, kind, item dict) for every item of every in-guide priority."""
    out = []
    for pr in _guide_priorities():
        for kind in kinds:
            for it in pr.get(kind) or []:
                out.append((pr["id"], kind, it))
    return out


def _with_marker_variants(item):
    """How the item can appear in the source: the text, prefixed by its grade marker if any."""
    band = item.get("grade_band")
    text = norm(item["text"])
    if band is None:
        return [text]
    return [f"{m} {text}" for m in MARKERS[band]]


def _all_source_texts():
    """(label, text) for every sentence in guide.yml that must appear in the source."""
    out = [
        ("source_url", DATA["strategic_plan_url"]),
        ("school_goals_question", DATA["school_goals_question"]),
        ("pro_tip", DATA["pro_tip"]),
    ]
    out += [(f"heading:{k}", v) for k, v in DATA["headings"].items()]
    out += [(f"ten_steps:{s['number']}", f"{s['number']}. {s['text']}") for s in DATA["ten_steps"]]
    for p in _pillars():
        out.append((f"pillar:{p['id']}", f"Pillar {p['id']}: {p['name']}"))
        if p.get("note"):
            out.append((f"pillar:{p['id']}:note", p["note"]))
    for pr in _guide_priorities():
        out.append((f"{pr['id']}:heading", f"{pr['id'][-1]} | {pr['name']}"))
        out.append((f"{pr['id']}:statement", pr["statement"]))
        for url in pr.get("links") or []:
            out.append((f"{pr['id']}:link", url))
    for _, _, it in _items():
        out.append((it["id"], it["text"]))
        if it.get("footnote"):
            out.append((f"{it['id']}:footnote", it["footnote"]))
    for s in DATA["organizing_steps"]:
        n = s["number"]
        out.append((f"organizing:{n}:title", f"{n} | {s['title']}"))
        out.append((f"organizing:{n}:quote", f"\"{s['quote']}\""))
        out.append((f"organizing:{n}:description", s["description"]))
        for i, q in enumerate(s["reflection_questions"], 1):
            out.append((f"organizing:{n}:reflection:{i}", q))
        out.append((f"organizing:{n}:closing", s["closing_question"]))
    for g in DATA["district_goals"]:
        n = g["number"]
        out.append((f"district_goal:{n}:title", f"Goal {n}: {g['title']}"))
        out.append((f"district_goal:{n}:statement", g["statement"]))
        if g.get("summary"):
            # goals with a short summary also have a full paragraph under "Goal n: Title"
            out.append((f"district_goal:{n}:summary", g["summary"]))
            out.append((f"district_goal:{n}:titled_statement", f"Goal {n}: {g['title']} {g['statement']}"))
        out.append((f"district_goal:{n}:target", g["target"]))
    return out


SOURCE_TEXTS = _all_source_texts()
ITEMS = _items()


def _ids(entries):
    return [e[0] for e in entries]


# --------------------------------------------------------------------------- (a) fidelity


def test_normalizer_repairs_debris():
    raw = ("the strate-\ngy for disabili-\nties \ufffd from 15.8% (2019-\n20) in 9th-\n12th grade,\n\n"
           "\u201cC\u201d isn\u2019t so- cial")
    assert normalize_source(raw) == (
        'the strategy for disabilities from 15.8% (2019-20) in 9th-12th grade, "c" isn\'t social'
    )


@pytest.mark.parametrize("label,text", SOURCE_TEXTS, ids=_ids(SOURCE_TEXTS))
def test_text_appears_in_source(label, text):
    assert norm(text) in SOURCE, f"{label} not found verbatim in the source: {text!r}"


def test_ten_steps_are_one_to_ten():
    assert [s["number"] for s in DATA["ten_steps"]] == list(range(1, 11))


def test_fidelity_covers_every_kind_of_item():
    labels = " ".join(_ids(SOURCE_TEXTS))
    for needle in (".look.", ".ask.", ".goal.", ":statement", "ten_steps:", "organizing:", "reflection"):
        assert needle in labels


@pytest.mark.parametrize("prid,kind,item", ITEMS, ids=[it["id"] for _, _, it in ITEMS])
def test_item_is_on_its_priority_page(prid, kind, item):
    page = PAGE_TEXT[prid]
    assert norm(item["text"]) in page, f"{item['id']} is not on the {prid} page of the guide"


@pytest.mark.parametrize("prid,kind,item", ITEMS, ids=[it["id"] for _, _, it in ITEMS])
def test_grade_band_matches_source_marker(prid, kind, item):
    page = PAGE_TEXT[prid]
    text = norm(item["text"])
    band = item.get("grade_band")
    marked = [m for m in ALL_MARKERS if f"{m} {text}" in page]
    if band is None:
        assert not marked, f"{item['id']} is marked {marked} in the source but has no grade_band"
    else:
        assert any(f"{m} {text}" in page for m in MARKERS[band]), (
            f"{item['id']} has grade_band {band!r} but the source marks it {marked or 'not at all'}"
        )


def test_every_grade_marker_in_source_is_used():
    pages = " ".join(PAGE_TEXT.values())
    for band, markers in MARKERS.items():
        in_source = sum(pages.count(m) for m in markers)
        in_yaml = sum(1 for _, _, it in ITEMS if it.get("grade_band") == band)
        assert in_source == in_yaml, f"{band}: {in_source} markers in source, {in_yaml} items in yaml"
    assert in_source > 0


@pytest.mark.parametrize("prid", GUIDE_PRIORITY_IDS)
def test_page_heading_matches_priority_name(prid):
    pr = next(p for p in _guide_priorities() if p["id"] == prid)
    assert PAGE_HEADINGS[prid] == pr["name"]
    assert norm(pr["statement"]) in PAGE_TEXT[prid]


@pytest.mark.parametrize("prid", GUIDE_PRIORITY_IDS)
def test_bullets_on_page_are_exactly_the_questions_and_goals(prid):
    """Every check-box bullet on a page is one stored question or goal, in source order.

    Look-for items are never bulleted; goals are the bullets that follow the
    "What are our school's goals...?" line.
    """
    pr = next(p for p in _guide_priorities() if p["id"] == prid)
    page = PAGE_BULLETED[prid]
    segments = [s.strip() for s in page.split(BULLET_TOKEN)[1:]]

    def owner(segment):
        hits = [
            (kind, it["id"])
            for kind in ("ask", "success_goals")
            for it in pr[kind]
            if any(segment.startswith(v) for v in _with_marker_variants(it))
        ]
        assert len(hits) == 1, f"bullet {segment[:80]!r} matches {hits}"
        return hits[0]

    owners = [owner(s) for s in segments]
    assert [i for k, i in owners if k == "ask"] == [it["id"] for it in pr["ask"]]
    assert [i for k, i in owners if k == "success_goals"] == [it["id"] for it in pr["success_goals"]]

    goals_at = page.index(norm(DATA["school_goals_question"]))
    after = [s.strip() for s in page[goals_at:].split(BULLET_TOKEN)[1:]]
    n_goals = len(pr["success_goals"])
    assert [owner(s) for s in after[:n_goals]] == [("success_goals", g["id"]) for g in pr["success_goals"]]

    for it in pr["look_for"]:
        for v in _with_marker_variants(it):
            assert f"{BULLET_TOKEN} {v}" not in page, f"{it['id']} is a bulleted question/goal, not a look-for"


def test_pages_cover_exactly_the_guide_priorities():
    assert sorted(PAGES) == GUIDE_PRIORITY_IDS


def test_organizing_steps():
    steps = DATA["organizing_steps"]
    assert [s["number"] for s in steps] == [1, 2, 3, 4]
    assert [s["title"] for s in steps] == [
        "Foster community",
        "Foster joyful learning",
        "Foster community action",
        "Foster reflection",
    ]
    assert steps[1]["description"].startswith("Hold group meetings")
    assert steps[2]["description"].startswith("Implement plans")
    assert steps[3]["description"].startswith("Reflect on and celebrate")
    for s in steps:
        assert len(s["reflection_questions"]) >= 2
        for q in s["reflection_questions"] + [s["closing_question"]]:
            assert q.endswith("?"), q
        # each reflection question is one sentence-question, not several glued together
        for q in s["reflection_questions"]:
            assert q.count("? ") == 0, q


def test_district_goals():
    goals = DATA["district_goals"]
    assert [g["number"] for g in goals] == [1, 2, 3, 4]
    assert [g["title"] for g in goals] == ["College & Career", "Literacy", "Numeracy", "Social-Emotional Wellness"]
    assert goals[3]["statement"].startswith(
        "Students in elementary, middle, and high school will demonstrate growth of 8%"
    )


# --------------------------------------------------------------------------- text hygiene


def _all_strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from _all_strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _all_strings(v)


def test_text_is_clean():
    bad = []
    for s in _all_strings(DATA):
        has_debris = any(c in s for c in (*QUOTES, CHECKBOX, DOT)) or _join_leftover_hyphens(s) != s
        if has_debris or "  " in s or s != s.strip():
            bad.append(s)
    assert not bad


@pytest.mark.parametrize("prid,kind,item", ITEMS, ids=[it["id"] for _, _, it in ITEMS])
def test_item_text_has_no_marker_or_footnote_digit(prid, kind, item):
    text = item["text"]
    assert not text.startswith("("), "grade marker left in text"
    assert not text[-1:].isdigit() or kind == "success_goals", "footnote marker left in text"
    if kind == "ask":
        assert text.endswith("?")
    else:
        assert not text.endswith("?")


# --------------------------------------------------------------------------- (b) structure


def test_pillars():
    pillars = {p["id"]: p for p in _pillars()}
    assert list(pillars) == ["1", "2", "3", "4", "5"]
    assert [p["id"] for p in _pillars() if p["in_guide"]] == ["1", "2", "3"]
    assert pillars["1"]["name"] == "Academic Excellence"
    assert pillars["2"]["name"] == "Joy and Wellness"
    assert pillars["3"]["name"] == "Engagement and Collaboration"
    assert pillars["4"]["name"] == "Operational Effectiveness"
    assert pillars["5"]["name"] == "Investing in Staff"
    for pid in "12345":
        assert [pr["id"] for pr in pillars[pid]["priorities"]] == [f"{pid}{c}" for c in "ABCD"]


def test_in_guide_flags():
    in_guide = [pr["id"] for p in _pillars() for pr in p["priorities"] if pr.get("in_guide") is True]
    not_in_guide = [pr["id"] for p in _pillars() for pr in p["priorities"] if pr.get("in_guide") is False]
    assert in_guide == GUIDE_PRIORITY_IDS
    assert not_in_guide == ["3C", "3D", "4A", "4B", "4C", "4D", "5A", "5B", "5C", "5D"]
    names = {pr["id"]: pr["name"] for p in _pillars() for pr in p["priorities"]}
    assert names["3C"] == "Leading for Impact"
    assert names["3D"] == "Honoring Perspectives"
    for p in _pillars():
        for pr in p["priorities"]:
            if not pr["in_guide"]:
                assert not pr.get("look_for") and not pr.get("ask") and not pr.get("success_goals")


@pytest.mark.parametrize("prid", GUIDE_PRIORITY_IDS)
def test_priority_minimum_content(prid):
    pr = next(p for p in _guide_priorities() if p["id"] == prid)
    assert pr["statement"]
    assert len(pr["look_for"]) >= 4
    assert len(pr["ask"]) >= 5
    assert len(pr["success_goals"]) >= 2


def test_ids_unique_and_well_formed():
    ids = [it["id"] for _, _, it in ITEMS]
    assert len(ids) == len(set(ids))
    kind_tag = {"look_for": "look", "ask": "ask", "success_goals": "goal"}
    for pr in _guide_priorities():
        for kind, tag in kind_tag.items():
            assert [it["id"] for it in pr[kind]] == [f"{pr['id']}.{tag}.{n}" for n in range(1, len(pr[kind]) + 1)]
    prios = [pr["id"] for p in _pillars() for pr in p["priorities"]]
    assert len(prios) == len(set(prios))


def test_grade_bands_valid():
    assert GRADE_BANDS == ("elementary", "middle_high", "high")
    for _, _, it in ITEMS:
        assert "grade_band" in it, it["id"]
        assert it["grade_band"] is None or it["grade_band"] in GRADE_BANDS, it["id"]


def test_needs_valid():
    assert set(NEEDS) == {"english_learner", "disability", "gifted", "foster_youth", "attendance"}
    for _, kind, it in ITEMS:
        if kind == "ask":
            assert "needs" in it, it["id"]
        assert set(it.get("needs") or []) <= set(NEEDS), it["id"]


def _find(fragment):
    hits = [it for _, _, it in ITEMS if fragment.lower() in it["text"].lower()]
    assert len(hits) == 1, f"{fragment!r} matches {len(hits)} items"
    return hits[0]


@pytest.mark.parametrize(
    "fragment,needs",
    [
        ("How can I ensure my English Learner student is reclassified", ["english_learner"]),
        ("English Learner reclassification rate", ["english_learner"]),
        ("support students with disabilities in the classroom", ["disability"]),
        ("my child with disabilities to increase their time", ["disability"]),
        ("How are students identified for gifted", ["gifted"]),
        ("reward regular attendance", ["attendance"]),
        ("Does my child's school offer summer school?", ["foster_youth"]),
        ("How can I access whole child resources", ["foster_youth"]),
        ("high-dosage tutoring to all students that need or request it", []),
        ("What are the primary languages for our school community?", ["english_learner"]),
        ("What high-quality instructional materials", []),
    ],
)
def test_needs_tags(fragment, needs):
    assert (_find(fragment).get("needs") or []) == needs


def test_chronic_absence_sub_goals():
    goals = next(p for p in _guide_priorities() if p["id"] == "2D")["success_goals"]
    assert goals[0]["text"] == "Decrease the percentage of chronically absent students"
    assert goals[0]["grade_band"] is None
    subs = [g for g in goals if g.get("grades")]
    assert [g["grades"] for g in subs] == ["K-5", "6-8", "9-12"]
    for g in subs:
        assert g["grade_band"] is None
        assert g["parent"] == goals[0]["id"]
        assert g["text"].startswith(f"Grades {g['grades']}: decrease from ")


# --------------------------------------------------------------------------- (c) band_matches

ALL_GRADES = ["TK", "K", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"]
EXPECTED_BANDS = {
    None: set(ALL_GRADES),
    "elementary": {"TK", "K", "1", "2", "3", "4", "5"},
    "middle_high": {"6", "7", "8", "9", "10", "11", "12"},
    "high": {"9", "10", "11", "12"},
}


@pytest.mark.parametrize("band", list(EXPECTED_BANDS))
@pytest.mark.parametrize("grade", ALL_GRADES)
def test_band_matches_table(band, grade):
    assert band_matches(band, grade) is (grade in EXPECTED_BANDS[band])


@pytest.mark.parametrize("band,grade", [("elementary", "6"), ("high", "8"), ("middle_high", "5"), ("high", "K")])
def test_band_matches_boundaries_false(band, grade):
    assert band_matches(band, grade) is False


def test_band_matches_rejects_bad_input():
    with pytest.raises(ValueError):
        band_matches("elementary", "13")
    with pytest.raises(ValueError):
        band_matches(None, "PK")
    with pytest.raises(ValueError):
        band_matches("middle", "7")


def test_goal_applies_to_uses_grades():
    goals = {g.grades: g for g in load_guide().priority("2D").success_goals if g.grades}
    assert goals["K-5"].applies_to("K") and not goals["K-5"].applies_to("6")
    assert goals["6-8"].applies_to("7") and not goals["6-8"].applies_to("9")
    assert goals["9-12"].applies_to("12") and not goals["9-12"].applies_to("8")


# --------------------------------------------------------------------------- (d) loader


def test_loader_unknown_priority_raises_keyerror():
    guide = load_guide()
    for bad in ("1E", "9A", "", "pillar 1"):
        with pytest.raises(KeyError):
            guide.priority(bad)
    with pytest.raises(KeyError):
        guide.pillar("6")


def test_loader_lookups():
    guide = load_guide()
    assert load_guide() is guide  # cached
    assert guide.priority("1a") is guide.priority("1A")
    assert guide.priority("1a").name == "High quality instruction"
    assert guide.priority("4b").in_guide is False
    assert guide.pillar("3").name == "Engagement and Collaboration"
    assert [p.id for p in guide.guide_pillars()] == ["1", "2", "3"]
    assert [p.id for p in guide.guide_priorities()] == GUIDE_PRIORITY_IDS
    elem = [it.id for it in guide.priority("1A").ask if it.grade_band == "elementary"]
    assert elem == ["1A.ask.7"]
    with pytest.raises(AttributeError):  # frozen
        guide.priority("1A").name = "x"


def test_loader_matches_yaml():
    guide = load_guide()
    for pr in _guide_priorities():
        loaded = guide.priority(pr["id"])
        assert [i.text for i in loaded.look_for] == [i["text"] for i in pr["look_for"]]
        assert [i.text for i in loaded.ask] == [i["text"] for i in pr["ask"]]
        assert [i.needs for i in loaded.ask] == [tuple(i["needs"]) for i in pr["ask"]]
        assert [g.text for g in loaded.success_goals] == [g["text"] for g in pr["success_goals"]]
    assert len(guide.ten_steps) == 10
    assert len(guide.organizing_steps) == 4
    assert len(guide.district_goals) == 4


def test_all_texts():
    texts = load_guide().all_texts()
    assert len(texts) == len(set(texts))
    assert all(isinstance(t, str) and t.strip() for t in texts)
    as_set = set(texts)
    for _, _, it in ITEMS:
        assert it["text"] in as_set, it["id"]
    for s in DATA["organizing_steps"]:
        assert set(s["reflection_questions"]) <= as_set
        assert s["closing_question"] in as_set
    for s in DATA["ten_steps"]:
        assert s["text"] in as_set
    assert DATA["pro_tip"] in as_set
    assert "Leading for Impact" in as_set
    assert not any(t.startswith("http") for t in texts)


def test_loader_custom_path_and_validation(tmp_path):
    good = tmp_path / "guide.yml"
    good.write_text(yaml.safe_dump(DATA), encoding="utf-8")
    assert load_guide(good).priority("2d").name == "Outstanding attendance"

    broken = yaml.safe_load(yaml.safe_dump(DATA))
    broken["pillars"][0]["priorities"][0]["ask"][0]["grade_band"] = "middle"
    bad_band = tmp_path / "bad_band.yml"
    bad_band.write_text(yaml.safe_dump(broken), encoding="utf-8")
    with pytest.raises(ValueError):
        load_guide(bad_band)

    broken = yaml.safe_load(yaml.safe_dump(DATA))
    asks = broken["pillars"][0]["priorities"][0]["ask"]
    asks[1]["id"] = asks[0]["id"]
    dup = tmp_path / "dup.yml"
    dup.write_text(yaml.safe_dump(broken), encoding="utf-8")
    with pytest.raises(ValueError):
        load_guide(dup)


def test_model_does_not_import_rasa():
    with open(model.__file__, encoding="utf-8") as fh:
        lines = [ln.strip() for ln in fh]
    imports = [ln for ln in lines if ln.startswith(("import ", "from "))]
    assert imports, "no import lines found"
    assert not [ln for ln in imports if ln.split()[1].split(".")[0] == "rasa"]
