"""07 persistence: retained messages and persistent sessions (subscriptions, queued and
in-flight messages) survive a broker restart (SIGTERM + start on the same data dir)."""

import pytest

from helpers import (P_CONTENT_TYPE, P_SESSION_EXPIRY, P_USER_PROPERTY, RawClient, uniq)

VERSIONS = [pytest.param(4, id="v311"), pytest.param(5, id="v5")]


def collect(client, sentinel, quiet=0.5):
    got = client.recv_until(sentinel)
    try:
        while True:
            got.append(client.recv_publish(timeout=quiet))
    except TimeoutError:
        pass
    return [p for p in got if p.payload != sentinel.encode()]


def connect(broker, version, cid=None, persistent=False, **kw):
    c = RawClient(broker.host, broker.port, version, **kw)
    props = {P_SESSION_EXPIRY: 3600} if (persistent and version == 5) else None
    ack = c.connect(cid or uniq("c"), clean=not persistent, properties=props)
    return c, ack


@pytest.mark.parametrize("version", VERSIONS)
def test_retained_survive_restart(broker, version):
    b = uniq("pr")
    p, _ = connect(broker, version)
    props = [(P_CONTENT_TYPE, "text/plain"), (P_USER_PROPERTY, ("k", "v"))] if version == 5 else None
    p.publish(b + "/a", "alpha", qos=1, retain=True, properties=props)
    p.publish(b + "/b", "beta-old", qos=0, retain=True)
    p.publish(b + "/b", "beta", qos=2, retain=True)
    p.publish(b + "/c", "gamma", qos=1, retain=True)
    p.publish(b + "/c", "", qos=1, retain=True)  # cleared before the restart
    p.disconnect()
    broker.restart()
    s, _ = connect(broker, version)
    s.subscribe([(b + "/#", 2), (b + "-sentinel", 0)])
    q, _ = connect(broker, version)
    q.publish(b + "-sentinel", "END")
    got = sorted(collect(s, "END"), key=lambda m: m.topic)
    assert [(m.topic, m.payload, m.retain, m.qos) for m in got] == [
        (b + "/a", b"alpha", True, 1), (b + "/b", b"beta", True, 2)]
    if version == 5:
        assert got[0].props.get(P_CONTENT_TYPE) == "text/plain"
        assert got[0].props.user == [("k", "v")]
    s.disconnect()
    q.disconnect()


@pytest.mark.parametrize("version", VERSIONS)
def test_session_survives_restart(broker, version):
    b, cid = uniq("ps"), uniq("cid")
    s, _ = connect(broker, version, cid, persistent=True, auto_ack=False)
    s.subscribe(b + "/#", qos=2)
    p, _ = connect(broker, version)
    p.publish(b + "/inflight", "unacked", qos=1)
    first = s.recv_publish()
    assert first.payload == b"unacked"
    s.close()  # never acknowledged
    for i in range(5):
        p.publish("%s/q" % b, "queued%d" % i, qos=1 + i % 2)
    p.disconnect()
    broker.restart()
    s, ack = connect(broker, version, cid, persistent=True)
    assert ack.session_present, "persistent session lost across restart"
    p, _ = connect(broker, version)
    p.publish(b + "/after", "END", qos=1)  # the subscription itself survived too
    got = collect(s, "END")
    payloads = [m.payload for m in got]
    assert payloads == [b"unacked"] + [b"queued%d" % i for i in range(5)], got
    assert got[0].dup and got[0].qos == 1
    assert [m.qos for m in got[1:]] == [1 + i % 2 for i in range(5)]
    s.disconnect()
    p.disconnect()


def test_clean_session_not_restored(broker):
    b, cid = uniq("cs"), uniq("cid")
    s, _ = connect(broker, 5, cid, persistent=False)
    s.subscribe(b + "/#", qos=1)
    s.disconnect()
    broker.restart()
    s, ack = connect(broker, 5, cid, persistent=True)
    assert not ack.session_present
    s.disconnect()
