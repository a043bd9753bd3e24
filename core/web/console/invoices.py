"""The console's invoices: a filtered, searchable list; one invoice with its lines, payments,
messages and timeline; and what a merchant does to it (resend, void, mark paid by hand)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, flash, redirect, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from core.errors import Conflict, PaylinkError, ValidationError
from core.events import CustomerDetails, InvoiceRequested, SourceKind
from core.invoices import InvoiceContent, InvoiceLine, InvoiceStatus
from core.links import payment_url
from core.money import Money
from core.page_texts import translate
from core.services import (
    accounts,
    credit_notes,
    documents,
    invoice_creation,
    invoicing,
    message_settings,
    messaging,
    payments,
)
from core.services.invoice_queries import (
    InvoiceFilter,
    invoice_timeline,
    list_invoices,
    planned_messages,
)
from core.storage.models import Merchant, Payment
from core.web.console.forms import ActionForm, InvoiceForm, MarkPaidForm, VoidForm
from core.web.console.pages import (
    form_locales,
    language,
    render,
    require_csrf,
    signed_in_merchant,
    submitted,
)
from core.web.console.texts import TEXTS, console_text, said, step_label
from core.web.current import services, settings
from core.web.document_download import document_response

PAGE_SIZE = 25


def _status(raw: str | None) -> InvoiceStatus | None:
    try:
        return InvoiceStatus(raw) if raw else None
    except ValueError:
        return None


def _day(raw: str | None, zone: ZoneInfo) -> datetime | None:
    """The start of a day the filter names (YYYY-MM-DD, the merchant's time zone), or None."""
    try:
        return datetime.combine(date.fromisoformat(raw or ""), time(0), zone)
    except ValueError:
        return None


def _detail(invoice_id: int, **forms: object) -> Response:
    ctx, merchant_id = services(), current_user.merchant_id
    invoice = invoicing.load_invoice_by_id(ctx, merchant_id, invoice_id)
    state = invoicing.state_of(invoice)
    return render(
        "console/invoice.html",
        status=422 if any(getattr(f, "errors", None) for f in forms.values()) else 200,
        invoice=invoice,
        state=state,
        customer=invoicing.customer_of(invoice, ctx),
        payments=invoicing.invoice_payments(ctx, invoice.id),
        messages=message_settings.message_log(ctx, merchant_id, invoice.id, 50),
        timeline=invoice_timeline(ctx, merchant_id, invoice.id),
        planned=planned_messages(ctx, merchant_id, invoice.id),
        credit_notes=credit_notes.credit_notes_of(ctx, invoice.id),
        link=payment_url(settings().base_url, invoice.link_code),
        money=lambda minor: Money(minor, invoice.currency).format(
            "fr_FR" if language() == "fr" else "en_GB"
        ),
        shop_total=(
            Money(invoice.shop_total, invoice.shop_currency).format(
                "fr_FR" if language() == "fr" else "en_GB"
            )
            if invoice.shop_total and invoice.shop_currency
            else None
        ),
        paid_with=_paid_with,
        detail=_timeline_detail,
        step=lambda name: step_label(language(), name),
        resend_form=forms.get("resend_form") or ActionForm(),
        void_form=forms.get("void_form") or VoidForm(meta=form_locales()),
        paid_form=forms.get("paid_form")
        or MarkPaidForm(meta=form_locales(), data={"amount": _typed_amount(state.amount_due)}),
    )


def _paid_with(payment: Payment) -> str:
    """How a payment was made, in the merchant's words ("Virement, saisi à la main")."""
    lang, method = language(), payment.method or "other"
    if payment.provider == payments.MANUAL_PROVIDER:
        return console_text(lang, "paid_by_hand", method=console_text(lang, f"method.{method}"))
    for key in (f"paid_with.{method}", f"method.{method}"):
        if key in TEXTS[lang]:
            return console_text(lang, key)
    return console_text(lang, "method.other")


def _timeline_detail(key: str, value: object) -> str:
    """A timeline entry's detail in words: a channel, a reminder step, a skipped step's
    reason; free text (a void's reason, a store's answer) as it was written."""
    lang, text = language(), str(value)
    if key == "rules" and isinstance(value, list):  # the billing rules that applied, by name
        return ", ".join(str(name) for name in value)
    if key == "arm" and f"arm.{text}" in TEXTS[lang]:  # an A/B test's group
        return console_text(lang, f"arm.{text}")
    if key == "channel" and f"medium.{text}" in TEXTS[lang]:
        return console_text(lang, f"medium.{text}")
    if key == "step":
        return step_label(lang, text)
    if key == "decline":  # why an automatic payment failed, as the provider coded it
        known = f"decline.{text}"
        return console_text(lang, known if known in TEXTS[lang] else "decline.other", code=text)
    if key == "reason":
        code = f"reason.{text.replace(' ', '_')}"
        if code in TEXTS[lang]:
            return console_text(lang, code)
        if text in {status.value for status in InvoiceStatus}:
            status = translate(lang, f"status.{text}").lower()
            return console_text(lang, "reason.status", status=status)
    return text


def _typed_amount(amount: Money) -> str:
    """An amount as the user would type it ("75,50" in French): what "mark paid" offers."""
    plain = amount.to_major_string()
    return plain.replace(".", ",") if language() == "fr" else plain


def _invoice_request(form: InvoiceForm, merchant: Merchant) -> InvoiceRequested:
    """The form as the same request the API makes; errors land on the field they concern."""

    def amount(field: Any) -> Money:
        raw = (field.data or "0").replace(",", ".").replace(" ", "")
        try:
            return Money.parse(raw, merchant.currency)
        except ValidationError as error:
            field.errors = [*field.errors, said(language(), error)]
            raise

    if not (form.customer_email.data or form.customer_phone.data):
        message = console_text(language(), "contact_needed")
        form.customer_email.errors = [*form.customer_email.errors, message]
        raise ValidationError(message)
    lines = []
    for entry in form.lines:
        line = entry.form
        if not (line.label.data or "").strip():
            continue
        price = amount(line.unit_price)
        lines.append(
            InvoiceLine(
                line.label.data.strip(), line.quantity.data or 1, price, Money.zero(price.currency)
            )
        )
    if not lines:
        raise ValidationError("an invoice needs at least one line")
    content = InvoiceContent(
        merchant.currency, tuple(lines), amount(form.shipping), Money.zero(merchant.currency)
    )
    due_at = (
        datetime.combine(form.due_on.data, time(23, 59), ZoneInfo(merchant.timezone))
        if form.due_on.data
        else None
    )
    return InvoiceRequested(
        source_kind=SourceKind.API,
        external_id=form.reference.data or None,
        content=content,
        customer=CustomerDetails(
            form.customer_name.data,
            form.customer_email.data or None,
            form.customer_phone.data or None,
            form.customer_locale.data,
        ),
        due_at=due_at,
    )


@login_required
def invoice_new() -> Response | BaseResponse:
    form = InvoiceForm(meta=form_locales())
    error = None
    if submitted(form):
        merchant = signed_in_merchant()
        try:
            invoice, _ = invoice_creation.create_invoice(
                services(), merchant.id, _invoice_request(form, merchant)
            )
        except PaylinkError as refusal:
            error = said(language(), refusal)
        else:
            return redirect(url_for("console.invoice_detail", invoice_id=invoice.id), code=303)
    failed = bool(error or form.errors)
    return render("console/invoice_new.html", status=422 if failed else 200, form=form, error=error)


def filter_from_request(limit: int = PAGE_SIZE) -> InvoiceFilter:
    """The list's filters as the query string gives them (status, search, store, days in the
    merchant's time zone, cursor): the list and its CSV export read the same ones."""
    zone = ZoneInfo(signed_in_merchant().timezone)
    since, until = _day(request.args.get("from"), zone), _day(request.args.get("to"), zone)
    return InvoiceFilter(
        status=_status(request.args.get("status")),
        search=(request.args.get("q") or "").strip()[:200] or None,
        store_id=request.args.get("store", type=int),
        created_from=since,
        created_to=until + timedelta(days=1) if until else None,
        starting_after=request.args.get("after", type=int),
        limit=limit,
    )


@login_required
def invoice_list() -> Response:
    where = filter_from_request()
    page = list_invoices(services(), current_user.merchant_id, where)
    return render(
        "console/invoices.html",
        page=page,
        chosen_status=where.status.value if where.status else "",
        statuses=[s.value for s in InvoiceStatus],
        stores=accounts.merchant_stores(services(), current_user.merchant_id),
        chosen_store=where.store_id,
        since=request.args.get("from", "") if where.created_from else "",
        until=request.args.get("to", "") if where.created_to else "",
        search=where.search or "",
        export_query=request.query_string.decode(),
        money=lambda invoice, minor: Money(minor, invoice.currency).format(
            "fr_FR" if language() == "fr" else "en_GB"
        ),
    )


@login_required
def invoice_detail(invoice_id: int) -> Response:
    return _detail(invoice_id)


@login_required
def resend(invoice_id: int) -> BaseResponse:
    require_csrf()
    try:
        messaging.resend_invoice(services(), current_user.merchant_id, invoice_id)
    except Conflict as refusal:  # its automatic payment is under way
        flash(said(language(), refusal))
    else:
        flash(console_text(language(), "resent"))
    return redirect(url_for("console.invoice_detail", invoice_id=invoice_id), code=303)


@login_required
def void(invoice_id: int) -> Response | BaseResponse:
    form = VoidForm(meta=form_locales())
    if not submitted(form):
        return _detail(invoice_id, void_form=form)
    invoicing.void_invoice(services(), current_user.merchant_id, invoice_id, form.reason.data)
    flash(console_text(language(), "voided"))
    return redirect(url_for("console.invoice_detail", invoice_id=invoice_id), code=303)


@login_required
def mark_paid(invoice_id: int) -> Response | BaseResponse:
    form = MarkPaidForm(meta=form_locales())
    if submitted(form):
        invoice = invoicing.load_invoice_by_id(services(), current_user.merchant_id, invoice_id)
        try:
            amount = Money.parse(form.amount.data.replace(",", "."), invoice.currency)
            if amount.minor <= 0:
                raise ValidationError("the amount must be positive")
            payments.record_manual_payment(
                services(),
                current_user.merchant_id,
                invoice_id,
                amount.minor,
                form.reference.data,
                form.method.data,
                None,
            )
        except PaylinkError as error:
            form.amount.errors = [*form.amount.errors, said(language(), error)]
        else:
            flash(console_text(language(), "marked_paid"))
            return redirect(url_for("console.invoice_detail", invoice_id=invoice_id), code=303)
    return _detail(invoice_id, paid_form=form)


#: This area's pages, registered on the console blueprint by `create_console_blueprint`.
@login_required
def invoice_document(invoice_id: int) -> BaseResponse:
    """The invoice's document, for the merchant (another merchant's invoice is a 404)."""
    invoice = invoicing.load_invoice_by_id(services(), current_user.merchant_id, invoice_id)
    stored = documents.invoice_pdf(services(), invoice.id)
    if stored is None:
        flash(console_text(language(), "document_not_ready"))
        return redirect(url_for("console.invoice_detail", invoice_id=invoice_id), code=303)
    return document_response(stored.pdf, stored.sha256, invoice.number)


@login_required
def credit_note_document(invoice_id: int, note_id: int) -> BaseResponse:
    """One of the invoice's credit notes (another merchant's invoice is a 404)."""
    invoice = invoicing.load_invoice_by_id(services(), current_user.merchant_id, invoice_id)
    note = credit_notes.credit_note_pdf(services(), invoice.id, note_id)
    if note is None or note.pdf is None or note.sha256 is None:
        flash(console_text(language(), "document_not_ready"))
        return redirect(url_for("console.invoice_detail", invoice_id=invoice_id), code=303)
    return document_response(note.pdf, note.sha256, note.number)


ROUTES = [
    ("/invoices/new", invoice_new, ["GET", "POST"]),
    ("/invoices", invoice_list, ["GET"]),
    ("/invoices/<int:invoice_id>", invoice_detail, ["GET"]),
    ("/invoices/<int:invoice_id>/invoice.pdf", invoice_document, ["GET"]),
    ("/invoices/<int:invoice_id>/credit-notes/<int:note_id>.pdf", credit_note_document, ["GET"]),
    ("/invoices/<int:invoice_id>/resend", resend, ["POST"]),
    ("/invoices/<int:invoice_id>/void", void, ["POST"]),
    ("/invoices/<int:invoice_id>/payments", mark_paid, ["POST"]),
]
