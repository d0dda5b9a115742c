"""SMS consent keywords (CTIA guidelines, TCPA): opt-out, opt-in and help, in English and
Spanish. Pure functions, no I/O.

A keyword counts only as the whole message (case, accents, surrounding spaces and
trailing punctuation ignored): "STOP", "stop.", "Alto!" are keywords; "please stop texting
me" is not, but looks_like_stop_request() recognizes it so the api can tell the parent how
to opt out. For the wiring: YES/HELP/INFO/INICIO are also ordinary answers in a
conversation, so the api should act on "opt_in" only for a contact who opted out, and may
let the bot answer "help" in context after the required help reply.
"""
from __future__ import annotations

import re

from bot.text import without_accents

OPT_OUT, OPT_IN, HELP = "opt_out", "opt_in", "help"

# keyword -> (kind, language); language None when the word is the same in both.
KEYWORDS: dict[str, tuple[str, str | None]] = {
    # Opt-out: CTIA's list as Twilio applies it (STOP ... QUIT, REVOKE, OPTOUT), then Spanish.
    "STOP": (OPT_OUT, "en"),
    "STOPALL": (OPT_OUT, "en"),
    "UNSUBSCRIBE": (OPT_OUT, "en"),
    "CANCEL": (OPT_OUT, "en"),
    "END": (OPT_OUT, "en"),
    "QUIT": (OPT_OUT, "en"),
    "REVOKE": (OPT_OUT, "en"),
    "OPTOUT": (OPT_OUT, "en"),
    "ALTO": (OPT_OUT, "es"),
    "PARAR": (OPT_OUT, "es"),
    "PARE": (OPT_OUT, "es"),
    "BAJA": (OPT_OUT, "es"),
    "CANCELAR": (OPT_OUT, "es"),
    # Opt-in
    "START": (OPT_IN, "en"),
    "UNSTOP": (OPT_IN, "en"),
    "YES": (OPT_IN, "en"),
    "ALTA": (OPT_IN, "es"),
    "INICIO": (OPT_IN, "es"),
    # Help
    "HELP": (HELP, "en"),
    "AYUDA": (HELP, "es"),
    "INFO": (HELP, None),
}

# Spellings people type for the two-word keywords.
_ALIASES = {"OPT OUT": "OPTOUT", "OPT-OUT": "OPTOUT", "STOP ALL": "STOPALL", "UN STOP": "UNSTOP"}

_EDGE_PUNCTUATION = " \t\r\n.,;:!?¡¿'\"“”‘’()[]*~-_…"

# Natural-language requests to stop, matched on the folded text (lower case, no accents,
# no apostrophes). Each pattern needs a verb of messaging or an object like "me"/"list" so
# that "stop" in "bus stop" or "cancel the meeting" is not taken for an opt-out.
_STOP_REQUESTS = [
    # English
    r"\b(stop|quit|cease|no more)\s+(texting|txting|messaging|msging|sending|contacting|writing|bothering)\b",
    r"\b(dont|do not|never|pls dont|please dont)\s+"
    r"(text|txt|message|msg|sms|contact|write|call)\s+(me|us|this number)\b",
    r"\b(dont|do not|never)\s+send\s+(me|us)\s+(any\s+)?(more\s+)?(texts?|messages?|msgs?|sms)\b",
    r"\b(remove|take|delete)\s+(me|us|my number|this number)\s+(off|from)\b",
    r"\bno\s+(more|longer want)\s+(texts?|messages?|msgs?|sms)\b",
    r"\b(unsubscribe|opt\s*-?\s*out)\b",
    r"\bleave me alone\b",
    r"\bwrong number\b",
    r"^(please\s+|pls\s+|por favor\s+)?(stop|alto|parar|paren)(\s+(it|now|already|please|pls|plz|lol|haha|"
    r"ok|thanks|thank you|por favor|ya|gracias))+$",
    r"^(por favor|please)\s+(stop|alto|paren|parar)$",
    # Spanish
    r"\bno\s+me\s+(escriban|escriba|escribas|contacten|contacte|molesten|moleste|texteen|textee)\b",
    r"\bno\s+me\s+(manden|mande|mandes|envien|envie|envies)\s+(mas\s+)?(mensajes|textos|mensajitos|nada|mas)\b",
    r"\b(dejen|deje|dejes|dejar)\s+de\s+(mandar|enviar|escribir|molestar|textear)(me)?\b",
    r"\b(darme|darse|dar|dame|denme|deme)\s+de\s+baja\b",
    r"\bya\s+no\s+quiero\s+(recibir\s+)?(mas\s+)?(mensajes|textos)\b",
    r"\b(cancelar|cancelen|cancele)\s+(la\s+|mi\s+)?(suscripcion|subscripcion)\b",
    r"\b(quitenme|quiteme|sacame|saquenme|sacarme|quitarme|borrenme|borren mi numero|quiten mi numero)\b",
    r"\bnumero equivocado\b",
]
_STOP_REQUEST = re.compile("|".join(f"(?:{pattern})" for pattern in _STOP_REQUESTS))


def fold(text: str) -> str:
    """Lower case, accents removed, spaces collapsed: how keywords and requests are compared."""
    return " ".join(without_accents(text).casefold().split())


def canonical_keyword(text: str | None) -> str | None:
    """The keyword ("STOP", "ALTO", ...) when the whole message is one, else None."""
    if not text:
        return None
    word = fold(text).strip(_EDGE_PUNCTUATION).upper()
    word = _ALIASES.get(word, word)
    return word if word in KEYWORDS else None


def classify(text: str | None) -> str | None:
    """"opt_out", "opt_in" or "help" when the whole message is a keyword, else None."""
    keyword = canonical_keyword(text)
    return KEYWORDS[keyword][0] if keyword else None


def keyword_language(text: str | None) -> str | None:
    """"en" or "es" for a keyword in that language; None for INFO (both) or no keyword."""
    keyword = canonical_keyword(text)
    return KEYWORDS[keyword][1] if keyword else None


def looks_like_stop_request(text: str | None) -> bool:
    """True for a message that asks in words to stop messages ("please stop texting me",
    "ya no me manden mensajes") without being a keyword; False for the keywords
    themselves, which classify() already handles."""
    if not text or canonical_keyword(text) is not None:
        return False
    folded = fold(text).replace("'", "").replace("’", "").strip(_EDGE_PUNCTUATION)
    folded = re.sub(r"[!?.,;]+", " ", folded)
    return bool(_STOP_REQUEST.search(" ".join(folded.split())))
