"""The merchant's results as pure arithmetic over daily figures.

A day's figures describe the invoices *sent* that day (a cohort): how many were opened, had a
payment started, were paid (and how long after sending), are now overdue or expired; plus
what reached the merchant that day (payments received) and what messages cost. A period's
figures are the sum of its days, so the dashboard reads at most a few hundred rows whatever
the number of invoices, and the median payment delay is exact to the hour from the merged
histograms.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

from core.money import minor_unit_exponent
from core.sms import PRICE_CURRENCY


def in_merchant_currency(
    amount: int,
    currency: str,
    merchant_currency: str,
    converted: tuple[str | None, int | None, int],
) -> int:
    """Money received on an invoice, in the merchant's currency: as it is, or (an order in the
    customer's currency) at the rate its store converted the order at, `converted` being the
    invoice's (shop currency, shop total, total); rounded half to even. Money the merchant's
    currency cannot express without a rate of ours counts nothing."""
    if currency == merchant_currency:
        return amount
    shop_currency, shop_total, total = converted
    if shop_currency != merchant_currency or not shop_total or total <= 0:
        return 0
    return round(Fraction(amount * shop_total, total))


@dataclass(frozen=True, slots=True)
class DayFigures:
    day: date
    sent: int = 0
    viewed: int = 0
    started: int = 0  # a payment was started (a checkout opened) at least once
    paid: int = 0
    due: int = 0  # past their due date now
    late: int = 0  # of those, not paid by their due date
    collected: int = 0  # minor units received that day, in the merchant's currency
    cart_sent: int = 0
    cart_paid: int = 0
    cart_collected: int = 0  # paid on invoices made from abandoned carts of this cohort
    sms_segments: int = 0
    sms_cost_micros: int = 0
    #: Hours from sending to payment -> invoices of the cohort paid after that long.
    delay_hours: Mapping[int, int] = field(default_factory=dict)
    #: The last message a paid invoice received before its payment -> how many.
    paid_after_step: Mapping[str, int] = field(default_factory=dict)
    #: The channel of the first message ("sms", "email") -> [sent, paid] in the cohort.
    by_channel: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    #: A payment method tried on the payment page -> [started, paid with it] in the cohort.
    by_method: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    provider_fees: int = 0  # fees of the providers' payouts for the payments received that day
    new_payers: int = 0  # customers whose first paid invoice was paid that day
    #: The store the invoice came from (its id, "none" for the API and console) -> [sent, paid].
    by_store: Mapping[str, tuple[int, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Period:
    start: date  # first day
    end: date  # last day, included

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a period ends on or after its first day")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before (what the changes compare with)."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class Kpis:
    sent: int
    viewed: int
    started: int
    paid: int
    conversion: float | None  # paid / sent
    open_rate: float | None  # viewed / sent
    unpaid_rate: float | None  # late / due
    median_delay_hours: int | None
    mean_delay_hours: float | None
    collected: int
    cart_sent: int
    cart_paid: int
    cart_collected: int
    sms_segments: int
    sms_cost_micros: int
    cost_per_collected: float | None  # what messages cost, as a part of what was collected
    paid_after_step: Mapping[str, int]
    by_channel: Mapping[str, tuple[int, int]]
    by_method: Mapping[str, tuple[int, int]]
    provider_fees: int
    new_payers: int
    by_store: Mapping[str, tuple[int, int]]


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _median(histogram: Counter[int]) -> int | None:
    count = sum(histogram.values())
    if not count:
        return None
    seen = 0
    for hours in sorted(histogram):
        seen += histogram[hours]
        if seen * 2 >= count:
            return hours
    return None  # pragma: no cover - the loop always reaches half


def kpis(days: Iterable[DayFigures], currency: str = "EUR") -> Kpis:
    """A period's figures from its days, money in the merchant's `currency`. What messages
    cost (priced in `sms.PRICE_CURRENCY`) is set against what was collected only when both are
    in the same currency: there is no exchange rate here to make them comparable."""
    exponent = minor_unit_exponent(currency)
    totals: Counter[str] = Counter()
    delays: Counter[int] = Counter()
    steps: Counter[str] = Counter()
    channels: dict[str, tuple[int, int]] = {}
    methods: dict[str, tuple[int, int]] = {}
    stores: dict[str, tuple[int, int]] = {}
    fees = 0
    for day in days:
        _add_pairs(channels, day.by_channel)
        _add_pairs(methods, day.by_method)
        _add_pairs(stores, day.by_store)
        fees += day.provider_fees
        for name in (
            "sent", "viewed", "started", "paid", "due", "late", "collected", "cart_sent",
            "cart_paid", "cart_collected", "sms_segments", "sms_cost_micros", "new_payers",
        ):  # fmt: skip
            totals[name] += getattr(day, name)
        delays.update({int(hours): count for hours, count in day.delay_hours.items()})
        steps.update(day.paid_after_step)
    paid_count = sum(delays.values())
    collected = totals["collected"]
    return Kpis(
        sent=totals["sent"],
        viewed=totals["viewed"],
        started=totals["started"],
        paid=totals["paid"],
        conversion=_ratio(totals["paid"], totals["sent"]),
        open_rate=_ratio(totals["viewed"], totals["sent"]),
        unpaid_rate=_ratio(totals["late"], totals["due"]),
        median_delay_hours=_median(delays),
        mean_delay_hours=(
            sum(hours * count for hours, count in delays.items()) / paid_count
            if paid_count
            else None
        ),
        collected=collected,
        cart_sent=totals["cart_sent"],
        cart_paid=totals["cart_paid"],
        cart_collected=totals["cart_collected"],
        sms_segments=totals["sms_segments"],
        sms_cost_micros=totals["sms_cost_micros"],
        cost_per_collected=(
            (totals["sms_cost_micros"] / 1_000_000) / (collected / 10**exponent)
            if collected and currency == PRICE_CURRENCY
            else None
        ),
        paid_after_step=dict(steps),
        by_channel=channels,
        by_method=methods,
        provider_fees=fees,
        new_payers=totals["new_payers"],
        by_store=stores,
    )


def _add_pairs(into: dict[str, tuple[int, int]], more: Mapping[str, tuple[int, int]]) -> None:
    for name, (first, second) in more.items():
        had = into.get(name, (0, 0))
        into[name] = (had[0] + first, had[1] + second)


def change(current: float | int | None, previous: float | int | None) -> float | None:
    """The relative change against the previous period, or None when it says nothing (no
    previous figure, or a previous zero)."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / previous


@dataclass(frozen=True, slots=True)
class Spend:
    """What the merchant spent on acquiring customers in a month, on one channel (an ad
    network, a newsletter...), in minor units of its currency."""

    month: date  # its first day
    channel: str
    amount: int


def spend_in(entries: Iterable[Spend], period: Period) -> dict[str, int]:
    """Each channel's spend falling in the period: a month's spend spread evenly over its days,
    so a 7-day period in a 30-day month carries 7/30 of it. Rounded once per channel."""
    shares: dict[str, Fraction] = {}
    for entry in entries:
        month_end = _month_end(entry.month)
        first, last = max(entry.month, period.start), min(month_end, period.end)
        if last < first:
            continue
        overlap = (last - first).days + 1
        share = Fraction(entry.amount * overlap, month_end.day)
        shares[entry.channel] = shares.get(entry.channel, Fraction(0)) + share
    return {channel: round(share) for channel, share in sorted(shares.items()) if share}


def acquisition_cost(spend: int, new_payers: int) -> float | None:
    """Spend per new paying customer (minor units), or None without any new payer."""
    return spend / new_payers if new_payers else None


def _month_end(first: date) -> date:
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)
