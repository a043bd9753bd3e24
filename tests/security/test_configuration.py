"""A setting that would silently weaken Paylink (a malformed rate limit turned every limit off)
or crash it later stops the start with one line naming the variable, never a traceback."""

import pytest
from click.testing import CliRunner

from core.cli import main


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("PAYLINK_API_RATE_LIMIT", "lots", "PAYLINK_API_RATE_LIMIT 'lots' is not a rate limit"),
        ("PAYLINK_PAY_PAGE_RATE_LIMIT", "5/fortnight", "PAYLINK_PAY_PAGE_RATE_LIMIT"),
        ("PAYLINK_LOGIN_RATE_LIMIT", "many per hour", "PAYLINK_LOGIN_RATE_LIMIT"),
        ("PAYLINK_ENV", "prod", "PAYLINK_ENV must be one of development, production"),
        ("PAYLINK_LOG_LEVEL", "LOUD", "PAYLINK_LOG_LEVEL must be one of"),
        ("PAYLINK_SMS_CHANNEL", "pigeon", "unknown sms channel 'pigeon'"),
        ("PAYLINK_DATABASE_URL", "garbage", "is not a URL"),
        ("PAYLINK_DATABASE_URL", "mysql://x@localhost/db", "use sqlite or postgresql"),
        ("PAYLINK_DATABASE_URL", "postgresql://x@127.0.0.1:1/db", "cannot be reached"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(tmp_path, name, value, said):
    env = {"PAYLINK_DATA_DIR": str(tmp_path), "PAYLINK_LOG_LEVEL": "WARNING", name: value}
    result = CliRunner().invoke(main, ["migrate"], env=env)
    assert result.exit_code == 1, result.output
    assert said in result.output and "Traceback" not in result.output
    assert result.output.count("\n") == 1, result.output
