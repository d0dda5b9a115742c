"""SMS_SPANISH_GSM7's folding (api.sms.segments.fold_spanish) and the split of a message whose
paragraphs mix GSM-7 and UCS-2 (by_encoding): pure functions, no database."""
import re
import unicodedata

import pytest

from api.sms.segments import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    SPANISH_FOLDS,
    by_encoding,
    fold_spanish,
    is_gsm7,
    journey_cost,
    segment_count,
    shape_reply,
)

SPANISH = ("¿En qué grado está su hijo(a)? Última pregunta: ¿a qué escuela va? Responda PREGUNTAS para "
           "recibirlas por mensaje. Participación y Colaboración, Alegría y Bienestar, 3.º grado, según usted.")


def test_a_folded_spanish_body_is_gsm7_and_costs_gsm7_segments():
    assert not is_gsm7(SPANISH) and segment_count(SPANISH) == 3  # UCS-2: 67 a segment
    folded = fold_spanish(SPANISH)
    assert is_gsm7(folded)
    assert segment_count(folded) == 2  # 189 characters in GSM-7: 153 a segment
    assert len(folded) == len(SPANISH)


def test_only_the_listed_letters_change():
    folded = fold_spanish(SPANISH)
    changed = {(a, b) for a, b in zip(SPANISH, folded, strict=True) if a != b}
    assert changed == {("á", "a"), ("í", "i"), ("ó", "o"), ("ú", "u"), ("Ú", "U"), ("º", "o")}
    assert fold_spanish("ÁÍÓÚ áíóú ª À") == "AIOU aiou a A"


@pytest.mark.parametrize("kept", list("éÉñÑüÜ¿¡àèìòù") + ["¿Qué año?", "¡Niño pingüino! É"])
def test_gsm7_letters_of_spanish_are_kept(kept):
    assert fold_spanish(kept) == kept
    assert is_gsm7(kept)


def test_every_fold_goes_from_outside_gsm7_to_inside():
    for letter, folded in SPANISH_FOLDS.items():
        assert not is_gsm7(letter), letter
        assert folded in GSM7_BASIC, folded


def test_accents_written_as_combining_marks_fold_too():
    decomposed = unicodedata.normalize("NFD", "está aquí, qué niño")
    assert fold_spanish(decomposed) == "esta aqui, qué niño"
    assert is_gsm7(fold_spanish(decomposed))


def test_text_outside_spanish_stays_ucs2():
    # Folding removes the Spanish accents only: an emoji or a curly quote still needs UCS-2.
    for text in ("Gracias 😀", "“Hola”", "Está bien – gracias"):
        assert not is_gsm7(fold_spanish(text))
    assert fold_spanish("Thanks! See you at 3 😀") == "Thanks! See you at 3 😀"
    assert all(fold_spanish(c) == c for c in GSM7_BASIC + GSM7_EXTENSION)


# --- paragraphs grouped by encoding -------------------------------------------------------

HEADLINE = "Sus 8 preguntas sobre Asistencia sobresaliente están listas."
LINK = ("Para verlas o imprimirlas: https://families.example.org/plan/q8oZW9IAX8aeyFc9Gf8Rd-XrCA2JUnmb\n"
        "O responda PREGUNTAS para recibirlas por mensaje.\n1) Agregar preguntas\n2) Siguientes pasos")


def test_a_ucs2_headline_goes_apart_from_a_long_gsm7_paragraph():
    text = f"{HEADLINE}\n\n{LINK}"
    assert segment_count(text) == 4
    assert by_encoding(text) == [HEADLINE, LINK]
    assert journey_cost(by_encoding(text)) == 3
    assert shape_reply([{"text": text}]) == [HEADLINE, LINK]


def test_paragraphs_of_one_encoding_stay_together():
    text = "Hello there.\n\nSee you soon.\n\nBye."
    assert by_encoding(text) == [text]
    spanish = "Está bien.\n\nMañana a las 3, ¿sí?"
    assert by_encoding(spanish) == [spanish]


def test_short_mixed_paragraphs_stay_together_when_apart_costs_as_much():
    text = "Está bien.\n\nSee you."
    assert segment_count(text) == 1
    assert by_encoding(text) == [text]
    assert shape_reply([{"text": text}]) == [text]


def test_grouping_keeps_every_word_in_order_and_never_costs_more():
    texts = [f"{HEADLINE}\n\n{LINK}", f"{LINK}\n\n{HEADLINE}\n\n{LINK}", "a " * 200 + "\n\nqué más\n\nb " * 50]
    for text in texts:
        pieces = by_encoding(text)
        assert re.sub(r"\s+", "", "".join(pieces)) == re.sub(r"\s+", "", text)
        assert journey_cost(pieces) <= segment_count(text)
        parts = shape_reply([{"text": text}])
        assert re.sub(r"\s+|\(\d+/\d+\)", "", "".join(parts)) == re.sub(r"\s+", "", text)
        assert all(segment_count(part) <= 3 for part in parts)
