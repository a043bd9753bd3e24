"""Every timeline event the core records, and every message step it plans, has words in both
console languages: no internal code ("rules_applied", "receipt") reaches a merchant."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from string import Formatter

import pytest

from core.services.recurring import ACTIONS
from core.web.console.texts import ERRORS_FR, EVENTS, step_label

CORE = Path(__file__).resolve().parents[4] / "core"
RECORDED = re.compile(r'record\(\s*session,\s*[^,()]+,\s*(f?)"([a-z_{}]+)"')
RECORDED_TOGETHER = re.compile(r'record_together\(\s*session,\s*"([a-z_]+)"')
#: An event made before its invoice is written (`timeline_event`), recorded later.
PENDING = re.compile(r'timeline_event\(\s*"([a-z_]+)"')


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
        kinds.update(PENDING.findall(text))
    return kinds


def test_the_scan_finds_the_core_s_events():
    found = recorded_kinds()
    assert {
        "created",
        "rules_applied",
        "reminder_skipped",
        "subscription_cancel_by_customer",
    } <= found


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


def keyed_errors() -> list[tuple[str, set[str], str]]:
    """Every error raised in the core with a `key` (what the console translates): its key, the
    names of the values it carries, and where it is raised."""
    found = []
    for source in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            given = {keyword.arg: keyword.value for keyword in node.keywords if keyword.arg}
            key = given.get("key")
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                where = f"{source.relative_to(CORE.parent)}:{node.lineno}"
                found.append((key.value, set(given) - {"key"}, where))
    return found


def test_the_scan_finds_the_core_s_keyed_errors():
    keys = {key for key, _, _ in keyed_errors()}
    assert {"statement_dtd", "bank_match_shares", "phone", "rule_terms"} <= keys


def test_every_keyed_error_has_french_words_made_of_its_own_values():
    """A French merchant never reads an English refusal, and a French text never asks for a
    value its error does not carry (that would be a 500 instead of the reason)."""
    for key, values, where in keyed_errors():
        if key.startswith("step."):  # "step " + position, before the step's own error
            key = key.removeprefix("step.")
            values = values - {"position"}
        assert key in ERRORS_FR, f"{where}: no French words for {key!r}"
        wanted = {name for _, name, _, _ in Formatter().parse(ERRORS_FR[key]) if name}
        assert wanted <= values, f"{where}: {key!r} in French needs {sorted(wanted - values)}"
