"""Load from real generators, not from Python: `wrk` for throughput (a Lua script cycling through
prepared requests when each must differ: signed bodies, fresh event ids) and `hey` at a constant
rate for latency. Both come from Debian; `ensure_tools` installs them where it can (root with
apt-get) and says so loudly when it cannot, in which case the benchmarks stop rather than
measure the Python client instead.

Every comparison is run interleaved (endpoint, bare, floor, endpoint, ...) three times and the
medians are printed, so a machine's drift hits all of them alike. Beside each rate, the server's
CPU time per request served (gunicorn's processes, user and system, from /proc; PostgreSQL's
own processes not counted): on a shared machine whose speed drifts between runs, the steadier
measure of what a change saved.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

TOOLS = {"wrk": "wrk", "hey": "hey"}
#: How the measured server runs (gunicorn's gthread workers), and how many connections wrk
#: keeps open: every HTTP benchmark's header says so.
GUNICORN_WORKERS = 2
GUNICORN_THREADS = 4
WRK_CONNECTIONS = 16


def ensure_tools() -> None:
    missing = [name for name in TOOLS if shutil.which(name) is None]
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"installing {' '.join(missing)} (apt-get)", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=False)
        missing = [name for name in TOOLS if shutil.which(name) is None]
    if missing:
        raise SystemExit(
            f"the benchmarks need {', '.join(missing)} (apt-get install {' '.join(missing)}): "
            "a Python client would measure itself, not Paylink"
        )


@dataclass(frozen=True)
class Result:
    rate: float  # requests per second
    p50_ms: float
    p99_ms: float
    cpu_ms: float | None = None  # the server's CPU time per request served, when measured


def server_cpu_seconds(server: subprocess.Popen[bytes]) -> float:
    """The CPU time (user and system) a server has used so far: its own process and its
    children's (gunicorn's workers), read from /proc."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # After the command's closing parenthesis: state, ppid, ..., utime, stime.
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # a process that ended meanwhile
            continue
        pid = int(stat.parent.name)
        if pid == server.pid or int(fields[1]) == server.pid:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip()).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(
    url: str,
    seconds: int = 5,
    connections: int = WRK_CONNECTIONS,
    threads: int = 2,
    requests: Sequence[tuple[str, str, dict[str, str], bytes]] = (),
    headers: dict[str, str] | None = None,
    rate: int | None = None,
    server: subprocess.Popen[bytes] | None = None,
) -> Result:
    """Throughput with keep-alive connections; `requests` (method, path, headers, body) are
    sent in turn when given, else GETs of `url` (with `headers`). With `rate`, latency at about
    that many requests a second instead (prepared requests that must each differ, which `hey`
    cannot send): each of 10 connections waits 10/rate s between its requests, so the served
    rate is a little under `rate` and is printed as measured. With `server`, its CPU time per
    request served too."""
    if rate:
        connections = PACED_CONNECTIONS
    if requests:
        threads = 1  # one event loop sends the prepared list in order: no request sent twice
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    with tempfile.TemporaryDirectory() as folder:
        if requests:
            script = Path(folder) / "requests.lua"
            script.write_text(_lua(requests, rate))
            command += ["-s", str(script)]
        cpu_before = server_cpu_seconds(server) if server else 0.0
        done = subprocess.run([*command, url], capture_output=True, text=True, check=True)
        cpu = server_cpu_seconds(server) - cpu_before if server else None
    out = done.stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} answers were not 2xx\n{out}")
    served = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _milliseconds(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _milliseconds(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    answered = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return Result(served, p50, p99, cpu * 1000 / answered if cpu is not None and answered else None)


def _lua_string(value: str | bytes) -> str:
    """A Lua string literal: printable ASCII as it is, every other byte as a decimal escape."""
    data = value.encode() if isinstance(value, str) else value
    return (
        '"'
        + "".join(
            chr(byte) if 32 <= byte < 127 and byte not in (34, 92) else f"\\{byte:03d}"
            for byte in data
        )
        + '"'
    )


#: Connections of a paced wrk run (`wrk(rate=...)`).
PACED_CONNECTIONS = 10


def _lua(requests: Sequence[tuple[str, str, dict[str, str], bytes]], rate: int | None) -> str:
    lines = ["local requests = {}"]
    for method, path, headers, body in requests:
        table = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items())
        lines.append(
            f"table.insert(requests, wrk.format({_lua_string(method)}, {_lua_string(path)}, "
            f"{{{table}}}, {_lua_string(body)}))"
        )
    # Each wrk thread takes its own share (thread k: k+1, k+1+T, ...), so no request is sent
    # twice until the list is used up.
    lines += [
        "local counter = 0",
        "local threads = {}",
        "function setup(thread)",
        "  thread:set('offset', counter)",
        "  counter = counter + 1",
        "  table.insert(threads, thread)",
        "  for _, t in ipairs(threads) do t:set('step', counter) end",
        "end",
        "local i, stride = 0, 1",
        "function init(args) i = tonumber(offset or 0) + 1; stride = tonumber(step or 1) end",
        "function request()",
        "  local r = requests[(i - 1) % #requests + 1]",
        "  i = i + stride",
        "  return r",
        "end",
    ]
    if rate:
        lines.append(f"function delay() return {1000 * PACED_CONNECTIONS // rate} end")
    return "\n".join(lines) + "\n"


def hey(url: str, rate: int, seconds: int = 5, method: str = "GET") -> Result:
    """Latency at a constant total rate (10 workers, each `rate / 10` per second)."""
    workers = 10
    done = subprocess.run(
        ["hey", "-z", f"{seconds}s", "-c", str(workers), "-q", str(max(1, rate // workers)),
         "-m", method, url],
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    out = done.stdout
    served = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = float(re.search(r"50%+ in ([\d.]+) secs", out).group(1)) * 1000  # type: ignore[union-attr]
    p99 = float(re.search(r"99%+ in ([\d.]+) secs", out).group(1)) * 1000  # type: ignore[union-attr]
    return Result(served, p50, p99)


def interleaved(runs: dict[str, Callable[[], Result]], rounds: int = 3) -> dict[str, Result]:
    """Each run once per round, in turn; the median of each figure over the rounds."""
    found: dict[str, list[Result]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            found[name].append(run())
    return {
        name: Result(
            statistics.median(r.rate for r in results),
            statistics.median(r.p50_ms for r in results),
            statistics.median(r.p99_ms for r in results),
            statistics.median(cpu) if (cpu := [r.cpu_ms for r in results if r.cpu_ms]) else None,
        )
        for name, results in found.items()
    }


def table(
    title: str,
    results: dict[str, Result],
    bare: str,
    floor: str | None = None,
    versus: str = "bare",
) -> None:
    """The results, each with its ratio to the `bare` one (headed `x <versus>`) and, when
    given, to the `floor` one."""
    print(f"\n{title}")
    header = f"{'endpoint':<34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'x ' + versus:>7}"
    print(header + (f" {'x floor':>8}" if floor else "") + f" {'CPU ms/req':>11}")
    for name, result in results.items():
        line = (
            f"{name:<34} {result.rate:8.0f} {result.p50_ms:8.1f} {result.p99_ms:8.1f} "
            f"{result.rate / results[bare].rate:7.2f}"
        )
        if floor:
            line += f" {result.rate / results[floor].rate:8.2f}"
        line += f" {result.cpu_ms:11.2f}" if result.cpu_ms is not None else f" {'-':>11}"
        print(line, flush=True)


def on_both_engines(
    run: Callable[[str, str | None, argparse.Namespace], None],
    args: argparse.Namespace,
    database: str,
) -> None:
    """An HTTP benchmark on durable SQLite, then on a PostgreSQL database of its own."""
    from bench.jobs import postgres_databases  # the server helper, only when it is needed

    ensure_tools()
    print(
        f"gunicorn {GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads, wrk 1 thread x "
        f"{WRK_CONNECTIONS} connections, durable engines"
    )
    run("sqlite", None, args)
    with postgres_databases() as make_database:
        run("postgresql", make_database(database), args)
