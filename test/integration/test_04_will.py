"""04 will messages: abnormal disconnect, normal DISCONNECT, DISCONNECT 0x04, will delay,
will properties (5.0)."""

import pytest

from helpers import (P_CONTENT_TYPE, P_CORRELATION_DATA, P_PAYLOAD_FORMAT, P_RESPONSE_TOPIC,
                     P_SESSION_EXPIRY, P_USER_PROPERTY, P_WILL_DELAY, RawClient, TIMEOUT, uniq)

VERSIONS = [pytest.param(4, id="v311"), pytest.param(5, id="v5")]


def collect(client, sentinel, quiet=0.5):
    got = client.recv_until(sentinel)
    try:
        while True:
            got.append(client.recv_publish(timeout=quiet))
    except TimeoutError:
        pass
    return [p for p in got if p.payload != sentinel.encode()]


def watcher(broker, version, b):
    w = RawClient(broker.host, broker.port, version)
    w.connect(uniq("watch"))
    w.subscribe(b + "/#", qos=2)
    return w


@pytest.mark.parametrize("version", VERSIONS)
def test_will_on_abnormal_disconnect(broker, version):
    b = uniq("will")
    w = watcher(broker, version, b)
    c = RawClient(broker.host, broker.port, version)
    c.connect(uniq("dying"), will={"topic": b + "/status", "payload": b"gone", "qos": 1})
    c.close()  # no DISCONNECT
    m = w.recv_publish(timeout=3 * TIMEOUT)
    assert (m.topic, m.payload, m.qos) == (b + "/status", b"gone", 1)
    w.disconnect()


@pytest.mark.parametrize("version", VERSIONS)
def test_will_retained(broker, version):
    b = uniq("willr")
    c = RawClient(broker.host, broker.port, version)
    c.connect(uniq("dying"), will={"topic": b + "/status", "payload": b"offline", "qos": 1,
                                   "retain": True})
    c.close()
    w = RawClient(broker.host, broker.port, version)
    w.connect(uniq("late"))
    w.subscribe(b + "/#", qos=1)
    # The will may be published shortly after the close; a late subscriber gets it retained,
    # either on subscribe or (if it raced) live.
    m = w.recv_publish(timeout=3 * TIMEOUT)
    assert m.payload == b"offline"
    w.disconnect()


@pytest.mark.parametrize("version", VERSIONS)
def test_no_will_on_normal_disconnect(broker, version):
    b = uniq("nowill")
    w = watcher(broker, version, b)
    c = RawClient(broker.host, broker.port, version)
    c.connect(uniq("polite"), will={"topic": b + "/status", "payload": b"gone", "qos": 1})
    c.disconnect()  # DISCONNECT 0x00: the will is discarded (MQTT-3.1.2-10 / 3.14.4-3)
    p = RawClient(broker.host, broker.port, version)
    p.connect(uniq("p"))
    # The broker has processed the DISCONNECT once it closed the socket.
    c2 = RawClient(broker.host, broker.port, version)
    c2.connect(uniq("polite2"), will={"topic": b + "/status", "payload": b"gone2", "qos": 1})
    c2.send(b"\xe0\x00")
    c2.wait_closed()
    p.publish(b + "/sentinel", "END", qos=1)
    assert [m.payload for m in collect(w, "END")] == []
    w.disconnect()
    p.disconnect()


def test_will_on_disconnect_with_will_message_v5(broker):
    b = uniq("w04")
    w = watcher(broker, 5, b)
    c = RawClient(broker.host, broker.port, 5)
    c.connect(uniq("w04c"), will={"topic": b + "/status", "payload": b"bye", "qos": 1})
    c.send(b"\xe0\x01\x04")  # DISCONNECT, reason 0x04 Disconnect with Will Message
    c.wait_closed()
    m = w.recv_publish(timeout=3 * TIMEOUT)
    assert m.payload == b"bye"
    w.disconnect()


def test_will_delay_v5(broker):
    b = uniq("wd")
    w = watcher(broker, 5, b)
    # 1. Delay elapses while the session lives on: will is published (after the delay).
    c = RawClient(broker.host, broker.port, 5)
    c.connect(uniq("wd1"), properties={P_SESSION_EXPIRY: 300},
              will={"topic": b + "/a", "payload": b"delayed", "qos": 1,
                    "properties": {P_WILL_DELAY: 2}})
    c.close()
    m = w.recv_publish(timeout=3 * TIMEOUT)
    assert m.payload == b"delayed"
    # 2. Reconnecting before the delay elapses cancels the will (3.1.3.2.2).
    cid = uniq("wd2")
    c = RawClient(broker.host, broker.port, 5)
    c.connect(cid, properties={P_SESSION_EXPIRY: 300},
              will={"topic": b + "/b", "payload": b"cancelled", "qos": 1,
                    "properties": {P_WILL_DELAY: 600}})
    c.close()
    c = RawClient(broker.host, broker.port, 5)
    ack = c.connect(cid, clean=False, properties={P_SESSION_EXPIRY: 0})
    assert ack.session_present
    c.disconnect()
    # 3. The session ending first publishes the will even though the delay is longer.
    c = RawClient(broker.host, broker.port, 5)
    c.connect(uniq("wd3"), properties={P_SESSION_EXPIRY: 1},
              will={"topic": b + "/c", "payload": b"session-ended", "qos": 1,
                    "properties": {P_WILL_DELAY: 600}})
    c.close()
    m = w.recv_publish(timeout=3 * TIMEOUT)
    assert (m.topic, m.payload) == (b + "/c", b"session-ended")
    p = RawClient(broker.host, broker.port, 5)
    p.connect(uniq("p"))
    p.publish(b + "/sentinel", "END", qos=1)
    assert [m.payload for m in collect(w, "END")] == []
    w.disconnect()
    p.disconnect()


def test_will_properties_forwarded_v5(broker):
    b = uniq("wp")
    w = watcher(broker, 5, b)
    c = RawClient(broker.host, broker.port, 5)
    c.connect(uniq("wpc"), will={
        "topic": b + "/status", "payload": b'{"state":"lost"}', "qos": 1,
        "properties": [(P_CONTENT_TYPE, "application/json"), (P_PAYLOAD_FORMAT, 1),
                       (P_RESPONSE_TOPIC, b + "/reply"), (P_CORRELATION_DATA, b"\x00\x01corr"),
                       (P_USER_PROPERTY, ("site", "plant-7")),
                       (P_USER_PROPERTY, ("site", "dup-key-kept"))]})
    c.close()
    m = w.recv_publish(timeout=3 * TIMEOUT)
    assert m.payload == b'{"state":"lost"}'
    assert m.props.get(P_CONTENT_TYPE) == "application/json"
    assert m.props.get(P_PAYLOAD_FORMAT) == 1
    assert m.props.get(P_RESPONSE_TOPIC) == b + "/reply"
    assert m.props.get(P_CORRELATION_DATA) == b"\x00\x01corr"
    assert m.props.user == [("site", "plant-7"), ("site", "dup-key-kept")]
    w.disconnect()
