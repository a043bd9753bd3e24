"""The Paylink PrestaShop module run for real by php-cli (tests/connectors/prestashop/php/
shop.php) on stand-ins for PrestaShop, its data kept in a JSON file between runs: the end-to-end
tests fire its hooks (which POST signed events to Paylink over HTTP with cURL) and its recover
controller, on the test's clock."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from core.clock import Clock
from tests.connectors.prestashop.php_tools import need

SHOP = Path(__file__).resolve().parents[1] / "connectors" / "prestashop" / "php" / "shop.php"


class PhpShop:
    def __init__(self, folder: Path, clock: Clock, data: dict[str, Any]) -> None:
        self.state = folder / "shop.json"
        self.clock = clock
        self.php = need("php")
        self.state.write_text(json.dumps({"configuration": {}, **data}))

    def data(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.state.read_text())
        return loaded

    def run(
        self, command: str, *args: str, stdin: bytes = b"", env: dict[str, str] | None = None
    ) -> str:
        data = self.data()
        data["now"] = int(self.clock().timestamp())
        self.state.write_text(json.dumps(data))
        done = subprocess.run(
            [self.php, str(SHOP), str(self.state), command, *args],
            input=stdin,
            capture_output=True,
            timeout=60,
            env=env,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout.decode()
