"""People who sign in to the console: Argon2id password hashes (argon2-cffi), normalised emails,
a check that costs the same whether or not the email exists (no account enumeration), and the
sessions of their browsers, kept here so that signing out or a new password ends them."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import Conflict, NotFound, Unauthorized, ValidationError
from core.invoices import normalise_email
from core.services.context import ServiceContext
from core.storage.models import ConsoleSession, Merchant, MerchantUser

MIN_PASSWORD = 10
MAX_PASSWORD = 200
#: A session ends this long after sign-in, whatever the browser keeps (the cookie's own limit).
SESSION_MAX_AGE = timedelta(days=31)
_hasher = PasswordHasher()
#: Verified against when the email is unknown, so both paths take an Argon2 verification.
_DUMMY_HASH = _hasher.hash("paylink-no-such-user")


def _checked_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationError(
            f"a password is {MIN_PASSWORD} to {MAX_PASSWORD} characters",
            key="password_length",
            least=MIN_PASSWORD,
            most=MAX_PASSWORD,
        )
    return password


def create_user(
    ctx: ServiceContext, merchant_id: int, email: str, name: str, password: str, locale: str = "fr"
) -> MerchantUser:
    address = normalise_email(email).casefold()
    hashed = _hasher.hash(_checked_password(password))
    try:
        with ctx.db.transaction() as session:
            if session.get(Merchant, merchant_id) is None:
                raise NotFound(f"no merchant {merchant_id}")
            user = MerchantUser(
                merchant_id=merchant_id,
                email=address,
                name=name.strip() or address,
                password_hash=hashed,
                locale=locale if locale in ("fr", "en") else "fr",
                created_at=ctx.clock(),
            )
            session.add(user)
            session.flush()
            return user
    except IntegrityError:
        raise Conflict(f"{address} already has an account") from None


def authenticate(ctx: ServiceContext, email: str, password: str) -> MerchantUser:
    """The user whose email and password these are; one message for every failure."""
    refused = Unauthorized("wrong email or password")
    try:
        address = normalise_email(email).casefold()
    except ValidationError:
        address = ""
    with ctx.db.transaction() as session:
        user = session.scalars(
            select(MerchantUser).where(MerchantUser.email == address)
        ).one_or_none()
        try:
            _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            raise refused from None
        if user is None:
            raise refused
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        user.last_login_at = ctx.clock()
        return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(ctx: ServiceContext, user_id: int) -> str:
    """A new session for a user who just proved who they are; returns the token for the
    cookie (kept here only hashed)."""
    token = secrets.token_urlsafe(32)
    with ctx.db.transaction() as session:
        session.add(
            ConsoleSession(user_id=user_id, token_hash=_token_hash(token), created_at=ctx.clock())
        )
    return token


def session_user(ctx: ServiceContext, token: str) -> MerchantUser | None:
    """The user of a live session: not ended, not older than SESSION_MAX_AGE."""
    query = (
        select(MerchantUser)
        .join(ConsoleSession, ConsoleSession.user_id == MerchantUser.id)
        .where(
            ConsoleSession.token_hash == _token_hash(token),
            ConsoleSession.ended_at.is_(None),
            ConsoleSession.created_at > ctx.clock() - SESSION_MAX_AGE,
        )
    )
    with ctx.db.transaction() as session:
        return session.scalars(query).one_or_none()


def end_session(ctx: ServiceContext, token: str) -> None:
    with ctx.db.transaction() as session:
        _end_sessions(ctx, session, ConsoleSession.token_hash == _token_hash(token))


def _end_sessions(ctx: ServiceContext, session: Session, which: ColumnElement[bool]) -> None:
    session.execute(
        update(ConsoleSession)
        .where(which, ConsoleSession.ended_at.is_(None))
        .values(ended_at=ctx.clock())
    )


def merchant_locale(ctx: ServiceContext, merchant_id: int) -> str:
    """The console language for someone signed in without an account of ours (a platform's
    admin): the merchant's own language, French or English."""
    with ctx.db.transaction() as session:
        merchant = session.get(Merchant, merchant_id)
    locale = (merchant.default_locale if merchant else "fr")[:2]
    return locale if locale in ("fr", "en") else "fr"


def change_password(
    ctx: ServiceContext, user_id: int, password: str, current_password: str | None = None
) -> None:
    """Set a new password and end every session of that user (a stolen cookie included).
    From the console the current password is required; the CLI (`set-password`) is the
    operator's way in and needs none."""
    hashed = _hasher.hash(_checked_password(password))
    with ctx.db.transaction() as session:
        user = session.get(MerchantUser, user_id)
        if user is None:
            raise NotFound(f"no user {user_id}")
        if current_password is not None:
            try:
                _hasher.verify(user.password_hash, current_password)
            except (VerificationError, InvalidHashError):
                raise Unauthorized(
                    "the current password is not right", key="password_current"
                ) from None
        user.password_hash = hashed
        _end_sessions(ctx, session, ConsoleSession.user_id == user_id)


def user_by_email(ctx: ServiceContext, email: str) -> MerchantUser:
    address = normalise_email(email).casefold()
    with ctx.db.transaction() as session:
        user = session.scalars(
            select(MerchantUser).where(MerchantUser.email == address)
        ).one_or_none()
    if user is None:
        raise NotFound(f"no console user {address}")
    return user


def set_locale(ctx: ServiceContext, user_id: int, locale: str) -> None:
    if locale not in ("fr", "en"):
        raise ValidationError("the console speaks fr or en")
    with ctx.db.transaction() as session:
        user = session.get(MerchantUser, user_id)
        if user is None:
            raise NotFound(f"no user {user_id}")
        user.locale = locale
