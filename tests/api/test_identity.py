"""Pseudonymous contact ids, phone encryption, masking and log redaction."""
import io
import logging
import re

import pytest
from cryptography.fernet import Fernet

from api.core.identity import (
    PhoneCipher,
    RedactIdentifiers,
    channel_of,
    contact_id,
    mask,
    normalize_address,
    redact,
)

SECRET = b"test-secret-0123456789abcdef"
OTHER_SECRET = b"another-secret-0123456789abcdef"
NUMBER = "+13235550123"


# --- addresses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("+13235550123", "+13235550123"),
        ("  +13235550123\n", "+13235550123"),
        ("whatsapp:+13235550123", "whatsapp:+13235550123"),
        ("WhatsApp:+13235550123", "whatsapp:+13235550123"),
        ("whatsapp: +1 323 555 0123", "whatsapp:+13235550123"),
        ("+1 (323) 555-0123", "+13235550123"),
        ("+1.323.555.0123", "+13235550123"),
        ("+525512345678", "+525512345678"),
        ("+447911123456", "+447911123456"),
        ("+123456789012345", "+123456789012345"),  # 15 digits: the E.164 maximum
        ("+6834002", "+6834002"),  # 7 digits: short numbers exist
    ],
)
def test_normalize_address(raw, expected):
    assert normalize_address(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "", "   ", "+", "hello", "3235550123", "13235550123", "+1323555012a", "+1-323-CALL-NOW",
        "+1234567890123456", "+01235550123", "+123456", "whatsapp:", "whatsapp:3235550123",
        "sms:+13235550123", "messenger:+13235550123", "+1 323 555 0123 ext 4", "++13235550123",
        "+1\t3235550123", "+1/323/555/0123", None, 13235550123, b"+13235550123",
    ],
)
def test_normalize_address_rejects_anything_else(raw):
    with pytest.raises(ValueError):
        normalize_address(raw)


def test_channel_of():
    assert channel_of(NUMBER) == "sms"
    assert channel_of("whatsapp:" + NUMBER) == "whatsapp"


# --- contact ids ---------------------------------------------------------------------


def test_contact_id_shape():
    cid = contact_id(NUMBER, SECRET)
    assert re.fullmatch(r"c_[0-9a-f]{32}", cid)
    assert "3235550123" not in cid


def test_contact_id_is_stable_across_calls_and_formats():
    assert contact_id(NUMBER, SECRET) == contact_id(NUMBER, SECRET)
    assert contact_id("+1 (323) 555-0123", SECRET) == contact_id(NUMBER, SECRET)


def test_different_secrets_give_different_ids():
    assert contact_id(NUMBER, SECRET) != contact_id(NUMBER, OTHER_SECRET)


def test_different_numbers_give_different_ids():
    ids = {contact_id(f"+1323555{n:04d}", SECRET) for n in range(500)}
    assert len(ids) == 500


def test_sms_and_whatsapp_are_different_contacts():
    assert contact_id(NUMBER, SECRET) != contact_id("whatsapp:" + NUMBER, SECRET)


def test_contact_id_is_not_a_plain_hash_of_the_number():
    import hashlib

    assert contact_id(NUMBER, SECRET)[2:] not in hashlib.sha256(NUMBER.encode()).hexdigest()


@pytest.mark.parametrize("secret, error", [
    (b"", ValueError), (b"short", ValueError), ("a-str-secret-0123456789", TypeError),
])
def test_contact_id_needs_a_real_secret(secret, error):
    with pytest.raises(error):
        contact_id(NUMBER, secret)


def test_contact_id_rejects_a_bad_address():
    with pytest.raises(ValueError):
        contact_id("not a phone", SECRET)


# --- encryption ----------------------------------------------------------------------


@pytest.fixture
def cipher():
    return PhoneCipher(Fernet.generate_key())


@pytest.mark.parametrize("address", [NUMBER, "whatsapp:" + NUMBER, "+525512345678"])
def test_encryption_round_trip(cipher, address):
    token = cipher.encrypt(address)
    assert address not in token and address[-10:] not in token
    assert cipher.decrypt(token) == address
    assert cipher.decrypt(token.encode()) == address


def test_encryption_normalizes_first(cipher):
    assert cipher.decrypt(cipher.encrypt("+1 (323) 555-0123")) == NUMBER


def test_encryption_is_randomized(cipher):
    assert cipher.encrypt(NUMBER) != cipher.encrypt(NUMBER)


def test_a_string_key_works():
    key = PhoneCipher.generate_key()
    assert isinstance(key, str)
    assert PhoneCipher(key).decrypt(PhoneCipher(key).encrypt(NUMBER)) == NUMBER


def test_another_key_cannot_decrypt(cipher):
    token = cipher.encrypt(NUMBER)
    with pytest.raises(ValueError):
        PhoneCipher(Fernet.generate_key()).decrypt(token)


def test_a_tampered_token_is_refused(cipher):
    token = cipher.encrypt(NUMBER)
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(ValueError):
        cipher.decrypt(tampered)


def test_encrypting_a_bad_address_fails(cipher):
    with pytest.raises(ValueError):
        cipher.encrypt("hello")


@pytest.mark.parametrize("key", ["", "changethis", "not-base64!!", "c2hvcnQ=", ",", b"x" * 44])
def test_a_bad_key_is_refused(key):
    with pytest.raises(ValueError):
        PhoneCipher(key)


def test_key_rotation():
    old, new = PhoneCipher.generate_key(), PhoneCipher.generate_key()
    token = PhoneCipher(old).encrypt(NUMBER)
    both = PhoneCipher(f"{new},{old}")
    assert both.decrypt(token) == NUMBER
    rotated = both.rotate(token)
    assert PhoneCipher(new).decrypt(rotated) == NUMBER
    with pytest.raises(ValueError):
        PhoneCipher(old).decrypt(rotated)


# --- masking -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address, masked",
    [
        (NUMBER, "+1 ••• ••• 0123"),
        ("+1 (213) 555-0199", "+1 ••• ••• 0199"),
        ("whatsapp:" + NUMBER, "whatsapp:+1 ••• ••• 0123"),
        ("+525512345678", "+••• ••• 5678"),
    ],
)
def test_mask(address, masked):
    assert mask(address) == masked
    assert "323" not in mask(address)


def test_mask_rejects_a_bad_address():
    with pytest.raises(ValueError):
        mask("hello")


# --- redaction -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("+1 (323) 555-0123", "[phone]"),
        ("323-555-0123", "[phone]"),
        ("3235550123", "[phone]"),
        ("whatsapp:+13235550123", "[phone]"),
        ("+13235550123", "[phone]"),
        ("(323) 555-0123", "[phone]"),
        ("323.555.0123", "[phone]"),
        ("323 555 0123", "[phone]"),
        ("1-323-555-0123", "[phone]"),
        ("+52 55 1234 5678", "[phone]"),
        ("from +13235550123 to +12135550199", "from [phone] to [phone]"),
        ("call 323-555-0123 or (213) 555-0199.", "call [phone] or [phone]."),
        ("From=%2B13235550123&To=whatsapp%3A%2B12135550199", "From=[phone]&To=[phone]"),
        ('{"From": "whatsapp:+13235550123"}', '{"From": "[phone]"}'),
        ("+13235550123 2135550199", "[phone] [phone]"),
        ("phone:3235550123.", "phone:[phone]."),
    ],
)
def test_redact_phone_numbers(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-01 12:30:45", "meeting on 05/01/2024 at 3", "h_0123456789",
        "request id 1234567", "grade 5, school code 1234", "took 8.0 seconds", "12345678901234567890",
        "token abc3235550123def", "version 3.11.7", "",
    ],
)
def test_redact_leaves_other_numbers_alone(text):
    assert redact(text) == text


@pytest.fixture
def captured_logger():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactIdentifiers())
    logger = logging.getLogger("tests.api.identity.redaction")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.handlers[:] = []


def test_the_filter_redacts_the_message_and_its_arguments(captured_logger):
    logger, stream = captured_logger
    logger.info("inbound from %s", "whatsapp:+13235550123")
    logger.warning("number +1 (323) 555-0123 in the text, %d messages", 3)
    logger.info("dict %(from)s", {"from": "323-555-0123"})
    logger.info("as a number: %d", 3235550123)
    output = stream.getvalue()
    assert "555" not in output
    assert output.splitlines() == [
        "INFO inbound from [phone]",
        "WARNING number [phone] in the text, 3 messages",
        "INFO dict [phone]",
        "INFO as a number: [phone]",
    ]


def test_the_filter_redacts_exceptions(captured_logger):
    logger, stream = captured_logger
    try:
        raise ValueError("bad address +13235550123")
    except ValueError:
        logger.exception("could not route %s", "+13235550123")
    output = stream.getvalue()
    assert "3235550123" not in output
    assert "ValueError: bad address [phone]" in output
    assert "ERROR could not route [phone]" in output


def test_the_filter_covers_child_loggers_through_the_handler(captured_logger):
    logger, stream = captured_logger
    logging.getLogger("tests.api.identity.redaction.child").info("to %s", "+13235550123")
    assert stream.getvalue() == "INFO to [phone]\n"


def test_the_filter_survives_a_malformed_record(captured_logger, capsys):
    logger, stream = captured_logger
    logger.info("two %s %s", "+13235550123")  # one argument short
    assert stream.getvalue() == "INFO two %s %s ('[phone]',)\n"
    assert "3235550123" not in capsys.readouterr().err  # logging's own error report


def test_the_filter_keeps_records_and_is_idempotent():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "from %s", ("+13235550123",), None)
    phone_filter = RedactIdentifiers()
    assert phone_filter.filter(record) is True
    assert phone_filter.filter(record) is True
    assert record.getMessage() == "from [phone]"


def test_contact_ids_become_their_short_hash_in_logs(captured_logger):
    from api.core.identity import log_id

    logger, stream = captured_logger
    cid = contact_id("+13235550123", SECRET)
    logger.warning("Key (id)=(%s) already exists.", cid)
    assert stream.getvalue() == f"WARNING Key (id)=({log_id(cid)}) already exists.\n"
    assert redact(f"x{cid}") == f"x{cid}"  # only a whole id, not part of a longer word


def test_a_database_errors_detail_line_never_logs_a_contact_id(captured_logger, database_url):
    """hide_parameters hides the statement's values, not PostgreSQL's DETAIL line, which
    quotes the duplicate key: the log filter takes the id out."""
    from sqlalchemy.exc import IntegrityError

    from api.core.db import make_engine, make_session_factory
    from api.core.models import Contact

    logger, stream = captured_logger
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    cid = contact_id("+13235550123", SECRET)
    with sessions() as session:
        session.add(Contact(id=cid, channel="sms", address_encrypted="x"))
        session.commit()
    with sessions() as session:
        session.add(Contact(id=cid, channel="sms", address_encrypted="x"))
        try:
            session.commit()
        except IntegrityError:
            logger.exception("could not store a contact")
    engine.dispose()
    output = stream.getvalue()
    assert "could not store a contact" in output and "IntegrityError" in output
    assert cid not in output
