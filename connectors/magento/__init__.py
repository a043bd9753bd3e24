"""Magento 2 / Adobe Commerce: integration activation (OAuth 1.0a), the module's signed events,
polling, invoices pushed."""
