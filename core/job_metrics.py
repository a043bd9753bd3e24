"""What the worker measures of its jobs, for Prometheus: how long a due job waited for a worker
and how long its handler ran, by kind (and outcome).

Measured where it happens, in the worker process. With `PROMETHEUS_MULTIPROC_DIR` set for the
web and the worker alike, the web's `/metrics` adds these up with its own; otherwise the worker
serves them itself on `PAYLINK_WORKER_METRICS_PORT` (bound to 127.0.0.1: for a scraper on the
same host or a sidecar, never the internet).
"""

from __future__ import annotations

from prometheus_client import Histogram, start_http_server

from core.jobs import ClaimedJob

JOB_WAIT_SECONDS = Histogram(
    "paylink_job_wait_seconds",
    "How long a due job waited for a worker, by kind",
    ["kind"],
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
)
JOB_RUN_SECONDS = Histogram(
    "paylink_job_run_seconds",
    "How long a job's handler ran, by kind and outcome (done, deferred, retry, failed)",
    ["kind", "outcome"],
    buckets=(0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def observe_job(job: ClaimedJob, outcome: str, seconds: float) -> None:
    JOB_WAIT_SECONDS.labels(job.kind).observe(job.waited_seconds)
    JOB_RUN_SECONDS.labels(job.kind, outcome).observe(seconds)


def serve_worker_metrics(port: int) -> None:
    """The worker's own /metrics, on the loopback interface only."""
    start_http_server(port, addr="127.0.0.1")
