"""Every installed message channel keeps the same contract: capabilities as data, and callbacks
read by the channel's own package (a forged one refused, an unconfigured one a 404), so a new
SMS provider is one package and one entry point."""

from pathlib import Path

import pytest

from core.channels.channel import CallbackRefused, IncomingCallback
from core.channels.registry import channel_factories
from core.errors import NotFound
from core.reminders import Channel
from core.settings import Settings

FACTORIES = channel_factories()
CONFIGURED = Settings(
    database_url="sqlite://",
    data_dir=Path("."),
    secret_key="s",
    encryption_keys="k1:" + "A" * 43,
    environ={"PAYLINK_TWILIO_AUTH_TOKEN": "token", "PAYLINK_SMSFACTOR_WEBHOOK_SECRET": "secret"},
)
FORGED = IncomingCallback(
    url="https://pay.example/channels/x/y",
    headers={"X-Twilio-Signature": "forged", "X-SMSFactor-Signature": "forged"},
    body=b"{}",
    form={"MessageSid": "SM1"},
)


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_capabilities_are_data(name):
    factory = FACTORIES[name]
    assert factory.name == name
    assert factory.media <= {Channel.SMS, Channel.EMAIL} and factory.media
    assert isinstance(factory.callbacks, frozenset)


@pytest.mark.parametrize(
    ("name", "callback"),
    [(name, callback) for name in sorted(FACTORIES) for callback in FACTORIES[name].callbacks],
)
def test_a_forged_callback_is_refused_and_an_unconfigured_one_is_not_found(name, callback):
    factory = FACTORIES[name]
    with pytest.raises(CallbackRefused):
        factory.read_callback(CONFIGURED, callback, FORGED)
    bare = Settings(
        database_url="sqlite://", data_dir=Path("."), secret_key="s", encryption_keys="k1:x"
    )
    with pytest.raises(NotFound):
        factory.read_callback(bare, callback, FORGED)


def test_channels_without_callbacks_have_none_to_read():
    for factory in FACTORIES.values():
        if not factory.callbacks:
            with pytest.raises(NotFound):
                factory.read_callback(CONFIGURED, "status", FORGED)
