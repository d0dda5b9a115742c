"""Attacks on the signed Twilio webhooks, found by probing the running stack: a captured
request re-signed by moving the boundary between parameters, duplicate and unknown
parameters, identifiers of the wrong shape, delivery statuses Twilio never sends or that
move a message backwards, and control characters in a signed body. Every form is signed
by the twilio library itself, so each one passes the signature check and reaches the
validation it tests."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest
from twilio.request_validator import RequestValidator

from api.core.models import Contact, InboundMessage, OutboundMessage
from api.sms import delivery
from api.sms.inbound import (
    INBOUND_PARAMETERS,
    NUMBERED_INBOUND_PARAMETER,
    STATUS_PARAMETERS,
    BadForm,
    check_names,
    parse_inbound,
    parse_status,
)
from bot.text import without_control_characters
from devtools.twilio_standin import status_callback_params
from tests.api.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PARENT,
    PUBLIC_BASE_URL,
    inbound_params,
    post_signed,
    sign,
    table_count,
    table_rows,
    text_the_bot,
    twiml_messages,
)

SMS = "/webhooks/twilio/sms"
STATUS = "/webhooks/twilio/status"
SID = "SM" + "ab" * 16


def count(settings, model) -> int:
    return table_count(settings.DATABASE_URL, model)


def contact(settings):
    (row,) = table_rows(settings.DATABASE_URL, Contact)
    return row


def post_raw(client, path: str, body: str, signature: str):
    return client.post(path, content=body.encode("utf-8"), headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})


def boundary_shifted(params: dict) -> dict:
    """The attack: NumMedia's name and value appended to MessageSid's value and NumMedia
    dropped. Twilio signs URL + name + value for the sorted names, concatenated with no
    separator, so "MessageSid" + "<sid>NumMedia0" + "NumSegments..." is the same string as
    before and the captured signature still holds, for what looks like a new MessageSid."""
    forged = {name: value for name, value in params.items() if name != "NumMedia"}
    forged["MessageSid"] = params["MessageSid"] + "NumMedia" + params["NumMedia"]
    return forged


# --- a captured webhook replayed as a new message ---------------------------------------


def test_the_forged_form_keeps_a_valid_signature():
    params = inbound_params("START")
    signature = sign(SMS, params)
    assert RequestValidator(AUTH_TOKEN).validate(PUBLIC_BASE_URL + SMS, boundary_shifted(params), signature)


def test_a_boundary_shifted_replay_makes_no_second_turn(client, settings, rasa_peer):
    params = inbound_params("my son keeps missing school")
    signature = sign(SMS, params)
    assert twiml_messages(post_signed(client, SMS, params, signature=signature))
    replay = post_signed(client, SMS, boundary_shifted(params), signature=signature)
    assert replay.status_code == 400 and "MessageSid" in replay.json()["detail"]
    assert len(rasa_peer.received) == 1 and count(settings, InboundMessage) == 1


def test_a_captured_start_replayed_after_stop_does_not_opt_the_parent_back_in(client, settings, rasa_peer):
    start = inbound_params("START")
    captured = sign(SMS, start)
    post_signed(client, SMS, start, signature=captured)
    text_the_bot(client, "STOP")
    assert contact(settings).opted_out
    replay = post_signed(client, SMS, boundary_shifted(start), signature=captured)
    assert replay.status_code == 400 and "Welcome back" not in replay.text
    assert contact(settings).opted_out


# --- parameters: duplicates, unknown names ----------------------------------------------


def test_a_repeated_parameter_is_refused(client, settings, rasa_peer):
    params = inbound_params("hello")
    body = urlencode(params) + "&" + urlencode({"Body": "STOP"})
    signature = sign(SMS, dict(parse_qsl(body)))  # what a dict-based check would have accepted
    response = post_raw(client, SMS, body, signature)
    assert response.status_code == 400 and "Body" in response.json()["detail"]
    assert count(settings, Contact) == 0 and rasa_peer.received == []


def test_an_unknown_parameter_is_refused(client, settings, rasa_peer):
    params = {**inbound_params("hello"), "MessageSidNumMedia": "0"}
    response = post_signed(client, SMS, params)
    assert response.status_code == 400 and "MessageSidNumMedia" in response.json()["detail"]
    assert count(settings, Contact) == 0 and rasa_peer.received == []


def test_twilios_documented_optional_parameters_are_accepted(client, rasa_peer):
    params = {**inbound_params("hola"), "MessagingServiceSid": "MG" + "0" * 32, "FromCity": "LOS ANGELES",
              "FromState": "CA", "FromZip": "90012", "FromCountry": "US", "ToCity": "", "ToState": "CA",
              "ToZip": "", "ToCountry": "US"}
    assert twiml_messages(post_signed(client, SMS, params))


def test_whatsapp_parameters_are_accepted(client, rasa_peer):
    params = {**inbound_params("hola", from_="whatsapp:+13235550123"), "ProfileName": "Ana", "WaId": "13235550123",
              "Forwarded": "true", "ReferralNumMedia": "0", "OriginalRepliedMessageSid": "SM" + "1" * 32}
    params["To"] = "whatsapp:+15005550006"
    assert twiml_messages(post_signed(client, SMS, params))


def test_an_operator_can_allow_a_parameter_twilio_added_later(tmp_path, database_url, rasa_peer, twilio_standin):
    from fastapi.testclient import TestClient

    from api.main import create_app
    from tests.api.conftest import make_settings

    settings = make_settings(tmp_path, database_url, rasa_peer.url, twilio_standin.state.url,
                             TWILIO_EXTRA_PARAMETERS="MessageType, ChannelPrefix")
    with TestClient(create_app(settings, run_scheduler=False), base_url=PUBLIC_BASE_URL) as client:
        response = post_signed(client, SMS, {**inbound_params("hello"), "MessageType": "text"})
    assert response.status_code == 200 and twiml_messages(response)


def test_media_parameters_are_numbered_from_zero():
    check_names(["MediaUrl0", "MediaContentType0", "MediaUrl9", "MediaUrl10"], INBOUND_PARAMETERS,
                NUMBERED_INBOUND_PARAMETER)
    for name in ("MediaUrl", "MediaUrl01", "MediaUrl-1", "MediaUrl100", "mediaurl0"):
        with pytest.raises(BadForm):
            check_names([name], INBOUND_PARAMETERS, NUMBERED_INBOUND_PARAMETER)
    with pytest.raises(BadForm):  # a status callback has no media
        check_names(["MediaUrl0"], STATUS_PARAMETERS)


# --- identifiers ---------------------------------------------------------------------------


@pytest.mark.parametrize("field,value", [
    ("MessageSid", "SM1"),
    ("MessageSid", "SM" + "g" * 32),
    ("MessageSid", "XX" + "0" * 32),
    ("MessageSid", SID + "0"),
    ("SmsSid", "SM" + "cd" * 16),  # disagrees with MessageSid
    ("SmsMessageSid", "SM" + "cd" * 16),
    ("AccountSid", "AC" + "1" * 32),  # another account
    ("AccountSid", "AC1"),
    ("MessagingServiceSid", "MG1"),
])
def test_identifiers_of_the_wrong_shape_or_value_are_refused(client, settings, rasa_peer, field, value):
    params = inbound_params("hello", sid=SID)
    params[field] = value
    response = post_signed(client, SMS, params)
    assert response.status_code == 400 and field in response.json()["detail"]
    assert count(settings, Contact) == 0 and rasa_peer.received == []


def test_an_inbound_form_without_account_sid_is_refused(client, settings):
    params = inbound_params("hello")
    del params["AccountSid"]
    assert post_signed(client, SMS, params).status_code == 400
    assert count(settings, Contact) == 0


def test_an_mms_sid_and_a_form_with_only_message_sid_are_accepted():
    for sid in ("MM" + "0123456789abcdef" * 2, "SM" + "0123456789ABCDEF" * 2):
        form = {"MessageSid": sid, "AccountSid": ACCOUNT_SID, "From": PARENT, "Body": "hi"}
        assert parse_inbound(form, ACCOUNT_SID).message_sid == sid


# --- control characters ----------------------------------------------------------------


def test_nul_and_control_characters_are_dropped_before_storage(client, settings, rasa_peer):
    """PostgreSQL refuses a NUL in a text column: unhandled, that was a 500."""
    rasa_peer.status = 500  # the body is kept for a retry: stored as received
    response = text_the_bot(client, "hi\x00 there\x07\x1b, line\nnext\ttab")
    assert response.status_code == 200
    (kept,) = table_rows(settings.DATABASE_URL, InboundMessage)
    assert kept.body == "hi there, line\nnext\ttab"


def test_clean_text_keeps_what_a_message_can_hold():
    assert without_control_characters("¿Qué tal? 👋🏽\r\nbien\t(2)") == "¿Qué tal? 👋🏽\r\nbien\t(2)"
    assert without_control_characters("\x00\x01\x1f\x7fok") == "ok"


# --- status callbacks ----------------------------------------------------------------------


def status_params(sid: str, status: str, error: str = "") -> dict:
    params = {"AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "From": "+15005550006", "MessageSid": sid,
              "MessageStatus": status, "SmsSid": sid, "SmsStatus": status, "To": PARENT}
    if error:
        params["ErrorCode"] = error
    return params


def sent_message(settings, sid: str = SID, status: str = "queued") -> str:
    from api.core.db import make_engine, make_session_factory

    engine = make_engine(settings.DATABASE_URL)
    with make_session_factory(engine)() as session:
        session.add(Contact(id="c_1", channel="sms", address_encrypted="x"))
        session.add(OutboundMessage(contact_id="c_1", kind="reply", via="rest", segments=1, twilio_sid=sid,
                                    status=status))
        session.commit()
    engine.dispose()
    return sid


def stored_status(settings, sid: str = SID) -> str:
    (row,) = [r for r in table_rows(settings.DATABASE_URL, OutboundMessage) if r.twilio_sid == sid]
    return row.status


def test_the_standins_status_callbacks_are_accepted(client, settings):
    sid = sent_message(settings)
    message = {"account_sid": ACCOUNT_SID, "from": "+15005550006", "sid": sid, "to": PARENT}
    for status in ("sent", "delivered"):
        assert post_signed(client, STATUS, status_callback_params(message, status)).status_code == 204
    assert stored_status(settings) == "delivered"


@pytest.mark.parametrize("status", ["bogus", "DELIVERED!", "delivered2", "x" * 16])
def test_a_status_twilio_never_sends_is_refused(client, settings, status):
    sent_message(settings)
    response = post_signed(client, STATUS, status_params(SID, status))
    assert response.status_code == 400
    assert stored_status(settings) == "queued"


@pytest.mark.parametrize("field,value", [
    ("MessageSid", "SM1"), ("SmsSid", "SM" + "cd" * 16), ("AccountSid", "AC" + "1" * 32), ("ErrorCode", "30003x"),
    ("Unexpected", "1"),
])
def test_a_status_callback_with_a_bad_field_is_refused(client, settings, field, value):
    sent_message(settings)
    response = post_signed(client, STATUS, {**status_params(SID, "delivered"), field: value})
    assert response.status_code == 400 and field in response.json()["detail"]
    assert stored_status(settings) == "queued"


def test_a_repeated_status_parameter_is_refused(client, settings):
    sent_message(settings)
    body = urlencode(status_params(SID, "sent")) + "&MessageStatus=failed"
    response = post_raw(client, STATUS, body, sign(STATUS, dict(parse_qsl(body))))
    assert response.status_code == 400 and "MessageStatus" in response.json()["detail"]
    assert stored_status(settings) == "queued"


def test_documented_status_callback_extras_are_accepted(client, settings):
    sent_message(settings)
    params = {**status_params(SID, "undelivered", "30003"), "RawDlrDoneDate": "2605201200",
              "ChannelPrefix": "whatsapp", "ChannelInstallSid": "XE" + "0" * 32, "ChannelStatusMessage": "x",
              "EventType": "READ", "MessagingServiceSid": "MG" + "0" * 32}
    assert post_signed(client, STATUS, params).status_code == 204
    assert stored_status(settings) == "undelivered"


def test_a_delivered_message_never_becomes_failed(client, settings):
    sent_message(settings)
    for status in ("sent", "delivered", "failed", "undelivered", "sending", "queued"):
        assert post_signed(client, STATUS, status_params(SID, status)).status_code == 204
    assert stored_status(settings) == "delivered"


def test_read_after_delivered_moves_forward(client, settings):
    sent_message(settings)
    for status in ("delivered", "read", "delivered"):
        post_signed(client, STATUS, status_params(SID, status))
    assert stored_status(settings) == "read"


def test_a_failed_message_stays_failed(client, settings):
    sent_message(settings)
    for status in ("failed", "sent", "delivered", "read"):
        post_signed(client, STATUS, status_params(SID, status))
    assert stored_status(settings) == "failed"


def test_statuses_are_twilios_documented_ones():
    documented = {"queued", "sending", "sent", "failed", "delivered", "undelivered", "receiving", "received",
                  "accepted", "scheduled", "read", "partially_delivered", "canceled"}
    assert documented == delivery.MESSAGE_STATUSES
    assert set(delivery.STATUS_ORDER) | delivery.FAILURES == delivery.MESSAGE_STATUSES


@pytest.mark.parametrize("current,new,moves", [
    ("accepted", "queued", True), ("queued", "sending", True), ("sending", "sent", True), ("sent", "delivered", True),
    ("sent", "partially_delivered", True), ("partially_delivered", "delivered", True), ("delivered", "read", True),
    ("queued", "failed", True), ("sent", "undelivered", True), ("scheduled", "canceled", True),
    ("queued", "delivered", True),  # a "sent" callback can be lost or late
    ("sent", "queued", False), ("sent", "sent", False), ("delivered", "failed", False),
    ("delivered", "undelivered", False), ("read", "delivered", False), ("undelivered", "delivered", False),
    ("failed", "sent", False), ("canceled", "queued", False), ("undelivered", "read", False),
    ("replied", "delivered", True),  # a status this api records itself, before any callback
])
def test_statuses_only_move_forward(current, new, moves):
    assert delivery.moves_forward(current, new) is moves


def test_parse_status_reads_what_record_status_needs():
    update = parse_status(status_params(SID, "Undelivered", "30003"), ACCOUNT_SID)
    assert (update.message_sid, update.status, update.error_code) == (SID, "undelivered", "30003")
    with pytest.raises(BadForm):
        parse_status(status_params(SID, ""), ACCOUNT_SID)
