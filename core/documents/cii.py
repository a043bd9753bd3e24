"""The invoice as Factur-X CII XML, profile EN 16931 (`urn:cen.eu:en16931:2017`).

Elements are written in the order of the XSD sequence (the factur-x library checks the result
against its bundled XSD). Shipping is a document-level charge and an order discount a
document-level allowance, each with its VAT category; French notes PMT (the 40 EUR recovery
indemnity), PMD (late-payment penalties) and AAB (no discount for early payment) are always
present, as the French rules want them.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from core.invoice_document import (
    RECOVERY_INDEMNITY_EUR,
    DocumentKind,
    DocumentLine,
    InvoiceDocument,
    LineRole,
    Party,
)

PROFILE = "urn:cen.eu:en16931:2017"
RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NAMESPACES = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
TYPE_CODES = {DocumentKind.INVOICE: "380", DocumentKind.CREDIT_NOTE: "381"}
#: UNTDID 4461: 30 credit transfer (the page also takes cards, but the document names the
#: means the invoice itself describes: a transfer to the merchant's account, with its RF).
CREDIT_TRANSFER = "30"


def _element(parent: etree._Element, path: str, text: str | None = None, **attributes: str):
    """`ram:A/ram:B` under `parent`, made as needed; the last one gets `text` and attributes."""
    node = parent
    for step in path.split("/"):
        prefix, name = step.split(":")
        node = etree.SubElement(node, f"{{{NAMESPACES[prefix]}}}{name}")
    if text is not None:
        node.text = text
    for key, value in attributes.items():
        node.set(key, value)
    return node


def _date(parent: etree._Element, path: str, day) -> None:
    _element(parent, f"{path}/udt:DateTimeString", day.strftime("%Y%m%d"), format="102")


def _rate(rate: Decimal) -> str:
    return f"{rate:.2f}"


def _category(rate: Decimal) -> str:
    """S: standard or reduced rate; Z: zero-rated."""
    return "S" if rate > 0 else "Z"


class _Amounts:
    def __init__(self, document: InvoiceDocument) -> None:
        self.exponent = document.exponent

    def __call__(self, minor: int | Decimal) -> str:
        value = Decimal(minor).scaleb(-self.exponent)
        return f"{value:.{self.exponent}f}"


def _party(parent: etree._Element, path: str, party: Party, business: bool) -> None:
    node = _element(parent, path)
    _element(node, "ram:Name", party.name)
    if party.siren:
        _element(node, "ram:SpecifiedLegalOrganization/ram:ID", party.siren, schemeID="0002")
    if business or party.street or party.city:
        address = _element(node, "ram:PostalTradeAddress")
        if party.postcode:
            _element(address, "ram:PostcodeCode", party.postcode)
        if party.street:
            _element(address, "ram:LineOne", party.street)
        if party.city:
            _element(address, "ram:CityName", party.city)
        _element(address, "ram:CountryID", party.country)
    # Its electronic address (BT-34, BT-49): under France's e-invoicing reform a French
    # company is addressed by its SIREN in the directory (scheme 0225); others by email.
    if party.siren and party.country == "FR":
        _element(node, "ram:URIUniversalCommunication/ram:URIID", party.siren, schemeID="0225")
    elif party.email:
        _element(node, "ram:URIUniversalCommunication/ram:URIID", party.email, schemeID="EM")
    if party.vat_number:
        _element(node, "ram:SpecifiedTaxRegistration/ram:ID", party.vat_number, schemeID="VA")


def _item(parent: etree._Element, number: int, line: DocumentLine, money: _Amounts) -> None:
    item = _element(parent, "ram:IncludedSupplyChainTradeLineItem")
    _element(item, "ram:AssociatedDocumentLineDocument/ram:LineID", str(number))
    _element(item, "ram:SpecifiedTradeProduct/ram:Name", line.label)
    _element(
        item,
        "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount",
        f"{Decimal(line.unit_net).scaleb(-money.exponent):.4f}",
    )
    _element(
        item,
        "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity",
        f"{line.quantity:.4f}",
        unitCode="C62",
    )
    settlement = _element(item, "ram:SpecifiedLineTradeSettlement")
    tax = _element(settlement, "ram:ApplicableTradeTax")
    _element(tax, "ram:TypeCode", "VAT")
    _element(tax, "ram:CategoryCode", _category(line.rate))
    _element(tax, "ram:RateApplicablePercent", _rate(line.rate))
    _element(
        settlement,
        "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
        money(line.net),
    )


def _charge(parent: etree._Element, line: DocumentLine, money: _Amounts) -> None:
    node = _element(parent, "ram:SpecifiedTradeAllowanceCharge")
    _element(node, "ram:ChargeIndicator/udt:Indicator", str(line.role == LineRole.CHARGE).lower())
    _element(node, "ram:ActualAmount", money(abs(line.net)))
    _element(node, "ram:Reason", line.label)
    category = _element(node, "ram:CategoryTradeTax")
    _element(category, "ram:TypeCode", "VAT")
    _element(category, "ram:CategoryCode", _category(line.rate))
    _element(category, "ram:RateApplicablePercent", _rate(line.rate))


def cii_xml(
    document: InvoiceDocument,
    notes: dict[str, str],
    iban: str | None = None,
    bic: str | None = None,
) -> bytes:
    """The document as CII XML bytes (UTF-8). `notes` are the texts of the French notes by
    subject code (PMT, PMD, AAB; REG and ABL when the merchant gave them)."""
    money = _Amounts(document)
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NAMESPACES)
    context = _element(root, "rsm:ExchangedDocumentContext")
    # BT-23, French framework: B1, an invoice for goods (what online shops sell).
    _element(context, "ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID", "B1")
    _element(context, "ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", PROFILE)
    header = _element(root, "rsm:ExchangedDocument")
    _element(header, "ram:ID", document.number)
    _element(header, "ram:TypeCode", TYPE_CODES[document.kind])
    _date(header, "ram:IssueDateTime", document.issued_on)
    for subject, content in notes.items():
        note = _element(header, "ram:IncludedNote")
        _element(note, "ram:Content", content)
        _element(note, "ram:SubjectCode", subject)
    transaction = _element(root, "rsm:SupplyChainTradeTransaction")
    items = [line for line in document.lines if line.role == LineRole.ITEM]
    for number, line in enumerate(items, start=1):
        _item(transaction, number, line, money)
    agreement = _element(transaction, "ram:ApplicableHeaderTradeAgreement")
    _party(agreement, "ram:SellerTradeParty", document.seller, True)
    _party(agreement, "ram:BuyerTradeParty", document.buyer, document.business)
    _element(transaction, "ram:ApplicableHeaderTradeDelivery")
    settlement = _element(transaction, "ram:ApplicableHeaderTradeSettlement")
    if document.payment_reference:
        _element(settlement, "ram:PaymentReference", document.payment_reference)
    _element(settlement, "ram:InvoiceCurrencyCode", document.currency)
    if iban:
        means = _element(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _element(means, "ram:TypeCode", CREDIT_TRANSFER)
        _element(means, "ram:PayeePartyCreditorFinancialAccount/ram:IBANID", iban)
        if bic:
            _element(means, "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID", bic)
    for group in document.vat:
        tax = _element(settlement, "ram:ApplicableTradeTax")
        _element(tax, "ram:CalculatedAmount", money(group.tax))
        _element(tax, "ram:TypeCode", "VAT")
        _element(tax, "ram:BasisAmount", money(group.basis))
        _element(tax, "ram:CategoryCode", _category(group.rate))
        _element(tax, "ram:RateApplicablePercent", _rate(group.rate))
    for line in document.lines:
        if line.role != LineRole.ITEM:
            _charge(settlement, line, money)
    if document.due_on is not None:
        terms = _element(settlement, "ram:SpecifiedTradePaymentTerms")
        _date(terms, "ram:DueDateDateTime", document.due_on)
    totals = _element(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    charges = sum(line.net for line in document.lines if line.role == LineRole.CHARGE)
    allowances = -sum(line.net for line in document.lines if line.role == LineRole.ALLOWANCE)
    _element(totals, "ram:LineTotalAmount", money(sum(line.net for line in items)))
    _element(totals, "ram:ChargeTotalAmount", money(charges))
    _element(totals, "ram:AllowanceTotalAmount", money(allowances))
    _element(totals, "ram:TaxBasisTotalAmount", money(document.net_total))
    _element(totals, "ram:TaxTotalAmount", money(document.tax_total), currencyID=document.currency)
    _element(totals, "ram:GrandTotalAmount", money(document.gross_total))
    _element(totals, "ram:TotalPrepaidAmount", money(document.paid))
    _element(totals, "ram:DuePayableAmount", money(document.due))
    if document.preceding_number:  # a credit note names the invoice it credits (BT-25, BT-26)
        reference = _element(settlement, "ram:InvoiceReferencedDocument")
        _element(reference, "ram:IssuerAssignedID", document.preceding_number)
        if document.preceding_issued_on:
            _element(
                reference,
                "ram:FormattedIssueDateTime/qdt:DateTimeString",
                document.preceding_issued_on.strftime("%Y%m%d"),
                format="102",
            )
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def french_notes(
    language: str, penalty_rate: Decimal, legal_mentions: str | None, business: bool
) -> dict[str, str]:
    """PMD, PMT, AAB (and REG with the merchant's legal form and capital) in the invoice's
    language; the 40 EUR indemnity only applies to business customers."""
    rate = f"{penalty_rate:.2f}".rstrip("0").rstrip(".")
    if language == "fr":
        notes = {
            "PMD": f"Pénalités de retard : {rate} % par an, exigibles dès le lendemain de "
            "l'échéance.",
            "PMT": f"Indemnité forfaitaire pour frais de recouvrement en cas de retard de "
            f"paiement : {RECOVERY_INDEMNITY_EUR} €."
            if business
            else "Pas d'indemnité forfaitaire de recouvrement (client particulier).",
            "AAB": "Pas d'escompte pour paiement anticipé.",
        }
    else:
        notes = {
            "PMD": f"Late-payment penalties: {rate}% a year, due from the day after the due date.",
            "PMT": f"Fixed recovery indemnity in case of late payment: {RECOVERY_INDEMNITY_EUR} "
            "EUR."
            if business
            else "No fixed recovery indemnity (consumer).",
            "AAB": "No discount for early payment.",
        }
    if legal_mentions:
        notes = {"REG": legal_mentions, **notes}
    return notes
