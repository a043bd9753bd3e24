"""Flask's signed-cookie session, except on the customers' payment pages.

The payment pages keep no session (their forms carry signed, stateless tokens), yet opening a
session costs every request a serializer and a cookie parse: a tenth of a cached page's time.
Under `/i/` the session is the null session, which Flask never saves. Elsewhere a request
without the cookie (every webhook and API call) gets an empty session without the serializer
Flask would build first.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

PAYMENT_PAGES = "/i/"


class SessionOutsidePaymentPages(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(PAYMENT_PAGES):
            return self.make_null_session(app)
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)
