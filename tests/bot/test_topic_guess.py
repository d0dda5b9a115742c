"""The bot's ranked guesses at a priority described in other words (bot/nlu/topic_guess.py)."""
from __future__ import annotations

import pytest

from bot.nlu import topic_guess
from bot.nlu.topic_guess import guess_priorities

GUIDE_PRIORITIES = {"1A", "1B", "1C", "1D", "2A", "2B", "2C", "2D", "3A", "3B"}


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("how good the teaching is", "en", "1A"),
    ("i worry about how they teach reading", "en", "1A"),
    ("los maestros no enseñan bien", "es", "1A"),
    ("he loves painting and drawing", "en", "1B"),
    ("quiero que haya mas clubes y arte", "es", "1B"),
    ("black and latino students falling through the cracks", "en", "1C"),
    ("kids with disabilities don't get the same chances", "en", "1C"),
    ("my kid wants to go to college", "en", "1D"),
    ("universities and scholarships", "en", "1D"),
    ("kids are mean to her and she feels she doesnt belong", "en", "2A"),
    ("lo molestan mucho", "es", "2A"),
    ("mental health, is there a counselor", "en", "2B"),
    ("comida mas sana", "es", "2B"),
    ("he cant control his temper", "en", "2C"),
    ("me preocupa que no tenga amigos", "es", "2C"),
    ("she is always absent", "en", "2D"),
    ("we keep arriving late", "en", "2D"),
    ("quiero participar mas", "es", "3A"),
    ("no se que pasa en la escuela nunca me informan", "es", "3B"),
    ("the school should send updates more often", "en", "3B"),
    ("deberian mandar avisos mas seguido", "es", "3B"),
])
def test_a_description_in_other_words_puts_its_priority_first(text, lang, expected):
    guesses = guess_priorities(text, lang)
    assert guesses and guesses[0][0] == expected, guesses


@pytest.mark.parametrize(("text", "lang"), [
    # the brief's out-of-scope examples, and more of the same kind
    ("what's for lunch", "en"), ("what's for lunch today", "en"), ("when does the bus come", "en"),
    ("what time is pickup", "en"), ("is school open tomorrow", "en"), ("what is the weather", "en"),
    ("tell me a joke", "en"), ("how do i enroll", "en"), ("he lost his jacket", "en"), ("uniforms", "en"),
    ("when is the soccer game", "en"),
    ("que hay de comer", "es"), ("a que hora es la salida", "es"), ("a que hora sale el camion", "es"),
    ("cuentame un chiste", "es"), ("perdio su chamarra", "es"),
    # gibberish, empty, emoji
    ("zzz qqq", "en"), ("asdf qwer", "en"), ("xyz abc", "es"), ("", "es"), ("   ", "en"), ("👍", "en"), ("ok", "en"),
])
def test_out_of_scope_and_gibberish_give_no_guess(text, lang):
    assert guess_priorities(text, lang) == []


def test_guesses_are_few_ranked_and_guide_priorities_only():
    for text, lang in (("the teachers and the counselor and the clubs", "en"), ("maestros, consejero y clubes", "es")):
        guesses = guess_priorities(text, lang, limit=3)
        assert 1 <= len(guesses) <= 3
        scores = [score for _, score in guesses]
        assert scores == sorted(scores, reverse=True)
        assert {pid for pid, _ in guesses} <= GUIDE_PRIORITIES
        assert all(score >= topic_guess.RELATIVE_FLOOR * scores[0] for score in scores)
    assert len(guess_priorities("the teachers and the counselor and the clubs", "en", limit=1)) == 1
    assert guess_priorities("the teachers and the counselor and the clubs", "en", limit=0) == []


def test_every_guide_priority_can_be_guessed_from_its_own_name_in_both_languages():
    from bot.guide.model import load_guide
    from bot.i18n import translate

    for priority in load_guide().guide_priorities():
        for lang in ("en", "es"):
            guesses = guess_priorities(translate(priority.name, lang), lang)
            assert guesses and guesses[0][0] == priority.id, (priority.id, lang, guesses)


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("mental helth counselor", "en", "2B"), ("mental helth", "en", "2B"), ("atendance", "en", "2D"),
    ("bulying", "en", "2A"), ("hgh qualty instrction", "en", "1A"), ("maestrso", "es", "1A"),
    ("salud mentl", "es", "2B"),
])
def test_typos_still_match(text, lang, expected):
    guesses = guess_priorities(text, lang)
    assert guesses and guesses[0][0] == expected, guesses


def test_out_of_scope_words_beat_a_weak_priority_word():
    # "time" appears in the guide's text (1C: "during the school day"), but a pickup
    # question is not a topic; "lunch" alone is a 2B worry word, "what's for lunch" is not.
    assert guess_priorities("what time is pickup", "en") == []
    assert guess_priorities("the lunch is cold and bad", "en")[0][0] == "2B"


def test_language_codes_are_forgiving():
    assert guess_priorities("salud mental", "es-MX")[0][0] == "2B"
    assert guess_priorities("mental health", None)[0][0] == "2B"  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("they keep sending substitutes and nobody teaches science", "en", "1A"),
    ("hgh qualty instrction", "en", "1A"),
    ("he loves painting and drawing", "en", "1B"),
    ("comida mas sana", "es", "2B"),
])
def test_a_clear_lead_is_taken_without_asking(text, lang, expected):
    assert topic_guess.confident_guess(text, lang) == expected
    assert guess_priorities(text, lang)[0][0] == expected  # the same first guess the numbered choice offers


@pytest.mark.parametrize(("text", "lang"), [
    ("the teachers and the counselor and the clubs", "en"),  # three topics: offered as a choice
    ("quiero participar mas", "es"),  # too little shared with any priority
    ("what time is pickup", "en"), ("zzz qqq", "en"), ("", "es"),
])
def test_an_unsure_or_empty_guess_is_not_taken(text, lang):
    assert topic_guess.confident_guess(text, lang) is None


def test_a_runner_up_close_behind_makes_the_guess_unsure(monkeypatch):
    monkeypatch.setattr(topic_guess, "guess_priorities", lambda text, lang, limit=3: [("1A", 4.0), ("2C", 2.5)])
    assert topic_guess.confident_guess("anything", "en") is None
    monkeypatch.setattr(topic_guess, "guess_priorities", lambda text, lang, limit=3: [("1A", 4.0), ("2C", 2.0)])
    assert topic_guess.confident_guess("anything", "en") == "1A"
    monkeypatch.setattr(topic_guess, "guess_priorities", lambda text, lang, limit=3: [("1A", 1.9)])
    assert topic_guess.confident_guess("anything", "en") is None


class TestGuessedTopicEntity:
    """bot.rasa.components.guessed_topic_entity: the NLU's last step for a chosen topic
    that no lexicon pattern named."""

    text = "they keep sending substitutes and nobody teaches science"

    def guessed(self, intent, text, entities):
        from bot.rasa.components import guessed_topic_entity
        return guessed_topic_entity(intent, text, entities)

    def test_a_chosen_topic_in_other_words_gets_the_leading_priority(self):
        found = self.guessed("choose_topic", self.text, [])
        assert found == [{"entity": "priority", "value": "1A", "start": 0, "end": len(self.text), "text": self.text}]

    @pytest.mark.parametrize("intent", ["inform", "out_of_scope", "crisis", "nlu_fallback", None])
    def test_only_a_chosen_topic_is_guessed(self, intent):
        assert self.guessed(intent, self.text, []) == []

    @pytest.mark.parametrize("named", [{"entity": "priority", "value": "2D", "start": 0, "end": 4},
                                       {"entity": "pillar", "value": "3", "start": 0, "end": 4}])
    def test_a_named_topic_is_never_second_guessed(self, named):
        assert self.guessed("choose_topic", self.text, [named]) == []

    def test_the_childs_details_are_no_evidence(self):
        # "gifted" is 1B's word; blanked as the need it is, nothing is left to guess from.
        text = "she is gifted"
        assert self.guessed("choose_topic", text, []) != []
        need = {"entity": "need", "value": "gifted", "start": 7, "end": 13}
        assert self.guessed("choose_topic", text, [need]) == []
