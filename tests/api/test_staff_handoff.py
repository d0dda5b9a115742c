"""What the bot hands over becomes the staff's summary and inbox; a staff member takes a
conversation, the bot stays silent while they hold it, their replies reach the parent by
SMS (the Twilio stand-in) or in the widget, and handing it back lets the bot answer again.
On SQLite and PostgreSQL, through the real doors; the bot is the scripted Rasa peer."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from api.core.models import AuditEntry, Conversation, Handoff, StaffEvent, StaffMessage, utcnow
from api.staff import record
from tests.api.conftest import PARENT, standin_messages, table_rows, text_the_bot
from tests.api.staff_helpers import SCHOOL_A, bot_says, create, csrf_of, sign_in, sms_conversation


def conversation(settings, contact_id):
    return next(c for c in table_rows(settings.DATABASE_URL, Conversation) if c["contact_id"] == contact_id)


@pytest.fixture
def staff_a(settings):
    return create(settings, "staff.a@lausd.example.org", "school_staff", [SCHOOL_A], name="Ana Staff")


# --- the summary -------------------------------------------------------------------------

def test_the_summary_is_kept_turn_by_turn_from_what_the_bot_hands_over(client, rasa_peer, settings):
    cid = sms_conversation(client, rasa_peer, school_code=SCHOOL_A, pillar="2", priority="2D", grade_band="elementary",
                           needs=["english_learner", "gifted"], steps_done=[2, 3, 4], language="es")
    row = conversation(settings, cid)
    assert (row["school_code"], row["pillar"], row["priority"], row["grade_band"]) == (SCHOOL_A, "2", "2D",
                                                                                      "elementary")
    assert row["needs"] == ["english_learner", "gifted"] and row["language"] == "es" and row["channel"] == "sms"
    assert record.steps_of(row["steps_done"]) == [2, 3, 4] and row["handoff_state"] == "none"
    # The next turn's summary replaces it: a meeting saved, the plan made.
    bot_says(rasa_peer, school_code=SCHOOL_A, pillar="2", priority="2D", plan_ready=True, steps_done=[2, 3, 5, 6],
             meeting_time="2026-12-08T15:00:00-08:00", staff_event={"type": "meeting_scheduled"})
    text_the_bot(client, "next tuesday at 3")
    row = conversation(settings, cid)
    assert row["plan_ready"] and row["meeting_at"].isoformat().startswith("2026-12-08T23:00")
    assert [e["type"] for e in table_rows(settings.DATABASE_URL, StaffEvent)] == ["meeting_scheduled"]


@pytest.mark.parametrize("field, bad", [
    ("school_code", "<script>"), ("priority", "9Z"), ("pillar", "pillar one"), ("grade_band", "3rd"),
    ("meeting_time", "next tuesday"), ("language", "klingon"),
])
def test_a_malformed_field_from_the_bot_is_left_out(client, rasa_peer, settings, field, bad):
    cid = sms_conversation(client, rasa_peer, **{field: bad})
    row = conversation(settings, cid)
    column = {"meeting_time": "meeting_at"}.get(field, field)
    assert row[column] in (None, "en")  # the language stays the one the api knew


def test_the_school_in_the_parents_own_words_is_cut_to_size(client, rasa_peer, settings):
    cid = sms_conversation(client, rasa_peer, school_text="  the school on " + "x" * 400,
                           needs=["bogus need!", "gifted"])
    row = conversation(settings, cid)
    assert row["school_text"].startswith("the school on ") and len(row["school_text"]) == record.MAX_SCHOOL_TEXT
    assert row["needs"] == ["gifted"]


def test_staff_events_put_a_conversation_in_the_inbox_crisis_first(client, rasa_peer, settings):
    cid = sms_conversation(client, rasa_peer, staff_event={"type": "repeated_misunderstanding"})
    row = conversation(settings, cid)
    assert (row["handoff_state"], row["handoff_reason"], row["misunderstood"]) == ("waiting", "misunderstood", True)
    bot_says(rasa_peer, staff_event={"type": "safety_flag", "reason": "crisis_message"}, safety_flag=True)
    text_the_bot(client, "...")
    row = conversation(settings, cid)
    assert row["handoff_reason"] == "crisis" and row["safety_flag"]
    [handoff] = table_rows(settings.DATABASE_URL, Handoff)  # the same request, made more urgent
    assert handoff["reason"] == "crisis"
    bot_says(rasa_peer, staff_event={"type": "handoff_requested"})
    text_the_bot(client, "a person please")
    assert conversation(settings, cid)["handoff_reason"] == "crisis"  # never less urgent
    assert [e["type"] for e in table_rows(settings.DATABASE_URL, StaffEvent)] == [
        "repeated_misunderstanding", "safety_flag", "handoff_requested"]


def test_a_staff_event_of_an_unknown_kind_is_ignored(client, rasa_peer, settings):
    sms_conversation(client, rasa_peer, staff_event={"type": "chat_log", "text": "the parent said ..."})
    assert table_rows(settings.DATABASE_URL, StaffEvent) == []


# --- an SMS parent ----------------------------------------------------------------------------

def test_an_sms_parent_gets_a_person_and_then_the_assistant_back(client, rasa_peer, twilio_standin, settings, staff_a):
    cid = sms_conversation(client, rasa_peer, body="talk to a person", school_code=SCHOOL_A, language="es",
                           staff_event={"type": "handoff_requested"}, handoff_requested=True)
    turns_seen = len(rasa_peer.received)
    sign_in(client, staff_a)
    inbox = client.get("/staff/inbox").text
    assert cid[:10] in inbox and "Asked for a person" in inbox

    token = csrf_of(client, f"/staff/conversations/{cid}")
    assert client.post(f"/staff/conversations/{cid}/take", data={"csrf_token": token}).status_code == 200
    joined = standin_messages(twilio_standin, PARENT)
    assert len(joined) == 1 and "centro de padres" in joined[0]["body"]  # in the parent's language

    # The parent writes: nothing goes to the bot, nothing is answered, staff see it.
    response = text_the_bot(client, "my son is being bullied, can someone call me?")
    assert response.status_code == 200 and "<Message>" not in response.text
    assert len(rasa_peer.received) == turns_seen
    page = client.get(f"/staff/conversations/{cid}/transcript").text
    assert "my son is being bullied, can someone call me?" in page
    assert "Ana Staff (staff)" in page and "centro de padres" in page  # the notice, on the staff's side

    sent = client.post(f"/staff/conversations/{cid}/reply",
                       data={"message": "Hola, le llamo en 10 minutos.", "csrf_token": token})
    assert "Your reply was sent." in sent.text
    assert standin_messages(twilio_standin, PARENT)[-1]["body"] == "Hola, le llamo en 10 minutos."

    client.post(f"/staff/conversations/{cid}/return", data={"csrf_token": token})
    assert "Asistente" in standin_messages(twilio_standin, PARENT)[-1]["body"]
    row = conversation(settings, cid)
    assert row["handoff_state"] == "none" and row["held_by"] is None
    [handoff] = table_rows(settings.DATABASE_URL, Handoff)
    assert handoff["taken_at"] and handoff["first_reply_at"] and handoff["ended_at"]

    # Back with the bot: the next message is a turn again.
    bot_says(rasa_peer, text="Welcome back")
    assert "Welcome back" in text_the_bot(client, "ok").text
    assert len(rasa_peer.received) == turns_seen + 1
    actions = [e["action"] for e in table_rows(settings.DATABASE_URL, AuditEntry)]
    assert {"take_over", "reply", "hand_back", "view_conversation"} <= set(actions)
    assert "bullied" not in str(table_rows(settings.DATABASE_URL, AuditEntry))  # never a message's words


def test_a_reply_in_quiet_hours_waits_unless_the_parent_is_writing(client, rasa_peer, twilio_standin, settings,
                                                                  staff_a, monkeypatch):
    from api.staff import handoff

    cid = sms_conversation(client, rasa_peer, school_code=SCHOOL_A, staff_event={"type": "handoff_requested"})
    sign_in(client, staff_a)
    token = csrf_of(client, f"/staff/conversations/{cid}")
    client.post(f"/staff/conversations/{cid}/take", data={"csrf_token": token})
    monkeypatch.setattr(handoff, "in_quiet_hours", lambda settings, now: True)
    # Quiet hours, and the parent has not written since the handoff: the reply waits.
    waiting = client.post(f"/staff/conversations/{cid}/reply", data={"message": "Good morning!", "csrf_token": token})
    assert "quiet hours" in waiting.text
    assert [m["status"] for m in table_rows(settings.DATABASE_URL, StaffMessage) if m["sender"] == "staff"] == [
        "sent", "deferred"]  # the notice that a person joined went at once; the reply waits
    before = len(standin_messages(twilio_standin, PARENT))
    # The scheduler sends it once quiet hours are over.
    services = client.app.state.services
    monkeypatch.setattr(handoff, "in_quiet_hours", lambda settings, now: False)
    assert handoff.send_deferred(settings, services.sessions, services.gateway.messenger, services.cipher,
                                 utcnow()) == 1
    assert standin_messages(twilio_standin, PARENT)[before:][0]["body"] == "Good morning!"
    assert handoff.send_deferred(settings, services.sessions, services.gateway.messenger, services.cipher,
                                 utcnow()) == 0  # once
    # A parent writing now is in a live conversation: the answer goes at once.
    monkeypatch.setattr(handoff, "in_quiet_hours", lambda settings, now: True)
    text_the_bot(client, "are you there?")
    live = client.post(f"/staff/conversations/{cid}/reply", data={"message": "Yes!", "csrf_token": token})
    assert "Your reply was sent." in live.text


def test_only_the_holder_replies(client, rasa_peer, settings, staff_a):
    other = create(settings, "staff.c@lausd.example.org", "school_staff", [SCHOOL_A], name="Cy Staff")
    cid = sms_conversation(client, rasa_peer, school_code=SCHOOL_A, staff_event={"type": "handoff_requested"})
    sign_in(client, staff_a)
    client.post(f"/staff/conversations/{cid}/take", data={"csrf_token": csrf_of(client, f"/staff/conversations/{cid}")})
    client.cookies.clear()
    sign_in(client, other)
    token = csrf_of(client, f"/staff/conversations/{cid}")
    assert "Ana Staff is answering" in client.get(f"/staff/conversations/{cid}").text
    client.post(f"/staff/conversations/{cid}/take", data={"csrf_token": token})
    client.post(f"/staff/conversations/{cid}/reply", data={"message": "me too", "csrf_token": token})
    assert conversation(settings, cid)["held_by"] == staff_a.id
    assert {m["staff_user_id"] for m in table_rows(settings.DATABASE_URL, StaffMessage)} == {staff_a.id}


# --- a web-chat parent ------------------------------------------------------------------------

def test_a_widget_parent_sees_the_staff_reply_and_the_bot_stays_quiet(client, rasa_peer, settings, staff_a):
    bot_says(rasa_peer, text="Let me find someone.", school_code=SCHOOL_A, staff_event={"type": "handoff_requested"})
    started = client.post("/api/chat", json={"message": "I want to talk to a person", "language": "en",
                                             "school": SCHOOL_A}, headers={"Origin": "https://families.example.org"})
    assert started.status_code == 200
    session_id = started.json()["session_id"]
    [row] = [c for c in table_rows(settings.DATABASE_URL, Conversation) if c["channel"] == "web"]
    cid = row["contact_id"]
    assert row["handoff_state"] == "waiting"
    turns_seen = len(rasa_peer.received)

    sign_in(client, staff_a)
    token = csrf_of(client, f"/staff/conversations/{cid}")
    client.post(f"/staff/conversations/{cid}/take", data={"csrf_token": token})
    said = client.post("/api/chat", json={"session_id": session_id, "message": "hello? anyone?"},
                       headers={"Origin": "https://families.example.org"}).json()
    assert said["pending"] is False and [m["from"] for m in said["messages"]] == ["parent"]
    assert len(rasa_peer.received) == turns_seen
    client.post(f"/staff/conversations/{cid}/reply", data={"message": "Hi, I'm Ana from the parent center.",
                                                           "csrf_token": token})
    history = client.post("/api/chat/history", json={"session_id": session_id},
                          headers={"Origin": "https://families.example.org"}).json()["messages"]
    staff_said = [m for m in history if m["from"] == "staff"]
    assert [m["text"] for m in staff_said][-1] == "Hi, I'm Ana from the parent center."
    assert any("parent center" in m["text"] and "joined" in m["text"] for m in staff_said)  # told on take-over


def test_the_inbox_puts_crisis_first_then_the_longest_waiting(client, rasa_peer, settings):
    admin_free = create(settings, "staff.a@lausd.example.org", "school_staff", [SCHOOL_A])
    first = sms_conversation(client, rasa_peer, phone="+13235550101", school_code=SCHOOL_A,
                             staff_event={"type": "handoff_requested"})
    second = sms_conversation(client, rasa_peer, phone="+13235550102", school_code=SCHOOL_A,
                              staff_event={"type": "repeated_misunderstanding"})
    crisis = sms_conversation(client, rasa_peer, phone="+13235550103", school_code=SCHOOL_A,
                              staff_event={"type": "safety_flag", "reason": "crisis_message"})
    engine = sa.create_engine(settings.DATABASE_URL)
    with engine.begin() as connection:  # the first waited longest
        connection.execute(sa.update(Conversation).where(Conversation.contact_id == first)
                           .values(handoff_since=utcnow() - timedelta(minutes=42)))
    engine.dispose()
    sign_in(client, admin_free)
    rows = client.get("/staff/inbox/rows").text
    order = sorted((rows.index(cid[:10]), cid) for cid in (first, second, crisis))
    assert [cid for _, cid in order] == [crisis, first, second]
    assert "42 min" in rows


# --- reach: opt-outs and failed deliveries on the summary -----------------------------------

def test_opting_out_and_back_in_shows_on_the_summary(client, rasa_peer, settings):
    cid = sms_conversation(client, rasa_peer, school_code=SCHOOL_A)
    text_the_bot(client, "STOP")
    assert conversation(settings, cid)["opted_out"] is True
    text_the_bot(client, "START")
    assert conversation(settings, cid)["opted_out"] is False


def test_a_message_that_never_arrived_is_counted_once(client, rasa_peer, twilio_standin, settings, staff_a):
    from api.core.models import OutboundMessage
    from tests.api.conftest import post_signed
    from tests.api.test_status_plan_health import STATUS, status_params

    cid = sms_conversation(client, rasa_peer, school_code=SCHOOL_A, staff_event={"type": "handoff_requested"})
    sign_in(client, staff_a)
    client.post(f"/staff/conversations/{cid}/take", data={"csrf_token": csrf_of(client, f"/staff/conversations/{cid}")})
    [sent] = [m for m in table_rows(settings.DATABASE_URL, OutboundMessage) if m["via"] == "rest"]
    for _ in range(2):  # Twilio retries its callbacks
        assert post_signed(client, STATUS, status_params(sent["twilio_sid"], "undelivered", "30003")).status_code < 300
    assert conversation(settings, cid)["delivery_failures"] == 1
    assert f"/staff/conversations/{cid}" in client.get("/staff/conversations?flag=delivery_failures").text
    assert f"/staff/conversations/{cid}" not in client.get("/staff/conversations?flag=opted_out").text
