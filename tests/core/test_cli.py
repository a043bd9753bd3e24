"""The `paylink` command, run as a person would: real processes for `run`, click's runner for
the rest, each on its own data directory."""

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from flask.cli import ScriptInfo

from core.cli import app_factory, main
from tests.support.clock import FakeClock

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path, database_url):
    return {
        "PAYLINK_DATA_DIR": str(tmp_path / "var"),
        "PAYLINK_DATABASE_URL": database_url,
        "PAYLINK_LOG_LEVEL": "WARNING",
    }


def paylink(env, *args):
    """Run one command on a fixed clock (a Monday, 09:30 UTC: inside SMS sending hours), so
    that what it does never depends on the hour the suite runs at."""
    info = ScriptInfo(create_app=lambda: app_factory(clock=FakeClock()))
    return CliRunner().invoke(main, list(args), env=env, obj=info, catch_exceptions=False)


def test_merchant_key_and_demo_from_the_command_line(env):
    assert paylink(env, "migrate").exit_code == 0
    created = paylink(env, "create-merchant", "--name", "Boutique Lune", "--country", "BE")
    assert created.exit_code == 0 and "merchant 1 created" in created.output
    key = paylink(env, "create-api-key", "--merchant", "1")
    assert re.fullmatch(r"pl_[0-9a-f]{12}_[\w-]{43}\n", key.output)
    demo = paylink(env, "demo", "--merchant", "1")
    statuses = [line.split()[1] for line in demo.output.splitlines()]
    assert statuses == ["open", "partially_paid", "paid", "overdue", "draft"]
    assert paylink(env, "messages", "--merchant", "1").output == "no messages yet\n"
    worker = paylink(env, "worker", "--burst")
    assert worker.exit_code == 0, worker.output
    outbox = paylink(env, "messages", "--merchant", "1").output
    # The three unpaid, sent invoices got their first message (paid: skipped; draft: not sent).
    assert outbox.count("step invoice") == 3, outbox
    assert "[stored via outbox, 1 segment(s) gsm7]" in outbox
    rotated = paylink(env, "rotate-keys")
    assert "re-indexed 5 invoices" in rotated.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create-merchant", "--name", "X", "--currency", "EURO"], "unknown currency"),
        (["create-merchant", "--name", "X", "--timezone", "Paris"], "unknown time zone"),
        (["create-api-key", "--merchant", "42"], "no merchant 42"),
        (["demo", "--merchant", "42"], "no merchant 42"),
        (["create-api-key", "--merchant", "one"], "'one' is not a valid integer"),
    ],
)
def test_mistakes_get_a_one_line_reason_not_a_traceback(env, args, message):
    paylink(env, "migrate")
    result = paylink(env, *args)
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output


def test_a_worker_refuses_an_unmigrated_database(tmp_path):
    env = {"PAYLINK_DATA_DIR": str(tmp_path / "var"), "PAYLINK_LOG_LEVEL": "WARNING"}
    result = paylink(env, "worker", "--burst")
    assert result.exit_code == 1 and "run `paylink migrate`" in result.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_bad_settings_are_reported_before_anything_starts(env):
    result = paylink({**env, "PAYLINK_ENCRYPTION_KEYS": "broken"}, "migrate")
    assert result.exit_code == 1 and "id:base64key" in result.output


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_run_starts_with_a_demo_merchant_serves_the_api_and_stops_on_sigterm(tmp_path):
    port = free_port()
    env = {**os.environ, "PAYLINK_DATA_DIR": str(tmp_path / "var"), "PAYLINK_PORT": str(port)}
    env.pop("PAYLINK_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = ""
    try:
        while "Paylink is running" not in output:
            line = process.stdout.readline()
            assert line, f"run exited early:\n{output}"
            output += line
        key = re.search(r"API key \(shown once\): (\S+)", output).group(1)
        listed = requests.get(
            f"http://127.0.0.1:{port}/api/v1/invoices",
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
        )
        assert listed.status_code == 200 and len(listed.json()["data"]) == 5
        assert (tmp_path / "var" / "paylink.db").exists()
        # The first-run story: the console's address and a one-time password that signs in.
        email = re.search(r"/console  sign in as (\S+)", output).group(1)
        password = re.search(r"password \(shown once\): (\S+)", output).group(1)
        browser = requests.Session()
        first = browser.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert first.url.endswith("/console/login?next=%2Fconsole%2F"), first.url
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', first.text).group(1)
        signed = browser.post(
            first.url,
            data={"email": email, "password": password, "csrf_token": token},
            timeout=10,
        )
        assert signed.url.endswith("/console/dashboard") and "Tableau de bord" in signed.text
        listed_page = browser.get(f"http://127.0.0.1:{port}/console/invoices", timeout=10)
        assert "F-20" in listed_page.text
    finally:
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=30)
    assert process.returncode == 0, rest
    assert "Traceback" not in rest


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_password_can_come_from_a_pipe(env):
    """`--password-stdin` for scripts: no prompt, no GetPassWarning, and it signs in."""
    from core.services import merchant_users
    from core.settings import Settings
    from core.storage.database import Database

    paylink(env, "migrate")
    paylink(env, "create-merchant", "--name", "Boutique Lune")
    args = ["create-user", "--merchant", "1", "--email", "lea@lune.fr", "--password-stdin"]
    info = ScriptInfo(create_app=lambda: app_factory(clock=FakeClock()))
    created = CliRunner().invoke(main, args, env=env, obj=info, input="a long piped secret\n")
    assert created.exit_code == 0 and "Password" not in created.output, created.output
    settings = Settings.from_env(env)
    database = Database(settings.database_url)
    from core.services.context import ServiceContext

    ctx = ServiceContext(db=database, keyring=settings.keyring)
    assert merchant_users.authenticate(ctx, "lea@lune.fr", "a long piped secret").id == 1
    database.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_payment_accounts_from_the_command_line(env):
    paylink(env, "migrate")
    paylink(env, "create-merchant", "--name", "Boutique Lune")
    sandbox = paylink(env, "payment-account", "--merchant", "1", "--provider", "sandbox")
    assert sandbox.exit_code == 0 and "/webhooks/sandbox/1" in sandbox.output
    transfer = paylink(
        env,
        "payment-account",
        "--merchant",
        "1",
        "--provider",
        "bank_transfer",
        "--credentials",
        '{"beneficiary": "Lune", "iban": "FR7630006000011234567890189"}',
    )
    assert transfer.exit_code == 0 and "webhook" not in transfer.output
    for args, message in (
        (["--provider", "stripe", "--credentials", '{"secret_key": "pk_live_x"}'], "sk_"),
        (["--provider", "bitcoin"], "unknown payment provider"),
        (["--provider", "stripe", "--credentials", "[1]"], "JSON object"),
    ):
        result = paylink(env, "payment-account", "--merchant", "1", *args)
        assert result.exit_code != 0 and message in result.output, result.output


def test_a_bank_statement_from_the_command_line(env, tmp_path):
    from tests.support.bank import CAMT, IBAN

    assert paylink(env, "migrate").exit_code == 0
    assert paylink(env, "create-merchant", "--name", "Lune").exit_code == 0
    account = f'{{"beneficiary": "Lune", "iban": "{IBAN}"}}'
    paylink(
        env,
        "payment-account",
        "--merchant",
        "1",
        "--provider",
        "bank_transfer",
        "--credentials",
        account,
    )
    statement = str(CAMT / "camt.053.001.02.xml")
    done = paylink(env, "import-statement", statement, "--merchant", "1")
    assert done.exit_code == 0, done.output
    assert "5 lines read in 1 statement(s)" in done.output
    assert "4 wait in the exceptions queue" in done.output  # no invoice in this database
    again = paylink(env, "import-statement", statement, "--merchant", "1")
    assert "1 statements were already imported" in again.output
    broken = paylink(env, "import-statement", str(CAMT / "billion-laughs.xml"), "--merchant", "1")
    assert broken.exit_code == 1
    assert broken.output.strip().endswith(
        "the file declares a DTD, which a bank statement never has"
    )
    layout = tmp_path / "layout.json"
    layout.write_text('{"name": "ma-banque", "date": "Jour", "label": "Motif"}')
    refused = paylink(env, "save-csv-profile", str(layout), "--merchant", "1")
    assert refused.exit_code == 1 and "either one signed amount" in refused.output
