"""What the bot hands the api with each message: its language, and a plan or meeting as
data; the "sms" channel's own response variations."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa.channels import MetadataCollectingOutputChannel, SmsRestInput, resolve_menu_reply
from bot.rasa.nlg import CatalogNLG

DOMAIN_FILE = "domain.yml"


@pytest.fixture(scope="module")
def nlg():
    return CatalogNLG(domain=Domain.load(DOMAIN_FILE))


def tracker(language=None):
    domain = Domain.load(DOMAIN_FILE)
    tracker = DialogueStateTracker.from_events("c_test", [], slots=domain.slots)
    if language:
        tracker.update(SlotSet("language", language))
    return tracker


async def test_collector_passes_language_plan_and_meeting_but_nothing_else():
    collector = MetadataCollectingOutputChannel("sms")
    await collector.send_response("c_1", {
        "text": "Your questions", "buttons": [{"title": "More", "payload": "/more"}], "language": "es",
        "plan": {"questions": []}, "plan_lines": "1. Q?", "utter_action": "utter_plan", "meeting": None,
    })
    (message,) = collector.messages
    assert message["text"] == "Your questions" and message["buttons"][0]["payload"] == "/more"
    assert message["metadata"] == {"language": "es", "plan": {"questions": []}}
    assert collector.name() == "sms"


async def test_collector_adds_no_metadata_when_there_is_none():
    collector = MetadataCollectingOutputChannel()
    await collector.send_response("c_1", {"text": "Hi"})
    assert "metadata" not in collector.messages[0] and collector.name() == "collector"


def test_sms_channel_is_the_rest_channel_under_another_name():
    assert SmsRestInput.name() == "sms"


async def test_nlg_says_the_language_it_rendered_in(nlg):
    spanish = await nlg.generate("utter_greet", tracker("es"), "rest")
    assert spanish["language"] == "es" and "Hola" in spanish["text"]
    unknown = await nlg.generate("utter_greet", tracker(), "rest")
    assert unknown["language"] is None  # not chosen yet: the api answers in both


async def test_sms_channel_gets_the_shorter_variation_in_the_parents_language(nlg):
    web = await nlg.generate("utter_greet", tracker("es"), "rest")
    sms = await nlg.generate("utter_greet", tracker("es"), "sms")
    assert len(sms["text"]) < len(web["text"])
    assert sms["text"].startswith("En pocos mensajes") and [b["payload"] for b in sms["buttons"]] == [
        b["payload"] for b in web["buttons"]]


async def test_the_crisis_answer_is_marked_for_the_doors_in_every_language(nlg):
    for language in ("en", "es"):
        rendered = await nlg.generate("utter_crisis", tracker(language), "rest")
        collector = MetadataCollectingOutputChannel("rest")
        await collector.send_response("c_1", {**rendered, "utter_action": "utter_crisis"})
        (message,) = collector.messages
        assert "988" in message["text"] and message["metadata"] == {"language": language, "crisis": True}


async def test_other_answers_are_not_marked_as_crisis(nlg):
    collector = MetadataCollectingOutputChannel("rest")
    await collector.send_response("c_1", await nlg.generate("utter_crisis_resume", tracker("en"), "rest"))
    assert "crisis" not in collector.messages[0]["metadata"]


class CountingTrackerStore(InMemoryTrackerStore):
    """Rasa's in-memory tracker store, counting the trackers read from it."""

    def __init__(self, domain: Domain) -> None:
        super().__init__(domain)
        self.retrieved = 0

    async def retrieve(self, sender_id):
        self.retrieved += 1
        return await super().retrieve(sender_id)


async def test_a_bare_number_picks_the_last_menus_button_and_other_replies_read_no_tracker():
    domain = Domain.load(DOMAIN_FILE)
    store = CountingTrackerStore(domain)
    menu = {"buttons": [{"title": "English", "payload": "/a"}, {"title": "Español", "payload": "/b"}]}
    await store.save(DialogueStateTracker.from_events("c_menu", [UserUttered("hi"), BotUttered("Pick one", menu)]))
    # What the channel reads from Sanic's request: the app's agent and its tracker store.
    request = SimpleNamespace(app=SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=store))))
    assert await resolve_menu_reply(request, "c_menu", "2") == "/b"
    assert await resolve_menu_reply(request, "c_menu", "option 1") == "/a"
    assert await resolve_menu_reply(request, "c_menu", "3") == "3"  # no third button: NLU reads it
    assert store.retrieved == 3
    for text in ("my son keeps missing school", "1 3", ""):  # not a menu choice: the tracker is not read
        assert await resolve_menu_reply(request, "c_menu", text) == text
    assert store.retrieved == 3


def test_the_answer_already_given_to_a_message_is_what_followed_it():
    from bot.rasa.channels import answer_already_given

    events = [UserUttered("hi", message_id="inbound-1"), BotUttered("Pick one", {"buttons": [{"title": "English"}]},
                                                                    {"language": "en"}),
              BotUttered("Or type it"), UserUttered("1", message_id="inbound-2"), BotUttered("OK")]
    assert answer_already_given(events, "inbound-1") == [
        {"text": "Pick one", "buttons": [{"title": "English"}], "language": "en"}, {"text": "Or type it"}]
    assert answer_already_given(events, "inbound-2") == [{"text": "OK"}]
    assert answer_already_given(events, "inbound-3") is None


def test_a_message_the_bot_never_answered_is_taken_again():
    from bot.rasa.channels import answer_already_given

    # Rasa keeps the message when the action server is down, with no answer after it.
    events = [UserUttered("hi", message_id="inbound-1"), BotUttered("Pick one"),
              UserUttered("lets start", message_id="inbound-2"), ActionExecuted("action_listen")]
    assert answer_already_given(events, "inbound-2") is None
    assert answer_already_given(events, "inbound-1") == [{"text": "Pick one"}]


def test_a_message_taken_again_is_answered_from_its_answered_turn():
    from bot.rasa.channels import answer_already_given

    # Unanswered the first time (the action server down), taken again and answered: a
    # third try gets that answer, not a third turn.
    events = [UserUttered("lets start", message_id="inbound-2"), ActionExecuted("action_listen"),
              UserUttered("lets start", message_id="inbound-2"), BotUttered("Which pillar?"),
              UserUttered("1", message_id="inbound-3"), BotUttered("Pillar 1")]
    assert answer_already_given(events, "inbound-2") == [{"text": "Which pillar?"}]
