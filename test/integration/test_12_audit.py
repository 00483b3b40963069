"""12 audit log: the hub records failed and good connects, subscriptions, HTTP writes and
queries in its audit log; the signed tree head, the entries, inclusion and consistency proofs
and the export are served over HTTP, and `verbundctl audit verify-proof` / `audit verify` accept
them with the pinned public key (and reject an export with one byte flipped). With fsync=always
an acknowledged /write's entry survives kill -9."""
import json
import os
import signal
import subprocess
import time
import urllib.parse

import paho.mqtt.client as mqtt
import pytest

from helpers import BROKER, TIMEOUT, uniq, wait_for, verbundctl

pytestmark = pytest.mark.skipif(BROKER != "verbund", reason="Verbund's audit log")

USERS = {"alice": "s3cret"}


def ctl(*args):
    return subprocess.run([verbundctl(), *args], capture_output=True, text=True, timeout=60)


def curl(hub, method, path, data=None, out=None):
    """(status, body bytes) of one request made with curl."""
    cmd = ["curl", "-sS", "-X", method, "-o", out or "-", "-w", "\n%{http_code}",
           "http://%s:%d%s" % (hub.host, hub.http_port, path)]
    if data is not None:
        cmd += ["--data-binary", data]
    r = subprocess.run(cmd, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    body, _, code = r.stdout.rpartition(b"\n")
    return int(code), body


def get_json(hub, path):
    status, body = curl(hub, "GET", path)
    assert status == 200, (path, status, body)
    return json.loads(body)


def entries(hub):
    return get_json(hub, "/api/v1/audit/entries?start=0&count=10000")["entries"]


def signed_head_covering(hub, size, timeout=TIMEOUT):
    """Polls /sth until a tree head covers at least `size` entries."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = curl(hub, "GET", "/api/v1/audit/sth")
        if status == 200:
            sth = json.loads(body)
            if sth["tree_size"] >= size:
                return sth
        if time.monotonic() > deadline:
            raise AssertionError("no signed tree head of size >= %d (last: %s %r)"
                                 % (size, status, body))
        time.sleep(0.1)


def details(entry):
    return {k: v for k, v in entry["details"]}


def pinned_key(hub):
    """The public key as an auditor pins it: out of band, from the hub's audit directory."""
    r = ctl("audit", "pubkey", "--dir", os.path.join(hub.data_dir, "audit"))
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f)
    return str(path)


def paho_connect(hub, client_id, username, password, subscribe=None):
    """Connects with paho; returns (CONNACK rc, SUBACK granted qos or None)."""
    got = {}
    cl = mqtt.Client(client_id=client_id, protocol=mqtt.MQTTv311)
    cl.username_pw_set(username, password)
    cl.on_connect = lambda c, u, f, rc: got.setdefault("rc", rc)
    cl.on_subscribe = lambda c, u, mid, granted: got.setdefault("granted", granted)
    cl.connect(hub.host, hub.port, keepalive=30)
    cl.loop_start()
    try:
        wait_for(lambda: "rc" in got, what="paho CONNACK")
        if got["rc"] == 0 and subscribe:
            cl.subscribe(subscribe, qos=1)
            wait_for(lambda: "granted" in got, what="paho SUBACK")
    finally:
        cl.disconnect()
        cl.loop_stop()
    return got["rc"], got.get("granted")


def test_events_are_recorded_signed_and_verifiable(broker_factory, tmp_path):
    hub = broker_factory(users=USERS, allow_anonymous=False)
    key = pinned_key(hub)
    assert get_json(hub, "/api/v1/audit/pubkey")["hex"] == key

    # A failed connect (mosquitto's client, bad password), then a good one with a subscription.
    bad_id, good_id = uniq("intruder"), uniq("plc")
    r = subprocess.run(["mosquitto_sub", "-h", hub.host, "-p", str(hub.port), "-i", bad_id,
                        "-u", "alice", "-P", "wrong", "-t", "x", "-C", "1", "-W", "5"],
                       capture_output=True, timeout=30)
    assert r.returncode != 0
    rc, granted = paho_connect(hub, good_id, "alice", "s3cret", subscribe="factory/#")
    assert rc == 0 and granted == (1,)
    # The disconnect is recorded once the hub has closed the connection.
    wait_for(lambda: any(e["kind"] == "disconnect" for e in entries(hub)), what="disconnect entry")
    mqtt_entries = entries(hub)
    old = signed_head_covering(hub, len(mqtt_entries))

    # HTTP: a database, a write and a query.
    status, _ = curl(hub, "POST", "/query?q=" + urllib.parse.quote("CREATE DATABASE audited"))
    assert status == 200
    status, body = curl(hub, "POST", "/write?db=audited",
                        data=b"cpu,host=a v=1 1700000000000000000\n"
                             b"mem,host=a v=2 1700000000000000000\n"
                             b"cpu,host=b v=3 1700000000000000000\n")
    assert status == 204, body
    q = "SELECT v FROM cpu"
    status, body = curl(hub, "GET", "/query?db=audited&q=" + urllib.parse.quote(q))
    assert status == 200, body

    got = entries(hub)
    new = signed_head_covering(hub, len(got))
    kinds = [e["kind"] for e in got]
    failed = next(e for e in got if e["kind"] == "connect_failed")
    assert failed["outcome"] == "denied" and failed["principal"] == "alice"
    assert details(failed)["client_id"] == bad_id
    connect = next(e for e in got if e["kind"] == "connect")
    assert kinds.index("connect_failed") < kinds.index("connect")
    assert connect["outcome"] == "ok" and connect["principal"] == "alice"
    assert details(connect)["client_id"] == good_id
    assert details(connect)["protocol"] == "mqtt3.1.1"
    assert connect["source"].startswith("127.0.0.1:")
    sub = next(e for e in got if e["kind"] == "subscribe")
    assert details(sub)["filter"] == "factory/#" and details(sub)["qos"] == "1"
    disc = next(e for e in got if e["kind"] == "disconnect")
    assert details(disc)["client_id"] == good_id
    assert int(details(disc)["bytes_in"]) > 0 and int(details(disc)["bytes_out"]) > 0
    write = next(e for e in got if e["kind"] == "write")
    wd = details(write)
    assert write["outcome"] == "ok"
    assert (wd["database"], wd["measurements"], wd["points"]) == ("audited", "2", "3")
    queries = [e for e in got if e["kind"] == "query"]
    assert details(queries[-1])["statement"] == q
    assert details(queries[-1])["rows"] == "2"
    assert details(queries[-1])["database"] == "audited"
    assert [e["index"] for e in got] == list(range(len(got)))

    # An inclusion proof of the write, and a consistency proof from the MQTT-only head.
    sth_file = write_json(tmp_path / "sth.json", new)
    old_file = write_json(tmp_path / "old.json", old)
    proof = get_json(hub, "/api/v1/audit/proof/inclusion?index=%d&size=%d"
                     % (write["index"], new["tree_size"]))
    r = ctl("audit", "verify-proof", "--pubkey", key, "--sth", sth_file,
            "--inclusion", write_json(tmp_path / "inclusion.json", proof))
    assert r.returncode == 0, r.stdout + r.stderr
    proof = get_json(hub, "/api/v1/audit/proof/consistency?first=%d&second=%d"
                     % (old["tree_size"], new["tree_size"]))
    r = ctl("audit", "verify-proof", "--pubkey", key, "--sth", sth_file, "--old-sth", old_file,
            "--consistency", write_json(tmp_path / "consistency.json", proof))
    assert r.returncode == 0, r.stdout + r.stderr
    assert curl(hub, "GET", "/api/v1/audit/proof/inclusion?index=x")[0] == 400
    assert curl(hub, "GET", "/api/v1/audit/proof/consistency?first=5&second=1")[0] == 400

    # The export verifies under the pinned key and against the saved head.
    export = str(tmp_path / "export.bin")
    status, _ = curl(hub, "GET", "/api/v1/audit/export", out=export)
    assert status == 200
    r = ctl("audit", "verify", "--log", export, "--pubkey", key, "--sth", sth_file)
    assert r.returncode == 0, r.stdout + r.stderr
    # One byte flipped (inside the write's entry, say) and it does not.
    data = bytearray(open(export, "rb").read())
    at = data.find(b"audited")
    assert at > 0
    data[at] ^= 0x01
    flipped = str(tmp_path / "flipped.bin")
    open(flipped, "wb").write(bytes(data))
    r = ctl("audit", "verify", "--log", flipped, "--pubkey", key)
    assert r.returncode != 0, r.stdout
    assert "FAILED" in r.stdout


def test_acknowledged_write_is_in_the_log_after_kill_9(broker_factory, tmp_path):
    hub = broker_factory()  # [audit] defaults: enabled, fsync = storage.fsync = always
    key = pinned_key(hub)
    assert curl(hub, "POST", "/query?q=" + urllib.parse.quote("CREATE DATABASE crash"))[0] == 200
    status, body = curl(hub, "POST", "/write?db=crash", data=b"m v=42 1700000000000000000\n")
    assert status == 204, body
    hub.stop(sig=signal.SIGKILL)
    hub.start()
    writes = [e for e in entries(hub) if e["kind"] == "write"]
    assert len(writes) == 1 and details(writes[0])["database"] == "crash"
    assert details(writes[0])["points"] == "1"
    sth = signed_head_covering(hub, writes[0]["index"] + 1)
    export = str(tmp_path / "export.bin")
    assert curl(hub, "GET", "/api/v1/audit/export", out=export)[0] == 200
    r = ctl("audit", "verify", "--log", export, "--pubkey", key,
            "--sth", write_json(tmp_path / "sth.json", sth))
    assert r.returncode == 0, r.stdout + r.stderr
