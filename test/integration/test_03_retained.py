"""03 retained messages: set, replace, clear, delivery on subscribe, retain handling and
retain-as-published (5.0)."""

import pytest

from helpers import RawClient, sub_opts, uniq

VERSIONS = [pytest.param(4, id="v311"), pytest.param(5, id="v5")]


def collect(client, sentinel, quiet=0.5):
    got = client.recv_until(sentinel)
    try:
        while True:
            got.append(client.recv_publish(timeout=quiet))
    except TimeoutError:
        pass
    return [p for p in got if p.payload != sentinel.encode()]


def fresh_sub(broker, version, filters, b, pub):
    """Subscribe a new client to `filters` (+ sentinel) and return what it gets on subscribe."""
    s = RawClient(broker.host, broker.port, version)
    s.connect(uniq("rs"))
    if isinstance(filters, str):
        filters = [(filters, 2)]
    s.subscribe(filters + [("%s/sentinel" % b, 0)])
    pub.publish("%s/sentinel" % b, "END", qos=0)
    got = collect(s, "END")
    s.disconnect()
    return got


@pytest.mark.parametrize("version", VERSIONS)
def test_retained_set_replace_clear(broker, version):
    b = uniq("r")
    pub = RawClient(broker.host, broker.port, version)
    pub.connect(uniq("rp"))
    live = RawClient(broker.host, broker.port, version)
    live.connect(uniq("rl"))
    live.subscribe(b + "/#", qos=2)

    pub.publish(b + "/t", "v1", qos=1, retain=True)
    m = live.recv_publish()
    # Forwarded to an existing subscription: retain flag cleared (MQTT-3.3.1-9 / 3.3.1-12).
    assert m.payload == b"v1" and m.retain is False
    got = fresh_sub(broker, version, b + "/t", b, pub)
    assert [(p.topic, p.payload, p.retain, p.qos) for p in got] == [(b + "/t", b"v1", True, 1)]

    pub.publish(b + "/t", "v2", qos=2, retain=True)
    got = fresh_sub(broker, version, b + "/t", b, pub)
    assert [(p.payload, p.retain, p.qos) for p in got] == [(b"v2", True, 2)]
    # QoS of a retained delivery is min(stored QoS, subscription QoS).
    got = fresh_sub(broker, version, [(b + "/t", 1)], b, pub)
    assert [(p.payload, p.qos) for p in got] == [(b"v2", 1)]

    pub.publish(b + "/u", "other", qos=0, retain=True)
    got = fresh_sub(broker, version, b + "/+", b, pub)
    assert sorted((p.topic, p.payload) for p in got) == [(b + "/t", b"v2"), (b + "/u", b"other")]
    assert all(p.retain for p in got)

    # An empty retained payload clears; it is still forwarded to live subscribers.
    pub.publish(b + "/t", "", qos=1, retain=True)
    m = live.recv_until("")[-1]
    assert m.payload == b""
    got = fresh_sub(broker, version, b + "/#", b, pub)
    assert [(p.topic, p.payload) for p in got] == [(b + "/u", b"other")]
    # A non-retained publish neither stores nor clears.
    pub.publish(b + "/u", "transient", qos=1, retain=False)
    got = fresh_sub(broker, version, b + "/#", b, pub)
    assert [(p.topic, p.payload) for p in got] == [(b + "/u", b"other")]
    live.disconnect()
    pub.disconnect()


def test_retain_handling_v5(broker):
    b = uniq("rh")
    pub = RawClient(broker.host, broker.port, 5)
    pub.connect(uniq("p"))
    pub.publish(b + "/t", "kept", qos=1, retain=True)
    s = RawClient(broker.host, broker.port, 5)
    s.connect(uniq("s"))
    s.subscribe(b + "/sentinel", qos=0)

    def subscribe_and_collect(rh, topic_filter):
        s.subscribe([(topic_filter, sub_opts(qos=1, retain_handling=rh))])
        pub.publish(b + "/sentinel", "END", qos=0)
        return [p.payload for p in collect(s, "END")]

    # 0: send retained on every subscribe, including a re-subscribe.
    assert subscribe_and_collect(0, b + "/+") == [b"kept"]
    assert subscribe_and_collect(0, b + "/+") == [b"kept"]
    # 1: only when the subscription did not exist yet.
    assert subscribe_and_collect(1, b + "/#") == [b"kept"]
    assert subscribe_and_collect(1, b + "/#") == []
    s.unsubscribe([b + "/+", b + "/#"])
    # 2: never.
    assert subscribe_and_collect(2, b + "/t") == []
    # Live messages still flow for retain handling 2.
    pub.publish(b + "/t", "live", qos=1)
    assert s.recv_publish().payload == b"live"
    s.disconnect()
    pub.disconnect()


def test_retain_as_published_v5(broker):
    b = uniq("rap")
    pub = RawClient(broker.host, broker.port, 5)
    pub.connect(uniq("p"))
    keep = RawClient(broker.host, broker.port, 5)
    keep.connect(uniq("k"))
    keep.subscribe([(b + "/#", sub_opts(qos=1, retain_as_published=True))])
    clear = RawClient(broker.host, broker.port, 5)
    clear.connect(uniq("c"))
    clear.subscribe([(b + "/#", sub_opts(qos=1, retain_as_published=False))])
    pub.publish(b + "/t", "r", qos=1, retain=True)
    pub.publish(b + "/t", "n", qos=1, retain=False)
    assert [(p.payload, p.retain) for p in keep.recv_publishes(2)] == [(b"r", True), (b"n", False)]
    assert [(p.payload, p.retain) for p in clear.recv_publishes(2)] == [(b"r", False), (b"n", False)]
    for c in (pub, keep, clear):
        c.disconnect()
