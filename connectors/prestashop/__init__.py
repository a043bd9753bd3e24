"""PrestaShop: the Paylink module's signed events, the Webservice, recovered carts."""
