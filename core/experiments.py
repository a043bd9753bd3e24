"""A/B tests of a message with a holdout, as pure rules: who gets which arm, and what the
results allow one to say.

Each invoice is assigned once and deterministically (a hash of the experiment and the invoice,
so a retry, a second worker or a replay gives the same arm): a `holdout` share gets no message
at all for the step, which measures what the message itself earns; the rest is split between
the merchant's current text (A) and the new one (B). The comparison is a two-proportion z-test
with a 95% interval on the difference, and no verdict below a minimum sample per arm.
"""

from __future__ import annotations

import enum
import hashlib
import math
from dataclasses import dataclass
from statistics import NormalDist

from core.errors import ValidationError

BUCKETS = 10_000
#: Below this many invoices in each compared arm, no verdict is given.
MIN_PER_ARM = 100
CONFIDENCE = 0.95


class Arm(enum.StrEnum):
    A = "a"  # the current text
    B = "b"  # the text under test
    HOLDOUT = "holdout"  # no message for this step


def check_shares(b_percent: int, holdout_percent: int) -> None:
    if not 0 <= holdout_percent <= 50:
        raise ValidationError("the holdout is 0 to 50% of invoices", key="experiment_holdout")
    if not 1 <= b_percent <= 100 - holdout_percent:
        raise ValidationError(
            "variant B gets 1% or more, and with the holdout at most 100%",
            key="experiment_split",
        )


def assign(experiment_key: str, invoice_id: int, b_percent: int, holdout_percent: int) -> Arm:
    """The invoice's arm: the same for the same experiment and invoice, whoever asks."""
    digest = hashlib.sha256(f"{experiment_key}:{invoice_id}".encode()).digest()
    bucket = int.from_bytes(digest[:8], "big") % BUCKETS
    if bucket < holdout_percent * BUCKETS // 100:
        return Arm.HOLDOUT
    if bucket < (holdout_percent + b_percent) * BUCKETS // 100:
        return Arm.B
    return Arm.A


@dataclass(frozen=True, slots=True)
class ArmResult:
    arm: Arm
    assigned: int
    converted: int  # paid within the experiment's window after assignment
    collected: int  # minor units those payments brought
    median_hours_to_pay: int | None = None
    opened: int = 0

    @property
    def rate(self) -> float | None:
        return self.converted / self.assigned if self.assigned else None

    def interval(self) -> tuple[float, float] | None:
        """Wilson's 95% interval for the arm's conversion rate (sound near 0 and 1)."""
        if not self.assigned:
            return None
        z = NormalDist().inv_cdf(0.5 + CONFIDENCE / 2)
        n, p = self.assigned, self.converted / self.assigned
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return max(0.0, centre - half), min(1.0, centre + half)


class Verdict(enum.StrEnum):
    TOO_EARLY = "too_early"  # not enough invoices in an arm yet
    SECOND_BETTER = "second_better"
    FIRST_BETTER = "first_better"
    NO_DIFFERENCE = "no_difference"


@dataclass(frozen=True, slots=True)
class Comparison:
    difference: float | None  # second rate minus first rate
    low: float | None  # 95% interval of the difference
    high: float | None
    p_value: float | None
    verdict: Verdict


def compare(first: ArmResult, second: ArmResult, minimum: int = MIN_PER_ARM) -> Comparison:
    """Does `second` convert better than `first`? A two-sided two-proportion z-test (pooled
    standard error for the p-value, unpooled for the interval)."""
    if first.assigned < minimum or second.assigned < minimum:
        return Comparison(None, None, None, None, Verdict.TOO_EARLY)
    p1, p2 = first.converted / first.assigned, second.converted / second.assigned
    n1, n2 = first.assigned, second.assigned
    pooled = (first.converted + second.converted) / (n1 + n2)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    z_crit = NormalDist().inv_cdf(0.5 + CONFIDENCE / 2)
    difference = p2 - p1
    if se_pooled == 0:
        return Comparison(difference, difference, difference, 1.0, Verdict.NO_DIFFERENCE)
    z = difference / se_pooled
    p_value = 2 * (1 - NormalDist().cdf(abs(z)))
    if p_value >= 1 - CONFIDENCE:
        verdict = Verdict.NO_DIFFERENCE
    else:
        verdict = Verdict.SECOND_BETTER if difference > 0 else Verdict.FIRST_BETTER
    return Comparison(
        difference, difference - z_crit * se, difference + z_crit * se, p_value, verdict
    )
