"""The words of invoice documents, in French and English."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "colon": "\u00a0:",
        "invoice": "Facture",
        "credit_note": "Avoir",
        "number": "N°",
        "issued_on": "Date d'émission",
        "due_on": "Échéance",
        "credit_for": "Avoir sur la facture {number}",
        "refund_of": "Remboursement sur la facture {number}",
        "seller": "Vendeur",
        "buyer": "Client",
        "siren": "SIREN",
        "vat_number": "N° TVA intracommunautaire",
        "label": "Désignation",
        "quantity": "Qté",
        "unit_net": "Prix unitaire HT",
        "vat_rate": "TVA",
        "net": "Total HT",
        "vat_by_rate": "TVA par taux",
        "basis": "Base HT",
        "vat": "TVA",
        "total_net": "Total HT",
        "total_vat": "Total TVA",
        "total_gross": "Total TTC",
        "paid": "Déjà payé",
        "due": "Reste à payer",
        "pay_by_transfer": "Virement\u00a0: IBAN {iban}{bic}, référence {reference}",
        "pay_online": "Payer en ligne\u00a0: {link}",
        "shipping": "Livraison",
        "discount": "Remise",
        "penalties": (
            "En cas de retard de paiement, pénalités au taux annuel de {rate} %, exigibles "
            "dès le lendemain de l'échéance sans rappel."
        ),
        "penalties_default": (
            "En cas de retard de paiement, pénalités au taux de refinancement de la BCE majoré "
            "de 10 points, exigibles dès le lendemain de l'échéance sans rappel."
        ),
        "indemnity": "Indemnité forfaitaire pour frais de recouvrement\u00a0: {amount} €.",
        "no_early_discount": "Pas d'escompte pour paiement anticipé.",
        "early_discount": "Escompte de {amount} pour un paiement complet avant le {date}.",
        "operations": "Opérations\u00a0: livraisons de biens.",
    },
    "en": {
        "colon": ":",
        "invoice": "Invoice",
        "credit_note": "Credit note",
        "number": "No.",
        "issued_on": "Issue date",
        "due_on": "Due date",
        "credit_for": "Credit note for invoice {number}",
        "refund_of": "Refund on invoice {number}",
        "seller": "Seller",
        "buyer": "Customer",
        "siren": "SIREN",
        "vat_number": "VAT number",
        "label": "Description",
        "quantity": "Qty",
        "unit_net": "Unit price excl. VAT",
        "vat_rate": "VAT",
        "net": "Total excl. VAT",
        "vat_by_rate": "VAT by rate",
        "basis": "Basis",
        "vat": "VAT",
        "total_net": "Total excl. VAT",
        "total_vat": "Total VAT",
        "total_gross": "Total incl. VAT",
        "paid": "Paid already",
        "due": "Left to pay",
        "pay_by_transfer": "Transfer: IBAN {iban}{bic}, reference {reference}",
        "pay_online": "Pay online: {link}",
        "shipping": "Shipping",
        "discount": "Discount",
        "penalties": (
            "Late payment bears penalties at {rate}% a year, due from the day after the due "
            "date without reminder."
        ),
        "penalties_default": (
            "Late payment bears penalties at the ECB refinancing rate plus 10 points, due "
            "from the day after the due date without reminder."
        ),
        "indemnity": "Fixed recovery indemnity for late payment: EUR {amount}.",
        "no_early_discount": "No discount for early payment.",
        "early_discount": "A discount of {amount} for payment in full before {date}.",
        "operations": "Operations: supplies of goods.",
    },
}
