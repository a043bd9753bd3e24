"""Every timeline event the core records, and every message step it plans, has words in both
console languages: no internal code ("rules_applied", "receipt") reaches a merchant."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.services.recurring import ACTIONS
from core.web.console.texts import EVENTS, step_label

CORE = Path(__file__).resolve().parents[4] / "core"
RECORDED = re.compile(r'record\(\s*session,\s*[^,()]+,\s*(f?)"([a-z_{}]+)"')
RECORDED_TOGETHER = re.compile(r'record_together\(\s*session,\s*"([a-z_]+)"')


def recorded_kinds() -> set[str]:
    kinds = set()
    for source in CORE.rglob("*.py"):
        text = source.read_text("utf-8")
        for is_format, kind in RECORDED.findall(text):
            if is_format:  # the one f-string kind: a customer's action on a subscription
                kinds |= {kind.replace("{action}", action) for action in ACTIONS}
            else:
                kinds.add(kind)
        kinds.update(RECORDED_TOGETHER.findall(text))
    return kinds


def test_the_scan_finds_the_core_s_events():
    assert {"created", "rules_applied", "subscription_cancel_by_customer"} <= recorded_kinds()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_recorded_event_has_words(language):
    missing = sorted(kind for kind in recorded_kinds() if kind not in EVENTS[language])
    assert missing == []


STEP_CONSTANT = re.compile(r'^[A-Z_]*STEP = "([a-z_-]+)"', re.M)


def planned_steps() -> set[str]:
    """The one-off steps the core plans besides a schedule's (the receipt, the survey)."""
    return {
        step
        for source in CORE.rglob("*.py")
        for step in STEP_CONSTANT.findall(source.read_text("utf-8"))
    }


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_step_the_core_plans_has_words(language):
    assert {"receipt", "survey"} <= planned_steps()
    for step in (*planned_steps(), "invoice", "reminder-2", "resend-1-20261130004901"):
        assert " " in step_label(language, step), step  # words, not the step's code
