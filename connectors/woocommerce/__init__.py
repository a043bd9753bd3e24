"""The WooCommerce connector: key-generation install, signed order webhooks, pending-order
recovery, status push and a reconciliation poller (PLATFORMS.md section 2)."""
