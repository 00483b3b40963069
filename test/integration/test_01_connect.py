"""01 connect: CONNECT/CONNACK, client ids, takeover, timeouts, keep-alive, authentication."""

import time

import paho.mqtt.client as mqtt
import pytest

from helpers import (BROKER, CONNACK, DISCONNECT, IS_MOSQUITTO, PINGRESP, P_ASSIGNED_CLIENT_ID,
                     P_AUTH_METHOD, P_SERVER_KEEP_ALIVE, P_SESSION_EXPIRY, Packet, RawClient,
                     TIMEOUT, auth_packet, connect_packet, mstr, packet, u16, uniq, wait_for)

VERSIONS = [pytest.param(4, id="v311"), pytest.param(5, id="v5")]


def closed_after(c, timeout=None):
    """Wait for the broker to close `c`; return the packets it sent before closing."""
    return c.wait_closed(timeout)


@pytest.mark.parametrize("version", VERSIONS)
def test_connect_connack(broker, version):
    with RawClient(broker.host, broker.port, version) as c:
        ack = c.connect(uniq("c"), clean=True)
        assert ack.type == CONNACK and ack.reason == 0
        assert ack.session_present is False
        assert c.ping().type == PINGRESP
        c.disconnect()


@pytest.mark.parametrize("version", [mqtt.MQTTv311, mqtt.MQTTv5], ids=["v311", "v5"])
def test_connect_paho(broker, version):
    got = {}
    cl = mqtt.Client(client_id=uniq("paho"), protocol=version)

    def on_connect(client, userdata, flags, rc, properties=None):
        got["rc"] = rc

    cl.on_connect = on_connect
    cl.connect(broker.host, broker.port, keepalive=30)
    cl.loop_start()
    try:
        wait_for(lambda: "rc" in got, what="paho CONNACK")
        assert got["rc"] == 0
    finally:
        cl.disconnect()
        cl.loop_stop()


def test_bad_protocol_version(broker):
    # A 3.1.1-shaped CONNECT with an unknown protocol level (7).
    with RawClient(broker.host, broker.port, version=4) as c:
        c.send(connect_packet(uniq("c"), version=7, clean=True))
        got = closed_after(c)
        # MQTT-3.1.2-2: CONNACK 0x01 (unacceptable protocol level) then close;
        # an MQTT 5 server may answer 0x84 (unsupported protocol version) instead.
        acks = [p for p in got if p.type == CONNACK]
        assert acks, "expected a CONNACK refusing the protocol level, got %r" % (got,)
        assert acks[0].reason in (0x01, 0x84)


def test_bad_protocol_name(broker):
    with RawClient(broker.host, broker.port, version=4) as c:
        c.send(connect_packet(uniq("c"), version=4, proto_name="MQTX"))
        got = closed_after(c)
        assert not any(p.type == CONNACK and p.reason == 0 for p in got), got


def test_empty_client_id_v311(broker):
    with RawClient(broker.host, broker.port, version=4) as c:
        assert c.connect("", clean=True).reason == 0
        c.ping()
    with RawClient(broker.host, broker.port, version=4) as c:
        ack = c.connect("", clean=False, expect_success=False)
        assert ack.type == CONNACK and ack.reason == 0x02  # identifier rejected (MQTT-3.1.3-8)
        closed_after(c)


def test_empty_client_id_v5_assigned(broker):
    ids = []
    clients = []
    for _ in range(2):
        c = RawClient(broker.host, broker.port, version=5)
        clients.append(c)
        ack = c.connect("", clean=True)
        assert ack.reason == 0
        assigned = ack.props.get(P_ASSIGNED_CLIENT_ID)
        assert assigned, "MQTT-3.2.2-16: assigned client identifier must be returned"
        ids.append(assigned)
    assert ids[0] != ids[1]
    for c in clients:
        c.ping()
        c.close()


@pytest.mark.parametrize("version", [
    pytest.param(4, id="v311"),
    pytest.param(5, id="v5", marks=pytest.mark.xfail(
        condition=IS_MOSQUITTO, strict=True,
        reason="mosquitto 2.0.11 closes the old connection without DISCONNECT 0x8E "
               "(MQTT 5 3.1.4-3 / 4.13: the server sends DISCONNECT 0x8E Session taken over)"))])
def test_session_takeover(broker, version):
    cid = uniq("dup")
    old = RawClient(broker.host, broker.port, version)
    old.connect(cid)
    new = RawClient(broker.host, broker.port, version)
    new.connect(cid)
    got = closed_after(old)
    if version == 5:
        discs = [p for p in got if p.type == DISCONNECT]
        assert discs and discs[0].reason == 0x8E, "expected DISCONNECT 0x8E, got %r" % (got,)
    assert new.ping().type == PINGRESP
    new.disconnect()


@pytest.mark.xfail(condition=IS_MOSQUITTO, strict=True,
                   reason="mosquitto 2.0.11 has no CONNECT timeout (it waits ~keepalive); "
                          "MQTT 3.1.4 / 4.8: the server SHOULD close sockets that send no CONNECT")
def test_connect_timeout(broker_factory):
    b = broker_factory(connect_timeout_ms=1000)
    with RawClient(b.host, b.port) as idle, RawClient(b.host, b.port) as partial:
        partial.send(b"\x10")  # a CONNECT fixed-header byte and nothing else
        closed_after(idle, timeout=TIMEOUT)
        closed_after(partial, timeout=TIMEOUT)
    with RawClient(b.host, b.port) as ok:  # the listener is still fine
        ok.connect(uniq("c"))


@pytest.mark.parametrize("version", VERSIONS)
def test_keepalive_enforced(broker, version):
    idle = RawClient(broker.host, broker.port, version)
    idle.connect(uniq("idle"), keepalive=2)
    busy = RawClient(broker.host, broker.port, version)
    busy.connect(uniq("busy"), keepalive=2)
    # The pinging client stays connected while the silent one is dropped after 1.5 x keepalive.
    deadline = time.monotonic() + 4 * TIMEOUT
    while idle.is_open(quiet=0.3):
        assert time.monotonic() < deadline, "idle client not disconnected by keep-alive"
        busy.ping()
    got = closed_after(idle, timeout=1)
    if version == 5:
        for p in got:
            assert p.type == DISCONNECT and p.reason == 0x8D, got
    assert busy.ping().type == PINGRESP
    busy.disconnect()
    idle.close()


def test_server_keep_alive(broker_factory):
    b = broker_factory(max_keepalive=10)
    c = RawClient(b.host, b.port, 5)
    ack = c.connect(uniq("ska"), keepalive=600)
    ska = ack.props.get(P_SERVER_KEEP_ALIVE)
    assert ska is not None and 0 < ska <= 10, "expected Server Keep Alive <= 10, got %r" % (ack,)
    # The server keep alive, not the client's 600 s, is enforced.
    closed_after(c, timeout=4 * TIMEOUT)


AUTH_USERS = {"alice": "s3cret", "bob": "hunter2"}


@pytest.mark.parametrize("version", VERSIONS)
def test_password_file(broker_factory, version):
    b = broker_factory(users=AUTH_USERS, allow_anonymous=False)
    refused = (0x04, 0x05) if version == 4 else (0x86, 0x87)
    with RawClient(b.host, b.port, version) as c:
        assert c.connect(uniq("a"), username="alice", password="s3cret").reason == 0
        c.ping()
    with RawClient(b.host, b.port, version) as c:
        assert c.connect(uniq("b"), username="bob", password="hunter2").reason == 0
    for user, pw in (("alice", "wrong"), ("alice", "hunter2"), ("mallory", "s3cret"),
                     ("alice", None), (None, None)):
        with RawClient(b.host, b.port, version) as c:
            ack = c.connect(uniq("x"), username=user, password=pw, expect_success=False)
            assert ack.type == CONNACK and ack.reason in refused, (user, pw, ack)
            closed_after(c)


def test_auth_unknown_method(broker):
    with RawClient(broker.host, broker.port, 5) as c:
        ack = c.connect(uniq("auth"), properties={P_AUTH_METHOD: "X-NO-SUCH-METHOD"},
                        expect_success=False)
        assert ack.type == CONNACK and ack.reason == 0x8C, ack  # bad authentication method
        closed_after(c)
    with RawClient(broker.host, broker.port, 5) as c:  # the broker is unaffected
        c.connect(uniq("ok"))
        c.ping()


def test_auth_packet_without_method(broker):
    # AUTH after a CONNECT that had no authentication method is a protocol error (4.12).
    with RawClient(broker.host, broker.port, 5) as c:
        c.connect(uniq("auth2"))
        c.send(auth_packet(0x19, {P_AUTH_METHOD: "X-NO-SUCH-METHOD"}))
        got = closed_after(c)
        for p in got:
            assert p.type == DISCONNECT and p.reason >= 0x80, got
