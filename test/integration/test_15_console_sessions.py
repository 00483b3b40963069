"""15 console sessions: the web console's login on a hub with `[http] auth = true`, driven
with curl and its cookie jar as a browser would: POST /api/v1/session with a password or a
token, then the InfluxDB and native APIs with the session cookie alone; every request that
changes something needs the session's X-CSRF-Token; a revoked credential or a logout ends the
session at once."""
import json
import os
import subprocess
import threading
import urllib.parse

import pytest

from helpers import BROKER, TIMEOUT, uniq, wait_for
from test_13_tenants import hub  # noqa: F401  (the fixture: tenants acme and beta)
from test_13_tenants import mosquitto_pub, mosquitto_sub

pytestmark = pytest.mark.skipif(BROKER != "verbund", reason="Verbund's console sessions")


class Browser:
    """curl with a cookie jar of its own; returns (status, headers, body)."""

    def __init__(self, hub, tmp_path):
        self.base = "http://%s:%d" % (hub.host, hub.http_port)
        self.jar = str(tmp_path / uniq("jar"))
        self.csrf = None

    def request(self, method, path, data=None, csrf=False, headers=()):
        hdr = str(self.jar) + ".hdr"
        cmd = ["curl", "-sS", "-X", method, "-b", self.jar, "-c", self.jar, "-D", hdr,
               "-o", "-", "-w", "\n%{http_code}", self.base + path]
        if csrf and self.csrf:
            cmd += ["-H", "X-CSRF-Token: " + self.csrf]
        for h in headers:
            cmd += ["-H", h]
        if data is not None:
            cmd += ["--data-binary", data]
        r = subprocess.run(cmd, capture_output=True, timeout=60)
        assert r.returncode == 0, r.stderr
        body, _, code = r.stdout.rpartition(b"\n")
        with open(hdr) as f:
            head = f.read().lower()
        os.unlink(hdr)
        return int(code), head, body.decode()

    def login(self, **creds):
        status, head, body = self.request("POST", "/api/v1/session", json.dumps(creds),
                                          headers=["Content-Type: application/json"])
        if status == 200:
            self.csrf = json.loads(body)["csrf_token"]
        return status, head, body


def test_login_cookie_csrf_and_logout(hub, tmp_path):
    b, op, _, _ = hub

    web = Browser(b, tmp_path)
    status, head, body = web.login(username="acme/ann", password="ann-acme")
    assert status == 200, body
    who = json.loads(body)
    assert who["tenant"] == "acme" and who["principal"] == "ann" and who["tenant_admin"]
    cookie = [line for line in head.splitlines() if line.startswith("set-cookie:")]
    assert len(cookie) == 1 and "verbund_session=" in cookie[0], head
    for attribute in ("httponly", "samesite=strict", "path=/", "max-age="):
        assert attribute in cookie[0], cookie
    assert "secure" not in cookie[0].replace("set-cookie", "")  # plain HTTP here

    # Reading with the cookie alone; a reloaded page recovers its CSRF token from GET.
    status, _, body = web.request("GET", "/api/v1/session")
    assert status == 200 and json.loads(body)["csrf_token"] == web.csrf, body
    status, _, body = web.request("GET", "/query?q=SHOW%20DATABASES")
    assert status == 200 and "beta" not in body, body

    # Changing something needs the CSRF token.
    create = "/query?q=CREATE%20DATABASE%20acme_web"
    status, _, body = web.request("POST", create)
    assert status == 403 and "CSRF" in body, body
    status, _, body = web.request("POST", create, headers=["X-CSRF-Token: " + "0" * 64])
    assert status == 403, body
    assert web.request("POST", create, csrf=True)[0] == 200
    line = "m,k=v f=4 1700000000000000000"
    assert web.request("POST", "/write?db=acme_web", line)[0] == 403
    status, _, body = web.request("POST", "/write?db=acme_web", line, csrf=True)
    assert status == 204, body
    status, _, body = web.request("GET", "/query?db=acme_web&q=SELECT%20f%20FROM%20m")
    assert status == 200 and ",4]" in body, body
    # The session is the tenant's: another tenant's database stays closed.
    status, _, body = web.request("POST", "/write?db=beta", line, csrf=True)
    assert status == 403, body

    # Logout needs the token too; afterwards the cookie is cleared and the session gone.
    assert web.request("DELETE", "/api/v1/session")[0] == 403
    stale = web.jar + ".copy"
    with open(web.jar) as src, open(stale, "w") as dst:
        dst.write(src.read())
    status, head, _ = web.request("DELETE", "/api/v1/session", csrf=True)
    assert status == 200 and "max-age=0" in head, head
    assert web.request("GET", "/api/v1/session")[0] == 401
    web.jar = stale  # a copied cookie of the ended session opens nothing
    assert web.request("GET", "/query?q=SHOW%20DATABASES")[0] == 401

    # Failed logins (last: the fixture backs off a minute after one failure).
    eve = Browser(b, tmp_path)
    assert eve.request("POST", "/api/v1/session", "not json")[0] == 400
    assert eve.login(username="acme/plc")[0] == 401  # no password: wrong, not anonymous
    assert eve.request("GET", "/api/v1/session")[0] == 401
    assert eve.login(username="acme/plc", password="pw-acme")[0] == 429  # backing off


def test_token_login_ends_when_the_token_is_revoked(hub, tmp_path):
    b, op, _, _ = hub
    issued = op.json("credential", "token-issue", "--tenant", "beta", "--rights", "query",
                     "--", "ann")
    web = Browser(b, tmp_path)
    status, _, body = web.login(token=issued["token"])
    assert status == 200 and json.loads(body)["tenant"] == "beta", body
    assert web.request("GET", "/query?q=SHOW%20DATABASES")[0] == 200
    op.run("credential", "token-revoke", "--tenant", "beta", issued["id"])
    status, _, body = web.request("GET", "/query?q=SHOW%20DATABASES")
    assert status == 401 and "log in again" in body, body


def live_events(hub, seconds, token=None, browser=None):
    """The `stats` events of /api/v1/console/stats read for `seconds` (curl -N)."""
    cmd = ["curl", "-sS", "-N", "--max-time", str(seconds),
           "http://%s:%d/api/v1/console/stats" % (hub.host, hub.http_port)]
    if token:
        cmd += ["-H", "Authorization: Token " + token]
    if browser:
        cmd += ["-b", browser.jar]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30)
    assert r.returncode in (0, 28), r.stderr  # 28: --max-time reached, as intended
    return [json.loads(line[len("data: "):]) for line in r.stdout.splitlines()
            if line.startswith("data: ")]


def test_live_figures_per_second_hub_wide_for_operators_and_per_tenant(hub, tmp_path):
    b, op, operator_token, tokens = hub
    web = Browser(b, tmp_path)
    assert web.login(username="acme/ann", password="ann-acme")[0] == 200
    assert web.request("POST", "/query?q=CREATE%20DATABASE%20acme_live", csrf=True)[0] == 200
    lines = "\n".join("m,k=s%d f=%d %d" % (i, i, 1700000000000000000 + i * 10**9)
                      for i in range(10))
    assert web.request("POST", "/write?db=acme_live", lines, csrf=True)[0] == 204

    hub_wide = live_events(b, 3.5, token=operator_token)
    assert len(hub_wide) >= 2, hub_wide
    assert all("connections" in e and "messages_in_per_s" in e and "tenant" not in e
               for e in hub_wide), hub_wide
    assert hub_wide[-1]["series"] >= 10
    assert hub_wide[1]["time_ms"] > hub_wide[0]["time_ms"]

    # A tenant sees its own figures: acme's MQTT client publishing all along, none of beta's.
    pub = subprocess.Popen(["mosquitto_pub", "-h", b.host, "-p", str(b.port), "-u", "acme/plc",
                            "-P", "pw-acme", "-q", "1", "-t", "factory/live", "-l", "-i",
                            uniq("live")], stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stop = threading.Event()

    def feed():
        while not stop.wait(0.05):
            pub.stdin.write("21.5\n")
            pub.stdin.flush()

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        wait_for(lambda: any(s["tenant"] == "acme" for s in op.json("session", "list")["sessions"]),
                 what="acme's publisher connected")
        mine = live_events(b, 3.5, browser=web)  # the console's own way in: the cookie
        theirs = live_events(b, 2.5, token=tokens["beta"])
    finally:
        stop.set()
        feeder.join()
        pub.stdin.close()
        pub.wait(timeout=30)
    assert len(mine) >= 2 and all(e["tenant"] == "acme" for e in mine), mine
    assert mine[-1]["series"] >= 10 and mine[-1]["stored_bytes"] > 0
    assert all(e["connections"] == 1 for e in mine), mine
    assert max(e["messages_in_per_s"] for e in mine) > 0, mine
    assert max(e["points_per_s"] for e in mine) > 0, mine  # its readings land in its database
    assert "bytes_per_value" in mine[-1] and "stored_values" in mine[-1]
    assert theirs and all(e["tenant"] == "beta" and e["series"] == 0 for e in theirs), theirs
    assert all(e["connections"] == 0 and e["messages_in_per_s"] == 0 and e["points_per_s"] == 0
               for e in theirs), theirs


def watch_topics(hub, browser, topic_filter):
    """A running `curl -N` on /api/v1/console/topics with the browser's cookie, once the watch
    is in place (its first line, the retry hint, has arrived)."""
    url = "http://%s:%d/api/v1/console/topics?filter=%s" % (
        hub.host, hub.http_port, urllib.parse.quote(topic_filter, safe=""))
    p = subprocess.Popen(["curl", "-sS", "-N", "--max-time", str(int(TIMEOUT) + 30), "-b",
                          browser.jar, url], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().startswith("retry:")
    return p


def next_message(watch):
    """The data of the next `message` event of a watch."""
    while True:
        line = watch.stdout.readline()
        assert line, "the watch ended"
        if line.startswith("data: ") and '"topic"' in line:
            return json.loads(line[len("data: "):])


def test_live_topics_and_publishing_stay_in_the_tenant(hub, tmp_path):
    b, _, _, _ = hub
    web = Browser(b, tmp_path)
    assert web.login(username="acme/ann", password="ann-acme")[0] == 200
    watch = watch_topics(b, web, "#")
    try:
        # beta's message first: if it crossed, it would be the first event seen.
        assert mosquitto_pub(b, "beta/plc", "pw-beta", "factory/secret", "beta").returncode == 0
        assert mosquitto_pub(b, "acme/plc", "pw-acme", "factory/line1/press",
                             '{"temperature": 70}').returncode == 0
        m = next_message(watch)
        assert m["topic"] == "factory/line1/press" and m["payload"] == '{"temperature": 70}', m

        # Publishing from the console reaches MQTT subscribers of the tenant (and the watch).
        sub = mosquitto_sub(b, "acme/plc", "pw-acme", "console/test", 1)
        wait_for(lambda: any(s["subscriptions"] >= 1 and s["tenant"] == "acme"
                             for s in json.loads(web.request("GET", "/api/v1/admin/sessions")[2])
                             ["sessions"]), TIMEOUT, what="the subscription")
        body = json.dumps({"topic": "console/test", "payload": "hello", "qos": 1})
        assert web.request("POST", "/api/v1/publish", body)[0] == 403  # no CSRF token
        status, _, answer = web.request("POST", "/api/v1/publish", body, csrf=True)
        assert status == 200 and json.loads(answer) == {"published": True}, answer
        out, _ = sub.communicate(timeout=TIMEOUT + 10)
        assert out.splitlines() == ["console/test hello"]
        assert next_message(watch)["topic"] == "console/test"

        for bad, code in ((json.dumps({"topic": "a/+", "payload": "x"}), 400),
                          ("not json", 400),
                          (json.dumps({"topic": "$SYS/x", "payload": "x"}), 403)):
            status, _, answer = web.request("POST", "/api/v1/publish", bad, csrf=True)
            assert status == code, (bad, answer)
        status, _, answer = web.request("GET", "/api/v1/console/topics?filter=a/%23/b")
        assert status == 400, answer
    finally:
        watch.kill()
        watch.wait()


def test_logins_and_logouts_are_audited(hub, tmp_path):
    b, op, operator_token, _ = hub
    web = Browser(b, tmp_path)
    assert web.login(username="beta/ann", password="ann-beta")[0] == 200
    assert web.request("DELETE", "/api/v1/session", csrf=True)[0] == 200
    assert Browser(b, tmp_path).login(username="beta/plc", password="wrong")[0] == 401
    r = subprocess.run(["curl", "-sS", "-H", "Authorization: Token " + operator_token,
                        "http://%s:%d/api/v1/audit/entries?start=0&count=10000"
                        % (b.host, b.http_port)], capture_output=True, text=True, timeout=60)
    sessions = [e for e in json.loads(r.stdout)["entries"] if e["kind"] == "session"]
    seen = [(e["principal"], e["outcome"], dict(e["details"])["action"]) for e in sessions]
    assert ("ann", "ok", "login") in seen and ("ann", "ok", "logout") in seen, seen
    assert ("beta/plc", "denied", "login") in seen, seen
