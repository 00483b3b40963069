"""14 quotas: a tenant's and a principal's quotas, set with verbundctl, enforced on real clients:
mosquitto_sub refused at its connection quota (MQTT 5 "Quota exceeded", 0x97), a raw MQTT 5
client's QoS 1 publishes over its messages/s quota answered 0x97 and never delivered, a 3.1.1
client over the same quota slowed down but never losing an acknowledged message, and curl's
/write over a rate quota answered 429 with Retry-After. Counts are checked against what the
elapsed time allows, never against a speed."""
import subprocess
import time

import pytest

from helpers import BROKER, DISCONNECT, PUBACK, TIMEOUT, RawClient, publish_packet, uniq, wait_for
from test_13_tenants import Ctl, curl, hub  # noqa: F401  (hub is a fixture)

pytestmark = pytest.mark.skipif(BROKER != "verbund", reason="Verbund's quotas")


def watch(b, op, topic_filter):
    """A new principal of acme subscribed to `topic_filter` at QoS 1 (its quota is not plc's)."""
    op.run("principal", "create", "--tenant", "acme", "--kind", "device", "--password-stdin",
           "watch", stdin="pw-watch\n")
    watcher = RawClient(b.host, b.port, 5)
    watcher.connect(uniq("watch"), username="acme/watch", password="pw-watch")
    watcher.subscribe(topic_filter, qos=1)
    return watcher


def test_connection_quota_refuses_with_quota_exceeded(hub):
    b, op, _, _ = hub
    op.run("principal", "quota", "--tenant", "acme", "--max-connections", "1", "plc")
    first_id = uniq("first")
    first = RawClient(b.host, b.port, 5)
    first.connect(first_id, username="acme/plc", password="pw-acme")
    r = subprocess.run(["mosquitto_sub", "-h", b.host, "-p", str(b.port), "-V", "5",
                        "-u", "acme/plc", "-P", "pw-acme", "-t", "x", "-C", "1", "-W", "5",
                        "-i", uniq("second")], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "quota exceeded" in (r.stdout + r.stderr).lower(), (r.stdout, r.stderr)
    # beta's principal of the same name is another principal of another tenant.
    RawClient(b.host, b.port, 5).connect(uniq("beta"), username="beta/plc", password="pw-beta")
    # A reconnect with the same client id takes its session over, also at the quota.
    again = RawClient(b.host, b.port, 5)
    again.connect(first_id, username="acme/plc", password="pw-acme")
    assert first.recv((DISCONNECT,)).reason == 0x8E  # session taken over
    again.close()

    # Once it is gone its slot is free again.
    def admitted():
        c = RawClient(b.host, b.port, 5)
        return c.connect(uniq("later"), username="acme/plc", password="pw-acme",
                         expect_success=False).reason == 0
    wait_for(admitted, TIMEOUT, what="the connection slot to be given back")


def test_v5_publishes_over_the_rate_get_0x97_and_are_not_delivered(hub):
    b, op, _, _ = hub
    op.run("principal", "quota", "--tenant", "acme", "--messages-per-s", "5", "plc")
    watcher = watch(b, op, "rate/#")
    pub = RawClient(b.host, b.port, 5)
    pub.connect(uniq("pub"), username="acme/plc", password="pw-acme")
    n = 40
    start = time.monotonic()
    pids = []
    for i in range(n):
        pid = pub.pid()
        pids.append(pid)
        pub.send(publish_packet("rate/x", b"m%d" % i, 1, pid=pid))
    reasons = {}
    for _ in range(n):
        p = pub.recv((PUBACK,))
        reasons[p.pid] = p.reason
    elapsed = time.monotonic() - start
    admitted = [pid for pid in pids if reasons[pid] < 0x80]
    refused = [pid for pid in pids if reasons[pid] == 0x97]
    assert len(admitted) + len(refused) == n, reasons
    # One second's burst, plus what the elapsed time refilled.
    assert 1 <= len(admitted) <= 5 + int(elapsed * 5) + 1, (len(admitted), elapsed)
    assert refused, reasons
    got = watcher.recv_publishes(len(admitted))
    assert len(got) == len(admitted)
    watcher.expect_nothing()


def test_v311_publishes_over_the_rate_wait_and_are_all_delivered(hub):
    b, op, _, _ = hub
    op.run("principal", "quota", "--tenant", "acme", "--messages-per-s", "10", "plc")
    watcher = watch(b, op, "slow/#")
    pub = RawClient(b.host, b.port, 4)
    pub.connect(uniq("pub"), username="acme/plc", password="pw-acme")
    n = 25
    start = time.monotonic()
    for i in range(n):
        pub.send(publish_packet("slow/x", b"m%d" % i, 1, pid=pub.pid(), version=4))
    acks = [pub.recv((PUBACK,), timeout=TIMEOUT + 10) for _ in range(n)]
    elapsed = time.monotonic() - start
    assert len(acks) == n
    # 10 at once, the other 15 at 10/s: at least about 1.5 s, whatever the machine.
    assert elapsed >= 1.2, elapsed
    got = [p.payload for p in watcher.recv_publishes(n)]
    assert got == [b"m%d" % i for i in range(n)]


def test_http_write_over_the_rate_gets_429_with_retry_after(hub):
    b, op, _, tokens = hub
    code, body = curl(b, "/query?q=CREATE+DATABASE+acme", token=tokens["acme"], data="")
    assert code == 200, body
    op.run("principal", "quota", "--tenant", "acme", "--messages-per-s", "100", "ann")
    lines = "".join("m,host=h%d v=%di 1700000000000000000\n" % (i, i) for i in range(80))
    code, body = curl(b, "/write?db=acme", token=tokens["acme"], data=lines)
    assert code == 204, body
    # 80 more lines within the same second exceed 100 lines/s.
    r = subprocess.run(["curl", "-sS", "-D", "-", "-o", "-", "-H",
                        "Authorization: Token " + tokens["acme"], "--data-binary", lines,
                        "http://%s:%d/write?db=acme" % (b.host, b.http_port)],
                       capture_output=True, text=True, timeout=60)
    head, _, body = r.stdout.partition("\n\n")  # text mode: CRLF read as LF
    assert head.split()[1] == "429", r.stdout
    retry = [h for h in head.split("\n") if h.lower().startswith("retry-after:")]
    assert retry and int(retry[0].split(":")[1]) >= 1, head
    assert "messages/s quota of principal acme/ann (100)" in body, body
    # beta is not held to acme's quota.
    code, body = curl(b, "/query?q=CREATE+DATABASE+beta", token=tokens["beta"], data="")
    assert code == 200, body
    code, body = curl(b, "/write?db=beta", token=tokens["beta"], data=lines + lines)
    assert code == 204, body


def test_series_quota_refuses_new_series_and_keeps_the_rest(hub):
    b, op, _, tokens = hub
    code, body = curl(b, "/query?q=CREATE+DATABASE+acme", token=tokens["acme"], data="")
    assert code == 200, body
    op.run("tenant", "quota", "--max-series", "3", "acme")
    lines = "".join("s,host=h%d v=1i 1700000000000000000\n" % i for i in range(5))
    code, body = curl(b, "/write?db=acme", token=tokens["acme"], data=lines)
    assert code == 429, body
    assert "series quota of tenant acme (3)" in body and "dropped=2" in body, body
    code, body = curl(b, "/query?db=acme&q=SELECT+count(v)+FROM+s", token=tokens["acme"])
    assert code == 200 and '"count"' in body and ",3]" in body, body
    # Points of existing series still go in; a new series over MQTT 5 gets 0x97.
    code, body = curl(b, "/write?db=acme", token=tokens["acme"],
                      data="s,host=h0 v=2i 1700000001000000000\n")
    assert code == 204, body
    pub = RawClient(b.host, b.port, 5)
    pub.connect(uniq("pub"), username="acme/plc", password="pw-acme")
    assert pub.publish("factory/l1/new-machine", b'{"t": 1}', qos=1).reason == 0x97


def test_stored_bytes_quota_stops_writes(hub):
    b, op, _, tokens = hub
    code, body = curl(b, "/query?q=CREATE+DATABASE+acme", token=tokens["acme"], data="")
    assert code == 200, body
    code, body = curl(b, "/write?db=acme", token=tokens["acme"],
                      data="m,host=a v=1i 1700000000000000000\n")
    assert code == 204, body
    op.run("tenant", "quota", "--max-stored-bytes", "1", "acme")

    def refused():
        code, body = curl(b, "/write?db=acme", token=tokens["acme"],
                          data="m,host=a v=2i 1700000001000000000\n")
        return code == 429 and "stored-bytes quota of tenant acme" in body
    # The hub recounts stored bytes every few seconds.
    wait_for(refused, TIMEOUT, interval=0.5, what="the stored-bytes quota to apply")
    pub = RawClient(b.host, b.port, 5)
    pub.connect(uniq("pub"), username="acme/plc", password="pw-acme")
    assert pub.publish("factory/l1/press", b'{"t": 1}', qos=1).reason == 0x97
    # Reading is never refused; beta writes on.
    code, body = curl(b, "/query?db=acme&q=SELECT+v+FROM+m", token=tokens["acme"])
    assert code == 200 and '"name":"m"' in body, body
    code, body = curl(b, "/query?q=CREATE+DATABASE+beta", token=tokens["beta"], data="")
    code, body = curl(b, "/write?db=beta", token=tokens["beta"],
                      data="m,host=a v=1i 1700000000000000000\n")
    assert code == 204, body
    # Raised, writes go in again.
    op.run("tenant", "quota", "--max-stored-bytes", "0", "acme")

    def accepted():
        code, _ = curl(b, "/write?db=acme", token=tokens["acme"],
                       data="m,host=a v=3i 1700000002000000000\n")
        return code == 204
    wait_for(accepted, TIMEOUT, interval=0.5, what="the raised quota to apply")
