"""A throwaway Redis server on a Unix socket, for tests that share state across processes."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path


class RedisServer:
    def __init__(self, binary: str) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="paylink-redis-"))
        self.socket = self.root / "redis.sock"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self.socket.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.02)

    @property
    def url(self) -> str:
        return f"redis+unix://{self.socket}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.root, ignore_errors=True)
