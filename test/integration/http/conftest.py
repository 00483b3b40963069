"""Fixtures for the HTTP API suite.

`verbund_http(tmp_path, **options)` starts a fresh server and returns a handle with `port`,
`base` ("http://127.0.0.1:N"), `data_dir`, `restart()` and `stop()`. Which server:

* VERBUND_HTTP_SERVER=test_server (default when VERBUND_HTTP_TEST_SERVER names an existing file):
  the test-only `http_test_server` (real Engine + Pipeline + Executor + http::Server);
* VERBUND_HTTP_SERVER=hub (default otherwise): the real hub, VERBUND_BIN, with a TOML config.

Options: max_body_bytes=None, tls=False (self-signed certificate; use https and curl -k).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from ports import free_port  # noqa: E402,F401  (see ../ports.py: why not bind(0))

HOST = "127.0.0.1"
TIMEOUT = 20


def port_open(port):
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def server_kind():
    kind = os.environ.get("VERBUND_HTTP_SERVER")
    if kind:
        return kind
    ts = os.environ.get("VERBUND_HTTP_TEST_SERVER", "")
    return "test_server" if ts and os.path.exists(ts) else "hub"


def make_cert(d):
    cert, key = os.path.join(d, "server.crt"), os.path.join(d, "server.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


class VerbundHttp:
    def __init__(self, workdir, max_body_bytes=None, tls=False):
        self.workdir = str(workdir)
        self.data_dir = os.path.join(self.workdir, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.max_body_bytes = max_body_bytes
        self.tls = tls
        self.cert = self.key = None
        if tls:
            self.cert, self.key = make_cert(self.workdir)
        self.kind = server_kind()
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.workdir, "server.log")

    @property
    def base(self):
        return "%s://%s:%d" % ("https" if self.tls else "http", HOST, self.port)

    def _command(self):
        if self.kind == "test_server":
            binary = os.environ["VERBUND_HTTP_TEST_SERVER"]
            cmd = [binary, "--data", self.data_dir, "--listen", "%s:%d" % (HOST, self.port)]
            if self.max_body_bytes:
                cmd += ["--max-body", str(self.max_body_bytes)]
            if self.tls:
                cmd += ["--tls", self.cert, self.key]
            return cmd
        binary = os.environ.get("VERBUND_BIN", "")
        if not binary or not os.path.exists(binary):
            pytest.skip("no server: set VERBUND_BIN or VERBUND_HTTP_TEST_SERVER")
        q = lambda s: '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')  # noqa: E731
        lines = ["data_dir = %s" % q(self.data_dir), 'log_level = "info"', "", "[mqtt]",
                 "listen = %s" % q("%s:%d" % (HOST, free_port())), 'tls_listen = ""',
                 'ws_listen = ""']
        if self.tls:
            lines += ["", "[tls]", "cert = %s" % q(self.cert), "key = %s" % q(self.key)]
        lines += ["", "[http]", "listen = %s" % q("%s:%d" % (HOST, self.port)), "auth = false"]
        if self.max_body_bytes:
            lines.append("max_body_bytes = %d" % self.max_body_bytes)
        if self.tls:
            lines.append("tls = true")
        config = os.path.join(self.workdir, "verbund.toml")
        with open(config, "w") as f:
            f.write("\n".join(lines) + "\n")
        return [binary, "--config", config]

    def start(self):
        if self.port is None:
            self.port = free_port()
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self._command(), stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %s:\n%s" % (self.proc.returncode,
                                                                   open(self.log_path).read()))
            if port_open(self.port):
                return self
            time.sleep(0.05)
        raise RuntimeError("server did not listen on %d" % self.port)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self):
        self.stop()
        return self.start()


@pytest.fixture
def verbund_http(tmp_path):
    servers = []

    def start(**options):
        s = VerbundHttp(tmp_path / ("server%d" % len(servers)), **options)
        servers.append(s)
        return s.start()

    yield start
    for s in servers:
        s.stop()


@pytest.fixture
def server(verbund_http):
    return verbund_http()


def request(base, method, path, body=None, headers=None, timeout=TIMEOUT):
    """Returns (status, headers dict with lower-case names, body bytes)."""
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def query(base, q, db=None, method="GET", **params):
    p = {"q": q}
    if db:
        p["db"] = db
    p.update(params)
    data = urllib.parse.urlencode(p)
    if method == "GET":
        st, _, body = request(base, "GET", "/query?" + data)
    else:
        st, _, body = request(base, "POST", "/query", data.encode(),
                              {"Content-Type": "application/x-www-form-urlencoded"})
    return st, json.loads(body)


def write(base, db, lines, precision=None):
    path = "/write?db=" + urllib.parse.quote(db)
    if precision:
        path += "&precision=" + precision
    st, _, body = request(base, "POST", path, lines.encode())
    return st, body


import urllib.parse  # noqa: E402
