"""The customer's payment page behind `/i/<code>`: server-rendered, no third-party anything, and
a strict Content-Security-Policy. Choosing a method creates a fresh checkout at the provider and
answers 303 to the URL the provider returned; the return page only reports what is known.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import secrets
import threading
from datetime import date as Date
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_timedelta
from cachetools import TTLCache
from flask import Blueprint, Response, abort, current_app, redirect, render_template, request
from flask.sansio.blueprints import BlueprintSetupState
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from core.branding import text_colour_on
from core.errors import Conflict, NotFound, ValidationError
from core.events import SourceKind
from core.invoices import PAYABLE, InvoiceStatus
from core.links import InvalidToken, TokenPurpose, TokenSigner, looks_like_link_code, payment_url
from core.money import Money
from core.page_texts import TEXTS as PAGE_TEXTS
from core.page_texts import page_language, translate
from core.payments.bank_transfer import creditor_reference, epc_qr_svg, grouped
from core.payments.provider import PaymentMethod
from core.payments.registry import allowed_checkout_origins
from core.satisfaction import SurveyAnswer
from core.services import (
    autopay,
    checkout,
    credit_notes,
    documents,
    invoicing,
    payment_accounts,
    recurring,
    rewards,
    survey,
)
from core.services.after_payment import SurveyMode
from core.services.page_version import PageVersion, PageVersions, page_version
from core.services.payment_accounts import PaymentOption
from core.storage.models import Invoice, Merchant, PaymentAccount
from core.web.compression import same_body_for_a_while
from core.web.current import providers, services
from core.web.document_download import document_response
from core.web.page_cache import FORM_TOKEN_SLOT, PageCache, RenderedPage, valid_until

PAY_FORM_MAX_AGE = 12 * 3600


def _load(code: str) -> tuple[Invoice, Merchant]:
    """The invoice behind a code, or the same 404 whatever was wrong with the code."""
    if not looks_like_link_code(code):
        abort(404)
    try:
        return invoicing.invoice_by_code(services(), code)
    except NotFound:
        abort(404)


class PageView:
    """Everything a payment page template shows, formatted for the customer's language."""

    def __init__(
        self, invoice: Invoice, merchant: Merchant, now: datetime, language: str | None = None
    ) -> None:
        customer = invoicing.customer_of(invoice, services())
        self.language = language or page_language(request.args.get("lang"), customer.locale)
        self.locale = {"fr": "fr_FR", "en": "en_GB"}[self.language]
        self.zone = ZoneInfo(merchant.timezone)
        self.invoice, self.merchant, self.now, self.customer = invoice, merchant, now, customer
        self.state = invoicing.state_of(invoice)
        self.brand = merchant.brand_color
        self.on_brand = text_colour_on(merchant.brand_color)

    def t(self, key: str, **values: Any) -> str:
        return translate(self.language, key, **values)

    def method_label(self, method: str) -> str:
        """How the customer paid, in words ("card" is "Carte bancaire, Apple Pay...")."""
        key = f"method.{method}"
        return self.t(key if key in PAGE_TEXTS[self.language] else "method.other", count="")

    def money(self, minor: int) -> str:
        return Money(minor, self.invoice.currency).format(self.locale)

    def date(self, moment: datetime | None) -> str:
        return (
            format_date(moment.astimezone(self.zone), "long", locale=self.locale) if moment else ""
        )

    def day(self, day: Date) -> str:
        return str(format_date(day, "long", locale=self.locale))

    def datetime(self, moment: datetime) -> str:
        return format_datetime(moment.astimezone(self.zone), "d MMMM y HH:mm", locale=self.locale)

    @property
    def amount_due(self) -> Money:
        """What paying in full now costs, an early-payment discount still on offer included."""
        return self.state.amount_due_at(self.now)

    @property
    def early_offer(self) -> str | None:
        discount = self.state.early_discount_at(self.now)
        if discount.is_zero or self.invoice.early_discount_until is None:
            return None
        return self.t(
            "early_offer",
            discount=self.money(discount.minor),
            date=self.datetime(self.invoice.early_discount_until),
            full=self.money(self.state.amount_due.minor),
        )

    @cached_property
    def instalments(self) -> list[tuple[str, str]]:
        """The instalment schedule on offer, as (amount, when) lines; [] when none is."""
        if not self.payable:
            return []
        today = self.now.astimezone(self.zone).date()
        plan = payment_accounts.instalment_plan(
            services(), self.merchant.id, self.state.amount_due, today
        )
        return [
            (
                self.money(part.amount.minor),
                self.t("today")
                if part.due_on == today
                else self.t("on_date", date=format_date(part.due_on, "long", locale=self.locale)),
            )
            for part in plan
        ]

    @property
    def status_label(self) -> str:
        return self.t(f"status.{self.invoice.status.value}")

    @property
    def payable(self) -> bool:
        return self.invoice.status in PAYABLE

    @property
    def expires_in(self) -> str | None:
        expires_at = self.invoice.expires_at
        if expires_at is None or not self.payable or expires_at <= self.now:
            return None
        delta = format_timedelta(expires_at - self.now, threshold=1.5, locale=self.locale)
        return self.t("expires_in", delta=delta, date=self.datetime(expires_at))

    @property
    def due_line(self) -> str:
        if self.invoice.status == InvoiceStatus.OVERDUE:
            return self.t("overdue_since", date=self.date(self.invoice.due_at))
        return self.t("due_on", date=self.date(self.invoice.due_at)) if self.invoice.due_at else ""

    def other_language_url(self) -> str:
        other = "en" if self.language == "fr" else "fr"
        return f"{request.path}?lang={other}"


def _csp(form_origins: frozenset[str], style_source: str, script_nonce: str | None = None) -> str:
    """The pages' policy: nothing but our stylesheet and the page's one style element, allowed
    by its hash (the same bytes on every view, so a repeat view is the same response,
    compressed once); a page that polls (the return page while a payment is confirmed) also
    runs its one nonce'd script, which may fetch this origin only."""
    form_action = " ".join(["'self'", *sorted(form_origins)])
    script = f"script-src 'nonce-{script_nonce}'; connect-src 'self'; " if script_nonce else ""
    return (
        "default-src 'none'; "
        f"style-src 'self' '{style_source}'; "
        f"{script}"
        "img-src 'self' data: https:; "
        f"form-action {form_action}; "
        "base-uri 'none'; frame-ancestors 'none'"
    )


def _offered(
    view: PageView, accounts: list[PaymentAccount] | None
) -> tuple[list[PaymentOption], frozenset[str]]:
    """The methods the page offers and the checkout origins its forms may post to;
    `accounts` are the merchant's enabled payment accounts when the caller read them already
    (the page's one snapshot)."""
    offered = (
        payment_accounts.options_of(accounts)
        if accounts is not None
        else payment_accounts.payment_options(services(), view.merchant.id)
    )
    options = payment_accounts.usable_options(providers(), offered) if view.payable else []
    allowed = view.invoice.allowed_methods  # a billing rule's choice for this invoice
    if allowed is not None:
        options = [o for o in options if o.method.value in allowed]
    if any(o.method == PaymentMethod.INSTALMENTS for o in options) and not view.instalments:
        options = [o for o in options if o.method != PaymentMethod.INSTALMENTS]
    origins: frozenset[str] = frozenset()
    for option in options:
        origins |= allowed_checkout_origins(option.provider, providers())
    return options, origins


def _style(view: PageView) -> tuple[Markup, str]:
    """The page's one style element (our stylesheet inlined: one round trip less after an SMS
    tap, and the merchant's colours) and its CSP hash source."""
    css: Markup = current_app.extensions["paylink.pay_css"]
    style = Markup("{}:root{{--brand:{};--on-brand:{}}}").format(css, view.brand, view.on_brand)
    digest = base64.b64encode(hashlib.sha256(str(style).encode()).digest()).decode()
    return style, f"sha256-{digest}"


def _html(
    body: str,
    origins: frozenset[str],
    style_source: str,
    status: int = 200,
    script_nonce: str | None = None,
) -> Response:
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = _csp(origins, style_source, script_nonce)
    response.headers["Cache-Control"] = "no-store"
    return response


def _render(
    template: str, view: PageView, status: int = 200, polls: bool = False, **extra: Any
) -> Response:
    """A payment page; one that polls has its script's own nonce."""
    nonce = secrets.token_urlsafe(16) if polls else None
    options, origins = _offered(view, None)
    style, style_source = _style(view)
    body = render_template(
        template, view=view, options=options, nonce=nonce, polls=polls, style=style, **extra
    )
    return _html(body, origins, style_source, status, nonce)


def _invoice_page(code: str, version: PageVersion, language: str) -> RenderedPage:
    """The invoice page rendered with a slot for its form token (the first view is recorded on
    the way)."""
    try:
        invoice, merchant, accounts = invoicing.payment_page(services(), code)
    except NotFound:  # deleted since its version was read
        abort(404)
    view = PageView(invoice, merchant, services().clock(), language)
    options, origins = _offered(view, accounts)
    style, style_source = _style(view)
    body = render_template(
        "pay/invoice.html",
        view=view,
        options=options,
        form_token=FORM_TOKEN_SLOT,
        style=style,
        # A subscription's invoice may keep the method it is paid with for the next ones.
        offers_autopay=invoice.source_kind == SourceKind.RECURRING
        and any(autopay.saves(o.provider, o.method) for o in options),
    )
    deadlines = (invoice.early_discount_until, invoice.due_at, invoice.expires_at)
    return RenderedPage(body, origins, style_source, version, valid_until(view.now, deadlines))


def _form_token(code: str, purpose: TokenPurpose = TokenPurpose.PAY_FORM) -> str:
    """The page's form token: stateless, bound to this link and this form (CSRF). A token
    signed for the same link in the last seconds is handed out again (signing costs as much
    as serving a cached page; the token's age is checked from its signing, so it only lives
    those seconds less)."""
    recent: TTLCache[tuple[str, str], str] = current_app.extensions["paylink.pay_tokens"]
    key = (purpose.value, code)
    with _TOKENS_LOCK:
        token = recent.get(key)
    if token is None:
        signer: TokenSigner = current_app.extensions["paylink.pay_signer"]
        token = signer.sign(purpose, code)
        with _TOKENS_LOCK:
            recent[key] = token
    return token


#: How long a form token is handed out again, and to how many links at once.
TOKEN_REUSE_SECONDS, TOKEN_REUSE_LINKS = 30, 4096
_TOKENS_LOCK = threading.Lock()


SURVEY_FORM = TokenPurpose.SURVEY


def _check_form_token(code: str, purpose: TokenPurpose) -> None:
    try:
        signed = current_app.extensions["paylink.pay_signer"].verify(
            purpose, request.form.get("token", ""), PAY_FORM_MAX_AGE
        )
    except InvalidToken:
        abort(400, description="this page is out of date: reload it and try again")
    if signed != code:
        abort(400, description="this form belongs to another invoice")


def _score(value: str | None) -> int:
    """A radio button's value: a small whole number, or a ValidationError when none was
    chosen (or a forged one was posted)."""
    if value is None or not value.isdigit() or len(value) > 2:
        raise ValidationError("choose an answer")
    return int(value)


def create_pay_blueprint() -> Blueprint:
    pay = Blueprint("pay", __name__, url_prefix="/i")

    @pay.record_once
    def _per_app(state: BlueprintSetupState) -> None:
        state.app.extensions["paylink.page_cache"] = PageCache()
        ctx = state.app.extensions["paylink"]
        state.app.extensions["paylink.page_versions"] = PageVersions(ctx.db)
        # Inlined in each page's style element: one round trip less after an SMS tap (3 KB).
        stylesheet = Path(state.app.static_folder or "", "pay.css").read_text("utf-8")
        state.app.extensions["paylink.pay_css"] = Markup(stylesheet)  # noqa: S704 (our file)
        state.app.extensions["paylink.pay_signer"] = TokenSigner(state.app.config["SECRET_KEY"])
        state.app.extensions["paylink.pay_tokens"] = TTLCache(
            maxsize=TOKEN_REUSE_LINKS, ttl=TOKEN_REUSE_SECONDS
        )

    @pay.get("/<code>")
    def page(code: str) -> Response:
        """Served from the page cache while the invoice's rows are unchanged: a repeat view
        costs one indexed read and no rendering, or none on PostgreSQL (`PageVersions`)."""
        if not looks_like_link_code(code):
            abort(404)
        versions: PageVersions = current_app.extensions["paylink.page_versions"]
        # The first view changes the row (recorded below): its version is kept from the next.
        version = versions.read_through(
            code, lambda: page_version(services(), code), lambda read: read.viewed
        )
        if version is None:
            abort(404)
        language = page_language(request.args.get("lang"), version.customer_locale)
        cache: PageCache = current_app.extensions["paylink.page_cache"]
        rendered = cache.get(code, language, version, services().clock())
        if rendered is None or not version.viewed:
            rendered = _invoice_page(code, version, language)
            cache.put(code, language, rendered)
        body, name = rendered.fill(_form_token(code))
        same_body_for_a_while(name)
        return _html(body, rendered.checkout_origins, rendered.style_source)

    @pay.post("/<code>/pay")
    def start(code: str) -> BaseResponse:
        invoice, _ = _load(code)
        _check_form_token(code, TokenPurpose.PAY_FORM)
        try:
            method = PaymentMethod(request.form.get("method", ""))
        except ValueError:
            abort(400, description="choose a payment method")
        page_url = payment_url(providers().base_url, code)
        try:
            target = checkout.start_checkout(
                services(),
                providers(),
                invoice,
                method,
                page_url,
                save_method=request.form.get("save_method") == "yes",
            )
        except ValidationError as error:
            abort(409, description=error.message)
        return redirect(target, code=303)

    @pay.get("/<code>/transfer")
    def transfer(code: str) -> BaseResponse:
        invoice, merchant = _load(code)
        details = payment_accounts.bank_transfer_details(services(), merchant.id)
        if details is None or invoice.status not in PAYABLE:
            return redirect(payment_url("", code), code=303)
        view = PageView(invoice, merchant, services().clock())
        reference = creditor_reference(invoice.number)
        qr = epc_qr_svg(details, view.amount_due, reference)
        return _render(
            "pay/transfer.html",
            view,
            details=details,
            reference=grouped(reference),
            qr=Markup(qr) if qr else None,  # noqa: S704 (segno SVG: a path, no input text)
        )

    @pay.get("/<code>/return")
    def returned(code: str) -> Response:
        invoice, merchant = _load(code)
        view = PageView(invoice, merchant, services().clock())
        settled = invoice.status == InvoiceStatus.PAID
        failed = invoicing.last_payment_failed(services(), invoice.id)
        if not (settled or failed):
            checkout.customer_returned(services(), invoice)
        return _render(
            "pay/return.html", view, polls=not (settled or failed), settled=settled, failed=failed
        )

    @pay.get("/<code>/invoice.pdf")
    def invoice_document(code: str) -> Response:
        """The invoice as the worker made it; 503 (a page saying it is being prepared) in the
        seconds before."""
        invoice, _ = _load(code)
        stored = documents.invoice_pdf(services(), invoice.id)
        if stored is None:
            abort(503)
        return document_response(stored.pdf, stored.sha256, invoice.number)

    @pay.get("/<code>/credit-notes/<int:note_id>.pdf")
    def credit_note_document(code: str, note_id: int) -> Response:
        """A credit note of this invoice (a refund's), once the worker made it."""
        invoice, _ = _load(code)
        note = credit_notes.credit_note_pdf(services(), invoice.id, note_id)
        if note is None or note.pdf is None or note.sha256 is None:
            abort(404)
        return document_response(note.pdf, note.sha256, note.number)

    @pay.route("/<code>/subscription", methods=["GET", "POST"])
    def subscription(code: str) -> BaseResponse:
        """The customer pauses, resumes or cancels the subscription behind this invoice."""
        invoice, merchant = _load(code)
        schedule = recurring.schedule_of_invoice(services(), invoice)
        if schedule is None:
            abort(404)
        page = f"{payment_url('', code)}/subscription"
        if request.method == "POST":
            _check_form_token(code, TokenPurpose.SUBSCRIPTION)
            action = request.form.get("action", "")
            if action == "cancel" and request.form.get("confirmed") != "yes":
                return redirect(f"{page}?confirm=cancel", code=303)  # asked once more
            with contextlib.suppress(Conflict):  # done already (twice clicked, another tab)
                recurring.customer_action(services(), invoice, action)
            return redirect(page, code=303)
        view = PageView(invoice, merchant, services().clock())
        return _render(
            "pay/subscription.html",
            view,
            schedule=schedule,
            each=view.money(recurring.content_of(schedule).totals().total.minor),
            form_token=_form_token(code, TokenPurpose.SUBSCRIPTION),
            confirm_cancel=request.args.get("confirm") == "cancel",
        )

    @pay.get("/<code>/receipt")
    def receipt(code: str) -> BaseResponse:
        invoice, merchant = _load(code)
        if invoice.status not in (InvoiceStatus.PAID, InvoiceStatus.REFUNDED):
            return redirect(payment_url("", code), code=303)
        view = PageView(invoice, merchant, services().clock())
        return _render(
            "pay/receipt.html",
            view,
            payments=invoicing.invoice_payments(services(), invoice.id),
            ask_survey=merchant.survey_mode != SurveyMode.OFF,
            reward=rewards.invoice_reward(services(), invoice.id),
            credit_notes=[
                n for n in credit_notes.credit_notes_of(services(), invoice.id) if n.ready
            ],
        )

    @pay.route("/<code>/survey", methods=["GET", "POST"])
    def satisfaction_survey(code: str) -> BaseResponse:
        """Four questions on one page, no JavaScript; one answer per invoice."""
        if not looks_like_link_code(code):
            abort(404)
        try:
            invoice, merchant, answered = survey.can_answer(services(), code)
        except NotFound:
            abort(404)
        view = PageView(invoice, merchant, services().clock())
        if answered:
            return _render("pay/survey.html", view, thanked=True)
        if request.method == "GET":
            return _render("pay/survey.html", view, form_token=_form_token(code, SURVEY_FORM))
        _check_form_token(code, SURVEY_FORM)
        try:
            answer = SurveyAnswer(
                _score(request.form.get("ease")),
                _score(request.form.get("clarity")),
                _score(request.form.get("recommend")),
                request.form.get("comment", ""),
            )
        except ValidationError:
            return _render(
                "pay/survey.html",
                view,
                status=422,
                form_token=_form_token(code, SURVEY_FORM),
                missing=True,
                chosen=request.form,
            )
        with contextlib.suppress(Conflict):  # posted twice at once: thanked all the same
            survey.answer_survey(services(), code, answer)
        return _render("pay/survey.html", view, thanked=True)

    return pay
