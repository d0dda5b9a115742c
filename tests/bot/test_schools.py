"""Tests for bot.schools (pure module: no Rasa)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.schools import (
    BEST_MATCH_MIN_MARGIN,
    BEST_MATCH_MIN_SCORE,
    ENV_VAR,
    MAX_SUGGESTIONS,
    REQUIRED_COLUMNS,
    SAMPLE_CSV,
    SchoolDirectory,
    SchoolDirectoryError,
    SchoolMatch,
    clear_directory_cache,
    grade_levels,
    level_hint,
    load_directory,
    tokens,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
HEADER = ",".join(REQUIRED_COLUMNS)


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    clear_directory_cache()
    yield
    clear_directory_cache()


@pytest.fixture
def sample() -> SchoolDirectory:
    return load_directory()


def write_csv(tmp_path: Path, body: str, name: str = "schools.csv") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


# --------------------------------------------------------------------------
# Sample data

def test_sample_is_labeled_and_plausible(sample: SchoolDirectory) -> None:
    first_line = SAMPLE_CSV.read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("#") and "SAMPLE" in first_line and "NOT an official" in first_line
    assert 20 <= len(sample) <= 40
    codes = [s.school_code for s in sample.schools]
    assert all(len(c) == 4 and c.isdigit() for c in codes) and len(set(codes)) == len(codes)
    names = {s.name for s in sample.schools}
    assert {"Roosevelt Senior High", "Hollenbeck Middle School", "Breed Street Elementary",
            "24th Street Elementary", "Belmont Senior High", "Sun Valley Magnet"} <= names


# --------------------------------------------------------------------------
# Normalization

@pytest.mark.parametrize(
    "text, expected",
    [
        ("24th Street Elementary", ("24", "street")),
        ("Escuela Primaria Breed St.", ("breed", "street")),
        ("Roosevelt Senior High School", ("roosevelt",)),
        ("Hollenbeck MS", ("hollenbeck",)),
        ("la secundaria de El Sereno", ("sereno",)),
        ("Second St. Elem", ("2", "street")),
        ("Euclid Ave ES", ("euclid", "avenue")),
        ("Preparatoria Belmont (SHS)", ("belmont",)),
        ("¿Escuela Soto?", ("soto",)),
    ],
)
def test_tokens(text: str, expected: tuple) -> None:
    assert tokens(text) == expected


@pytest.mark.parametrize(
    "grades, expected",
    [
        ("K-5", {"elementary"}),
        ("TK-5", {"elementary"}),
        ("6-8", {"middle"}),
        ("9-12", {"high"}),
        ("6-12", {"middle", "high"}),
        ("K-8", {"elementary", "middle"}),
        ("", set()),
        ("varies", set()),
    ],
)
def test_grade_levels(grades: str, expected: set) -> None:
    assert grade_levels(grades) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("rosevelt high", "high"),
        ("la primaria", "elementary"),
        ("secundaria", "middle"),
        ("junior high", "middle"),
        ("escuela breed", None),
        ("elementary or middle", None),
    ],
)
def test_level_hint(text: str, expected: str | None) -> None:
    assert level_hint(text) == expected


# --------------------------------------------------------------------------
# Matching the sample

@pytest.mark.parametrize(
    "text, name",
    [
        ("rosevelt high", "Roosevelt Senior High"),  # typo
        ("Roosevelt", "Roosevelt Senior High"),
        ("escuela breed", "Breed Street Elementary"),
        ("Breed St. EL", "Breed Street Elementary"),
        ("24th street", "24th Street Elementary"),
        ("24 st", "24th Street Elementary"),
        ("2nd street", "Second Street Elementary"),
        ("hollenbek", "Hollenbeck Middle School"),
        ("Hollenbeck MS", "Hollenbeck Middle School"),
        ("belmon", "Belmont Senior High"),
        ("sunvalley", "Sun Valley Magnet"),  # joined words
        ("garfeild", "Garfield Senior High"),
        ("escuela primaria soto", "Soto Street Elementary"),
        ("la secundaria de el sereno", "El Sereno Middle School"),
        ("My son goes to Lincoln High", "Lincoln Senior High"),
        ("washington prep", "Washington Preparatory Senior High"),
        ("MURCHINSON", "Murchison Street Elementary"),
        ("Utah St", "Utah Street Elementary"),
    ],
)
def test_best_match_finds_school(sample: SchoolDirectory, text: str, name: str) -> None:
    match = sample.best_match(text)
    assert match is not None and match.name == name
    assert BEST_MATCH_MIN_SCORE <= match.score <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "my kids school",
        "la escuela de mi hijo",
        "street",  # every "... Street Elementary": nothing stands out
        "ninth",  # only half of "Ninth Street"
        "bel",  # too short to guess
        "",
        "   ",
        "😀",
        "x" * 5000,
        "<b></b>",
        None,
    ],
)
def test_best_match_declines(sample: SchoolDirectory, text) -> None:
    assert sample.best_match(text) is None


def test_second_best_is_not_24th_for_2nd(sample: SchoolDirectory) -> None:
    names = [m.name for m in sample.match("2nd street")]
    assert "24th Street Elementary" not in names


def test_match_returns_ranked_candidates(sample: SchoolDirectory) -> None:
    candidates = sample.match("ninth street", limit=3)
    assert candidates[0].name == "Ninth Street Elementary"
    assert all(isinstance(m, SchoolMatch) for m in candidates)
    assert [m.score for m in candidates] == sorted((m.score for m in candidates), reverse=True)
    assert sample.match("my kids school") == []
    assert sample.match("roosevelt", limit=0) == []


# --------------------------------------------------------------------------
# Suggestions: what the bot asks the parent to confirm

@pytest.mark.parametrize(
    "text, names",
    [
        ("rosevelt high", ["Roosevelt Senior High"]),  # one confident match: "Is it ...?"
        ("lincon", ["Lincoln Senior High"]),
        ("primaria breed street", ["Breed Street Elementary"]),  # Spanish level word
        ("la secundaria de el sereno", ["El Sereno Middle School"]),
        ("prepa belmont", ["Belmont Senior High"]),
        ("roosevelt elementary", ["Roosevelt Senior High"]),  # unsure (level mismatch), still asked about
        ("garfield or roosevelt", ["Garfield Senior High", "Roosevelt Senior High"]),  # a short choice
    ],
)
def test_suggestions(sample: SchoolDirectory, text: str, names: list) -> None:
    assert [m.name for m in sample.suggestions(text)] == names


@pytest.mark.parametrize(
    "text",
    ["1", "12", "Maria Lopez", "maria", "my son is in 3rd grade", "mi hijo esta en tercer grado",
     "la escuela de mi hijo", "skip", "prefer not to say", "no quiero decir", "yes", "no", "", None],
)
def test_no_suggestion_for_a_number_a_name_a_sentence_or_a_skip(sample: SchoolDirectory, text) -> None:
    assert sample.suggestions(text) == []


def test_suggestions_leave_out_schools_the_parent_turned_down(sample: SchoolDirectory) -> None:
    assert sample.suggestions("roosevelt", exclude=["4172"]) == []
    assert [m.name for m in sample.suggestions("garfield or roosevelt", exclude=["4318"])] == ["Roosevelt Senior High"]


def test_suggestions_are_few_and_close(tmp_path: Path) -> None:
    names = ["Sunrise Elementary", "Sunset Elementary", "Sunnyside Elementary", "Sunland Elementary",
             "Breed Street Elementary"]
    body = HEADER + "\n" + "".join(f"{n:04d},{name},,K-5,East\n" for n, name in enumerate(names, 1))
    directory = load_directory(write_csv(tmp_path, body))
    offered = directory.suggestions("sunrise or sunset or sunnyside or sunland")
    assert 2 <= len(offered) <= MAX_SUGGESTIONS
    assert all(offered[0].score - m.score <= 0.15 for m in offered)


def test_accents_and_spanish_words_on_either_side(tmp_path: Path) -> None:
    body = f"{HEADER}\n0001,Escuela Primaria Peña,Peña,K-5,East\n0002,Núñez Middle School,Núñez,6-8,East\n"
    directory = load_directory(write_csv(tmp_path, body))
    assert directory.best_match("escuela pena").school_code == "0001"  # typed without the tilde
    assert directory.best_match("primaria Peña").school_code == "0001"
    assert directory.best_match("la secundaria nunez").school_code == "0002"
    assert directory.best_match("Nuñes").school_code == "0002"  # a typo and half an accent


def test_similarity_is_rapidfuzz(sample: SchoolDirectory) -> None:
    from rapidfuzz import fuzz

    # the score of a one-word name typed with a typo is rapidfuzz's ratio of the two words
    assert sample.match("hollenbek")[0].score == round(fuzz.ratio("hollenbek", "hollenbeck") / 100, 3)


# --------------------------------------------------------------------------
# Threshold and margin (own directory with same-name schools)

TWO_ROOSEVELTS = f"""{HEADER}
0001,Roosevelt Senior High,Roosevelt,9-12,East
0002,Roosevelt Elementary,Roosevelt,K-5,East
0003,Breed Street Elementary,Breed,K-5,East
"""


@pytest.fixture
def roosevelts(tmp_path: Path) -> SchoolDirectory:
    return load_directory(write_csv(tmp_path, TWO_ROOSEVELTS))


def test_tie_is_not_confident(roosevelts: SchoolDirectory) -> None:
    top, second = roosevelts.match("roosevelt")[:2]
    assert top.score - second.score < BEST_MATCH_MIN_MARGIN
    assert roosevelts.best_match("roosevelt") is None


@pytest.mark.parametrize(
    "text, code",
    [("roosevelt high", "0001"), ("rosevelt preparatoria", "0001"),
     ("roosevelt elementary", "0002"), ("primaria roosevelt", "0002")],
)
def test_level_word_breaks_the_tie(roosevelts: SchoolDirectory, text: str, code: str) -> None:
    match = roosevelts.best_match(text)
    assert match is not None and match.school_code == code


def test_level_mismatch_is_a_candidate_not_an_answer(sample: SchoolDirectory) -> None:
    assert sample.best_match("roosevelt elementary") is None  # only a high school exists
    assert sample.match("roosevelt elementary")[0].name == "Roosevelt Senior High"


def test_two_schools_named_is_not_confident(sample: SchoolDirectory) -> None:
    assert sample.best_match("garfield or roosevelt") is None


def test_score_below_threshold_is_not_confident(tmp_path: Path) -> None:
    directory = load_directory(write_csv(tmp_path, f"{HEADER}\n0001,Ninth Street Elementary,,K-5,East\n"
                                                   f"0002,Breed Street Elementary,,K-5,East\n"))
    candidates = directory.match("ninth")
    assert candidates and candidates[0].score < BEST_MATCH_MIN_SCORE
    assert directory.best_match("ninth") is None


# --------------------------------------------------------------------------
# Loading, env override, caching

def test_env_var_overrides_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_csv(tmp_path, f"{HEADER}\n9001,Testing Street Elementary,Testing,K-5,North\n")
    monkeypatch.setenv(ENV_VAR, str(path))
    clear_directory_cache()
    directory = load_directory()
    assert [s.school_code for s in directory.schools] == ["9001"]
    assert load_directory().best_match("testing").school_code == "9001"
    assert load_directory().best_match("roosevelt") is None
    monkeypatch.delenv(ENV_VAR)
    clear_directory_cache()
    assert load_directory().best_match("roosevelt") is not None


def test_load_is_cached_per_path(tmp_path: Path) -> None:
    assert load_directory() is load_directory()
    assert load_directory() is load_directory(SAMPLE_CSV)
    other = write_csv(tmp_path, TWO_ROOSEVELTS)
    assert load_directory(other) is not load_directory()


def test_extra_columns_bom_and_comments_are_accepted(tmp_path: Path) -> None:
    body = f"# district export\n{HEADER},phone\n1234, Breed Street Elementary ,Breed,K-5,East,555\n"
    path = tmp_path / "bom.csv"
    path.write_text("\ufeff" + body, encoding="utf-8")
    directory = load_directory(path)
    assert directory.get("1234").name == "Breed Street Elementary"
    assert directory.get("9999") is None


def test_import_is_light() -> None:
    code = (
        "import sys, bot.schools as s; "
        "assert 'rasa' not in sys.modules; "
        "assert s._load_cached.cache_info().currsize == 0"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)


# --------------------------------------------------------------------------
# Missing or malformed CSV

@pytest.mark.parametrize(
    "body, problem",
    [
        ("", "missing column"),
        ("school_code,name,grades,region\n1,A School,K-5,East\n", "missing column(s) short_name"),
        (f"{HEADER}\n", "no schools"),
        (f"{HEADER}\n1,A School,A,K-5\n", "line 2 has the wrong number of fields"),
        (f"{HEADER}\n1,A School,A,K-5,East,extra\n", "wrong number of fields"),
        (f"# note\n{HEADER}\n1,A School,A,K-5,East\n,B School,B,K-5,East\n", "line 4 has an empty"),
        (f"{HEADER}\n1,A School,A,K-5,East\n1,B School,B,K-5,East\n", "duplicate school_code 1"),
    ],
)
def test_malformed_csv_names_path_and_columns(tmp_path: Path, body: str, problem: str) -> None:
    path = write_csv(tmp_path, body)
    with pytest.raises(SchoolDirectoryError) as error:
        load_directory(path)
    message = str(error.value)
    assert str(path) in message and problem in message and HEADER in message


def test_missing_csv_names_path_and_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nope.csv"
    monkeypatch.setenv(ENV_VAR, str(missing))
    clear_directory_cache()
    with pytest.raises(SchoolDirectoryError, match="not found") as error:
        load_directory()
    assert str(missing) in str(error.value) and HEADER in str(error.value)
    assert isinstance(error.value, ValueError)


def test_non_utf8_csv(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(f"{HEADER}\n1,Escuela Peña,Peña,K-5,East\n".encode("latin-1"))
    with pytest.raises(SchoolDirectoryError, match="cannot be read"):
        load_directory(path)
