"""The HTML part of an email, laid out from its plain text: the merchant's colour and logo, a
button for the payment link, CSS inlined (css-inline) because mail clients drop <style>.

Merchants edit the plain text only; here it is escaped (autoescape), never trusted as HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import css_inline
from jinja2 import Environment, PackageLoader, Template, select_autoescape

from core.branding import text_colour_on

BUTTON = {"fr": "Payer maintenant", "en": "Pay now"}
UNSUBSCRIBE = {"fr": "Ne plus recevoir ces messages", "en": "Stop these messages"}


@dataclass(frozen=True, slots=True)
class EmailBranding:
    merchant: str
    brand_color: str
    logo_url: str | None
    language: str
    #: Who the merchant is, for the footer (legal name, address, SIREN): a careful customer
    #: checks who writes before paying.
    identity: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _template() -> Template:
    environment = Environment(
        loader=PackageLoader("core", "templates"), autoescape=select_autoescape(["html"])
    )
    return environment.get_template("messages/email.html")


def html_email(
    subject: str, text: str, link: str, branding: EmailBranding, unsubscribe_url: str | None
) -> str:
    language = branding.language if branding.language in BUTTON else "fr"
    html = _template().render(
        language=language,
        subject=subject,
        paragraphs=[part.strip() for part in text.split("\n\n") if part.strip()],
        link=link,
        merchant=branding.merchant,
        logo_url=branding.logo_url,
        brand=branding.brand_color,
        on_brand=text_colour_on(branding.brand_color),
        button=BUTTON[language],
        unsubscribe=UNSUBSCRIBE[language],
        unsubscribe_url=unsubscribe_url,
        identity=branding.identity,
    )
    return str(css_inline.inline(html))
