"""Channels are found through the `paylink.message_channels` entry points and chosen by the
settings (PAYLINK_SMS_CHANNEL, PAYLINK_EMAIL_CHANNEL), as payment providers are."""

from __future__ import annotations

from importlib.metadata import entry_points

from core.channels.channel import ChannelFactory, MessageChannel
from core.errors import ConfigurationError
from core.reminders import Channel
from core.settings import Settings

ENTRY_POINT_GROUP = "paylink.message_channels"


def channel_factories() -> dict[str, ChannelFactory]:
    return {entry.name: entry.load() for entry in entry_points(group=ENTRY_POINT_GROUP)}


def build_channels(settings: Settings) -> dict[Channel, MessageChannel]:
    """The SMS and the email channel the settings name, built once at start-up (so a missing
    credential stops the start with its reason, not the first send)."""
    factories = channel_factories()
    chosen = {Channel.SMS: settings.sms_channel, Channel.EMAIL: settings.email_channel}
    built: dict[Channel, MessageChannel] = {}
    for medium, name in chosen.items():
        factory = factories.get(name)
        if factory is None:
            known = ", ".join(sorted(factories))
            raise ConfigurationError(
                f"unknown {medium.value} channel {name!r} (installed: {known})"
            )
        channel = factory(settings)
        if medium not in channel.media:
            raise ConfigurationError(f"{name} cannot send {medium.value}")
        built[medium] = channel
    return built
