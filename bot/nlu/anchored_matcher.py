"""spaCy's Matcher, filed by the words its patterns cannot match without.

spaCy's Matcher tries every pattern at every token. With the lexicons' three thousand
patterns that was most of the parse: 2.6 ms of a message's 2.7 ms of matching in English,
3.0 of 3.2 in Spanish (`benchmarks/matcher.py` prints it). Nearly every pattern has a token
that must be one of a few words (its anchor: "bully", {"IN": ["hit", "punch"]}).
AnchoredMatcher keeps one small Matcher per anchor and runs, for a message, only those
whose anchor word is in it, plus the patterns with no anchor. The matches are the same as
one Matcher's (a unit test compares them on every lexicon pattern and thousands of texts).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# Token attributes an anchor can be read from, and how a token of the Doc shows each.
_TOKEN_VALUE = {
    "NORM": lambda tok: tok.norm_,
    "LEMMA": lambda tok: tok.lemma_,
    "LOWER": lambda tok: tok.lower_,
    "ORTH": lambda tok: tok.text,
    "TEXT": lambda tok: tok.text,
}
# Operators under which a token must be in every match ("?", "*" and "!" need not be).
_REQUIRED_OPS = (None, "+")

Anchor = tuple[str, frozenset[str]]


def _allowed_words(spec: Any) -> frozenset[str] | None:
    """The words a token's attribute accepts, when it is a plain word or an IN list."""
    if isinstance(spec, str):
        return frozenset([spec])
    if isinstance(spec, dict) and set(spec) == {"IN"} and isinstance(spec["IN"], list):
        return frozenset(str(word) for word in spec["IN"])
    return None


def anchor_of(pattern: list[dict[str, Any]]) -> Anchor | None:
    """(attribute, words) of the required token that accepts the fewest words; None when
    no required token is limited to a list of words (such a pattern is always run)."""
    best: Anchor | None = None
    for token in pattern:
        if token.get("OP") not in _REQUIRED_OPS:
            continue
        for attr in _TOKEN_VALUE:
            words = _allowed_words(token.get(attr))
            if words is not None and (best is None or len(words) < len(best[1])):
                best = (attr, words)
    return best


class AnchoredMatcher:
    """`add` patterns under a key as with spaCy's Matcher; calling it on a Doc gives the
    same (key, start, end) matches, in no particular order."""

    def __init__(self, vocab: Any) -> None:
        self._vocab = vocab
        self._always: Any = None
        self._by_anchor: dict[Anchor, Any] = {}
        self._by_word: dict[tuple[str, str], list[Anchor]] = {}
        self._attrs: set[str] = set()  # the attributes some anchor is read from
        self._keys: set[str] = set()

    def _matcher(self) -> Any:
        from spacy.matcher import Matcher  # deferred like extract's spaCy import

        return Matcher(self._vocab, validate=True)

    def add(self, key: str, patterns: Iterable[list[dict[str, Any]]]) -> None:
        self._keys.add(key)
        for pattern in patterns:
            found = anchor_of(pattern)
            if found is None:
                self._always = self._always or self._matcher()
                self._always.add(key, [pattern])
                continue
            if found not in self._by_anchor:
                self._by_anchor[found] = self._matcher()
                attr, words = found
                self._attrs.add(attr)
                for word in words:
                    self._by_word.setdefault((attr, word), []).append(found)
            self._by_anchor[found].add(key, [pattern])

    @property
    def anchor_count(self) -> int:
        return len(self._by_anchor)

    def __len__(self) -> int:
        """The number of keys, as spaCy's Matcher counts them."""
        return len(self._keys)

    def __call__(self, doc: Any) -> list[tuple[int, int, int]]:
        wanted: set[Anchor] = set()
        for tok in doc:
            for attr in self._attrs:
                wanted.update(self._by_word.get((attr, _TOKEN_VALUE[attr](tok)), ()))
        matchers = [self._by_anchor[anchor] for anchor in wanted]
        if self._always is not None:
            matchers.append(self._always)
        return [match for matcher in matchers for match in matcher(doc)]
