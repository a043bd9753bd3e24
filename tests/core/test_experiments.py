"""Assignment and statistics of A/B tests against known values."""

from __future__ import annotations

from collections import Counter

import pytest

from core.errors import ValidationError
from core.experiments import Arm, ArmResult, Verdict, assign, check_shares, compare


def test_assignment_is_stable_and_balanced_chi_square_on_10000():
    arms = [assign("exp-7", invoice_id, 40, 20) for invoice_id in range(10_000)]
    assert arms == [assign("exp-7", invoice_id, 40, 20) for invoice_id in range(10_000)]
    counts = Counter(arms)
    expected = {Arm.HOLDOUT: 2_000, Arm.B: 4_000, Arm.A: 4_000}
    chi_square = sum((counts[arm] - e) ** 2 / e for arm, e in expected.items())
    assert chi_square < 9.21  # the 99th percentile of chi-square with 2 degrees of freedom
    other = [assign("exp-8", invoice_id, 40, 20) for invoice_id in range(10_000)]
    assert arms != other  # each experiment draws its own assignment


def test_the_two_proportion_test_matches_known_values():
    # 200/1000 against 250/1000: pooled p 0.225, z = 0.05 / 0.018675 = 2.6774, p = 0.00742
    result = compare(ArmResult(Arm.A, 1000, 200, 0), ArmResult(Arm.B, 1000, 250, 0))
    assert result.p_value == pytest.approx(0.00742, abs=1e-4)
    assert result.difference == pytest.approx(0.05)
    assert (result.low, result.high) == (
        pytest.approx(0.05 - 1.959964 * 0.018628, abs=1e-4),
        pytest.approx(0.05 + 1.959964 * 0.018628, abs=1e-4),
    )
    assert result.verdict == Verdict.SECOND_BETTER


def test_no_verdict_below_the_minimum_sample_nor_without_a_difference():
    early = compare(ArmResult(Arm.A, 99, 10, 0), ArmResult(Arm.B, 500, 400, 0))
    assert early.verdict == Verdict.TOO_EARLY and early.p_value is None
    same = compare(ArmResult(Arm.A, 500, 100, 0), ArmResult(Arm.B, 500, 104, 0))
    assert same.verdict == Verdict.NO_DIFFERENCE


def test_wilson_interval_and_shares():
    low, high = ArmResult(Arm.A, 100, 10, 0).interval()
    assert (round(low, 4), round(high, 4)) == (0.0552, 0.1744)
    with pytest.raises(ValidationError):
        check_shares(60, 50)
    with pytest.raises(ValidationError):
        check_shares(10, 60)
