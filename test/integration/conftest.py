"""Broker fixtures for the black-box integration suite.

`broker(**options)` starts a fresh broker process and returns a handle with host, ports
(port, tls_port, ws_port, http_port), data_dir, log path and restart(). The implementation
is chosen by VERBUND_TEST_BROKER=verbund|mosquitto (default: verbund when VERBUND_BIN names
an existing file, else mosquitto).

Options (all optional):
  tls=False                enable the TLS listener (server cert from the test CA)
  require_client_cert=False
  ws=True                  enable the WebSocket listener (path /mqtt)
  max_packet_size=None     bytes
  connect_timeout_ms=None
  max_queued_messages=None
  max_keepalive=None       seconds (MQTT 5 server keep alive cap)
  users=None               {"user": "password"}: enables the password file
  allow_anonymous=True
"""

import base64
import getpass
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from helpers import BROKER, TIMEOUT  # noqa: E402
from ports import free_port  # noqa: E402,F401  (see ports.py: why not bind(0))

HOST = "127.0.0.1"
MOSQUITTO = os.environ.get("MOSQUITTO_BIN", "/usr/sbin/mosquitto")
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"


def port_open(port):
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


# ---------------------------------------------------------------- PKI

def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


class Pki:
    def __init__(self, d):
        self.dir = str(d)
        p = lambda n: os.path.join(self.dir, n)  # noqa: E731
        self.ca_cert, self.ca_key = p("ca.crt"), p("ca.key")
        self.server_cert, self.server_key = p("server.crt"), p("server.key")
        self.client_cert, self.client_key = p("client.crt"), p("client.key")
        self.other_ca_cert, self.other_ca_key = p("other-ca.crt"), p("other-ca.key")
        self.other_client_cert, self.other_client_key = p("other-client.crt"), p("other-client.key")
        self.revoked_cert, self.revoked_key = p("revoked.crt"), p("revoked.key")
        # A device certificate whose CN no directory maps; its SANs name it.
        self.san_cert, self.san_key = p("san-client.crt"), p("san-client.key")
        self.crl = p("ca.crl")  # revokes revoked.crt
        d = self.dir
        with open(p("server.ext"), "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                    "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=serverAuth\n")
        with open(p("client.ext"), "w") as f:
            f.write("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=clientAuth\n")
        with open(p("san-client.ext"), "w") as f:
            f.write("subjectAltName=DNS:plc7.acme.example,URI:urn:acme:plc7\n"
                    "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=clientAuth\n")
        for ca in ("ca", "other-ca"):
            _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                     "-keyout", ca + ".key", "-out", ca + ".crt", "-subj",
                     "/CN=Verbund Test %s" % ca, "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
        for name, ca, ext, cn in (("server", "ca", "server.ext", "localhost"),
                                  ("client", "ca", "client.ext", "test-client"),
                                  ("other-client", "other-ca", "client.ext", "intruder"),
                                  ("revoked", "ca", "client.ext", "revoked-client"),
                                  ("san-client", "ca", "san-client.ext", "unmapped-device")):
            _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key",
                     "-out", name + ".csr", "-subj", "/CN=" + cn, cwd=d)
            _openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey",
                     ca + ".key", "-CAcreateserial", "-days", "30", "-out", name + ".crt",
                     "-extfile", ext, cwd=d)
        # A CRL of the test CA that revokes revoked.crt (openssl ca's minimal database).
        with open(p("ca.cnf"), "w") as f:
            f.write("[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\ncrlnumber = crlnumber\n"
                    "default_md = sha256\ndefault_crl_days = 30\n")
        open(p("index.txt"), "w").close()
        with open(p("crlnumber"), "w") as f:
            f.write("01\n")
        _openssl("ca", "-config", "ca.cnf", "-keyfile", "ca.key", "-cert", "ca.crt", "-revoke",
                 "revoked.crt", cwd=d)
        _openssl("ca", "-config", "ca.cnf", "-keyfile", "ca.key", "-cert", "ca.crt", "-gencrl",
                 "-out", "ca.crl", cwd=d)


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("pki"))


# ---------------------------------------------------------------- broker processes

class BrokerBase:
    def __init__(self, workdir, pki, tls=False, require_client_cert=False, ws=True,
                 max_packet_size=None, connect_timeout_ms=None, max_queued_messages=None,
                 max_keepalive=None, users=None, allow_anonymous=True, ingest_toml=None,
                 http_auth=False, crl=False, extra_toml=None):
        self.host = HOST
        self.workdir = str(workdir)
        self.data_dir = os.path.join(self.workdir, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.pki = pki
        self.tls = tls or require_client_cert
        self.require_client_cert = require_client_cert
        self.port = free_port()
        self.tls_port = free_port() if self.tls else None
        self.ws_port = free_port() if ws else None
        self.http_port = free_port()
        self.max_packet_size = max_packet_size
        self.connect_timeout_ms = connect_timeout_ms
        self.max_queued_messages = max_queued_messages
        self.max_keepalive = max_keepalive
        self.users = users
        self.allow_anonymous = allow_anonymous
        self.ingest_toml = ingest_toml  # Verbund only: the [ingest] section (default: disabled)
        self.http_auth = http_auth  # Verbund only: [http] auth
        self.crl = crl  # honour the test CA's CRL (tls.crl / mosquitto crlfile)
        self.extra_toml = extra_toml  # Verbund only: more TOML tables at the end of the config
        self.log_path = os.path.join(self.workdir, "broker.log")
        self.proc = None
        self.starts = 0

    @property
    def ports(self):
        return {"tcp": self.port, "tls": self.tls_port, "ws": self.ws_port, "http": self.http_port}

    def command(self):
        raise NotImplementedError

    def start(self):
        self.starts += 1
        log = open(self.log_path, "a")
        log.write("\n===== start #%d: %s\n" % (self.starts, " ".join(self.command())))
        log.flush()
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                     cwd=self.workdir)
        log.close()
        deadline = time.monotonic() + max(30.0, TIMEOUT * 3)
        wanted = [p for p in (self.port, self.tls_port, self.ws_port) if p]
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("broker exited with %s during startup; log:\n%s"
                                   % (self.proc.returncode, self.log_tail()))
            if all(port_open(p) for p in wanted):
                return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("broker did not open its ports in time; log:\n%s"
                                   % self.log_tail())
            time.sleep(0.05)

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        rc = self.proc.returncode
        self.proc = None
        return rc

    def restart(self):
        """SIGTERM, wait, start again on the same data dir and ports."""
        self.stop()
        self.start()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n=60):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return "(no log)"


def verbund_password_entry(password):
    """The password_file value for one user. Default: Verbund's scrypt format
    `$scrypt$<N>$<r>$<p>$<salt-b64>$<hash-b64>` (what `verbund --hash-password` prints),
    computed here with a small N so tests stay fast. VERBUND_TEST_PASSWORD_FORMAT=plain writes
    the password as is."""
    if os.environ.get("VERBUND_TEST_PASSWORD_FORMAT", "scrypt") == "plain":
        return password
    n, r, p = 1024, 8, 1
    salt = os.urandom(16)
    h = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    return "$scrypt$%d$%d$%d$%s$%s" % (n, r, p, base64.b64encode(salt).decode(),
                                      base64.b64encode(h).decode())


class VerbundBroker(BrokerBase):
    """Config keys as in src/core/config.cc (unknown keys are rejected there)."""

    def write_config(self):
        self.config_path = os.path.join(self.workdir, "verbund.toml")
        q = lambda s: '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')  # noqa: E731
        lines = ["data_dir = %s" % q(self.data_dir), 'log_level = "debug"', "", "[mqtt]",
                 "listen = %s" % q("%s:%d" % (HOST, self.port)),
                 "tls_listen = %s" % q("%s:%d" % (HOST, self.tls_port) if self.tls else ""),
                 "ws_listen = %s" % q("%s:%d" % (HOST, self.ws_port) if self.ws_port else "")]
        if self.max_packet_size:
            lines.append("max_packet_size = %d" % self.max_packet_size)
        if self.connect_timeout_ms:
            lines.append("connect_timeout_ms = %d" % self.connect_timeout_ms)
        if self.max_queued_messages:
            lines.append("max_queued_messages = %d" % self.max_queued_messages)
        if self.max_keepalive:
            lines.append("max_keep_alive_s = %d" % self.max_keepalive)
        if self.users is not None:
            pw = os.path.join(self.workdir, "passwords")
            with open(pw, "w") as f:
                f.write("# written by the integration suite\n")
                for u, p in self.users.items():
                    f.write("%s:%s\n" % (u, verbund_password_entry(p)))
            lines.append("password_file = %s" % q(pw))
        lines.append("allow_anonymous = %s" % ("true" if self.allow_anonymous else "false"))
        if self.tls:
            lines += ["", "[tls]", "cert = %s" % q(self.pki.server_cert),
                      "key = %s" % q(self.pki.server_key), "ca = %s" % q(self.pki.ca_cert),
                      "require_client_cert = %s" % ("true" if self.require_client_cert else "false")]
            if self.crl:
                lines.append("crl = %s" % q(self.pki.crl))
        lines += ["", "[http]", "listen = %s" % q("%s:%d" % (HOST, self.http_port)),
                  "auth = %s" % ("true" if self.http_auth else "false"),
                  "", self.ingest_toml or "[ingest]\nenabled = false", "", self.extra_toml or ""]
        with open(self.config_path, "w") as f:
            f.write("\n".join(lines))

    def command(self):
        if not hasattr(self, "config_path"):
            self.write_config()
        return [os.environ["VERBUND_BIN"], "--config", self.config_path]


class MosquittoBroker(BrokerBase):
    def write_config(self):
        self.config_path = os.path.join(self.workdir, "mosquitto.conf")
        lines = ["per_listener_settings false",
                 "allow_anonymous %s" % ("true" if self.allow_anonymous else "false"),
                 "user %s" % getpass.getuser(), "persistence true", "persistence_location %s/" % self.data_dir,
                 "autosave_interval 1800", "log_dest stdout", "log_type all",
                 "connection_messages true", "sys_interval 1", "set_tcp_nodelay true"]
        if self.max_packet_size:
            lines.append("max_packet_size %d" % self.max_packet_size)
        if self.max_queued_messages:
            lines.append("max_queued_messages %d" % self.max_queued_messages)
        if self.max_keepalive:
            lines.append("max_keepalive %d" % self.max_keepalive)
        if self.users is not None:
            pw = os.path.join(self.workdir, "passwords")
            open(pw, "w").close()
            for u, p in self.users.items():
                subprocess.run([MOSQUITTO_PASSWD, "-b", pw, u, p], check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            lines.append("password_file %s" % pw)
        lines.append("listener %d %s" % (self.port, HOST))
        if self.tls:
            lines += ["listener %d %s" % (self.tls_port, HOST),
                      "cafile %s" % self.pki.ca_cert, "certfile %s" % self.pki.server_cert,
                      "keyfile %s" % self.pki.server_key,
                      "require_certificate %s" % ("true" if self.require_client_cert else "false")]
            if self.crl:
                lines.append("crlfile %s" % self.pki.crl)
        if self.ws_port:
            lines += ["listener %d %s" % (self.ws_port, HOST), "protocol websockets"]
        with open(self.config_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def command(self):
        if not hasattr(self, "config_path"):
            self.write_config()
        return [MOSQUITTO, "-c", self.config_path]


IMPLS = {"verbund": VerbundBroker, "mosquitto": MosquittoBroker}


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture
def broker_factory(tmp_path, pki, request):
    if BROKER not in IMPLS:
        pytest.fail("VERBUND_TEST_BROKER must be one of %s" % sorted(IMPLS))
    if BROKER == "verbund":
        binp = os.environ.get("VERBUND_BIN", "")
        if not os.path.isfile(binp):
            pytest.fail("VERBUND_BIN=%r is not a file (build the verbund target first)" % binp)
    started = []

    def make(**opts):
        d = tmp_path / ("broker%d" % len(started))
        d.mkdir()
        b = IMPLS[BROKER](d, pki, **opts)
        started.append(b)
        b.start()
        return b

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for b in started:
        crashed = b.proc is not None and b.proc.poll() is not None
        rc = b.proc.returncode if crashed else None
        b.stop()
        if failed or crashed:
            sys.stderr.write("\n----- broker log (%s) -----\n%s\n" % (b.log_path, b.log_tail()))
        if crashed:
            pytest.fail("broker process died during the test (rc=%s)" % rc)


@pytest.fixture
def broker(broker_factory):
    """A default broker: TCP + WebSocket listeners, anonymous allowed."""
    return broker_factory()
