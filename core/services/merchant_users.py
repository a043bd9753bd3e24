"""People who sign in to the console: Argon2id password hashes (argon2-cffi), normalised emails,
and a check that costs the same whether or not the email exists (no account enumeration)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.errors import Conflict, NotFound, Unauthorized, ValidationError
from core.invoices import normalise_email
from core.services.context import ServiceContext
from core.storage.models import Merchant, MerchantUser

MIN_PASSWORD = 10
MAX_PASSWORD = 200
_hasher = PasswordHasher()
#: Verified against when the email is unknown, so both paths take an Argon2 verification.
_DUMMY_HASH = _hasher.hash("paylink-no-such-user")


def _checked_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationError(f"a password is {MIN_PASSWORD} to {MAX_PASSWORD} characters")
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
                auth_version=1,
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


def session_user(ctx: ServiceContext, user_id: int, auth_version: int) -> MerchantUser | None:
    """The user a session cookie names, if that session is still valid."""
    with ctx.db.transaction() as session:
        user = session.get(MerchantUser, user_id)
    return user if user is not None and user.auth_version == auth_version else None


def merchant_locale(ctx: ServiceContext, merchant_id: int) -> str:
    """The console language for someone signed in without an account of ours (a platform's
    admin): the merchant's own language, French or English."""
    with ctx.db.transaction() as session:
        merchant = session.get(Merchant, merchant_id)
    locale = (merchant.default_locale if merchant else "fr")[:2]
    return locale if locale in ("fr", "en") else "fr"


def change_password(ctx: ServiceContext, user_id: int, password: str) -> None:
    """A new password ends every session of that user (their cookies carry the old version)."""
    hashed = _hasher.hash(_checked_password(password))
    with ctx.db.transaction() as session:
        user = session.get(MerchantUser, user_id)
        if user is None:
            raise NotFound(f"no user {user_id}")
        user.password_hash = hashed
        user.auth_version += 1


def set_locale(ctx: ServiceContext, user_id: int, locale: str) -> None:
    if locale not in ("fr", "en"):
        raise ValidationError("the console speaks fr or en")
    with ctx.db.transaction() as session:
        user = session.get(MerchantUser, user_id)
        if user is None:
            raise NotFound(f"no user {user_id}")
        user.locale = locale
