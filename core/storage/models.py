"""The database schema, as SQLAlchemy 2 models. Alembic migrations are the source of truth for
the live schema; a test checks that these models and the migrations agree.

Uniqueness lives here, not in application checks: one invoice per (store, source kind, external
id), one payment per (provider, provider payment id), one message per (invoice, reminder step),
one job per idempotency key, one link code per invoice.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from core.invoices import InvoiceStatus
from core.reminders import MessageStatus

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every engine (SQLite keeps no zone, so it is put back on read)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _enum(enum_class: type[enum.Enum], name: str) -> Enum:
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
    )


class JobStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


Model = TypeVar("Model", bound=Base)


def plain_copy(model: type[Model], values: Mapping[str, Any]) -> Model:
    """An instance of `model` holding `values` (by attribute name), made as SQLAlchemy's
    loader makes one: its state created, the values put in place as they are, no event per
    attribute. The constructor fires an attribute event for each keyword: ~70 us for an
    invoice's 41 columns against ~4 us this way, on the hot paths (an API call's merchant, each
    invoice created) that build these in no session and only read them. Attributes set
    afterwards are tracked as on any instance; a relationship is given with
    `sqlalchemy.orm.attributes.set_committed_value`, not in `values`."""
    instance = model.__mapper__.class_manager.new_instance()
    instance.__dict__.update(values)
    return instance


class Merchant(Base):
    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    logo_url: Mapped[str | None] = mapped_column(String(2000))
    brand_color: Mapped[str] = mapped_column(String(7), default="#1f6feb")
    default_locale: Mapped[str] = mapped_column(String(16), default="fr")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    country: Mapped[str] = mapped_column(String(2), default="FR")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    invoice_prefix: Mapped[str] = mapped_column(String(12), default="F")
    last_invoice_sequence: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Credit notes have their own continuous series ("AV-2026-000001").
    last_credit_sequence: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=7)
    # Steps as core.reminders.ReminderPolicy.to_json() writes them; None is the default policy.
    reminder_policy: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    sms_sender: Mapped[str | None] = mapped_column(String(11))
    #: How long a cart must sit unchanged before it counts as abandoned and gets an invoice.
    cart_delay_minutes: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    #: The hours (customer's time) the merchant's SMS may go out in, within 8:00-20:00.
    sms_opens: Mapped[int] = mapped_column(Integer, default=8, server_default="8")
    sms_closes: Mapped[int] = mapped_column(Integer, default=20, server_default="20")
    #: The satisfaction survey after payment: "off", "in_receipt" (a link in the receipt) or
    #: "separate" (its own message `survey_delay_hours` after the payment).
    survey_mode: Mapped[str] = mapped_column(
        String(16), default="in_receipt", server_default="in_receipt"
    )
    survey_delay_hours: Mapped[int] = mapped_column(Integer, default=24, server_default="24")
    # What invoice documents must say of the seller (French legal mentions).
    legal_name: Mapped[str | None] = mapped_column(String(200))
    siren: Mapped[str | None] = mapped_column(String(9))
    vat_number: Mapped[str | None] = mapped_column(String(20))
    street: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(12))
    city: Mapped[str | None] = mapped_column(String(100))
    #: Legal form, share capital, RCS ("SAS au capital de 10 000 €, RCS Lyon 123 456 789").
    legal_mentions: Mapped[str | None] = mapped_column(String(300))
    #: Late-payment penalty rate, percent a year ("12.15"); unset: the legal default in words.
    penalty_rate: Mapped[str | None] = mapped_column(String(8))
    #: Whether emails asking for payment carry the invoice's PDF (Factur-X for businesses).
    attach_documents: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: Billing rules, in order (`core.billing_rules.rule_to_json`); None: none.
    billing_rules: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    #: The discount code offered to early payers (`RewardOffer` as `offer_to_json` writes it);
    #: None: no offer.
    early_payer_reward: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]

    @classmethod
    def copy_of(cls, row: Mapping[str, Any]) -> Merchant:
        """A plain copy (in no session) of the merchant from a row holding its columns by
        name, for the hot paths that read its settings without a session (an API call, a
        batch of creations)."""
        return plain_copy(cls, {column.key: row[column.key] for column in cls.__table__.c})


class Store(Base):
    __tablename__ = "stores"
    __table_args__ = (UniqueConstraint("platform", "domain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    domain: Mapped[str] = mapped_column(String(255))
    # Secrets only (tokens, keys): settings and state are the typed columns below, so that
    # connecting a store again replaces its secrets and keeps the merchant's choices.
    credentials_ciphertext: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    #: When the store was last connected: an uninstall sent before it is stale.
    connected_at: Mapped[datetime | None]
    #: The store's payment methods whose unpaid orders get an invoice; None: the platform's.
    invoice_gateways: Mapped[list[str] | None] = mapped_column(JSON)
    #: Where the last poll of a store that can lose webhooks got to.
    polled_until: Mapped[datetime | None]
    #: Whether the platform's webhooks were set up for the current credentials.
    webhooks_ready: Mapped[bool] = mapped_column(Boolean, default=False)


class MerchantUser(Base):
    """Someone who signs in to the console for a merchant. The password is an Argon2id hash;
    each browser signed in is a `ConsoleSession`, ended on the server by signing out or by a
    password change."""

    __tablename__ = "merchant_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # normalised, lower case
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(8), default="fr")
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]


class ConsoleSession(Base):
    """A browser signed in to the console. Its cookie names it by a random token, stored here
    only as a SHA-256, so a copied cookie stops working the moment the session ends (sign-out,
    password change, age), whatever the cookie's own signature says."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("merchant_users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class ApiKey(Base):
    """An API key is `pl_<public id>_<secret>`; only a SHA-256 of the secret is kept. The secret
    is 256 random bits, so a fast hash is enough (no password stretching needed)."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("store_id", "source_kind", "external_id"),
        UniqueConstraint("merchant_id", "number"),
        # Invoices made through the API have no store: their client reference is unique per
        # merchant instead (a partial index, which SQLite and PostgreSQL both have).
        Index(
            "uq_invoices_api_reference",
            "merchant_id",
            "source_kind",
            "external_id",
            unique=True,
            sqlite_where=text("store_id IS NULL"),
            postgresql_where=text("store_id IS NULL"),
        ),
        Index("ix_invoices_merchant_status_created", "merchant_id", "status", "created_at"),
        Index("ix_invoices_merchant_created", "merchant_id", "created_at"),
        Index("ix_invoices_merchant_reference_key", "merchant_id", "reference_key"),
        # Only invoices with a reminder ahead are indexed, in time order: the sweep reads the
        # due ones at the front, whatever the number of invoices.
        Index(
            "ix_invoices_next_reminder",
            "next_reminder_at",
            "id",
            sqlite_where=text("next_reminder_at IS NOT NULL"),
            postgresql_where=text("next_reminder_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    source_kind: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str | None] = mapped_column(String(255))
    number: Mapped[str] = mapped_column(String(40))
    #: What of the number survives a bank transfer (`core.reconcile.reference_key`): how a
    #: statement line's reference finds its invoice.
    reference_key: Mapped[str] = mapped_column(String(21))
    link_code: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[InvoiceStatus] = mapped_column(_enum(InvoiceStatus, "invoice_status"))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[int] = mapped_column(BigInteger)
    tax: Mapped[int] = mapped_column(BigInteger)
    shipping: Mapped[int] = mapped_column(BigInteger)
    discount: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    taxes_included: Mapped[bool] = mapped_column(Boolean)
    amount_paid: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_email_ciphertext: Mapped[str | None] = mapped_column(Text)
    customer_email_index: Mapped[str | None] = mapped_column(String(64), index=True)
    customer_phone_ciphertext: Mapped[str | None] = mapped_column(Text)
    customer_phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    customer_locale: Mapped[str] = mapped_column(String(16))
    #: A business customer's company, SIREN, VAT number and address (`BusinessBuyer.to_json`).
    buyer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The payment methods a billing rule limited this invoice to; None: all the merchant's.
    allowed_methods: Mapped[list[str] | None] = mapped_column(JSON)
    #: sms or email, when a billing rule chose the channel of the steps that let Paylink pick.
    preferred_channel: Mapped[str | None] = mapped_column(String(8))
    #: A billing rule's "no reminders": the first message only.
    reminders_off: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: A subscription's period charged to the customer's saved method: "pending" while the
    #: charge runs (no message asks for payment), "failed" once it fell back to the link (the
    #: failed charge's own messages); None for every other invoice.
    autopay: Mapped[str | None] = mapped_column(String(16))
    #: An order in the customer's currency: its total in the store's currency, as the store
    #: converted it (what the merchant's figures count payments at); None for one currency.
    shop_currency: Mapped[str | None] = mapped_column(String(3))
    shop_total: Mapped[int | None] = mapped_column(BigInteger)
    due_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    # Early-payment promotion: paid in full before `early_discount_until`, the invoice costs
    # `early_discount` less (the discount then joins `discount` and the total drops).
    early_discount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    early_discount_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]  # sent to the customer: the reminders' first anchor
    # First opened by the customer (the funnel's "opened"); later views write nothing.
    viewed_at: Mapped[datetime | None]
    next_reminder_at: Mapped[datetime | None]
    next_reminder_step: Mapped[str | None] = mapped_column(String(48))

    lines: Mapped[list[InvoiceLine]] = relationship(
        order_by="InvoiceLine.position", cascade="all, delete-orphan", lazy="selectin"
    )


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"
    __table_args__ = (UniqueConstraint("invoice_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(500))
    sku: Mapped[str | None] = mapped_column(String(255))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    tax: Mapped[int] = mapped_column(BigInteger)


class Payment(Base):
    __tablename__ = "payments"
    # A provider's payment id is unique within one merchant only: another merchant's account
    # can never claim (or shadow) it.
    __table_args__ = (
        UniqueConstraint("merchant_id", "provider", "provider_payment_id"),
        Index("ix_payments_merchant_received", "merchant_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    provider_payment_id: Mapped[str] = mapped_column(String(255))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str | None] = mapped_column(String(32))
    # A payment that could not be applied (on a void invoice, in another currency) is kept and
    # flagged for the merchant rather than refused: money received is never lost.
    flag: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[datetime]


class Refund(Base):
    __tablename__ = "refunds"
    __table_args__ = (UniqueConstraint("merchant_id", "provider", "provider_refund_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    provider_refund_id: Mapped[str] = mapped_column(String(255))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    refunded_at: Mapped[datetime]


class TimelineEvent(Base):
    """What happened to an invoice, in order: created, sent, viewed, reminded, paid, pushed..."""

    __tablename__ = "timeline_events"
    __table_args__ = (Index("ix_timeline_events_invoice_at", "invoice_id", "at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Message(Base):
    """A message to a customer. (invoice, step) is unique so that retries, crashes and concurrent
    workers can never send the same reminder step twice. The recipient is encrypted like the
    invoice's contact details; the text is kept as sent, so the merchant sees what went out."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("invoice_id", "step"),
        Index("ix_messages_provider_id", "provider", "provider_message_id"),
        Index("ix_messages_merchant_created", "merchant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    step: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(8))
    provider: Mapped[str] = mapped_column(String(32))
    status: Mapped[MessageStatus] = mapped_column(_enum(MessageStatus, "message_status"))
    recipient_ciphertext: Mapped[str] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    segments: Mapped[int | None] = mapped_column(Integer)
    encoding: Mapped[str | None] = mapped_column(String(8))
    cost_estimate_micros: Mapped[int | None] = mapped_column(BigInteger)  # millionths of EUR
    provider_message_id: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class OptOut(Base):
    """A customer who asked for no more messages on a channel from a merchant (STOP reply,
    unsubscribe link). Keyed by the contact's blind index, so it survives new invoices."""

    __tablename__ = "opt_outs"
    __table_args__ = (UniqueConstraint("merchant_id", "channel", "contact_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    channel: Mapped[str] = mapped_column(String(8))
    contact_index: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]


class MessageTemplate(Base):
    """A merchant's own text for one message kind, locale and part (the default otherwise)."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("merchant_id", "kind", "locale", "part"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    kind: Mapped[str] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(8))
    part: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


#: Written out literally, in the index and in the claim query alike: a planner uses a partial
#: index only when it can see the query's condition implies the index's, and bound parameters
#: (`status IN (?, ?)`) hide that from SQLite and from PostgreSQL's generic plans.
CLAIMABLE = "status IN ('pending', 'running')"


class Job(Base):
    """A durable unit of outward work. While a job runs, `run_at` is the end of its lease: a job
    is claimable when it is pending or running with `run_at` past, so a dead worker's job comes
    back by itself, and one partial index serves the claim query."""

    __tablename__ = "jobs"
    __table_args__ = (
        # Only claimable jobs are indexed, in claim order: the claim reads the first entry
        # instead of sorting every due job, and done jobs cost the index nothing.
        Index(
            "ix_jobs_due",
            "run_at",
            "id",
            sqlite_where=text(CLAIMABLE),
            postgresql_where=text(CLAIMABLE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus, "job_status"))
    run_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    lease_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    #: When the job was due at its last claim (`run_at` then becomes the lease's end): how
    #: long it waited for a worker is measured from it.
    due_at: Mapped[datetime | None]


class PaymentAccount(Base):
    """A merchant's account at a payment provider: enabled or not, shown in `position` order,
    with its credentials (API keys, webhook secrets) encrypted at rest."""

    __tablename__ = "payment_accounts"
    __table_args__ = (UniqueConstraint("merchant_id", "provider"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    provider: Mapped[str] = mapped_column(String(32))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    credentials_ciphertext: Mapped[str] = mapped_column(Text)
    # When a connection test last passed with these credentials (None once they change): the
    # console offers a method to customers only after that.
    verified_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Checkout(Base):
    """A hosted checkout created at a provider for one visit of the payment page. Provider events
    name the checkout, and this row (not the event's own metadata) says which invoice it pays."""

    __tablename__ = "checkouts"
    # Events find checkouts through the payment account they arrived on, never across accounts.
    __table_args__ = (
        UniqueConstraint("account_id", "provider_reference"),
        Index("ix_checkouts_account_payment", "account_id", "payment_reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("payment_accounts.id"))
    provider: Mapped[str] = mapped_column(String(32))
    provider_reference: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # The provider's payment id, once an event names it beside the checkout: later events that
    # name only the payment (GoCardless, PayPlug instalments) find the invoice through it.
    payment_reference: Mapped[str | None] = mapped_column(String(255))
    #: The customer agreed to keep this method for their subscription's next periods.
    save_method: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime]


class ProviderEvent(Base):
    """The inbox of provider webhooks: stored (raw body, after the signature was checked) in the
    same transaction as the job that processes it, once per provider event key."""

    __tablename__ = "provider_events"
    __table_args__ = (UniqueConstraint("account_id", "event_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("payment_accounts.id"))
    provider: Mapped[str] = mapped_column(String(32))
    event_key: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    # The request headers a provider verifies in the job rather than in the request (PayPal).
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(64))


class StoreEvent(Base):
    """The inbox of store webhooks: stored once per platform event key (Shopify's event id),
    after the signature was checked, with the job that processes it."""

    __tablename__ = "store_events"
    __table_args__ = (
        UniqueConstraint("store_id", "event_key"),
        Index("ix_store_events_store_received", "store_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    platform: Mapped[str] = mapped_column(String(32))
    event_key: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    triggered_at: Mapped[datetime | None]
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(255))


class CartStatus(enum.StrEnum):
    OPEN = "open"  # the customer may still be shopping: waits for the merchant's delay
    INVOICED = "invoiced"  # abandoned: an invoice with our link was made for it
    ORDERED = "ordered"  # the customer finished it in the store (an order names it)
    RECOVERED = "recovered"  # paid through our link, and the store has an order for it
    UNREACHABLE = "unreachable"  # abandoned, but nothing to invoice (no email or phone)


class StoreCart(Base):
    """A store's checkout or cart, as its latest webhook showed it, until it is finished in the
    store, abandoned (an invoice is made once the merchant's delay has passed since the last
    change) or recovered through our link. The body keeps personal data, so it is encrypted,
    and erased once the cart needs it no more."""

    __tablename__ = "store_carts"
    __table_args__ = (UniqueConstraint("store_id", "token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    token: Mapped[str] = mapped_column(String(255))  # the platform's checkout/cart token
    status: Mapped[CartStatus] = mapped_column(_enum(CartStatus, "cart_status"))
    body_ciphertext: Mapped[str | None] = mapped_column(Text)
    #: The platform's last-change time of the body we hold: older deliveries are stale.
    changed_at: Mapped[datetime | None]
    abandon_at: Mapped[datetime | None]
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), unique=True)
    #: The store's order for this cart: the customer's own, or the one made when they paid us.
    order_ref: Mapped[str | None] = mapped_column(String(255))
    #: What Paylink created in the store on the way to that order (Shopify: the draft order).
    created_ref: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
