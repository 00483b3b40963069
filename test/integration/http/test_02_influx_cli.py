"""Debian's `influx` CLI (influxdb-client 1.6.7) against Verbund: connect (reads the version
header), CREATE DATABASE, INSERT (uses /write), SELECT and SHOW in json and csv formats."""

import json
import os
import subprocess

import pytest

INFLUX = os.environ.get("INFLUX_CLI", "/usr/bin/influx")


def influx(server, *args):
    if not os.path.exists(INFLUX):
        pytest.skip("influx CLI not installed (package influxdb-client)")
    cmd = [INFLUX, "-host", "127.0.0.1", "-port", str(server.port), *args]
    r = subprocess.run(cmd, capture_output=True, timeout=60)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def test_cli_create_insert_select(server):
    rc, out, err = influx(server, "-execute", "CREATE DATABASE cli")
    assert rc == 0, out + err
    for line in ["cpu,host=a usage=1.5 1000000000", "cpu,host=b usage=2.5 2000000000",
                 "cpu,host=a usage=3.5 3000000000"]:
        rc, out, err = influx(server, "-database", "cli", "-execute", "INSERT " + line)
        assert rc == 0, out + err
    rc, out, err = influx(server, "-database", "cli", "-format", "json", "-precision", "s",
                          "-execute", "SELECT usage FROM cpu WHERE host = 'a'")
    assert rc == 0, out + err
    doc = json.loads(out)
    assert doc["results"][0]["series"][0]["values"] == [[1, 1.5], [3, 3.5]]
    rc, out, err = influx(server, "-database", "cli", "-format", "csv", "-execute",
                          "SELECT sum(usage) FROM cpu GROUP BY host")
    assert rc == 0, out + err
    rows = [l.split(",") for l in out.strip().splitlines()]
    assert rows[0] == ["name", "tags", "time", "sum"]
    # The CLI repeats the header line per series.
    assert [r[-1] for r in rows if r[0] == "cpu"] == ["5", "2.5"]


def test_cli_show_statements(server):
    influx(server, "-execute", "CREATE DATABASE shows")
    influx(server, "-database", "shows", "-execute", "INSERT mem,host=x used=1i 1")
    rc, out, err = influx(server, "-format", "json", "-execute", "SHOW DATABASES")
    assert rc == 0
    names = [v[0] for v in json.loads(out)["results"][0]["series"][0]["values"]]
    assert "shows" in names
    rc, out, err = influx(server, "-database", "shows", "-format", "json", "-execute",
                          "SHOW FIELD KEYS")
    assert json.loads(out)["results"][0]["series"][0]["values"] == [["used", "integer"]]
    rc, out, err = influx(server, "-database", "shows", "-format", "json", "-execute",
                          "SHOW TAG VALUES WITH KEY = host")
    assert json.loads(out)["results"][0]["series"][0]["values"] == [["host", "x"]]


def test_cli_reports_parse_error(server):
    rc, out, err = influx(server, "-execute", "SELEKT 1")
    assert rc != 0
    assert "error parsing query" in out + err
