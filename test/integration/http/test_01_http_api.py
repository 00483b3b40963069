"""The InfluxDB 1.x HTTP API and the native /api/v1, driven with curl and urllib."""

import gzip
import json
import os
import socket
import subprocess
import time

from conftest import HOST, TIMEOUT, query, request, write

CURL = "/usr/bin/curl"


def curl(*args, data=None):
    """Runs curl -s and returns (status, headers text, body text)."""
    cmd = [CURL, "-s", "-S", "-D", "-", "--max-time", str(TIMEOUT), *args]
    out = subprocess.run(cmd, input=data, capture_output=True, check=True).stdout.decode()
    # curl -D - prints every header block (100 Continue included) before the body.
    head, _, body = out.rpartition("\r\n\r\n")
    last = head.split("\r\n\r\n")[-1]
    status = int(last.split("\r\n")[0].split()[1])
    return status, last, body


def test_ping_headers(server):
    st, head, body = curl(server.base + "/ping")
    assert st == 204
    assert "X-Influxdb-Version: 1.8.10" in head
    assert "Request-Id: " in head
    st, head, _ = curl("-I", server.base + "/ping")
    assert st == 204
    st, _, body = curl(server.base + "/ping?verbose=true")
    assert st == 200 and json.loads(body) == {"version": "1.8.10"}


def test_health(server):
    st, head, body = curl(server.base + "/health")
    assert st == 200
    assert "Content-Type: application/json" in head
    assert json.loads(body)["status"] == "pass"


def test_write_query_roundtrip_with_curl(server):
    st, _, body = curl("-XPOST", server.base + "/query", "--data-urlencode", "q=CREATE DATABASE plant")
    assert st == 200, body
    assert json.loads(body) == {"results": [{"statement_id": 0}]}
    st, _, body = curl("-XPOST", server.base + "/write?db=plant&precision=s", "--data-binary",
                       "temp,site=a,line=1 celsius=20.5,ok=true,n=3i,s=\"x y\" 1700000000\n"
                       "temp,site=a,line=1 celsius=21.5,ok=false,n=4i,s=\"z\" 1700000010\n")
    assert st == 204, body
    st, _, body = curl("-G", server.base + "/query", "--data-urlencode", "db=plant",
                       "--data-urlencode", "q=SELECT * FROM temp", "--data-urlencode", "epoch=s")
    assert st == 200
    doc = json.loads(body)
    s = doc["results"][0]["series"][0]
    assert s["columns"] == ["time", "celsius", "line", "n", "ok", "s", "site"]
    assert s["values"] == [[1700000000, 20.5, "1", 3, True, "x y", "a"],
                           [1700000010, 21.5, "1", 4, False, "z", "a"]]


def test_write_errors(server):
    st, body = write(server.base, "nope", "m v=1")
    assert st == 404 and json.loads(body) == {"error": 'database not found: "nope"'}
    st, _, body = request(server.base, "POST", "/write", b"m v=1")
    assert st == 400 and json.loads(body) == {"error": "database is required"}
    query(server.base, "CREATE DATABASE d", method="POST")
    st, body = write(server.base, "d", "garbage\n")
    assert st == 400 and "unable to parse 'garbage'" in json.loads(body)["error"]
    st, body = write(server.base, "d", "good v=1 1\nbad line\n")
    assert st == 400
    err = json.loads(body)["error"]
    assert err.startswith("partial write: unable to parse 'bad line'") and err.endswith("dropped=0")
    st, doc = query(server.base, "SELECT count(v) FROM good", db="d")
    assert doc["results"][0]["series"][0]["values"][0][1] == 1  # the good line was written
    st, body = write(server.base, "d", "good v=1i 2\n")
    assert st == 400
    assert "field type conflict" in json.loads(body)["error"]


def test_gzip_body_and_bomb(verbund_http, tmp_path):
    server = verbund_http(max_body_bytes=1 << 20)
    query(server.base, "CREATE DATABASE z", method="POST")
    lines = "".join("m,k=v value=%d %d\n" % (i, i + 1) for i in range(1000)).encode()
    gz = tmp_path / "body.gz"
    gz.write_bytes(gzip.compress(lines))
    st, _, body = curl("-XPOST", server.base + "/write?db=z", "-H", "Content-Encoding: gzip",
                       "--data-binary", "@" + str(gz))
    assert st == 204, body
    st, doc = query(server.base, "SELECT count(value) FROM m", db="z")
    assert doc["results"][0]["series"][0]["values"][0][1] == 1000
    bomb = tmp_path / "bomb.gz"
    bomb.write_bytes(gzip.compress(b"\0" * (64 << 20)))
    assert os.path.getsize(bomb) < (1 << 20)
    st, _, body = curl("-XPOST", server.base + "/write?db=z", "-H", "Content-Encoding: gzip",
                       "--data-binary", "@" + str(bomb))
    assert st == 413, body


def test_body_limit_413(verbund_http):
    server = verbund_http(max_body_bytes=4096)
    query(server.base, "CREATE DATABASE z", method="POST")
    st, _, body = request(server.base, "POST", "/write?db=z", b"m v=1 1\n" * 1000)
    assert st == 413
    # The server still answers afterwards.
    assert request(server.base, "GET", "/ping")[0] == 204


def test_query_form_post_pretty_chunked(server):
    query(server.base, "CREATE DATABASE q", method="POST")
    write(server.base, "q", "".join("cpu,host=h%d v=%d %d\n" % (i % 3, i, i) for i in range(30)))
    st, doc = query(server.base, "SELECT count(v) FROM cpu GROUP BY host", db="q", method="POST")
    assert st == 200
    assert [s["values"][0][1] for s in doc["results"][0]["series"]] == [10, 10, 10]
    st, _, body = request(server.base, "GET", "/query?db=q&pretty=true&q=SHOW+DATABASES")
    assert st == 200 and b'\n    "results": [' in body
    st, head, body = curl("-G", server.base + "/query", "--data-urlencode", "db=q",
                          "--data-urlencode", "q=SELECT v FROM cpu",
                          "--data-urlencode", "chunked=true", "--data-urlencode", "chunk_size=7")
    assert st == 200
    assert "Transfer-Encoding: chunked" in head
    docs = [json.loads(line) for line in body.splitlines() if line]
    assert len(docs) == 5
    assert sum(len(d["results"][0]["series"][0]["values"]) for d in docs) == 30
    assert docs[0]["results"][0].get("partial") is True
    st, _, body = request(server.base, "GET", "/query?db=q&q=SELEKT")
    assert st == 400 and json.loads(body)["error"].startswith("error parsing query")
    st, _, body = request(server.base, "GET", "/query?db=q")
    assert st == 400 and json.loads(body) == {"error": 'missing required parameter "q"'}


def test_native_api(server):
    query(server.base, "CREATE DATABASE n", method="POST")
    write(server.base, "n", "t,site=a f=1.5 1000\nt,site=a f=2.5 2000\nt,site=b f=9 1500\n")
    st, _, body = request(server.base, "GET", "/api/v1/series?db=n&measurement=t")
    assert st == 200
    series = json.loads(body)["series"]
    assert sorted(s["tags"]["site"] for s in series) == ["a", "b"]
    a = [s for s in series if s["tags"]["site"] == "a"][0]
    assert a["field"] == "f" and a["type"] == "float"
    st, _, body = request(server.base, "GET", "/api/v1/read?db=n&series=%d&order=desc" % a["id"])
    pts = json.loads(body)["series"][0]["points"]
    assert [p["t"] for p in pts] == [2000, 1000]
    assert pts[0]["time"] == "1970-01-01T00:00:00.000002Z" and pts[0]["value"] == 2.5
    st, _, body = request(server.base, "GET",
                          "/api/v1/read?db=n&measurement=t&field=f&tag.site=b&from=0&to=2000")
    assert [p["value"] for p in json.loads(body)["series"][0]["points"]] == [9]
    st, _, body = request(server.base, "GET", "/api/v1/latest?db=n&measurement=t&field=f")
    latest = {s["tags"]["site"]: s["value"] for s in json.loads(body)["series"]}
    assert latest == {"a": 2.5, "b": 9}
    st, _, body = request(server.base, "GET", "/api/v1/read?db=n&series=12345")
    assert st == 404 and json.loads(body)["error"]["code"] == "not_found"
    st, _, body = request(server.base, "GET", "/api/v1/read?db=n&series=1&from=yesterday")
    assert st == 400 and json.loads(body)["error"]["code"] == "invalid_argument"


def test_created_databases_survive_restart(server):
    query(server.base, "CREATE DATABASE empty_one", method="POST")
    server.restart()
    st, doc = query(server.base, "SHOW DATABASES")
    names = [v[0] for v in doc["results"][0]["series"][0]["values"]]
    assert "empty_one" in names
    st, body = write(server.base, "empty_one", "m v=1 1")
    assert st == 204, body


def test_large_bodies_on_one_keep_alive_connection(server):
    # Bodies far larger than the read buffer, with a length and chunked, then a small one, all on
    # one connection: every line lands, and the connection stays usable.
    import http.client
    st, doc = query(server.base, "CREATE DATABASE bulk", method="POST")
    assert st == 200 and doc["results"][0].get("error") is None
    conn = http.client.HTTPConnection(HOST, server.port, timeout=TIMEOUT)
    lines = 0
    for i, chunked in enumerate([False, True, False]):
        n = 20000 if i < 2 else 3
        body = "".join("m,host=h%d v=%d.5,i=%di %d\n" % (j % 50, j, j, 1700000000000000000 + i * n + j)
                       for j in range(n)).encode()
        if chunked:
            conn.request("POST", "/write?db=bulk", body=iter([body[k:k + 70000] for k in range(0, len(body), 70000)]),
                         encode_chunked=True)
        else:
            conn.request("POST", "/write?db=bulk", body=body)
        r = conn.getresponse()
        assert r.status == 204, r.read()
        r.read()
        lines += n
    conn.close()
    st, doc = query(server.base, "SELECT count(v), sum(i) FROM m", db="bulk")
    assert st == 200, doc
    row = doc["results"][0]["series"][0]["values"][0]
    assert row[1] == lines and row[2] == 2 * sum(range(20000)) + sum(range(3))


def test_slow_client_does_not_block_others(server):
    # A client that sends half a request header and then nothing holds only its own connection.
    slow = [socket.create_connection((HOST, server.port)) for _ in range(8)]
    for s in slow:
        s.sendall(b"POST /write?db=x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nm v=")
    for _ in range(20):
        assert request(server.base, "GET", "/ping")[0] == 204
    for s in slow:
        s.close()


def test_garbage_and_unknown_routes(server):
    with socket.create_connection((HOST, server.port), timeout=TIMEOUT) as s:
        s.sendall(b"\x16\x03\x01garbage\r\n\r\n")
        data = s.recv(4096)
        assert data.startswith(b"HTTP/1.1 400")
    st, _, body = request(server.base, "GET", "/nope")
    assert st == 404


def test_tls(verbund_http):
    server = verbund_http(tls=True)
    st, head, _ = curl("-k", server.base + "/ping")
    assert st == 204
    st, _, body = curl("-k", "-XPOST", server.base + "/query", "--data-urlencode",
                       "q=CREATE DATABASE s")
    assert st == 200
    st, _, body = curl("-k", "-XPOST", server.base + "/write?db=s", "--data-binary", "m v=1 1")
    assert st == 204, body
