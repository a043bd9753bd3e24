"""The Shopify connector (work in progress): install and session-token checks, webhook
signatures, the order -> invoice mapping, and the GraphQL documents that push payments back."""
