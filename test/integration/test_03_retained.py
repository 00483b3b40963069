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


def _flood(broker, stop, topic):
    """Keeps both cores busy with QoS 0 traffic the subscribers under test do not match."""
    c = RawClient(broker.host, broker.port, 5)
    c.connect(uniq("flood"))
    n = 0
    while not stop.is_set() and n < 2_000_000:
        c.publish(topic, "x" * 64, qos=0)
        n += 1
    c.disconnect()


def test_subscription_sees_each_later_retained_publish_once_under_load(broker):
    """A subscription acknowledged by SUBACK sees each later publish exactly once (live), never
    also as a retained replay; one set before the SUBACK arrives once, as retained (3.3.1.3,
    3.8.4). The publisher fires right after the SUBACK, so it races the replay on another
    shard; flooders keep both cores busy. Iterations are bounded in count and time."""
    import threading
    import time

    stop = threading.Event()
    flooders = [threading.Thread(target=_flood, args=(broker, stop, uniq("noise")), daemon=True)
                for _ in range(2)]
    for t in flooders:
        t.start()
    try:
        pubs = []
        for _ in range(3):  # several publishers, so some sit on another shard than the subscriber
            p = RawClient(broker.host, broker.port, 5)
            p.connect(uniq("rp"))
            pubs.append(p)
        deadline = time.monotonic() + 60
        iterations = 0
        for i in range(300):
            if time.monotonic() > deadline:
                break
            b = uniq("race%d" % i)
            pub = pubs[i % len(pubs)]
            pub.publish(b + "/old", "o", qos=1, retain=True)
            s = RawClient(broker.host, broker.port, 5)
            s.connect(uniq("rs"))
            s.subscribe([(b + "/#", sub_opts(qos=1, retain_as_published=False))])
            pub.publish(b + "/t", "r", qos=1, retain=True)
            pub.publish(b + "/t", "n", qos=1, retain=False)
            pub.publish(b + "/end", "END", qos=1)
            got = sorted((p.topic, p.payload, p.retain) for p in collect(s, "END", quiet=0.05))
            assert got == sorted([(b + "/old", b"o", True), (b + "/t", b"r", False),
                                  (b + "/t", b"n", False)]), "iteration %d" % i
            s.disconnect()
            pub.publish(b + "/old", "", qos=1, retain=True)
            pub.publish(b + "/t", "", qos=1, retain=True)
            iterations += 1
        assert iterations >= 20
        for p in pubs:
            p.disconnect()
    finally:
        stop.set()
        for t in flooders:
            t.join(timeout=10)
