"""The branding page: the shop's name, its colour (with WCAG contrast warnings and a live
preview), its logo (checked by content), and the legal details its invoice documents print."""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response as BaseResponse

from core.branding import contrast_ratio, text_colour_on
from core.errors import ValidationError
from core.services import accounts
from core.services.legal_details import LegalDetails, set_legal_details
from core.storage.models import Merchant
from core.web.console.forms import BrandingForm, LegalForm
from core.web.console.logos import save_logo
from core.web.console.pages import form_locales, language, render, signed_in_merchant, submitted
from core.web.console.texts import console_text, said
from core.web.current import services, settings

#: WCAG 2.1 AA: 4.5:1 for text (the page picks dark or white text, whichever reads better), and
#: 3:1 for controls against the page (1.4.11): a very light colour makes buttons fade on white.
TEXT_CONTRAST, CONTROL_CONTRAST = 4.5, 3.0


def contrast_warnings(colour: str) -> list[str]:
    """What the merchant should know about a brand colour, in their language."""
    warnings = []
    text = text_colour_on(colour)
    if (ratio := contrast_ratio(colour, text)) < TEXT_CONTRAST:
        warnings.append(console_text(language(), "contrast_text", text=text, ratio=f"{ratio:.1f}"))
    if (ratio := contrast_ratio(colour, "#ffffff")) < CONTROL_CONTRAST:
        warnings.append(console_text(language(), "contrast_page", ratio=f"{ratio:.1f}"))
    return warnings


@login_required
def branding() -> Response | BaseResponse:
    merchant = signed_in_merchant()
    form = BrandingForm(meta=form_locales(), obj=merchant)
    if submitted(form):
        try:
            accounts.update_branding(services(), merchant.id, form.name.data, form.brand_color.data)
            upload = request.files.get("logo")
            if form.remove_logo.data:
                accounts.set_logo(services(), merchant.id, None)
            elif upload and upload.filename:
                name = save_logo(settings().data_dir, merchant.id, upload.read())
                accounts.set_logo(services(), merchant.id, f"{settings().base_url}/logos/{name}")
        except ValidationError as error:
            form.logo.errors = [said(language(), error)]
        else:
            flash(console_text(language(), "saved"))
            return redirect(url_for("console.branding"), code=303)
    return _page(merchant, form)


def _page(merchant: Merchant, form: BrandingForm, legal_form: LegalForm | None = None) -> Response:
    legal_form = legal_form or LegalForm(meta=form_locales(), obj=merchant)
    return render(
        "console/branding.html",
        status=422 if form.errors or legal_form.errors else 200,
        form=form,
        legal_form=legal_form,
        merchant=merchant,
        preview_text=text_colour_on(merchant.brand_color),
        warnings=contrast_warnings(merchant.brand_color),
        max_upload=current_app.config["MAX_CONTENT_LENGTH"],
    )


@login_required
def legal_details() -> Response | BaseResponse:
    """The seller's legal details, as invoice documents print them."""
    merchant = signed_in_merchant()
    legal_form = LegalForm(meta=form_locales())
    if submitted(legal_form):
        details = LegalDetails(**{name: legal_form[name].data for name in LEGAL_FIELDS})
        try:
            set_legal_details(services(), merchant.id, details)
        except ValidationError as error:
            legal_form[error.key if error.key in LEGAL_FIELDS else "siren"].errors = [
                said(language(), error)
            ]
        else:
            flash(console_text(language(), "saved"))
            return redirect(url_for("console.branding") + "#legal", code=303)
    return _page(merchant, BrandingForm(meta=form_locales(), obj=merchant), legal_form)


LEGAL_FIELDS = (
    "legal_name", "siren", "vat_number", "street", "postcode", "city", "legal_mentions",
    "penalty_rate", "attach_documents",
)  # fmt: skip


#: This area's pages, registered on the console blueprint by `create_console_blueprint`.
ROUTES = [
    ("/branding", branding, ["GET", "POST"]),
    ("/branding/legal", legal_details, ["POST"]),
]
