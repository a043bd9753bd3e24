"""Failed API-key attempts count against the address making them: a key's public id is no
lever to lock its merchant out, and invented public ids do not escape the per-address limit."""

from dataclasses import replace

import pytest

from core.services.accounts import create_api_key


@pytest.fixture
def settings(settings):
    return replace(settings, api_rate_limit="5 per minute")


def test_wrong_secrets_under_someone_s_public_id_never_lock_out_the_key(client, ctx, shop):
    _, key = create_api_key(ctx, shop.id, "shop")
    forged = key.rsplit("_", 1)[0] + "_" + "x" * 43
    attacker = {"REMOTE_ADDR": "203.0.113.9"}
    answers = [
        client.get(
            "/api/v1/invoices", headers={"Authorization": f"Bearer {forged}"}, environ_base=attacker
        ).status_code
        for _ in range(8)
    ]
    assert answers == [401] * 5 + [429] * 3
    owner = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/invoices", headers=owner).status_code == 200


def test_invented_public_ids_share_the_address_s_limit(client):
    attacker = {"REMOTE_ADDR": "203.0.113.10"}
    answers = [
        client.get(
            "/api/v1/invoices",
            headers={"Authorization": f"Bearer pl_{n:012x}_{'y' * 43}"},
            environ_base=attacker,
        ).status_code
        for n in range(8)
    ]
    assert answers == [401] * 5 + [429] * 3
