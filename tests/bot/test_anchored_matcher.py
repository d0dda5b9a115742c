"""bot.nlu.anchored_matcher: the anchor each pattern is filed under, and the same matches
as one spaCy Matcher on every lexicon pattern of both languages."""
from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from bot.nlu import crisis_model, extract
from bot.nlu.anchored_matcher import AnchoredMatcher, anchor_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("pattern", "anchor"), [
    ([{"NORM": "bully"}], ("NORM", {"bully"})),
    # the required token that accepts the fewest words
    ([{"NORM": {"IN": ["hit", "punch", "kick"]}}, {"LEMMA": "me"}], ("LEMMA", {"me"})),
    # optional and negated tokens need not be in a match
    ([{"NORM": "very", "OP": "?"}, {"NORM": {"IN": ["sad", "down"]}}], ("NORM", {"sad", "down"})),
    ([{"NORM": "not", "OP": "!"}, {"NORM": {"IN": ["safe", "ok"]}}], ("NORM", {"safe", "ok"})),
    ([{"NORM": "so", "OP": "*"}, {"LOWER": "tired", "OP": "+"}], ("LOWER", {"tired"})),
    # nothing required is a word: the pattern is run on every message
    ([{"LIKE_NUM": True}, {}], None),
    ([{"NORM": {"REGEX": "^grade"}}], None),
    ([{"NORM": "the", "OP": "?"}, {"IS_DIGIT": True}], None),
])
def test_a_pattern_is_filed_under_the_narrowest_word_it_needs(pattern, anchor) -> None:
    found = anchor_of(pattern)
    assert (found if found is None else (found[0], set(found[1]))) == anchor


def test_patterns_without_an_anchor_and_repeated_keys_still_match() -> None:
    nlp = extract._language("en")[0]
    matcher = AnchoredMatcher(nlp.vocab)
    matcher.add("grade", [[{"NORM": "grade"}, {"LIKE_NUM": True}], [{"LIKE_NUM": True}, {"NORM": "grader"}]])
    matcher.add("number", [[{"LIKE_NUM": True}]])
    doc = nlp("my 3 kids: a 4 grader, and one in grade 7")
    assert len(matcher) == 2
    assert sorted((nlp.vocab.strings[key], doc[i:j].text) for key, i, j in matcher(doc)) == [
        ("grade", "4 grader"), ("grade", "grade 7"), ("number", "3"), ("number", "4"), ("number", "7"),
        ("number", "one")]


def training_texts(lang: str) -> list[str]:
    """The language's intent examples (annotations taken out) and every crisis example."""
    nlu = yaml.safe_load((ROOT / "data" / "nlu" / f"{lang}.yml").read_text(encoding="utf-8"))["nlu"]
    examples = [line[2:] for block in nlu if "intent" in block for line in block["examples"].splitlines()
                if line.startswith("- ")]
    unannotated = [re.sub(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}", r"\1\2", text) for text in examples]
    return unannotated + crisis_model.load_examples(ROOT / "data" / "crisis").texts


@pytest.mark.parametrize("lang", extract.LANGS)
def test_the_lexicon_gives_the_same_matches_as_one_spacy_matcher(lang: str) -> None:
    from spacy.matcher import Matcher

    pipeline = extract._pipeline(lang)
    patterns, _, _ = extract.compiled_lexicon(pipeline.nlp, lang)
    plain = Matcher(pipeline.nlp.vocab)
    for key, pats in patterns.items():
        plain.add(key, copy.deepcopy(pats))
    texts = training_texts(lang)[::3]  # a third (2,000 texts) keeps the test to seconds
    differing = [text for text in texts
                 if set(plain(doc := extract._doc(pipeline, text))) != set(pipeline.matcher(doc))]
    assert len(texts) > 2000
    assert differing == []
