"""08 transports: WebSocket, TLS (1.2+ only), mutual TLS, and third-party clients
(mosquitto_pub/mosquitto_sub, node-mqtt) in both protocol versions."""

import json
import os
import shutil
import socket
import ssl
import subprocess

import paho.mqtt.client as mqtt
import pytest

from helpers import CONNACK, RawClient, TIMEOUT, open_socket, uniq, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
VERSIONS = [pytest.param(4, id="v311"), pytest.param(5, id="v5")]


def tls_context(pki, cert=None, key=None, minimum=None, maximum=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(pki.ca_cert)
    ctx.check_hostname = True
    if cert:
        ctx.load_cert_chain(cert, key)
    if minimum:
        ctx.minimum_version = minimum
    if maximum:
        ctx.maximum_version = maximum
    return ctx


def tls_mqtt_works(broker, ctx):
    """True if a TLS handshake + MQTT CONNECT/CONNACK + PING succeed."""
    try:
        c = RawClient(broker.host, broker.tls_port, 5, tls_context=ctx, timeout=TIMEOUT)
        try:
            ack = c.connect(uniq("tls"), expect_success=False)
            if ack.type != CONNACK or ack.reason != 0:
                return False
            c.ping()
            return True
        finally:
            c.close()
    except (ssl.SSLError, OSError, ConnectionError, TimeoutError, Exception):
        return False


@pytest.mark.parametrize("version", [mqtt.MQTTv311, mqtt.MQTTv5], ids=["v311", "v5"])
def test_websocket(broker, version):
    topic = uniq("ws") + "/t"
    got, subacked = [], []
    ws = mqtt.Client(client_id=uniq("wsc"), protocol=version, transport="websockets")
    ws.ws_set_options(path="/mqtt")
    ws.on_message = lambda c, u, m: got.append((m.topic, m.payload))
    ws.on_subscribe = lambda *a: subacked.append(1)
    ws.on_connect = lambda c, *a: c.subscribe(topic, qos=1)
    ws.connect(broker.host, broker.ws_port, keepalive=30)
    ws.loop_start()
    try:
        wait_for(lambda: subacked, what="SUBACK over WebSocket")
        # TCP -> WebSocket
        tcp = RawClient(broker.host, broker.port, 5 if version == mqtt.MQTTv5 else 4)
        tcp.connect(uniq("tcp"))
        tcp.subscribe(topic, qos=1)
        tcp.publish(topic, "from-tcp", qos=1)
        wait_for(lambda: (topic, b"from-tcp") in got, what="message over WebSocket")
        # WebSocket -> TCP (and back to itself)
        ws.publish(topic, b"from-ws", qos=1).wait_for_publish(TIMEOUT)
        payloads = [m.payload for m in tcp.recv_publishes(2)]
        assert b"from-ws" in payloads
        wait_for(lambda: (topic, b"from-ws") in got, what="own message over WebSocket")
        tcp.disconnect()
    finally:
        ws.disconnect()
        ws.loop_stop()


@pytest.mark.parametrize("version", VERSIONS)
def test_tls(broker_factory, pki, version):
    b = broker_factory(tls=True)
    ctx = tls_context(pki)
    t = RawClient(b.host, b.tls_port, version, tls_context=ctx)
    t.connect(uniq("tls"))
    assert t.sock.version() in ("TLSv1.2", "TLSv1.3")
    t.subscribe("tls/#", qos=1)
    plain = RawClient(b.host, b.port, version)
    plain.connect(uniq("plain"))
    plain.publish("tls/x", "secret", qos=1)
    assert t.recv_publish().payload == b"secret"
    t.publish("tls/y", "back", qos=2)
    assert t.recv_publish().payload == b"back"
    t.disconnect()
    plain.disconnect()
    # TLS 1.2 exactly is accepted as well.
    assert tls_mqtt_works(b, tls_context(pki, minimum=ssl.TLSVersion.TLSv1_2,
                                         maximum=ssl.TLSVersion.TLSv1_2))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_tls_refuses_old_versions(broker_factory, pki):
    b = broker_factory(tls=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    sock = socket.create_connection((b.host, b.tls_port), timeout=TIMEOUT)
    try:
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)) as ei:
            s = ctx.wrap_socket(sock, server_hostname="localhost")
            s.close()
        if "NO_PROTOCOLS_AVAILABLE" in str(ei.value).upper():
            pytest.skip("the local OpenSSL cannot offer TLS 1.1; refusal not testable")
    finally:
        sock.close()
    assert tls_mqtt_works(b, tls_context(pki))  # the listener is unaffected


def test_revoked_client_certificate_is_refused(broker_factory, pki):
    b = broker_factory(require_client_cert=True, crl=True)
    assert not tls_mqtt_works(b, tls_context(pki, pki.revoked_cert, pki.revoked_key)), \
        "a certificate on the CA's revocation list must be refused"
    assert tls_mqtt_works(b, tls_context(pki, pki.client_cert, pki.client_key))
    # Without the CRL the same certificate is accepted (it is otherwise valid).
    plain = broker_factory(require_client_cert=True)
    assert tls_mqtt_works(plain, tls_context(pki, pki.revoked_cert, pki.revoked_key))


def test_mutual_tls(broker_factory, pki):
    b = broker_factory(require_client_cert=True)
    assert tls_mqtt_works(b, tls_context(pki, pki.client_cert, pki.client_key))
    assert not tls_mqtt_works(b, tls_context(pki)), "no client certificate must be refused"
    assert not tls_mqtt_works(b, tls_context(pki, pki.other_client_cert, pki.other_client_key)), \
        "a certificate from another CA must be refused"
    # Also over TLS 1.2 (where the refusal happens inside the handshake).
    ctx12 = dict(minimum=ssl.TLSVersion.TLSv1_2, maximum=ssl.TLSVersion.TLSv1_2)
    assert tls_mqtt_works(b, tls_context(pki, pki.client_cert, pki.client_key, **ctx12))
    assert not tls_mqtt_works(b, tls_context(pki, **ctx12))
    # Plain TCP listener still serves.
    c = RawClient(b.host, b.port, 5)
    c.connect(uniq("plain"))
    c.disconnect()


@pytest.mark.skipif(not shutil.which("mosquitto_sub"), reason="mosquitto-clients not installed")
@pytest.mark.parametrize("version", ["mqttv311", "mqttv5"])
def test_mosquitto_clients(broker, version):
    topic = uniq("mc") + "/t"
    # stdbuf: mosquitto_sub's stdio is block-buffered on a pipe; we need its SUBACK line live.
    stdbuf = ["stdbuf", "-oL"] if shutil.which("stdbuf") else []
    sub = subprocess.Popen(
        stdbuf + ["mosquitto_sub", "-h", broker.host, "-p", str(broker.port), "-V", version, "-t", topic,
         "-q", "1", "-C", "1", "-W", str(int(3 * TIMEOUT)), "-d", "-i", uniq("msub")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    try:
        lines = []
        while True:  # wait for its SUBACK before publishing
            line = sub.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "SUBACK" in line:
                break
        assert any("SUBACK" in l for l in lines), lines
        pub = subprocess.run(
            ["mosquitto_pub", "-h", broker.host, "-p", str(broker.port), "-V", version, "-t",
             topic, "-q", "1", "-m", "hello from mosquitto_pub", "-i", uniq("mpub")],
            capture_output=True, text=True, timeout=3 * TIMEOUT)
        assert pub.returncode == 0, pub.stderr
        out = sub.stdout.read()
        sub.wait(timeout=3 * TIMEOUT)
        assert sub.returncode == 0, "".join(lines) + out
        assert "hello from mosquitto_pub" in out.splitlines()
    finally:
        if sub.poll() is None:
            sub.kill()
            sub.wait()


@pytest.mark.skipif(not shutil.which("node"), reason="node not installed")
@pytest.mark.parametrize("version", VERSIONS)
def test_node_mqtt(broker, version):
    env = dict(os.environ, NODE_PATH="/usr/share/nodejs")
    topic = uniq("node") + "/t"
    r = subprocess.run(["node", os.path.join(HERE, "node_roundtrip.js"),
                        "mqtt://%s:%d" % (broker.host, broker.port), str(version), topic,
                        "hello from node"],
                       capture_output=True, text=True, timeout=6 * TIMEOUT, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    msg = json.loads(r.stdout.strip().splitlines()[-1])
    assert msg["topic"] == topic and msg["payload"] == "hello from node" and msg["qos"] == 1
    if version == 5:
        assert msg["user"] == {"origin": "node"}
    # And over WebSocket.
    r = subprocess.run(["node", os.path.join(HERE, "node_roundtrip.js"),
                        "ws://%s:%d/mqtt" % (broker.host, broker.ws_port), str(version), topic,
                        "hello over ws"],
                       capture_output=True, text=True, timeout=6 * TIMEOUT, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1])["payload"] == "hello over ws"
