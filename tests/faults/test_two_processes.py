"""Two api processes on one PostgreSQL, as a district runs them: reminders that fall due
are sent once each (rows claimed under leases, whichever process's scheduler gets there
first), and one inbound message delivered to both processes at the same moment makes one
turn. Each process talks to a Twilio stand-in of its own, so which one sent what shows."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from api.core import contacts
from api.core.db import make_engine
from api.core.identity import PhoneCipher, contact_id
from api.core.models import utcnow
from api.outbound.store import schedule
from devtools.sms_console import parse_twiml
from tests.api.conftest import PHONE_KEY
from tests.faults.servers import (
    CONTACT_ID_SECRET,
    Apis,
    answers_in,
    api_env,
    assert_log_is_private,
    at_the_same_moment,
    migrate,
    new_delivery,
    query,
    running_standin,
    wait_for,
)

REMINDERS = 40


@pytest.fixture
def two_apis(cluster, database_url, rasa_peer, apis: Apis, tmp_path) -> Iterator[tuple[list, list]]:
    """Two api processes on one database, with quiet hours off (start == end) and a weekly
    cap no reminder meets; each with its own Twilio stand-in. Yields (apis, standins)."""
    with running_standin() as first, running_standin() as second:
        started = []
        for index, standin in enumerate((first, second)):
            (tmp_path / f"api{index}").mkdir()
            env = api_env(tmp_path / f"api{index}", database_url, rasa_peer.url, standin.url,
                          QUIET_HOURS_START=0, QUIET_HOURS_END=0, MAX_MESSAGES_PER_WEEK=100)
            migrate(env)  # the second finds the schema done (and waits on the first's lock)
            started.append(apis.start(env, f"api{index}"))
        yield started, [first, second]


def test_reminders_due_are_sent_exactly_once_by_two_processes(database_url, two_apis):
    processes, standins = two_apis
    numbers = [f"+1818555{index:04d}" for index in range(REMINDERS)]
    cipher, secret = PhoneCipher(PHONE_KEY), CONTACT_ID_SECRET.encode("utf-8")
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:  # the api's own functions, both schedulers already polling
            ids = [contacts.get_or_create(session, number, secret, cipher).id for number in numbers]
            now = utcnow()
            meeting = now + timedelta(hours=2)
            for contact in ids:
                schedule(session, contact, "reminder_two_hours", f"reminder_two_hours@{meeting.isoformat()}",
                         now - timedelta(seconds=1), meeting, {"meeting_at": meeting.isoformat()})
            session.commit()  # all 40 due at once
    finally:
        engine.dispose()

    def sent_rows() -> list:
        return query(database_url, "SELECT status, count(*) FROM scheduled_messages GROUP BY status")

    wait_for(lambda: sent_rows() == [("sent", REMINDERS)], 60, "every reminder sent")
    received = [[message["to"] for message in standin.messages()] for standin in standins]
    by_number = Counter(to for sent in received for to in sent)
    assert by_number == Counter(numbers)  # each number exactly once, nothing else
    recorded = query(database_url, "SELECT contact_id, count(*) FROM outbound_messages WHERE via = 'rest' "
                                   "GROUP BY contact_id")
    assert sorted(recorded) == sorted((contact_id(number, secret), 1) for number in numbers)
    # Which process sent how many (both usually do; not asserted: one may win every claim).
    print(f"reminders sent by each process: {[len(sent) for sent in received]}")
    assert all(api.running() for api in processes)
    for api in processes:
        assert_log_is_private(api, numbers, [])


def test_one_message_delivered_to_both_processes_at_once_makes_one_turn(database_url, rasa_peer, two_apis):
    processes, standins = two_apis
    # Each parent's first message (both processes create the contact at once), then a
    # second one; with Rasa quick, and slow enough that one delivery comes during the turn.
    for attempt, (number, delay) in enumerate([("+16265550001", 0.0), ("+16265550001", 0.3),
                                               ("+16265550002", 0.3), ("+16265550002", 0.0)]):
        rasa_peer.delay_seconds = delay
        delivery = new_delivery(number, f"double delivery {attempt}")
        responses = at_the_same_moment([api.url for api in processes], delivery.params)
        assert [response.status_code for response in responses] == [200, 200]
        answers = sorted(answers_in(parse_twiml(response.text)) for response in responses)
        assert answers == [0, 1], attempt  # one answered, the other acknowledged with an empty TwiML
        assert [turn["message"] for turn in rasa_peer.received].count(delivery.body) == 1, attempt
        assert query(database_url, "SELECT count(*) FROM inbound_messages WHERE message_sid = :sid",
                     sid=delivery.sid) == [(1,)]
    assert len(rasa_peer.received) == 4
    assert query(database_url, "SELECT count(*) FROM contacts") == [(2,)]
    assert not any(standin.messages() for standin in standins)  # and nothing sent later by REST
