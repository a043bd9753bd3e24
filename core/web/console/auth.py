"""Console sign-in: email and password (Argon2id), a session cookie (signed, HttpOnly,
SameSite=Lax, Secure behind https) naming the user and their `auth_version`, CSRF on the form,
and attempts limited per address. Flask-Login keeps the session; another way of signing in
(the Shopify App Bridge session token) plugs in as a request loader beside this one."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, Request, current_app, g, session
from flask_login import LoginManager, UserMixin, current_user, login_user

from core.connector import EmbeddedSignIn
from core.errors import Unauthorized
from core.services.merchant_users import merchant_locale, session_user
from core.storage.models import MerchantUser
from core.web.current import services


@dataclass
class ConsoleUser(UserMixin):
    """The signed-in person, as the console needs them (no password hash in memory). A user
    signed in by a platform's admin (`embedded`) has no account of ours: no password, no
    session cookie, only the platform's credential on each request."""

    user_id: int
    merchant_id: int
    name: str
    email: str
    locale: str
    auth_version: int
    embedded: EmbeddedSignIn | None = None

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


def _embedded(incoming: Request) -> ConsoleUser | None:
    """Signed in by a platform's admin (the console in its frame): each connector is asked."""
    if g.get("embedded_refused"):
        return None  # refused once: the error page is drawn for nobody, not refused again
    ctx = services()
    for connector in current_app.extensions["paylink.connectors"].values():
        try:
            signed = connector.embedded_sign_in(ctx, incoming)
        except Unauthorized:
            g.embedded_refused = True
            raise
        if signed is not None:
            locale = merchant_locale(ctx, signed.merchant_id)
            return ConsoleUser(0, signed.merchant_id, signed.name, "", locale, 0, signed)
    return None


def embedded_user() -> EmbeddedSignIn | None:
    """The platform sign-in of this request, when the console is shown in a platform's admin."""
    return current_user.embedded if current_user.is_authenticated else None


def init_console_auth(app: Flask) -> None:
    manager = LoginManager(app)
    manager.login_view = "console.login"
    manager.login_message = ""
    manager.session_protection = "basic"  # "strong" would sign out a phone changing networks
    manager.user_loader(_load)
    manager.request_loader(_embedded)


def start_session(user: MerchantUser) -> ConsoleUser:
    """A fresh session for a user who just proved who they are (no fixation)."""
    session.clear()
    console_user = ConsoleUser.of(user)
    login_user(console_user)
    return console_user
