"""Payment providers: one package each behind the small `PaymentProvider` protocol.

Customers pay on the provider's hosted checkout; Paylink only creates checkouts, verifies the
provider's signed events, and records what they say through `services.payments`.
"""
