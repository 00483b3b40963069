"""05 sessions: persistence of subscriptions and queued messages, redelivery with DUP, queue
bound, session expiry (5.0), clean start."""

import time

import pytest

from helpers import (IS_MOSQUITTO, PUBREL, P_SESSION_EXPIRY, RawClient, ack_packet, uniq)

VERSIONS = [pytest.param(4, id="v311"), pytest.param(5, id="v5")]


def collect(client, sentinel, quiet=0.5):
    got = client.recv_until(sentinel)
    try:
        while True:
            got.append(client.recv_publish(timeout=quiet))
    except TimeoutError:
        pass
    return [p for p in got if p.payload != sentinel.encode()]


def persistent(broker, version, cid, expiry=300, **kw):
    """Connect with a session that outlives the connection (3.1.1 clean=0 / 5.0 expiry)."""
    c = RawClient(broker.host, broker.port, version, **kw)
    props = {P_SESSION_EXPIRY: expiry} if version == 5 else None
    ack = c.connect(cid, clean=False, properties=props)
    return c, ack


def publisher(broker, version):
    p = RawClient(broker.host, broker.port, version)
    p.connect(uniq("pub"))
    return p


@pytest.mark.parametrize("version", VERSIONS)
def test_persistent_session_keeps_subscriptions(broker, version):
    b, cid = uniq("ps"), uniq("cid")
    c, ack = persistent(broker, version, cid)
    assert not ack.session_present
    c.subscribe([b + "/#", b + "/sentinel"], qos=1)
    c.disconnect()
    c, ack = persistent(broker, version, cid)
    assert ack.session_present  # MQTT-3.2.2-2
    p = publisher(broker, version)
    p.publish(b + "/x", "hello", qos=1)
    assert c.recv_publish().payload == b"hello"
    c.disconnect()
    p.disconnect()


@pytest.mark.parametrize("version", VERSIONS)
def test_offline_messages_delivered_on_reconnect(broker, version):
    b, cid = uniq("q"), uniq("cid")
    c, _ = persistent(broker, version, cid)
    c.subscribe(b + "/#", qos=2)
    c.disconnect()
    p = publisher(broker, version)
    sent = []
    for i in range(10):
        qos = 1 + i % 2
        p.publish("%s/%d" % (b, i), "m%d" % i, qos=qos)
        sent.append(("m%d" % i).encode())
    c, ack = persistent(broker, version, cid)
    assert ack.session_present
    p.publish(b + "/sentinel", "END", qos=1)
    got = collect(c, "END")
    assert [m.payload for m in got] == sent
    assert [m.qos for m in got] == [1 + i % 2 for i in range(10)]
    c.disconnect()
    p.disconnect()


@pytest.mark.parametrize("version", VERSIONS)
def test_redelivery_with_dup(broker, version):
    b, cid = uniq("dup"), uniq("cid")
    c, _ = persistent(broker, version, cid, auto_ack=False)
    c.subscribe(b + "/#", qos=2)
    p = publisher(broker, version)
    p.publish(b + "/one", "q1", qos=1)
    p.publish(b + "/two", "q2", qos=2)
    first = c.recv_publishes(2)
    m1 = [m for m in first if m.qos == 1][0]
    m2 = [m for m in first if m.qos == 2][0]
    assert not m1.dup and not m2.dup
    c.send(ack_packet(5, m2.pid, version))  # PUBREC for the QoS 2 message, then vanish
    c.recv(PUBREL)
    c.close()
    c, ack = persistent(broker, version, cid, auto_ack=False)
    assert ack.session_present
    # 4.4: unacknowledged PUBLISH re-sent with DUP=1 and the original packet id; PUBREL re-sent.
    again = c.recv_publish()
    assert (again.payload, again.qos, again.dup, again.pid) == (b"q1", 1, True, m1.pid)
    rel = c.recv(PUBREL)
    assert rel.pid == m2.pid
    c.send(ack_packet(4, again.pid, version))
    c.send(ack_packet(7, rel.pid, version))
    p.publish(b + "/sentinel", "END", qos=1)
    got = collect(c, "END")
    assert got == [], "nothing else may be redelivered: %r" % got
    c.disconnect()
    p.disconnect()


def _fill_queue(broker, version, n, limit):
    b, cid = uniq("bound"), uniq("cid")
    c, _ = persistent(broker, version, cid)
    c.subscribe(b, qos=1)
    c.disconnect()
    p = publisher(broker, version)
    for i in range(n):
        p.publish(b, str(i), qos=1)
    c, _ = persistent(broker, version, cid)
    c.subscribe(b + "/sentinel", qos=1)
    p.publish(b + "/sentinel", "END", qos=1)
    got = [int(m.payload) for m in collect(c, "END")]
    c.disconnect()
    p.disconnect()
    return got


@pytest.mark.parametrize("version", VERSIONS)
def test_queue_bounded(broker_factory, version):
    limit = 5
    b = broker_factory(max_queued_messages=limit)
    got = _fill_queue(b, version, 30, limit)
    assert 1 <= len(got) <= limit, got
    assert got == sorted(got), "queue order must be kept: %r" % got


@pytest.mark.xfail(condition=IS_MOSQUITTO, strict=True,
                   reason="mosquitto drops the newest message when the queue is full; the spec "
                          "leaves the policy open, Verbund's documented policy is drop-oldest")
def test_queue_drops_oldest(broker_factory):
    limit = 5
    b = broker_factory(max_queued_messages=limit)
    got = _fill_queue(b, 5, 30, limit)
    assert got == list(range(30 - len(got), 30)) and len(got) == limit, got


def test_session_expiry_v5(broker):
    b = uniq("exp")
    p = publisher(broker, 5)
    # Expiry 1 s: gone after the interval.
    cid = uniq("short")
    c, _ = persistent(broker, 5, cid, expiry=1)
    c.subscribe(b + "/#", qos=1)
    c.disconnect()
    time.sleep(3)
    c, ack = persistent(broker, 5, cid, expiry=0)
    assert not ack.session_present
    c.subscribe(b + "/sentinel", qos=1)
    p.publish(b + "/x", "lost", qos=1)
    p.publish(b + "/sentinel", "END", qos=1)
    assert collect(c, "END") == []
    c.disconnect()
    # Expiry 0 (the default): the session ends with the connection.
    cid = uniq("zero")
    c, _ = persistent(broker, 5, cid, expiry=0)
    c.subscribe(b + "/#", qos=1)
    c.disconnect()
    c, ack = persistent(broker, 5, cid, expiry=0)
    assert not ack.session_present
    c.disconnect()
    # DISCONNECT may lower the expiry to 0 (3.14.2.2.2).
    cid = uniq("lowered")
    c, _ = persistent(broker, 5, cid, expiry=300)
    c.subscribe(b + "/#", qos=1)
    c.disconnect(properties={P_SESSION_EXPIRY: 0})
    c = RawClient(broker.host, broker.port, 5)
    # Wait until the broker processed that DISCONNECT: same client id takes over cleanly.
    ack = c.connect(cid, clean=False, properties={P_SESSION_EXPIRY: 300})
    assert not ack.session_present
    c.disconnect()
    # A long expiry survives a disconnect.
    cid = uniq("long")
    c, _ = persistent(broker, 5, cid, expiry=300)
    c.disconnect()
    c, ack = persistent(broker, 5, cid, expiry=300)
    assert ack.session_present
    c.disconnect()
    p.disconnect()


@pytest.mark.parametrize("version", VERSIONS)
def test_clean_start_discards(broker, version):
    b, cid = uniq("clean"), uniq("cid")
    c, _ = persistent(broker, version, cid)
    c.subscribe(b + "/#", qos=1)
    c.disconnect()
    p = publisher(broker, version)
    p.publish(b + "/queued", "stale", qos=1)
    c = RawClient(broker.host, broker.port, version)
    props = {P_SESSION_EXPIRY: 300} if version == 5 else None
    ack = c.connect(cid, clean=True, properties=props)
    assert not ack.session_present  # MQTT-3.2.2-1
    c.subscribe(b + "/sentinel", qos=1)
    p.publish(b + "/x", "after", qos=1)
    p.publish(b + "/sentinel", "END", qos=1)
    assert collect(c, "END") == [], "old subscription/queue must be discarded"
    c.disconnect()
    if version == 5:
        # Clean start with an expiry creates a new session that does persist.
        c, ack = persistent(broker, version, cid)
        assert ack.session_present
        c.disconnect()
    p.disconnect()
