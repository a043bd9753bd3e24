"""Each limit is counted by the requests it limits, and by no other: a store's delivery or the
health check never touch the counts, a payment page only reads its look-up budget, the
console's sign-in page is free and only its form's POSTs count."""

from limits import parse_many
from limits.strategies import FixedWindowRateLimiter

from core.web.rate_counts import KEY_PREFIX, SWEEP_SECONDS, RateCounts, SweptMemoryStorage


def test_each_request_counts_against_its_own_limits_only(client, auth, invoice, monkeypatch):
    asked = []
    original = RateCounts._ask

    def recording(self, question, item, key):
        asked.append((self.scope.removeprefix(f"{KEY_PREFIX}/"), question))
        return original(self, question, item, key)

    monkeypatch.setattr(RateCounts, "_ask", recording)

    def counted(request) -> list[tuple[str, str]]:
        asked.clear()
        request()
        return sorted(set(asked))

    assert counted(lambda: client.post("/connectors/shopify/webhooks", data=b"{}")) == []
    assert counted(lambda: client.get("/healthz")) == []
    assert counted(lambda: client.get("/console/login")) == []
    assert counted(lambda: client.get(f"/i/{invoice.link_code}")) == [
        ("payment-link-lookups", "test")
    ]
    assert counted(lambda: client.get("/api/v1/invoices", headers=auth)) == [
        ("api", "get_window_stats"),
        ("api", "hit"),
    ]
    assert counted(lambda: client.post("/webhooks/sandbox/1", data=b"{}")) == [
        ("webhooks-account", "hit"),
        ("webhooks-address", "hit"),
    ]
    assert counted(lambda: client.post("/console/login", data={})) == [("console-sign-in", "hit")]


def test_counts_in_memory_sweep_once_a_second_not_a_thread_per_count():
    storage = SweptMemoryStorage()
    limiter = FixedWindowRateLimiter(storage)
    item = parse_many("1000/minute")[0]
    for _ in range(50):
        assert limiter.hit(item, "key")
    # The library's own hook would have left its 10 ms timer, restarted after each firing.
    assert storage.timer.interval == SWEEP_SECONDS == 1.0
    assert storage.timer.daemon
    assert limiter.get_window_stats(item, "key").remaining == 950
