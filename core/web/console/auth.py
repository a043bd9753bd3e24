"""Console sign-in: email and password (Argon2id), a session cookie (signed, HttpOnly,
SameSite=Lax, Secure behind https) naming the user and their `auth_version`, CSRF on the form,
and attempts limited per address. Flask-Login keeps the session; another way of signing in
(the Shopify App Bridge session token) plugs in as a request loader beside this one."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, session
from flask_login import LoginManager, UserMixin, login_user

from core.services.merchant_users import session_user
from core.storage.models import MerchantUser
from core.web.current import services


@dataclass
class ConsoleUser(UserMixin):
    """The signed-in person, as the console needs them (no password hash in memory)."""

    user_id: int
    merchant_id: int
    name: str
    email: str
    locale: str
    auth_version: int

    def get_id(self) -> str:
        return f"{self.user_id}:{self.auth_version}"

    @classmethod
    def of(cls, user: MerchantUser) -> ConsoleUser:
        return cls(user.id, user.merchant_id, user.name, user.email, user.locale, user.auth_version)


def _load(session_id: str) -> ConsoleUser | None:
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = session_user(services(), int(user_id), int(version))
    return ConsoleUser.of(user) if user else None


def init_console_auth(app: Flask) -> None:
    manager = LoginManager(app)
    manager.login_view = "console.login"
    manager.login_message = ""
    manager.session_protection = "basic"  # "strong" would sign out a phone changing networks
    manager.user_loader(_load)


def start_session(user: MerchantUser) -> ConsoleUser:
    """A fresh session for a user who just proved who they are (no fixation)."""
    session.clear()
    console_user = ConsoleUser.of(user)
    login_user(console_user)
    return console_user
