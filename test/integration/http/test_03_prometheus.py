"""Debian's Prometheus scrapes /metrics; the target must be reported `up` with no scrape error.
Also checks the families and histogram shapes the hub documents in doc/api.md."""

import json
import os
import subprocess
import time
import urllib.request

import pytest

from conftest import HOST, free_port, port_open, query, request, write

PROMETHEUS = os.environ.get("PROMETHEUS_BIN", "/usr/bin/prometheus")
PROMTOOL = os.environ.get("PROMTOOL_BIN", "/usr/bin/promtool")


def test_metrics_text(server):
    query(server.base, "CREATE DATABASE m", method="POST")
    write(server.base, "m", "x v=1 1")
    query(server.base, "SELECT * FROM x", db="m")
    st, headers, body = request(server.base, "GET", "/metrics")
    assert st == 200
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    text = body.decode()
    for family in ["verbund_http_requests_total", "verbund_http_query_duration_seconds",
                   "verbund_http_write_duration_seconds", "verbund_http_connections_active",
                   "verbund_ingest_points_written_total", "verbund_ingest_pending_points",
                   "verbund_storage_disk_bytes", "verbund_storage_chunk_cache_hits_total",
                   "verbund_storage_chunk_cache_misses_total"]:
        assert "# TYPE %s " % family in text, family
    assert 'verbund_http_requests_total{route="write",code="204"} 1' in text
    assert 'verbund_http_query_duration_seconds_bucket{le="+Inf"}' in text
    if os.path.exists(PROMTOOL):
        r = subprocess.run([PROMTOOL, "check", "metrics"], input=body, capture_output=True)
        # promtool exits 1 for lint warnings (naming advice) as well; only parse errors matter.
        assert b"error while linting" not in r.stdout + r.stderr, r.stdout + r.stderr


def test_prometheus_scrapes_target_up(server, tmp_path):
    if not os.path.exists(PROMETHEUS):
        pytest.skip("prometheus not installed")
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        "scrape_configs:\n  - job_name: verbund\n    static_configs:\n"
        "      - targets: ['%s:%d']\n" % (HOST, server.port))
    log = open(tmp_path / "prometheus.log", "wb")
    proc = subprocess.Popen([PROMETHEUS, "--config.file", str(config),
                             "--storage.tsdb.path", str(tmp_path / "tsdb"),
                             "--web.listen-address", "%s:%d" % (HOST, port)],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 90
        target = None
        while time.time() < deadline:
            if proc.poll() is not None:
                pytest.fail("prometheus exited: " + open(tmp_path / "prometheus.log").read())
            if port_open(port):
                try:
                    with urllib.request.urlopen("http://%s:%d/api/v1/targets" % (HOST, port),
                                                timeout=5) as r:
                        targets = json.load(r)["data"]["activeTargets"]
                    if targets and targets[0]["health"] == "up":
                        target = targets[0]
                        break
                    if targets and targets[0]["health"] == "down":
                        pytest.fail("scrape failed: %s" % targets[0].get("lastError"))
                except OSError:
                    pass
            time.sleep(0.5)
        assert target is not None, "target never reported up"
        assert target["lastError"] == ""
        # A scraped sample is queryable in Prometheus.
        url = "http://%s:%d/api/v1/query?query=verbund_http_connections_total" % (HOST, port)
        with urllib.request.urlopen(url, timeout=5) as r:
            assert json.load(r)["status"] == "success"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
