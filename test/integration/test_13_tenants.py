"""13 tenants: a hub with `[http] auth = true`, its first operator from `verbund --init-admin`,
tenants and principals made with verbundctl, then real clients with credentials:
mosquitto_pub/sub with passwords, a raw MQTT 5 client (reason codes for back-off and revocation), curl
with tokens, the influx CLI with -username/-password, and a Prometheus-style scrape of /metrics
with a bearer token. Each tenant sees only its own topics, readings and databases."""
import json
import os
import shutil
import socket
import subprocess

import pytest

from helpers import BROKER, DISCONNECT, TIMEOUT, RawClient, uniq, wait_for, verbundctl

pytestmark = pytest.mark.skipif(BROKER != "verbund", reason="Verbund's tenants")

INGEST = ('[ingest]\nenabled = true\n[[ingest.rule]]\nfilter = "factory/#"\n'
          'template = "factory/{line}/{machine}"\n')


class Ctl:
    def __init__(self, hub, token):
        self.base = [verbundctl(), "--server", "http://%s:%d" % (hub.host, hub.http_port),
                     "--token", token]

    def run(self, *args, stdin=None, check=True):
        r = subprocess.run(self.base + list(args), input=stdin, capture_output=True, text=True,
                           timeout=60)
        if check:
            assert r.returncode == 0, (args, r.returncode, r.stdout, r.stderr)
        return r

    def json(self, *args, stdin=None):
        return json.loads(self.run(*args, "--json", stdin=stdin).stdout)


def curl(hub, path, token=None, data=None, user=None, bearer=False):
    cmd = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}",
           "http://%s:%d%s" % (hub.host, hub.http_port, path)]
    if token:
        cmd += ["-H", "Authorization: %s %s" % ("Bearer" if bearer else "Token", token)]
    if user:
        cmd += ["-u", user]
    if data is not None:
        cmd += ["--data-binary", data]
    r = subprocess.run(cmd, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    body, _, code = r.stdout.rpartition(b"\n")
    return int(code), body.decode()


@pytest.fixture
def hub(broker_factory):
    """A hub with HTTP auth on and MQTT ingest; tenants acme and beta, each with a device `plc`
    (password) and a tenant admin `ann`; returns (hub, operator ctl, tokens by tenant)."""
    # A back-off of a minute after one failure: the test sees it whatever the machine's load.
    b = broker_factory(http_auth=True, allow_anonymous=False, ingest_toml=INGEST,
                       extra_toml="[security]\nlogin_backoff_ms = 60000\n")
    b.stop()
    r = subprocess.run([os.environ["VERBUND_BIN"], "--config", b.config_path, "--init-admin"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    operator_token = r.stdout.splitlines()[1].strip()
    assert operator_token.startswith("vbt_")
    b.start()
    op = Ctl(b, operator_token)
    tokens = {}
    for t in ("acme", "beta"):
        op.run("tenant", "create", t)
        op.run("principal", "create", "--tenant", t, "--kind", "device", "--password-stdin",
               "plc", stdin="pw-%s\n" % t)
        op.run("principal", "create", "--tenant", t, "--kind", "user", "--tenant-admin",
               "--password-stdin", "ann", stdin="ann-%s\n" % t)
        issued = op.json("credential", "token-issue", "--tenant", t, "--rights", "query",
                         "write", "admin", "--", "ann")
        tokens[t] = issued["token"]
    return b, op, operator_token, tokens


def mosquitto_sub(hub, user, password, topic, count, extra=()):
    return subprocess.Popen(
        ["mosquitto_sub", "-h", hub.host, "-p", str(hub.port), "-u", user, "-P", password,
         "-t", topic, "-v", "-C", str(count), "-W", str(int(TIMEOUT) + 5), "-i", uniq("sub"),
         *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def mosquitto_pub(hub, user, password, topic, message):
    r = subprocess.run(["mosquitto_pub", "-h", hub.host, "-p", str(hub.port), "-u", user, "-P",
                        password, "-q", "1", "-t", topic, "-m", message, "-i", uniq("pub")],
                       capture_output=True, text=True, timeout=60)
    return r


def test_mqtt_tenants_see_only_their_own_topics_and_readings(hub):
    b, op, _, tokens = hub
    # beta listens to everything it can; acme to its factory.
    beta_all = mosquitto_sub(b, "beta/plc", "pw-beta", "#", 1)
    acme_sub = mosquitto_sub(b, "acme/plc", "pw-acme", "factory/#", 2)

    # Both subscriptions are in place (the admin API lists them) before anything is published.
    def subscribed():
        sessions = op.json("session", "list")["sessions"]
        return sorted(s["tenant"] for s in sessions if s["subscriptions"] >= 1) == ["acme", "beta"]
    wait_for(subscribed, TIMEOUT, what="both subscriptions")
    assert mosquitto_pub(b, "acme/plc", "pw-acme", "factory/line1/press",
                         '{"temperature": 71.5}').returncode == 0
    assert mosquitto_pub(b, "acme/plc", "pw-acme", "factory/line1/press",
                         '{"temperature": 72.5}').returncode == 0
    out, _ = acme_sub.communicate(timeout=TIMEOUT + 10)
    assert out.splitlines() == ['factory/line1/press {"temperature": 71.5}',
                                'factory/line1/press {"temperature": 72.5}']
    # beta's only message is its own sentinel.
    assert mosquitto_pub(b, "beta/plc", "pw-beta", "beta-end", "x").returncode == 0
    out, _ = beta_all.communicate(timeout=TIMEOUT + 10)
    assert out.splitlines() == ["beta-end x"]
    # A wrong password is refused.
    assert mosquitto_pub(b, "acme/plc", "wrong", "factory/x", "1").returncode != 0

    # The readings landed in acme's database, which only acme sees.
    def acme_rows():
        status, body = curl(b, "/query?db=acme&q=SELECT%20count(temperature)%20FROM%20factory",
                            tokens["acme"])
        assert status == 200, body
        return body
    wait_for(lambda: '"count"' in acme_rows() and ",2]" in acme_rows(), TIMEOUT)
    status, body = curl(b, "/query?q=SHOW%20DATABASES", tokens["beta"])
    assert status == 200 and "acme" not in body, body
    status, body = curl(b, "/query?db=acme&q=SELECT%20*%20FROM%20factory", tokens["beta"])
    assert "not authorized" in body and "71.5" not in body, body


def test_http_credentials_scopes_and_metrics(hub):
    b, op, operator_token, tokens = hub
    # No credentials: 401 with an InfluxDB-style error; /ping stays open.
    status, body = curl(b, "/query?q=SHOW%20DATABASES")
    assert status == 401 and json.loads(body)["error"], body
    assert curl(b, "/ping")[0] == 204
    # Writes with a token, into the caller's own databases only.
    assert curl(b, "/query?q=CREATE%20DATABASE%20acme_lab", tokens["acme"])[0] == 200
    status, body = curl(b, "/write?db=acme_lab", tokens["acme"], data="m,k=v f=1 1700000000000000000")
    assert status == 204, body
    status, body = curl(b, "/write?db=acme_lab", tokens["beta"], data="m f=2")
    assert status == 403, body
    status, body = curl(b, "/query?q=CREATE%20DATABASE%20acme_x", tokens["beta"])
    assert "not authorized" in body, body
    # Basic auth (Telegraf, curl -u) with a password.
    status, body = curl(b, "/query?db=acme_lab&q=SELECT%20f%20FROM%20m", user="acme/ann:ann-acme")
    assert status == 200 and ",1]" in body, body
    status, body = curl(b, "/query?db=acme_lab&q=SELECT%20f%20FROM%20m", user="acme/ann:nope")
    assert status in (401, 429), body
    # /metrics: operators' bearer token (Prometheus), not a tenant's.
    status, body = curl(b, "/metrics", operator_token, bearer=True)
    assert status == 200 and "verbund_" in body
    assert curl(b, "/metrics", tokens["acme"], bearer=True)[0] == 403
    assert curl(b, "/metrics")[0] == 401
    # The operator administers but reads no tenant data.
    status, body = curl(b, "/query?db=acme_lab&q=SELECT%20f%20FROM%20m", operator_token)
    assert "not authorized" in body and ",1]" not in body, body
    # A revoked token stops working at once.
    issued = op.json("credential", "token-issue", "--tenant", "acme", "--rights", "query",
                     "--", "plc")
    assert curl(b, "/query?q=SHOW%20DATABASES", issued["token"])[0] == 200
    op.run("credential", "token-revoke", "--tenant", "acme", issued["id"])
    assert curl(b, "/query?q=SHOW%20DATABASES", issued["token"])[0] == 401


@pytest.mark.skipif(shutil.which("influx") is None, reason="influx CLI not installed")
def test_influx_cli_with_username_and_password(hub):
    b, _, _, tokens = hub
    assert curl(b, "/query?q=CREATE%20DATABASE%20acme", tokens["acme"])[0] == 200
    assert curl(b, "/write?db=acme", tokens["acme"], data="cpu,host=a usage=42 1700000000000000000")[0] == 204
    r = subprocess.run(["influx", "-host", b.host, "-port", str(b.http_port), "-username",
                        "acme/ann", "-password", "ann-acme", "-database", "acme", "-format",
                        "csv", "-execute", "SELECT usage FROM cpu"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "42" in r.stdout, (r.stdout, r.stderr)
    r = subprocess.run(["influx", "-host", b.host, "-port", str(b.http_port), "-username",
                        "beta/ann", "-password", "ann-beta", "-database", "acme", "-format",
                        "csv", "-execute", "SELECT usage FROM cpu"],
                       capture_output=True, text=True, timeout=60)
    assert "42" not in r.stdout, r.stdout


def test_revoked_principal_is_disconnected_and_failures_back_off(hub):
    b, op, _, _ = hub
    live = RawClient(b.host, b.port, 5)
    live.connect(uniq("live"), username="acme/plc", password="pw-acme")
    other = RawClient(b.host, b.port, 5)
    other.connect(uniq("other"), username="beta/plc", password="pw-beta")
    op.run("principal", "disable", "--tenant", "acme", "plc")
    p = live.recv((DISCONNECT,))
    assert p.reason == 0x87, p  # not authorized: its rights are gone
    live.wait_closed()
    # Disabled: refused at CONNECT too.
    again = RawClient(b.host, b.port, 5)
    assert again.connect(uniq("again"), username="acme/plc", password="pw-acme",
                         expect_success=False).reason == 0x87
    op.run("principal", "enable", "--tenant", "acme", "plc")
    # Wrong passwords back off: right after a failure even the right password waits (0x9F)
    # from that address and network, but the principal still gets in from another network, so
    # an attacker cannot lock a device out by failing on purpose.
    bad = RawClient(b.host, b.port, 5)
    assert bad.connect(uniq("bf"), username="acme/plc", password="wrong",
                       expect_success=False).reason == 0x86
    right = RawClient(b.host, b.port, 5)
    assert right.connect(uniq("bf"), username="acme/plc", password="pw-acme",
                         expect_success=False).reason == 0x9F
    elsewhere = RawClient(b.host, b.port, 5, sock=socket_from("127.0.1.1", b.host, b.port))
    elsewhere.connect(uniq("elsewhere"), username="acme/plc", password="pw-acme")


def socket_from(source, host, port):
    """A TCP connection from another loopback network (127.0.1.1 is not in 127.0.0.0/24)."""
    s = socket.create_connection((host, port), timeout=TIMEOUT, source_address=(source, 0))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def test_mutual_tls_certificate_names_map_to_principals(broker_factory, pki):
    """mosquitto_pub/sub over mutual TLS: a certificate is its principal by its CN or, as here,
    by a subjectAltName (the CN `unmapped-device` is mapped to nobody)."""
    b = broker_factory(http_auth=True, allow_anonymous=False, require_client_cert=True,
                       ingest_toml=INGEST)
    b.stop()
    r = subprocess.run([os.environ["VERBUND_BIN"], "--config", b.config_path, "--init-admin"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    b.start()
    op = Ctl(b, r.stdout.splitlines()[1].strip())
    op.run("tenant", "create", "acme")
    op.run("principal", "create", "--tenant", "acme", "--kind", "device", "plc7")
    op.run("principal", "create", "--tenant", "acme", "--kind", "device", "--password-stdin",
           "watch", stdin="pw-watch\n")
    op.run("credential", "cert-add", "--tenant", "acme", "--identity", "urn:acme:plc7", "plc7")
    tls = ["--cafile", pki.ca_cert, "--cert", pki.san_cert, "--key", pki.san_key, "-p",
           str(b.tls_port), "-h", "localhost"]
    watch = mosquitto_sub(b, "acme/watch", "pw-watch", "factory/#", 1)

    def subscribed():
        return any(s["subscriptions"] >= 1 for s in op.json("session", "list")["sessions"])
    wait_for(subscribed, TIMEOUT, what="the subscription")
    r = subprocess.run(["mosquitto_pub", *tls, "-q", "1", "-t", "factory/l1/press", "-m",
                        '{"temperature": 70}', "-i", uniq("plc7")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    out, _ = watch.communicate(timeout=TIMEOUT + 10)
    assert out.splitlines() == ['factory/l1/press {"temperature": 70}']
    sessions = op.json("session", "list")["sessions"]
    assert all(s["tenant"] == "acme" for s in sessions), sessions
