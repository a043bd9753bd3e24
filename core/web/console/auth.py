"""Console sign-in: email and password (Argon2id), a session cookie (signed, HttpOnly,
SameSite=Lax, Secure behind https) naming a session kept on the server (so signing out or a new
password ends it, copies of the cookie included), CSRF on the form, and attempts limited per
address. Flask-Login keeps the session; another way of signing in
(the Shopify App Bridge session token) plugs in as a request loader beside this one."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, Request, current_app, g, session
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from core.connector import EmbeddedSignIn
from core.errors import Unauthorized
from core.services.merchant_users import end_session, merchant_locale, open_session, session_user
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
    session_token: str
    embedded: EmbeddedSignIn | None = None

    def get_id(self) -> str:
        return self.session_token

    @classmethod
    def of(cls, user: MerchantUser, session_token: str) -> ConsoleUser:
        return cls(user.id, user.merchant_id, user.name, user.email, user.locale, session_token)


def _load(session_token: str) -> ConsoleUser | None:
    user = session_user(services(), session_token)
    return ConsoleUser.of(user, session_token) if user else None


def _embedded(incoming: Request) -> ConsoleUser | None:
    """Signed in by a platform's admin (the console in its frame): each connector is asked."""
    if g.get("embedded_refused"):
        return None  # refused once: the error page is drawn for nobody, not refused again
    ctx = services()
    for connector in current_app.extensions["paylink.connectors"].values():
        try:
            signed = connector.embedded_sign_in(
                current_app.extensions["paylink.store_host"], incoming
            )
        except Unauthorized:
            g.embedded_refused = True
            raise
        if signed is not None:
            locale = merchant_locale(ctx, signed.merchant_id)
            return ConsoleUser(0, signed.merchant_id, signed.name, "", locale, "", signed)
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
    console_user = ConsoleUser.of(user, open_session(services(), user.id))
    login_user(console_user)
    return console_user


def end_current_session() -> None:
    """Sign out: the session ends on the server, then the cookie is cleared."""
    if current_user.is_authenticated and current_user.session_token:
        end_session(services(), current_user.session_token)
    logout_user()
