"""The REST API's request and response shapes (pydantic), which also write its OpenAPI schemas.

Amounts are integer minor units with the ISO 4217 currency beside them, in and out, as in the
database: 75.50 EUR is 7550. Strict types: "75.50" or 75.5 where an integer is expected is
refused with the field named, never guessed at.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StrictInt

from core.events import SourceKind
from core.reminders import MessageKind

MinorUnits = Annotated[StrictInt, Field(ge=0, le=10**15, description="Integer minor units")]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LineIn(StrictModel):
    label: Annotated[str, Field(min_length=1, max_length=500)]
    quantity: Annotated[StrictInt, Field(ge=1, le=1_000_000)] = 1
    unit_price: MinorUnits
    tax: MinorUnits = 0
    sku: Annotated[str, Field(max_length=255)] | None = None


class AddressIn(StrictModel):
    street: Annotated[str, Field(max_length=200)] | None = None
    postcode: Annotated[str, Field(max_length=12)] | None = None
    city: Annotated[str, Field(max_length=100)] | None = None
    country: Annotated[str, Field(min_length=2, max_length=2, examples=["FR"])] | None = None


class CustomerIn(StrictModel):
    name: Annotated[str, Field(max_length=200)] = ""
    email: Annotated[str, Field(max_length=320)] | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None
    locale: Annotated[str, Field(max_length=16)] | None = None
    company: Annotated[str, Field(max_length=200)] | None = Field(
        default=None,
        description="A business customer's company: with a SIREN or a VAT number, its invoice "
        "document is a Factur-X file (EN 16931)",
    )
    siren: Annotated[str, Field(max_length=11)] | None = None
    vat_number: Annotated[str, Field(max_length=20)] | None = None
    address: AddressIn | None = None
    tags: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=50)] = Field(
        default_factory=list, description="The customer's tags, for billing rules"
    )


class EarlyPaymentIn(StrictModel):
    discount: Annotated[MinorUnits, Field(gt=0)]
    until: AwareDatetime


class EarlyPaymentOut(BaseModel):
    discount: int
    until: datetime
    available: bool


class ContentIn(StrictModel):
    """What an invoice is for (each period's, for a recurring one)."""

    currency: Annotated[str, Field(min_length=3, max_length=3, examples=["EUR"])]
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=500)]
    shipping: MinorUnits = 0
    discount: MinorUnits = 0
    taxes_included: StrictBool = True


class InvoiceCreate(ContentIn):
    customer: CustomerIn
    due_at: AwareDatetime | None = None
    expires_at: AwareDatetime | None = None
    early_payment: Annotated[
        EarlyPaymentIn | None,
        Field(description="A discount for paying in full, at once, before a deadline"),
    ] = None
    reference: Annotated[
        str | None,
        Field(
            max_length=255,
            description="Your id for this invoice: sending it again returns "
            "the same invoice instead of a second one",
        ),
    ] = None
    draft: StrictBool = False


class VoidIn(StrictModel):
    reason: Annotated[str, Field(max_length=500)] = ""


class ManualPaymentIn(StrictModel):
    """Money the merchant received outside Paylink (a bank transfer seen on the account,
    cash, a cheque). `reference` makes it idempotent: the same reference twice counts once."""

    amount: Annotated[StrictInt, Field(ge=1, le=10**15, description="Integer minor units")]
    reference: Annotated[str, Field(min_length=1, max_length=200)]
    method: Literal["bank_transfer", "cash", "cheque", "other"] = "bank_transfer"
    received_at: AwareDatetime | None = None


class LineOut(BaseModel):
    label: str
    sku: str | None
    quantity: int
    unit_price: int
    tax: int
    amount: int


class CustomerOut(BaseModel):
    name: str
    email: str | None
    phone: str | None
    locale: str


class SourceOut(BaseModel):
    kind: SourceKind
    store_id: int | None
    external_id: str | None


class InvoiceOut(BaseModel):
    id: int
    number: str
    status: Literal[
        "draft", "open", "partially_paid", "paid", "overdue", "expired", "void", "refunded"
    ]
    currency: str
    subtotal: int
    tax: int
    shipping: int
    discount: int
    total: int
    taxes_included: bool
    amount_paid: int
    amount_refunded: int
    amount_due: int
    customer: CustomerOut
    lines: list[LineOut]
    source: SourceOut
    payment_url: str
    due_at: datetime | None
    expires_at: datetime | None
    early_payment: EarlyPaymentOut | None
    created_at: datetime
    paid_at: datetime | None


class InvoiceList(BaseModel):
    data: list[InvoiceOut]
    has_more: bool
    next_starting_after: int | None


class TimelineEventOut(BaseModel):
    kind: str
    at: datetime
    data: dict[str, object]


class Timeline(BaseModel):
    data: list[TimelineEventOut]


class PlannedMessageOut(BaseModel):
    step: str
    at: datetime
    status: Literal["sending", "held", "next"]
    reason: str


class PlannedMessages(BaseModel):
    data: list[PlannedMessageOut]


class JobOut(BaseModel):
    id: int
    kind: str
    status: Literal["pending", "running", "done", "dead"]
    attempts: int
    max_attempts: int
    run_at: datetime
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None


class JobList(BaseModel):
    data: list[JobOut]


class ReminderStepIO(StrictModel):
    name: Annotated[str, Field(min_length=1, max_length=48)]
    anchor: Literal["sent", "due"] = "sent"
    offset: Annotated[str, Field(max_length=32, examples=["PT24H", "P3D", "-P2D"])] = "PT0S"
    channel: Literal["sms", "email", "auto"] = "auto"
    template: MessageKind = MessageKind.REMINDER


class ReminderPolicyIO(StrictModel):
    steps: Annotated[list[ReminderStepIO], Field(max_length=12)]


class TemplateIn(StrictModel):
    text: Annotated[str, Field(min_length=1, max_length=4000)]


class SmsMeasureOut(BaseModel):
    encoding: Literal["gsm7", "ucs2"]
    units: int
    segments: int


class TemplateOut(BaseModel):
    kind: str
    locale: str
    part: Literal["sms", "subject", "body"]
    text: str
    custom: bool
    preview: str
    sms: SmsMeasureOut | None


class MessageOut(BaseModel):
    id: int
    invoice_id: int
    step: str
    kind: str
    channel: Literal["sms", "email"]
    provider: str
    status: str
    to: str
    subject: str | None
    body: str
    marketing: bool
    segments: int | None
    encoding: str | None
    cost_estimate_micros: int | None = Field(description="Millionths of a euro")
    provider_message_id: str | None
    error: str | None
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None


class MessageList(BaseModel):
    data: list[MessageOut]


class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] = []


class Error(BaseModel):
    error: ErrorBody


# Bank reconciliation -----------------------------------------------------------------------


class BankImportOut(BaseModel):
    statements: int = Field(description="Statements in the file")
    already_imported: int = Field(description="Statements imported before: skipped whole")
    lines: int
    duplicates: int = Field(description="Lines an earlier file already brought")
    matched: int = Field(description="Credits that paid invoices by their reference")
    payouts: int = Field(description="Credits that are a payment provider's payouts")
    unmatched: int = Field(description="Credits waiting in the exceptions queue")
    debits: int
    reversals: int
    collected: dict[str, MinorUnits] = Field(description="Paid by this file, per currency")


class BankSuggestionOut(BaseModel):
    invoice_id: int
    number: str
    customer_name: str
    amount_due: MinorUnits
    currency: str
    score: int = Field(ge=0, le=100)
    reasons: list[Literal["amount", "name", "date"]]


class BankLineOut(BaseModel):
    id: int
    state: Literal["matched", "unmatched", "ignored", "debit", "reversal", "reversed", "payout"]
    booked_on: str | None = Field(description="Booking date, YYYY-MM-DD")
    amount: MinorUnits
    currency: str
    payer: str | None
    remittance: str
    references: list[str]
    statement: str
    suggestions: list[BankSuggestionOut]
    invoices: list[str] = Field(description="Numbers of the invoices the line paid")
    decided_by: str | None
    decided_at: datetime | None


class BankLineList(BaseModel):
    data: list[BankLineOut]


class BankMatchIn(StrictModel):
    invoices: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        min_length=1, max_length=20, description="Invoice numbers, in the order to pay them"
    )
    amounts: list[Annotated[StrictInt, Field(gt=0, le=10**15)]] | None = Field(
        default=None,
        description="One share per invoice, adding up to the line's amount; without, each "
        "invoice gets what it owes in order and any excess goes to the last",
    )


class CsvProfileIn(StrictModel):
    date: str = Field(min_length=1, max_length=60)
    label: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(min_length=1)
    amount: str | None = Field(default=None, description="A signed amount column")
    debit: str | None = Field(default=None, description="With `credit`: separate columns")
    credit: str | None = None
    value_date: str | None = None
    payer: str | None = None
    delimiter: str = Field(default=";", min_length=1, max_length=1)
    date_format: str = Field(default="%d/%m/%Y", description="strftime codes")
    decimal_separator: Literal[",", "."] = ","
    currency: str = Field(default="EUR", min_length=3, max_length=3)


# Results ---------------------------------------------------------------------------------------


class RateOut(BaseModel):
    tried: int = Field(description="Sent (channels) or started (methods)")
    paid: int


class KpisOut(BaseModel):
    sent: int
    viewed: int
    payments_started: int
    paid: int
    conversion: float | None = Field(description="Paid / sent, 0-1")
    open_rate: float | None = Field(description="Opened / sent, 0-1")
    unpaid_rate: float | None = Field(description="Not paid by their due date / due, 0-1")
    median_hours_to_pay: int | None
    mean_hours_to_pay: float | None
    collected: MinorUnits
    carts_sent: int
    carts_paid: int
    carts_collected: MinorUnits
    sms_segments: int
    sms_cost_micros: int = Field(description="Millionths of a euro")
    paid_after_message: dict[str, int] = Field(
        description="Paid invoices by the last message they got before paying"
    )
    by_channel: dict[str, RateOut] = Field(
        description="Invoices by the channel of their first message (sms, email): sent, paid"
    )
    by_method: dict[str, RateOut] = Field(
        description="Payment methods tried on the payment page: started, paid with it"
    )
    by_store: dict[str, RateOut] = Field(
        description="Invoices by the store they came from (its id; none: the API or console)"
    )
    provider_fees: MinorUnits = Field(description="Fees of the providers' payouts, where known")
    new_paying_customers: int = Field(
        description="Customers whose first paid invoice was paid in the period"
    )
    acquisition_spend: dict[str, MinorUnits] = Field(
        description="Acquisition spend per channel entered by the merchant, prorated by day"
    )
    acquisition_cost: float | None = Field(
        description="Acquisition spend per new paying customer, in minor units"
    )


class SatisfactionOut(BaseModel):
    answers: int
    ease: float | None
    clarity: float | None
    nps: int | None


class MetricsSummary(BaseModel):
    start: str = Field(description="First day, YYYY-MM-DD, in the merchant's time zone")
    end: str = Field(description="Last day, included")
    currency: str
    current: KpisOut
    previous: KpisOut = Field(description="The period of the same length just before")
    satisfaction: SatisfactionOut


class RecurringCreate(ContentIn):
    reference: Annotated[
        str,
        Field(
            min_length=1,
            max_length=255,
            description="Your id for this schedule: sending it again returns the same one",
        ),
    ]
    customer: CustomerIn
    frequency: Literal["weekly", "monthly", "yearly"]
    start_on: date = Field(description="The first period's day (today or later)")
    end_after: Annotated[int, Field(ge=1, le=1000)] | None = Field(
        default=None, description="Stop after this many invoices"
    )
    end_on: date | None = Field(default=None, description="No period after this day")
    payment_terms_days: Annotated[int, Field(ge=0, le=365)] | None = Field(
        default=None, description="Each invoice is due this many days after its period starts"
    )


class AutopayOut(BaseModel):
    method: str = Field(description='How the customer knows it: "Visa •••• 4242"')
    since: datetime = Field(description="When the customer agreed")


class RecurringOut(BaseModel):
    id: int
    reference: str
    status: Literal["active", "paused", "cancelled", "ended"]
    frequency: Literal["weekly", "monthly", "yearly"]
    start_on: date
    end_after: int | None
    end_on: date | None
    issued: int = Field(description="Periods invoiced so far")
    next_on: date | None = Field(description="The next period's day; null once over")
    currency: str
    total: MinorUnits = Field(description="Each period's invoice total, as things stand")
    customer_name: str
    autopay: AutopayOut | None = Field(
        description="The payment method the customer agreed to have charged each period; "
        "null: each period's invoice goes out with its link"
    )


class RecurringList(BaseModel):
    data: list[RecurringOut]


class RuleWhenIO(StrictModel):
    customer_type: Literal["business", "consumer"] | None = None
    customer_tag: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    store_id: int | None = None
    sku_prefix: Annotated[str, Field(max_length=64)] | None = None
    country: Annotated[str, Field(min_length=2, max_length=2)] | None = None
    currency: Annotated[str, Field(min_length=3, max_length=3)] | None = None
    min_total: MinorUnits | None = None
    max_total: MinorUnits | None = None


class RuleThenIO(StrictModel):
    payment_terms_days: Annotated[int, Field(ge=0, le=365)] | None = None
    methods: (
        list[Literal["card", "paypal", "bank_pay", "instalments", "bank_transfer", "sandbox"]]
        | None
    ) = None
    early_discount_percent: Annotated[int, Field(ge=1, le=50)] | None = None
    early_discount_hours: Annotated[int, Field(ge=1, le=720)] | None = None
    channel: Literal["sms", "email"] | None = None
    reminders: bool | None = Field(
        default=None, description="false: the invoice's first message only, no reminder after it"
    )


class RuleIO(StrictModel):
    name: Annotated[str, Field(min_length=1, max_length=80)]
    when: RuleWhenIO = Field(default_factory=RuleWhenIO)
    then: RuleThenIO = Field(default_factory=RuleThenIO)


class EarlyPayerRewardIO(StrictModel):
    """The thank-you code early payers get, made in the store their invoice came from."""

    enabled: bool = Field(description="False: no codes (the other fields are then ignored)")
    window_hours: Annotated[int, Field(ge=1, le=168)] = Field(
        24, description="Paid in full within this many hours of the invoice reaching them"
    )
    kind: Literal["percent", "amount"] = Field(
        "percent", description="A share of the next order, or a fixed amount off it"
    )
    value: Annotated[int, Field(ge=1)] = Field(
        10, description="Percent (1-50), or minor units of the merchant's currency"
    )
    valid_days: Annotated[int, Field(ge=1, le=365)] = Field(30, description="Code validity")


class BillingRulesIO(StrictModel):
    rules: Annotated[list[RuleIO], Field(max_length=50)] = Field(
        description="In order: for each new invoice, the first matching rule wins each setting"
    )
