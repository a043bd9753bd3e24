"""A fake PrestaShop Webservice on pytest-httpserver, in the formats of PLATFORMS.md section 3:
`/api/<resource>` with HTTP Basic (the key as user, an empty password), JSON out when asked
(`Output-Format: JSON`; an empty list is `[]`), XML in for writes (parsed here as PrestaShop
would: a body in JSON is refused), `filter[field]=[a|b]` and `[from,to]` with `date=1`,
`display=full` or `[fields]`, `sort=[id_ASC]`, `limit=offset,count`. A new order history runs
what PrestaShop's `OrderHistory::changeIdOrderState` does for a paid state: the order becomes
valid and a payment is recorded for what is left to pay, in the module's name."""

from __future__ import annotations

import base64
import copy
import json
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from typing import Any

from connectors import signed_events as auth
from core.clock import Clock, utc_now
from core.errors import Unauthorized
from tests.support.providers import json_answer

API = "/api"
KEY = "UCCLLQ9N2ARSHWCXLT74KUKSSK34BFKX"
#: The signing secret Paylink gave the shop's module when it was paired.
SHOP_SECRET = "5f1b0c2a7e9d4c3b8a6f0e1d2c3b4a59687766554433221100ffeeddccbbaa99"
#: The shop's order states (PrestaShop's installer order): 2 paid, 6 cancelled, 7 refunded,
#: 8 payment error, 10 awaiting bank wire, 20 the Paylink module's "Awaiting Paylink payment".
STATES = {"PS_OS_PAYMENT": 2, "PS_OS_CANCELED": 6, "PS_OS_REFUND": 7, "PS_OS_ERROR": 8}
#: The rest of the shop's configuration Paylink reads: its language and time zone.
CONFIGURATION = {
    **STATES,
    "PS_LANG_DEFAULT": 1,
    "PS_TIMEZONE": "Europe/Paris",
    "PS_CURRENCY_DEFAULT": 1,
}
PAID_STATES = frozenset({2, 11})
AWAITING_PAYLINK = 20


def ps_order(**changes: Any) -> dict[str, Any]:
    """An order as `GET /api/orders/42` (display=full) returns it: two candles at 18,00 € (15,00 €
    before 20 % VAT) and 4,90 € shipping, made with "Pay by link", waiting in its state."""
    order: dict[str, Any] = {
        "id": 42,
        "id_address_delivery": "8",
        "id_address_invoice": "8",
        "id_cart": "77",
        "id_currency": "1",
        "id_lang": "1",
        "id_customer": "5",
        "id_carrier": "2",
        "current_state": str(AWAITING_PAYLINK),
        "module": "paylink",
        "invoice_number": "0",
        "invoice_date": "0000-00-00 00:00:00",
        "delivery_number": "0",
        "delivery_date": "0000-00-00 00:00:00",
        "valid": "0",
        "date_add": "2026-03-02 10:21:45",
        "date_upd": "2026-03-02 10:21:46",
        "shipping_number": "",
        "id_shop_group": "1",
        "id_shop": "1",
        "secure_key": "b44a6d9efd7a0076a0fbce6b15eaf3b1",
        "payment": "Paylink",
        "recyclable": "0",
        "gift": "0",
        "gift_message": "",
        "mobile_theme": "0",
        "total_discounts": "0.000000",
        "total_discounts_tax_incl": "0.000000",
        "total_discounts_tax_excl": "0.000000",
        "total_paid": "40.900000",
        "total_paid_tax_incl": "40.900000",
        "total_paid_tax_excl": "34.080000",
        "total_paid_real": "0.000000",
        "total_products": "30.000000",
        "total_products_wt": "36.000000",
        "total_shipping": "4.900000",
        "total_shipping_tax_incl": "4.900000",
        "total_shipping_tax_excl": "4.080000",
        "carrier_tax_rate": "20.000",
        "total_wrapping": "0.000000",
        "total_wrapping_tax_incl": "0.000000",
        "total_wrapping_tax_excl": "0.000000",
        "round_mode": "2",
        "round_type": "2",
        "conversion_rate": "1.000000",
        "reference": "XKBKNABJK",
        "associations": {
            "order_rows": [
                {
                    "id": "11",
                    "product_id": "19",
                    "product_attribute_id": "0",
                    "product_quantity": "2",
                    "product_name": "Bougie parfumée",
                    "product_reference": "BOUGIE-01",
                    "product_ean13": "",
                    "product_isbn": "",
                    "product_upc": "",
                    "product_price": "15.000000",
                    "id_customization": "0",
                    "unit_price_tax_incl": "18.000000",
                    "unit_price_tax_excl": "15.000000",
                }
            ]
        },
    }
    order.update(changes)
    return order


def cart_event(**changes: Any) -> dict[str, Any]:
    """The module's `cart.saved` event for cart 77 (PaylinkEvents::cartEvent)."""
    cart: dict[str, Any] = {
        "id_cart": 77,
        "changed_at": "2026-03-02T10:21:45+01:00",
        "currency": "EUR",
        "language": "fr",
        "customer": {
            "firstname": "Marie",
            "lastname": "Curie",
            "email": "marie@example.fr",
            "phone": "06 12 34 56 78",
            "country": "FR",
        },
        "lines": [
            {
                "name": "Bougie parfumée",
                "quantity": 2,
                "unit_price_tax_incl": "18.000000",
                "unit_price_tax_excl": "15.000000",
            }
        ],
        "shipping_tax_incl": "4.900000",
        "discounts_tax_incl": "0.000000",
        "total_tax_incl": "40.900000",
    }
    cart.update(changes)
    return {"event": "cart.saved", "id_cart": cart["id_cart"], "cart": cart}


def xml_fields(body: bytes) -> tuple[str, dict[str, Any]]:
    """(resource element, its fields) of a write, parsed as PrestaShop parses it."""
    root = ElementTree.fromstring(body)
    assert root.tag == "prestashop", root.tag
    (item,) = list(root)
    return item.tag, {
        child.tag: (
            {str(language.get("id")): language.text or "" for language in child}
            if len(child)
            else child.text or ""
        )
        for child in item
    }


class FakePrestaShop:
    """One shop's Webservice; `orders` is the shop's truth, `received` what Paylink wrote."""

    def __init__(self, httpserver: Any, key: str = KEY, clock: Clock = utc_now) -> None:
        self.key, self.clock = key, clock
        self.orders: dict[int, dict[str, Any]] = {}
        self.payments: list[dict[str, Any]] = []
        self.histories: list[dict[str, str]] = []
        self.messages: list[dict[str, Any]] = []
        self.received: list[tuple[str, str, dict[str, str] | None]] = []
        self.answer_status: list[int] = []  # statuses to answer before behaving (429, 503...)
        self.xml_errors = False  # answer refusals in XML, as shops without JSON output do
        self.refuse: dict[str, str] = {}  # "POST messages" -> the validation error to answer
        self.cart_rules: dict[int, dict[str, Any]] = {}
        #: Resources the key may use besides orders and what they name (a module before 1.1.0
        #: gave no cart_rules): PrestaShop answers 401 for any other.
        self.denied: set[str] = set()
        self.resources: dict[str, dict[int, dict[str, Any]]] = {
            "customers": {
                5: {
                    "id": 5,
                    "firstname": "Marie",
                    "lastname": "Curie",
                    "email": "marie@example.fr",
                    "id_default_group": "3",
                }
            },
            # Multilingual names as the Webservice's JSON writes them, one per language.
            "groups": {
                3: {"id": 3, "name": [{"id": "1", "value": "Client"}]},
                4: {
                    "id": 4,
                    "name": [{"id": "2", "value": "Professionals"}, {"id": "1", "value": "Pros"}],
                },
            },
            "addresses": {
                8: {"id": 8, "phone": "", "phone_mobile": "06 12 34 56 78", "id_country": "8"}
            },
            "countries": {8: {"id": 8, "iso_code": "FR"}},
            "currencies": {1: {"id": 1, "iso_code": "EUR"}, 2: {"id": 2, "iso_code": "USD"}},
            "languages": {1: {"id": 1, "iso_code": "fr"}},
        }
        self.recovered: list[dict[str, Any]] = []
        #: (body, timestamp, signature) -> (status, answer): the real module instead of ours.
        self.recover_with: Callable[[bytes, str, str], tuple[int, dict[str, Any]]] | None = None
        httpserver.expect_request(re.compile(f"^{API}/.*")).respond_with_handler(self)
        httpserver.expect_request("/index.php", method="POST").respond_with_handler(self.module)

    def module(self, request: Any) -> Any:
        """The Paylink module's recover controller (PaylinkRecovery), for tests without PHP:
        the signature checked, one order per cart."""
        assert request.args.to_dict() == {
            "fc": "module",
            "module": "paylink",
            "controller": "recover",
        }
        if self.recover_with is not None:  # the module's own PHP answers
            status, answer = self.recover_with(
                request.get_data(),
                request.headers.get(auth.TIMESTAMP_HEADER, ""),
                request.headers.get(auth.SIGNATURE_HEADER, ""),
            )
            return json_answer(answer, status)
        try:
            auth.verify(
                SHOP_SECRET,
                request.headers.get(auth.TIMESTAMP_HEADER),
                request.headers.get(auth.SIGNATURE_HEADER),
                request.get_data(),
                self.clock(),
            )
        except Unauthorized:
            return json_answer({"error": "the signature does not match"}, 401)
        asked = json.loads(request.get_data())
        self.recovered.append(asked)
        made = [o for o in self.orders.values() if str(o["id_cart"]) == str(asked["id_cart"])]
        if made:
            return json_answer(
                {"id_order": made[0]["id"], "reference": made[0]["reference"], "existing": True}
            )
        order = self.add(
            ps_order(
                id=600,
                id_cart=str(asked["id_cart"]),
                reference="RECOVERED",
                valid="1",
                current_state="2",
            )
        )
        return json_answer(
            {"id_order": order["id"], "reference": order["reference"], "existing": False}
        )

    def add(self, order: dict[str, Any]) -> dict[str, Any]:
        self.orders[int(order["id"])] = copy.deepcopy(order)
        return order

    def _authorised(self, request: Any) -> bool:
        expected = "Basic " + base64.b64encode(f"{self.key}:".encode()).decode()
        return request.headers.get("Authorization") == expected

    def _refuse(self, status: int, message: str) -> Any:
        if self.xml_errors:
            body = (
                '<?xml version="1.0" encoding="UTF-8"?><prestashop '
                'xmlns:xlink="http://www.w3.org/1999/xlink"><errors><error><code><![CDATA[90]]>'
                f"</code><message><![CDATA[{message}]]></message></error></errors></prestashop>"
            )
            from werkzeug import Response

            return Response(body.encode(), status, content_type="text/xml;charset=utf-8")
        return json_answer({"errors": [{"code": 90, "message": message}]}, status)

    def __call__(self, request: Any) -> Any:
        if not self._authorised(request):
            return self._refuse(401, "Unauthorized")
        assert request.headers.get("Output-Format") == "JSON"
        path = request.path.removeprefix(f"{API}/")
        fields = None
        if request.method in ("POST", "PUT"):
            if request.content_type != "application/xml":
                return self._refuse(400, "Only XML can be read by the Webservice")
            _, fields = xml_fields(request.get_data())
        self.received.append((request.method, path, fields))
        if (resource := path.split("/")[0]) in self.denied:
            allowed = "is not allowed with this authentication key"
            return self._refuse(401, f'Resource of type "{resource}" {allowed}')
        if f"{request.method} {path}" in self.refuse:
            return self._refuse(400, self.refuse[f"{request.method} {path}"])
        if self.answer_status:
            return self._refuse(self.answer_status.pop(0), "Busy")
        if match := re.fullmatch(r"orders/(\d+)", path):
            order = self.orders.get(int(match.group(1)))
            return json_answer({"order": order}) if order else self._refuse(404, "Not found")
        if path == "orders":
            return json_answer(self._orders(request.args))
        if path == "configurations":
            names = request.args["filter[name]"].strip("[]").split("|")
            rows = [
                {"name": n, "value": str(CONFIGURATION[n])} for n in names if n in CONFIGURATION
            ]
            return json_answer({"configurations": rows})
        if match := re.fullmatch(
            r"(customers|addresses|countries|currencies|languages|groups)/(\d+)", path
        ):
            found = self.resources[match.group(1)].get(int(match.group(2)))
            singular = {"addresses": "address", "countries": "country", "currencies": "currency"}
            name = singular.get(match.group(1), match.group(1)[:-1])
            return json_answer({name: found}) if found else self._refuse(404, "Not found")
        if path == "cart_rules" and fields is not None:
            return self._new_cart_rule(fields)
        if path in ("cart_rules", "currencies"):
            field, value = next((k, v) for k, v in request.args.items() if k.startswith("filter["))
            pool = self.cart_rules if path == "cart_rules" else self.resources["currencies"]
            found = [{"id": i} for i, r in pool.items() if str(r[field[7:-1]]) == value.strip("[]")]
            return json_answer({path: found} if found else [])
        if path == "order_histories" and fields is not None:
            return self._history(fields)
        if path == "order_payments" and fields is not None:
            return self._new_payment(fields)
        if match := re.fullmatch(r"order_payments/(\d+)", path):
            assert fields is not None and fields["id"] == match.group(1)
            (payment,) = [p for p in self.payments if p["id"] == int(match.group(1))]
            payment.update({k: v for k, v in fields.items() if k != "id"})
            return json_answer({"order_payment": payment})
        if path == "order_payments":
            reference = request.args["filter[order_reference]"].strip("[]")
            return json_answer(
                {"order_payments": [p for p in self.payments if p["order_reference"] == reference]}
                if any(p["order_reference"] == reference for p in self.payments)
                else []
            )
        if path == "messages" and fields is not None:
            if len(fields["message"]) > 1600:
                return self._refuse(400, "Validation error: message is too long")
            message = {"id": len(self.messages) + 1, **fields}
            self.messages.append(message)
            return json_answer({"message": message}, 201)
        if path == "messages":
            order_id = request.args["filter[id_order]"].strip("[]")
            found = [m for m in self.messages if str(m["id_order"]) == order_id]
            return json_answer({"messages": found} if found else [])
        return self._refuse(404, f"Resource {path} not found")

    def _new_cart_rule(self, fields: dict[str, Any]) -> Any:
        """CartRule's definition: name (per language), dates and code required; codes unique
        (PrestaShop's back office refuses a second; the Webservice would take it: Paylink
        looks first)."""
        missing = [f for f in ("name", "date_from", "date_to") if not fields.get(f)]
        if missing:
            return self._refuse(400, f"Validation error: {missing[0]} is required")
        rule = {"id": len(self.cart_rules) + 1, **fields}
        self.cart_rules[rule["id"]] = rule
        return json_answer({"cart_rule": rule}, 201)

    def _orders(self, args: Any) -> Any:
        found = sorted(self.orders.values(), key=lambda o: int(o["id"]))
        if "filter[id_cart]" in args:
            cart = args["filter[id_cart]"].strip("[]")
            found = [o for o in found if str(o["id_cart"]) == cart]
        if "filter[date_upd]" in args:
            assert args.get("date") == "1", "date filters need date=1"
            start, end = args["filter[date_upd]"].strip("[]").split(",")
            found = [o for o in found if start <= o["date_upd"] <= end]
        if "limit" in args:
            offset, count = (int(n) for n in args["limit"].split(","))
            found = found[offset : offset + count]
        if not found:
            return []
        if args.get("display") == "[id]":
            return {"orders": [{"id": int(o["id"])} for o in found]}
        return {"orders": found}

    def _history(self, fields: dict[str, str]) -> Any:
        order = self.orders[int(fields["id_order"])]
        state = int(fields["id_order_state"])
        self.histories.append(fields)
        order["current_state"] = str(state)
        order["date_upd"] = "2026-03-02 10:40:01"
        if state in PAID_STATES:
            order["valid"] = "1"
            paid = sum(
                float(p["amount"])
                for p in self.payments
                if p["order_reference"] == order["reference"]
            )
            rest = float(order["total_paid_tax_incl"]) - paid
            if rest > 0:  # what changeIdOrderState records when an invoice is made
                self._new_payment(
                    {
                        "order_reference": order["reference"],
                        "id_currency": order["id_currency"],
                        "amount": f"{rest:.2f}",
                        "payment_method": "Paylink",
                        "transaction_id": "",
                        "conversion_rate": "1.000000",
                    }
                )
        return json_answer({"order_history": {"id": len(self.histories), **fields}}, 201)

    def _new_payment(self, fields: dict[str, str]) -> Any:
        payment: dict[str, Any] = {"id": len(self.payments) + 1, **fields}
        self.payments.append(payment)
        return json_answer({"order_payment": payment}, 201)
