"""The billing rules page: the merchant's rules in order, each in words; a form adding one;
remove or move a rule up; and a sample invoice tried against the rules, showing which rule
decided each setting and, for every rule, which of its conditions held."""

from __future__ import annotations

from flask import Response, flash, redirect, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from core.billing_rules import (
    Conditions,
    CustomerType,
    Effects,
    InvoiceFacts,
    Rule,
    decide,
)
from core.errors import PaylinkError
from core.money import Money
from core.payments.provider import PaymentMethod
from core.services import accounts, billing
from core.web.console.forms import ActionForm, RuleForm, TryRuleForm
from core.web.console.pages import (
    form_locales,
    language,
    platform_name,
    render,
    require_csrf,
    signed_in_merchant,
    submitted,
)
from core.web.console.texts import console_text, said
from core.web.current import services


def _store_names(merchant_id: int) -> dict[int, str]:
    """The merchant's stores as a rule names them ("Shopify · lune.myshopify.com")."""
    return {
        store.id: f"{platform_name(store.platform)} · {store.domain}"
        for store in accounts.merchant_stores(services(), merchant_id)
    }


def _choices(form: RuleForm | TryRuleForm) -> None:
    lang = language()
    form.customer_type.choices = [
        ("", console_text(lang, "rule_any")),
        *((t.value, console_text(lang, f"customer_type.{t.value}")) for t in CustomerType),
    ]
    if isinstance(form, RuleForm):
        form.methods.choices = [
            (m.value, console_text(lang, f"method.{m.value}")) for m in PaymentMethod
        ]
        form.channel.choices = [
            ("", console_text(lang, "rule_any")),
            ("sms", console_text(lang, "medium.sms")),
            ("email", console_text(lang, "medium.email")),
        ]
        form.store_id.choices = [
            ("", console_text(lang, "rule_any_store")),
            *((str(i), name) for i, name in _store_names(current_user.merchant_id).items()),
        ]
        form.reminders.choices = [
            ("", console_text(lang, "rule_reminders_keep")),
            ("off", console_text(lang, "rule_no_reminders")),
        ]


def _minor(value: str | None, currency: str) -> int | None:
    if not value or not value.strip():
        return None
    return Money.parse(value.strip().replace(",", "."), currency).minor


def _page(
    rule_form: RuleForm | None = None,
    try_form: TryRuleForm | None = None,
    tried: object = None,
    status: int = 200,
) -> Response:
    merchant = signed_in_merchant()
    rule_form = rule_form or RuleForm(meta=form_locales())
    try_form = try_form or TryRuleForm(meta=form_locales())
    _choices(rule_form)
    _choices(try_form)
    return render(
        "console/billing_rules.html",
        status=status,
        rules=billing.rules_of(merchant),
        rule_form=rule_form,
        try_form=try_form,
        tried=tried,
        action_form=ActionForm(),
        store_names=_store_names(merchant.id),
        money=lambda minor: Money(minor, merchant.currency).format(
            "fr_FR" if language() == "fr" else "en_GB"
        ),
    )


@login_required
def billing_rules() -> Response:
    return _page()


@login_required
def add_rule() -> Response | BaseResponse:
    merchant = signed_in_merchant()
    form = RuleForm(meta=form_locales())
    _choices(form)
    if not submitted(form):
        return _page(rule_form=form, status=422)
    try:
        rule = Rule(
            form.name.data.strip(),
            Conditions(
                customer_type=CustomerType(form.customer_type.data)
                if form.customer_type.data
                else None,
                customer_tag=(form.customer_tag.data or "").strip() or None,
                store_id=int(form.store_id.data) if form.store_id.data else None,
                sku_prefix=form.sku_prefix.data or None,
                country=(form.country.data or "").upper() or None,
                min_total=_minor(form.min_total.data, merchant.currency),
                max_total=_minor(form.max_total.data, merchant.currency),
            ),
            Effects(
                payment_terms_days=form.payment_terms_days.data,
                methods=tuple(form.methods.data) or None,
                early_discount_percent=form.early_discount_percent.data,
                early_discount_hours=form.early_discount_hours.data,
                channel=form.channel.data or None,
                reminders=False if form.reminders.data == "off" else None,
            ),
        )
        billing.set_rules(services(), merchant.id, [*billing.rules_of(merchant), rule])
    except PaylinkError as refusal:
        form.name.errors = [said(language(), refusal)]
        return _page(rule_form=form, status=422)
    flash(console_text(language(), "rule_added"))
    return redirect(url_for("console.billing_rules"), code=303)


@login_required
def change_rule(position: int, action: str) -> BaseResponse:
    """Remove a rule, or move it one place up (it then wins before the one above it)."""
    require_csrf()
    merchant = signed_in_merchant()
    rules = billing.rules_of(merchant)
    if 0 <= position < len(rules):
        if action == "remove":
            del rules[position]
        elif action == "up" and position > 0:
            rules[position - 1], rules[position] = rules[position], rules[position - 1]
        billing.set_rules(services(), merchant.id, rules)
        flash(console_text(language(), "saved"))
    return redirect(url_for("console.billing_rules"), code=303)


@login_required
def try_rules() -> Response:
    """A sample invoice against the rules: the decision and every rule's reasons."""
    merchant = signed_in_merchant()
    form = TryRuleForm(meta=form_locales(), formdata=request.args)
    _choices(form)
    if not form.validate():
        return _page(try_form=form, status=422)
    facts = InvoiceFacts(
        customer_type=CustomerType(form.customer_type.data or CustomerType.CONSUMER),
        store_id=None,
        skus=frozenset({form.sku.data}) if form.sku.data else frozenset(),
        country=(form.country.data or merchant.country).upper(),
        currency=merchant.currency,
        total=_minor(form.total.data, merchant.currency) or 0,
        tags=frozenset({form.tag.data.strip().casefold()}) if form.tag.data else frozenset(),
    )
    rules = billing.rules_of(merchant)
    tried = {
        "decision": decide(rules, facts),
        "reasons": [(rule.name, rule.conditions.reasons(facts)) for rule in rules],
    }
    return _page(try_form=form, tried=tried)


#: This area's pages, registered on the console blueprint by `create_console_blueprint`.
ROUTES = [
    ("/billing-rules", billing_rules, ["GET"]),
    ("/billing-rules", add_rule, ["POST"]),
    ("/billing-rules/try", try_rules, ["GET"]),
    ("/billing-rules/<int:position>/<action>", change_rule, ["POST"]),
]
