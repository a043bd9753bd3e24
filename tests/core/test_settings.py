import stat

import pytest

from core.errors import ConfigurationError
from core.settings import LOCAL_SECRETS_FILE, Settings


def test_first_run_generates_private_secrets_once(tmp_path):
    env = {"PAYLINK_DATA_DIR": str(tmp_path)}
    first = Settings.from_env(env)
    again = Settings.from_env(env)
    assert first.secret_key == again.secret_key and first.encryption_keys == again.encryption_keys
    assert stat.S_IMODE((tmp_path / LOCAL_SECRETS_FILE).stat().st_mode) == 0o600
    assert first.database_url == f"sqlite:///{tmp_path / 'paylink.db'}"


def test_production_refuses_generated_secrets(tmp_path):
    with pytest.raises(ConfigurationError, match="PAYLINK_SECRET_KEY"):
        Settings.from_env({"PAYLINK_DATA_DIR": str(tmp_path), "PAYLINK_ENV": "production"})
    assert not (tmp_path / LOCAL_SECRETS_FILE).exists()


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("PAYLINK_PORT", "eighty", "whole number"),
        ("PAYLINK_JOB_MAX_ATTEMPTS", "0", "1 or more"),
        ("PAYLINK_ENCRYPTION_KEYS", "nope", "id:base64key"),
    ],
)
def test_bad_values_are_reported_at_start_up(tmp_path, name, value, reason):
    with pytest.raises(ConfigurationError, match=reason):
        Settings.from_env(
            {"PAYLINK_DATA_DIR": str(tmp_path), "PAYLINK_SECRET_KEY": "s", name: value}
        )
