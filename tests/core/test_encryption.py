import pytest

from core.encryption import DecryptionError, Keyring, generate_key
from core.errors import ConfigurationError


def test_round_trip_and_key_id_prefix():
    keyring = Keyring.parse(f"k1:{generate_key()}")
    sealed = keyring.encrypt("shpat_secret", "stores.credentials")
    assert sealed.startswith("k1:") and "shpat_secret" not in sealed
    assert keyring.decrypt(sealed, "stores.credentials") == "shpat_secret"
    assert keyring.encrypt("same", "c") != keyring.encrypt("same", "c")  # fresh nonce each time


def test_rotation_decrypts_old_and_encrypts_under_newest():
    old_key, new_key = generate_key(), generate_key()
    old = Keyring.parse(f"k1:{old_key}")
    sealed = old.encrypt("token", "stores.credentials")
    rotated = Keyring.parse(f"k2:{new_key},k1:{old_key}")
    assert rotated.decrypt(sealed, "stores.credentials") == "token"
    assert rotated.needs_rotation(sealed)
    assert rotated.encrypt("token", "x").startswith("k2:")
    with pytest.raises(DecryptionError, match="no configured key"):
        Keyring.parse(f"k2:{new_key}").decrypt(sealed, "stores.credentials")


def test_a_ciphertext_moved_to_another_column_or_altered_does_not_decrypt():
    keyring = Keyring.parse(f"k1:{generate_key()}")
    sealed = keyring.encrypt("a@b.fr", "invoices.customer_email")
    with pytest.raises(DecryptionError):
        keyring.decrypt(sealed, "invoices.customer_phone")
    tampered = sealed[:-3] + ("AAA" if not sealed.endswith("AAA") else "BBB")
    with pytest.raises(DecryptionError):
        keyring.decrypt(tampered, "invoices.customer_email")


def test_blind_index_is_keyed_deterministic_and_context_bound():
    key = generate_key()
    one, same = Keyring.parse(f"k1:{key}"), Keyring.parse(f"k1:{key}")
    other = Keyring.parse(f"k1:{generate_key()}")
    assert one.blind_index("a@b.fr", "email") == same.blind_index("a@b.fr", "email")
    assert one.blind_index("a@b.fr", "email") != other.blind_index("a@b.fr", "email")
    assert one.blind_index("a@b.fr", "email") != one.blind_index("a@b.fr", "phone")


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "k1",
        "k1:short",
        f"bad id!:{generate_key()}",
        f"k1:{generate_key()},k1:{generate_key()}",
        "k1:%%%",
    ],
)
def test_bad_key_configuration_is_reported(spec):
    with pytest.raises(ConfigurationError):
        Keyring.parse(spec)
