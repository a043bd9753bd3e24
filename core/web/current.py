"""What the app factory put on the current app, typed: the services, the provider environment
and the settings. Views and commands read them here instead of each casting on its own."""

from __future__ import annotations

from flask import current_app

from core.payments.provider import ProviderEnvironment
from core.services.context import ServiceContext
from core.settings import Settings


def services() -> ServiceContext:
    ctx: ServiceContext = current_app.extensions["paylink"]
    return ctx


def providers() -> ProviderEnvironment:
    env: ProviderEnvironment = current_app.extensions["paylink.providers"]
    return env


def settings() -> Settings:
    configured: Settings = current_app.config["PAYLINK_SETTINGS"]
    return configured
