"""02 publish/subscribe: QoS matrix, wildcards, $-topics, unsubscribe, overlaps, packet ids,
QoS 2 exactly-once."""

import paho.mqtt.client as mqtt
import pytest

from helpers import (PUBACK, PUBCOMP, PUBLISH, PUBREC, RawClient, TIMEOUT, ack_packet,
                     publish_packet, uniq, wait_for)

VERSIONS = [pytest.param(4, id="v311"), pytest.param(5, id="v5")]


def collect(client, sentinel, quiet=0.5):
    """PUBLISHes up to the sentinel payload, plus anything that arrives shortly after."""
    got = client.recv_until(sentinel)
    try:
        while True:
            got.append(client.recv_publish(timeout=quiet))
    except TimeoutError:
        pass
    return [p for p in got if p.payload != sentinel.encode()]


def pair(broker, version, sub_id=None, pub_id=None):
    sub = RawClient(broker.host, broker.port, version)
    sub.connect(sub_id or uniq("sub"))
    pub = RawClient(broker.host, broker.port, version)
    pub.connect(pub_id or uniq("pub"))
    return sub, pub


@pytest.mark.parametrize("version", VERSIONS)
def test_qos_matrix_downgrade(broker, version):
    base = uniq("qos")
    sub, pub = pair(broker, version)
    for sq in range(3):
        sub.subscribe("%s/s%d" % (base, sq), qos=sq)
    for pq in range(3):
        for sq in range(3):
            topic = "%s/s%d" % (base, sq)
            payload = "p%d-s%d" % (pq, sq)
            pub.publish(topic, payload, qos=pq)
            m = sub.recv_publish()
            assert m.topic == topic and m.payload == payload.encode()
            assert m.qos == min(pq, sq), "pub %d sub %d: delivered at %d" % (pq, sq, m.qos)
            if m.qos:
                assert m.pid
    sub.disconnect()
    pub.disconnect()


@pytest.mark.parametrize("version", [mqtt.MQTTv311, mqtt.MQTTv5], ids=["v311", "v5"])
def test_paho_pubsub(broker, version):
    topic = uniq("paho") + "/x"
    got, subacked = [], []
    sub = mqtt.Client(client_id=uniq("ps"), protocol=version)
    sub.on_message = lambda c, u, m: got.append((m.topic, m.payload, m.qos))
    sub.on_subscribe = lambda *a: subacked.append(1)
    sub.on_connect = lambda c, *a: c.subscribe(topic, qos=2)
    sub.connect(broker.host, broker.port)
    sub.loop_start()
    pub = mqtt.Client(client_id=uniq("pp"), protocol=version)
    pub.connect(broker.host, broker.port)
    pub.loop_start()
    try:
        wait_for(lambda: subacked, what="SUBACK")
        for q in range(3):
            pub.publish(topic, b"m%d" % q, qos=q).wait_for_publish(TIMEOUT)
        wait_for(lambda: len(got) >= 3, what="3 messages")
        assert sorted(got) == [(topic, b"m0", 0), (topic, b"m1", 1), (topic, b"m2", 2)]
    finally:
        for c in (sub, pub):
            c.disconnect()
            c.loop_stop()


@pytest.mark.parametrize("version", VERSIONS)
def test_wildcards(broker, version):
    b = uniq("w")
    filters = {
        "%s/+/c" % b: {"%s/a/c" % b, "%s/b/c" % b, "%s//c" % b},
        "%s/#" % b: {"%s/a/c" % b, "%s/b/c" % b, "%s//c" % b, "%s/a" % b, "%s/a/c/d" % b, b,
                     "%s/a/cd" % b},
        "%s/a/#" % b: {"%s/a/c" % b, "%s/a" % b, "%s/a/c/d" % b, "%s/a/cd" % b},
        "%s/+" % b: {"%s/a" % b},
        "+/+/c": {"%s/a/c" % b, "%s/b/c" % b, "%s//c" % b, "%sx/a/c" % b},
        "%s/a/c" % b: {"%s/a/c" % b},
    }
    topics = ["%s/a/c" % b, "%s/b/c" % b, "%s//c" % b, "%s/a" % b, "%s/a/c/d" % b, b,
              "%sx/a/c" % b, "%s/a/cd" % b]
    pub = RawClient(broker.host, broker.port, version)
    pub.connect(uniq("wp"))
    subs = {}
    for f in filters:
        s = RawClient(broker.host, broker.port, version)
        s.connect(uniq("ws"))
        s.subscribe([f, "%s/sentinel" % b], qos=1)
        subs[f] = s
    for t in topics:
        pub.publish(t, t, qos=1)
    pub.publish("%s/sentinel" % b, "END", qos=1)
    for f, s in subs.items():
        got = collect(s, "END")
        assert {p.topic for p in got} == filters[f], f
        assert len(got) == len(filters[f]), "duplicates for %s: %r" % (f, got)
        s.disconnect()
    pub.disconnect()


@pytest.mark.parametrize("version", VERSIONS)
def test_dollar_topics(broker, version):
    """4.7.2: filters starting with a wildcard must not match topics starting with '$'."""
    b = uniq("d")
    wild = RawClient(broker.host, broker.port, version)
    wild.connect(uniq("wild"))
    wild.subscribe(["#", "+/x", "+/#", "+", "+/+/x"], qos=1)
    explicit = RawClient(broker.host, broker.port, version)
    explicit.connect(uniq("expl"))
    explicit.subscribe(["$vt%s/#" % b, "%s/sentinel" % b], qos=1)
    pub = RawClient(broker.host, broker.port, version)
    pub.connect(uniq("dp"))
    # A client-published $-topic: the server may refuse it (4.7.2 SHOULD); if it accepts it,
    # only the explicit filter may receive it.
    ack = pub.publish("$vt%s/x" % b, "dollar", qos=1)
    accepted = version == 4 or ack.reason < 0x80
    pub.publish("$vt%s/a/x" % b, "dollar2", qos=1)
    pub.publish("%s/sentinel" % b, "END", qos=1)
    got = collect(explicit, "END")
    if accepted:
        assert sorted(p.topic for p in got) == ["$vt%s/a/x" % b, "$vt%s/x" % b], got
    wild_got = collect(wild, "END")
    bad = [p.topic for p in wild_got if p.topic.startswith("$")]
    assert not bad, "leading wildcard matched $-topics: %r" % bad
    for c in (wild, explicit, pub):
        c.disconnect()


@pytest.mark.parametrize("version", VERSIONS)
def test_sys_topics(broker, version):
    """Broker-published $SYS topics (if the broker has any) reach an explicit $SYS filter but
    never a leading wildcard."""
    sys_sub = RawClient(broker.host, broker.port, version)
    sys_sub.connect(uniq("sys"))
    sys_sub.subscribe("$SYS/#", qos=0)
    wild = RawClient(broker.host, broker.port, version)
    wild.connect(uniq("wild"))
    wild.subscribe(["#", "+/broker/#", "+/+"], qos=0)
    try:
        m = sys_sub.recv_publish(timeout=TIMEOUT / 2)
    except TimeoutError:
        pytest.skip("the broker publishes no $SYS topics")
    assert m.topic.startswith("$SYS/")
    # Let more $SYS traffic flow, then check the wildcard subscriber saw none of it.
    sys_sub.recv_publish(timeout=3 * TIMEOUT)
    wild.expect_nothing(quiet=2.0)
    sys_sub.disconnect()
    wild.disconnect()


@pytest.mark.parametrize("version", VERSIONS)
def test_unsubscribe(broker, version):
    b = uniq("u")
    sub, pub = pair(broker, version)
    sub.subscribe(["%s/a" % b, "%s/sentinel" % b], qos=1)
    pub.publish("%s/a" % b, "one", qos=1)
    assert sub.recv_publish().payload == b"one"
    ua = sub.unsubscribe("%s/a" % b)
    if version == 5:
        assert ua.codes == [0x00]
        assert sub.unsubscribe("%s/never" % b).codes == [0x11]  # no subscription existed
    pub.publish("%s/a" % b, "two", qos=1)
    pub.publish("%s/sentinel" % b, "END", qos=1)
    assert collect(sub, "END") == []
    sub.disconnect()
    pub.disconnect()


@pytest.mark.parametrize("version", VERSIONS)
def test_overlapping_subscriptions(broker, version):
    b = uniq("o")
    sub, pub = pair(broker, version)
    sub.subscribe([("%s/#" % b, 0), ("%s/a" % b, 2), ("%s/+" % b, 1)])
    pub.publish("%s/a" % b, "x", qos=2)
    pub.publish("%s/sentinel" % b, "END", qos=0)
    got = collect(sub, "END")
    # MQTT-3.3.5-1: delivered respecting the maximum QoS of the matching subscriptions;
    # one copy, or (5.0, and 3.1.1 servers in practice) one per matching subscription.
    assert 1 <= len(got) <= 3, got
    assert max(p.qos for p in got) == 2, got
    assert all(p.payload == b"x" for p in got)
    sub.disconnect()
    pub.disconnect()


@pytest.mark.parametrize("version", VERSIONS)
def test_packet_ids(broker, version):
    b = uniq("pid")
    sub = RawClient(broker.host, broker.port, version, auto_ack=False)
    sub.connect(uniq("s"))
    sub.subscribe(b + "/#", qos=2)
    pub = RawClient(broker.host, broker.port, version)
    pub.connect(uniq("p"))
    # Several QoS 1 and 2 publishes in flight at once, acked by packet id.
    for pid, qos in ((10, 1), (11, 2), (65535, 1), (12, 2)):
        pub.send(publish_packet("%s/%d" % (b, pid), "m%d" % pid, qos=qos, pid=pid, version=version))
    acks = {}
    for _ in range(4):
        p = pub.recv((PUBACK, PUBREC))
        acks[p.pid] = p.type
    assert acks == {10: PUBACK, 11: PUBREC, 65535: PUBACK, 12: PUBREC}
    for pid in (11, 12):
        pub.send(ack_packet(6, pid, version))
        assert pub.recv(PUBCOMP).pid == pid
    # The server's outgoing packet ids: non-zero and distinct while unacknowledged.
    got = sub.recv_publishes(4)
    pids = [p.pid for p in got]
    assert all(pids) and len(set(pids)) == 4, got
    # A packet id can be reused once its flow is complete.
    for _ in range(3):
        pub.send(publish_packet(b + "/reuse", "r", qos=1, pid=7, version=version))
        assert pub.recv(PUBACK).pid == 7
    sub.close()
    pub.disconnect()


@pytest.mark.parametrize("version", VERSIONS)
def test_qos2_exactly_once_with_dup(broker, version):
    b = uniq("eo")
    sub, pub = pair(broker, version)
    sub.subscribe(b + "/#", qos=2)
    pub.send(publish_packet(b + "/x", "once", qos=2, pid=42, version=version))
    assert pub.recv(PUBREC).pid == 42
    # Resend with DUP before PUBREL: must not be delivered again (4.3.3, method B or A).
    pub.send(publish_packet(b + "/x", "once", qos=2, pid=42, dup=True, version=version))
    assert pub.recv(PUBREC).pid == 42
    pub.send(ack_packet(6, 42, version))
    assert pub.recv(PUBCOMP).pid == 42
    # The same packet id, after PUBCOMP, is a new message.
    pub.send(publish_packet(b + "/x", "twice", qos=2, pid=42, version=version))
    assert pub.recv(PUBREC).pid == 42
    pub.send(ack_packet(6, 42, version))
    assert pub.recv(PUBCOMP).pid == 42
    pub.publish(b + "/sentinel", "END", qos=2)
    got = collect(sub, "END")
    assert [p.payload for p in got] == [b"once", b"twice"], got
    sub.disconnect()
    pub.disconnect()


def test_publish_many_qos1(broker):
    """A modest burst keeps order and loses nothing (per-topic ordering, 4.6)."""
    b = uniq("burst")
    sub, pub = pair(broker, 5)
    sub.subscribe(b, qos=1)
    n = 300
    for i in range(n):
        pub.publish(b, str(i), qos=1, wait=False)
    got = [int(sub.recv_publish().payload) for _ in range(n)]
    assert got == list(range(n))
    for _ in range(n):
        pub.recv(PUBACK)
    sub.disconnect()
    pub.disconnect()
