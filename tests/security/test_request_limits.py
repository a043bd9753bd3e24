"""Hostile bodies and the files Paylink leaves on disk: a JSON body nested 30,000 deep is a 400
with a reason (it was a 500), and the SQLite database and its directory are their owner's only."""

import stat

from core.settings import Settings
from core.storage.database import Database

DEEP = b"[" * 30_000 + b"]" * 30_000  # 60 KB: under the test app's 64 KB cap


def test_a_deeply_nested_json_body_is_a_400(client, auth):
    answer = client.post(
        "/api/v1/invoices", data=DEEP, content_type="application/json", headers=auth
    )
    assert answer.status_code == 400
    assert answer.json["error"]["code"] == "malformed_json"


def test_the_database_and_data_directory_are_readable_by_their_owner_only(tmp_path):
    settings = Settings.from_env({"PAYLINK_DATA_DIR": str(tmp_path / "var")})
    database = Database(settings.database_url)
    with database.engine.connect():
        pass
    database.dispose()
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((settings.data_dir / "paylink.db").stat().st_mode) == 0o600
