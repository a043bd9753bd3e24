"""Every timeline event the core records has words in both console languages: no internal code
("rules_applied", "experiment_assigned") ever reaches a merchant's timeline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.services.recurring import ACTIONS
from core.web.console.texts import EVENTS

CORE = Path(__file__).resolve().parents[4] / "core"
RECORDED = re.compile(r'record\(\s*session,\s*[^,()]+,\s*(f?)"([a-z_{}]+)"')


def recorded_kinds() -> set[str]:
    kinds = set()
    for source in CORE.rglob("*.py"):
        for is_format, kind in RECORDED.findall(source.read_text("utf-8")):
            if is_format:  # the one f-string kind: a customer's action on a subscription
                kinds |= {kind.replace("{action}", action) for action in ACTIONS}
            else:
                kinds.add(kind)
    return kinds


def test_the_scan_finds_the_core_s_events():
    assert {"created", "rules_applied", "subscription_cancel_by_customer"} <= recorded_kinds()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_recorded_event_has_words(language):
    missing = sorted(kind for kind in recorded_kinds() if kind not in EVENTS[language])
    assert missing == []
