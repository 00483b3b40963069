"""10 end to end: an MQTT reading published with QoS 1 is durable when PUBACK arrives and is
answered over the InfluxDB-compatible /query, also after a restart."""
import json
import urllib.parse
import urllib.request

import pytest

from helpers import BROKER, RawClient, uniq

pytestmark = pytest.mark.skipif(BROKER != "verbund", reason="Verbund's storage and HTTP API")

INGEST = """[ingest]
tenant = "plant"
[[ingest.rule]]
filter = "factory/#"
template = "factory/{site}/{line}/{machine}"
time_field = "ts"
time_unit = "ms"
"""


def query(broker, q, db="plant"):
    url = "http://%s:%d/query?%s" % (broker.host, broker.http_port,
                                       urllib.parse.urlencode({"db": db, "q": q, "epoch": "ms"}))
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


@pytest.fixture
def hub(broker_factory):
    return broker_factory(ingest_toml=INGEST)


@pytest.mark.parametrize("version", [4, 5])
def test_qos1_publish_is_queryable_once_acknowledged(hub, version):
    with RawClient(hub.host, hub.port, version=version) as c:
        c.connect(uniq("plc"))
        for i in range(3):
            payload = json.dumps({"temperature": 70 + i, "ts": 1764090000000 + i * 1000})
            # publish() waits for PUBACK: from then on the reading must be in storage.
            c.publish("factory/munich/line1/press", payload.encode(), qos=1)
    got = query(hub, "SELECT temperature FROM factory WHERE machine = 'press'")
    series = got["results"][0]["series"][0]
    assert series["columns"] == ["time", "temperature"]
    assert series["values"] == [[1764090000000, 70], [1764090001000, 71], [1764090002000, 72]]
    got = query(hub, "SHOW TAG VALUES FROM factory WITH KEY = \"line\"")
    assert got["results"][0]["series"][0]["values"] == [["line", "line1"]]


def test_acknowledged_readings_survive_restart(hub):
    with RawClient(hub.host, hub.port, version=5) as c:
        c.connect(uniq("plc"))
        c.publish("factory/hamburg/l2/mill", b'{"rpm": 1200, "ts": 1764090000000}', qos=1)
    hub.restart()
    got = query(hub, "SELECT last(rpm) FROM factory GROUP BY site")
    series = got["results"][0]["series"]
    assert [s["tags"]["site"] for s in series] == ["hamburg"]
    assert series[0]["values"][0][1] == 1200
