"""The payment pages' words in French and English. Amounts and dates are not here: Babel
formats them for the customer's locale."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Facture {number}",
        "amount_due": "Montant à régler",
        "due_on": "À payer avant le {date}",
        "overdue_since": "Échue depuis le {date}",
        "expires_in": "Offre valable encore {delta}, jusqu'au {date}",
        "status.open": "À payer",
        "status.partially_paid": "Partiellement payée",
        "status.paid": "Payée",
        "status.overdue": "En retard",
        "status.expired": "Expirée",
        "status.void": "Annulée",
        "status.refunded": "Remboursée",
        "status.draft": "Brouillon",
        "already_paid": "Déjà réglé : {amount}",
        "lines": "Détail de la commande",
        "quantity": "Qté",
        "shipping": "Livraison",
        "discount": "Remise",
        "total": "Total",
        "pay_with": "Payer {amount} par",
        "check_now": "Vérifier maintenant",
        "method.cash": "Espèces",
        "method.cheque": "Chèque",
        "method.other": "Paiement",
        "method.card": "Carte bancaire, Apple Pay, Google Pay",
        "method.paypal": "PayPal",
        "method.bank_pay": "Virement instantané",
        "method.instalments": "Payer en {count} fois",
        "today": "aujourd'hui",
        "on_date": "le {date}",
        "early_offer": "Remise de {discount} pour un paiement complet avant le {date} "
        "(au lieu de {full}).",
        "method.bank_transfer": "Virement bancaire",
        "method.sandbox": "Paiement de test (sandbox)",
        "secure_note": "Le paiement se fait sur la page sécurisée du prestataire. "
        "Vos données bancaires ne transitent pas par {merchant}.",
        "not_payable": "Cette facture ne peut plus être réglée en ligne.",
        "paid_on": "Payée le {date}. Merci !",
        "receipt": "Voir le reçu",
        "return_pending": "Paiement en cours de confirmation… Cette page se met à jour "
        "toute seule.",
        "return_paid": "Paiement reçu. Merci !",
        "return_failed": "Le paiement n'a pas abouti. Vous pouvez réessayer.",
        "back_to_invoice": "Retour à la facture",
        "subscription": "Mon abonnement",
        "manage_subscription": "Gérer mon abonnement (suspendre ou résilier)",
        "subscription_summary": "{amount} {rhythm}, chez {merchant}.",
        "rhythm.weekly": "chaque semaine",
        "rhythm.monthly": "chaque mois",
        "rhythm.yearly": "chaque année",
        "subscription_next": "Prochaine facture le {date}.",
        "subscription.active": "Votre abonnement est actif.",
        "subscription.paused": "Votre abonnement est suspendu : aucune facture jusqu'à sa reprise.",
        "subscription.cancelled": "Votre abonnement est résilié : plus aucune facture.",
        "subscription.ended": "Votre abonnement est terminé.",
        "subscription_pause": "Suspendre",
        "subscription_resume": "Reprendre",
        "subscription_cancel": "Résilier l'abonnement",
        "subscription_confirm_cancel": "Résilier votre abonnement ? Plus aucune facture ne "
        "sera émise ; celles déjà émises restent dues.",
        "subscription_cancel_yes": "Oui, résilier",
        "subscription_keep": "Non, garder mon abonnement",
        "subscription_cancel_note": "Les factures déjà émises restent dues.",
        "save_method": "Régler automatiquement les prochaines factures de cet abonnement "
        "avec la carte ou le compte que j'utilise maintenant",
        "save_method_note": "Pour la carte bancaire ou le prélèvement. Vous pourrez l'arrêter "
        "à tout moment depuis la page de votre abonnement.",
        "autopay_running": "Cette facture est réglée automatiquement avec le moyen de paiement "
        "enregistré pour votre abonnement : vous n'avez rien à faire.",
        "autopay_failed": "Le paiement automatique de cette facture n'a pas abouti. Vous pouvez "
        "la régler ici.",
        "autopay_on": "Paiement automatique avec {method}, depuis le {date}.",
        "autopay_off": "Pas de paiement automatique : chaque facture arrive avec son lien.",
        "autopay_stop": "Arrêter le paiement automatique",
        "receipt_title": "Reçu de paiement",
        "download_credit_note": "Télécharger l'avoir {number} (PDF)",
        "reward_title": "Merci d'avoir payé si vite",
        "reward_percent": "Avec ce code, votre prochaine commande chez {merchant} coûte "
        "{value}\u00a0% de moins, jusqu'au {until}.",
        "reward_amount": "Avec ce code, votre prochaine commande chez {merchant} coûte {value} "
        "de moins, jusqu'au {until}.",
        "reward_pending": "Votre code de remerciement est en préparation\u00a0: il arrive aussi "
        "par message.",
        "survey_title": "Votre avis",
        "scale_end": "{value}\u00a0: {label}",
        "survey_intro": "Merci pour votre paiement à {merchant}. "
        "Quatre questions, trente secondes.",
        "survey_ease": "Payer avec le lien a-t-il été facile ?",
        "survey_clarity": "Le paiement était-il clair et rassurant ?",
        "survey_recommend": "Recommanderiez-vous de payer ainsi à un proche ?",
        "survey_comment": "Une suggestion ? (facultatif)",
        "survey_send": "Envoyer mon avis",
        "survey_thanks": "Merci ! Votre avis est bien enregistré.",
        "survey_missing": "Répondez aux trois premières questions pour envoyer votre avis.",
        "survey_low": "pas du tout",
        "survey_high": "tout à fait",
        "survey_unlikely": "pas du tout probable",
        "survey_likely": "très probable",
        "survey_ask": "Donnez votre avis en 30 secondes",
        "paid_amount": "Montant payé",
        "print": "Imprimer",
        "not_found": "Ce lien de paiement n'existe pas.",
        "language": "English",
        "transfer_title": "Payer par virement",
        "transfer_intro": "Faites un virement de {amount} avec ces coordonnées. Indiquez la "
        "référence telle quelle : elle relie votre virement à la facture.",
        "beneficiary": "Bénéficiaire",
        "reference": "Référence",
        "amount": "Montant",
        "scan_qr": "Ou scannez ce code avec votre application bancaire :",
        "error.title.400": "Page plus à jour",
        "error.400": "Cette page n'est plus à jour : revenez au lien de paiement et réessayez.",
        "error.title.404": "Lien introuvable",
        "error.404": "Ce lien n'existe pas ou n'est plus valable. Vérifiez-le, ou demandez un "
        "nouveau lien au commerçant.",
        "error.title.409": "Paiement impossible",
        "error.409": "Cette facture ne peut plus être payée. Le commerçant peut vous renseigner.",
        "error.title.429": "Trop de tentatives",
        "error.429": "Trop de tentatives depuis votre connexion : réessayez dans une minute.",
        "error.title.502": "Service de paiement indisponible",
        "error.502": "Le service de paiement n'a pas répondu. Réessayez dans un instant.",
        "error.title.500": "Une erreur est survenue",
        "error.500": "Une erreur est survenue de notre côté. Réessayez dans un instant.",
        "error.title.503": "Facture en préparation",
        "error.503": "Votre facture est en cours de préparation. Réessayez dans un instant.",
        "download_invoice": "Télécharger la facture (PDF)",
        "sandbox.title": "Paiement de test Paylink",
        "sandbox.label": "Paiement de test",
        "sandbox.explain": "Aucun argent ne circule ici. Choisissez ce que fait le paiement : le "
        "bac à sable envoie alors à Paylink un webhook signé, comme un vrai prestataire.",
        "sandbox.pay": "Payer {amount}",
        "sandbox.pending": "Laisser en attente (comme un virement)",
        "sandbox.decline": "Refuser",
        "sandbox.saves": "Comme chez un vrai prestataire, la carte de test ({card}) sera "
        "enregistrée pour régler les prochaines factures de l'abonnement.",
        "sandbox.cancel": "Annuler et revenir",
    },
    "en": {
        "title": "Invoice {number}",
        "amount_due": "Amount due",
        "due_on": "Due by {date}",
        "overdue_since": "Overdue since {date}",
        "expires_in": "Offer ends in {delta}, on {date}",
        "status.open": "To pay",
        "status.partially_paid": "Partly paid",
        "status.paid": "Paid",
        "status.overdue": "Overdue",
        "status.expired": "Expired",
        "status.void": "Cancelled",
        "status.refunded": "Refunded",
        "status.draft": "Draft",
        "already_paid": "Already paid: {amount}",
        "lines": "Your order",
        "quantity": "Qty",
        "shipping": "Shipping",
        "discount": "Discount",
        "total": "Total",
        "pay_with": "Pay {amount} with",
        "check_now": "Check now",
        "method.cash": "Cash",
        "method.cheque": "Cheque",
        "method.other": "Payment",
        "method.card": "Card, Apple Pay, Google Pay",
        "method.paypal": "PayPal",
        "method.bank_pay": "Instant bank payment",
        "method.instalments": "Pay in {count} instalments",
        "today": "today",
        "on_date": "on {date}",
        "early_offer": "Save {discount} by paying in full before {date} (instead of {full}).",
        "method.bank_transfer": "Bank transfer",
        "method.sandbox": "Test payment (sandbox)",
        "secure_note": "You pay on the provider's secure page. Your card details never pass "
        "through {merchant}.",
        "not_payable": "This invoice can no longer be paid online.",
        "paid_on": "Paid on {date}. Thank you!",
        "receipt": "View receipt",
        "return_pending": "Confirming your payment… This page updates by itself.",
        "return_paid": "Payment received. Thank you!",
        "return_failed": "The payment did not go through. You can try again.",
        "back_to_invoice": "Back to the invoice",
        "subscription": "My subscription",
        "manage_subscription": "Manage my subscription (pause or cancel)",
        "subscription_summary": "{amount} {rhythm}, with {merchant}.",
        "rhythm.weekly": "every week",
        "rhythm.monthly": "every month",
        "rhythm.yearly": "every year",
        "subscription_next": "Next invoice on {date}.",
        "subscription.active": "Your subscription is active.",
        "subscription.paused": "Your subscription is paused: no invoice until it resumes.",
        "subscription.cancelled": "Your subscription is cancelled: no further invoice.",
        "subscription.ended": "Your subscription has ended.",
        "subscription_pause": "Pause",
        "subscription_resume": "Resume",
        "subscription_cancel": "Cancel the subscription",
        "subscription_confirm_cancel": "Cancel your subscription? No further invoice will be "
        "issued; those already issued remain due.",
        "subscription_cancel_yes": "Yes, cancel it",
        "subscription_keep": "No, keep my subscription",
        "subscription_cancel_note": "Invoices already issued remain due.",
        "save_method": "Pay this subscription's next invoices automatically with the card or "
        "account I use now",
        "save_method_note": "For a card or a bank debit. You can stop it at any time from "
        "your subscription's page.",
        "autopay_running": "This invoice is paid automatically with the payment method saved "
        "for your subscription: nothing to do.",
        "autopay_failed": "The automatic payment of this invoice did not go through. You can "
        "pay it here.",
        "autopay_on": "Automatic payment with {method}, since {date}.",
        "autopay_off": "No automatic payment: each invoice comes with its link.",
        "autopay_stop": "Stop automatic payment",
        "receipt_title": "Payment receipt",
        "download_credit_note": "Download credit note {number} (PDF)",
        "reward_title": "Thank you for paying so quickly",
        "reward_percent": "With this code, your next order from {merchant} costs {value}% less, "
        "until {until}.",
        "reward_amount": "With this code, your next order from {merchant} costs {value} less, "
        "until {until}.",
        "reward_pending": "Your thank-you code is on its way: it also comes by message.",
        "survey_title": "Your opinion",
        "scale_end": "{value}: {label}",
        "survey_intro": "Thank you for your payment to {merchant}. Four questions, thirty seconds.",
        "survey_ease": "Was it easy to pay with the link?",
        "survey_clarity": "Was the payment clear and secure?",
        "survey_recommend": "Would you recommend paying this way to a friend?",
        "survey_comment": "Any suggestion? (optional)",
        "survey_send": "Send my answer",
        "survey_thanks": "Thank you! Your answer is recorded.",
        "survey_missing": "Answer the first three questions to send your answer.",
        "survey_low": "not at all",
        "survey_high": "completely",
        "survey_unlikely": "not at all likely",
        "survey_likely": "extremely likely",
        "survey_ask": "Tell us what you think in 30 seconds",
        "paid_amount": "Amount paid",
        "print": "Print",
        "not_found": "This payment link does not exist.",
        "language": "Français",
        "transfer_title": "Pay by bank transfer",
        "transfer_intro": "Send {amount} to these bank details. Give the reference exactly as "
        "shown: it matches your transfer to the invoice.",
        "beneficiary": "Beneficiary",
        "reference": "Reference",
        "amount": "Amount",
        "scan_qr": "Or scan this code with your banking app:",
        "sandbox.title": "Paylink test payment",
        "sandbox.label": "Test payment",
        "sandbox.explain": "No money moves here. Choose what the payment does; the sandbox then "
        "sends Paylink a signed webhook, as a real provider would.",
        "sandbox.pay": "Pay {amount}",
        "sandbox.pending": "Leave pending (like a bank transfer)",
        "sandbox.decline": "Decline",
        "sandbox.saves": "As at a real provider, the test card ({card}) will be saved to pay "
        "the subscription's next invoices.",
        "sandbox.cancel": "Cancel and go back",
        "error.title.400": "Page out of date",
        "error.400": "This page is out of date: go back to the payment link and try again.",
        "error.title.404": "Link not found",
        "error.404": "This link does not exist or is no longer valid. Check it, or ask the "
        "shop for a new one.",
        "error.title.409": "Payment not possible",
        "error.409": "This invoice can no longer be paid. The shop can tell you more.",
        "error.title.429": "Too many attempts",
        "error.429": "Too many attempts from your connection: try again in a minute.",
        "error.title.502": "Payment service unavailable",
        "error.502": "The payment service did not answer. Try again in a moment.",
        "error.title.500": "Something went wrong",
        "error.500": "Something went wrong on our side. Try again in a moment.",
        "error.title.503": "Invoice being prepared",
        "error.503": "Your invoice is being prepared. Try again in a moment.",
        "download_invoice": "Download the invoice (PDF)",
    },
}
SUPPORTED = tuple(TEXTS)


def page_language(requested: str | None, customer_locale: str) -> str:
    """?lang= when supported, else the customer's language, else French."""
    for candidate in (requested, customer_locale):
        language = (candidate or "").split("_")[0].split("-")[0].lower()
        if language in TEXTS:
            return language
    return "fr"


#: Statuses a customer's page explains in words; any other is told as a 500.
EXPLAINED_STATUSES = frozenset({400, 404, 409, 429, 500, 502, 503})


def customer_error(language: str, status: int) -> tuple[str, str]:
    """The title and sentence a customer reads for an error status, in their language."""
    known = status if status in EXPLAINED_STATUSES else 500
    return translate(language, f"error.title.{known}"), translate(language, f"error.{known}")


def translate(language: str, key: str, **values: object) -> str:
    return TEXTS[language][key].format(**values)
