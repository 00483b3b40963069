"""16 the web console in a browser: test/browser/console.e2e.mjs (Node's test runner driving
Debian's headless Chromium through playwright-core) against the hub of test_13's fixture, which
serves the built console at /console/: password and token logins, the live overview while
mosquitto_pub publishes, the explorer's plot against /query, publishing and watching topics, kicking
a client, issuing and revoking a token, tenant isolation from inside the page, a refused login in
the audit view, and the measurements (printed as `MEASURE {...}`, not asserted).

Skipped when /usr/bin/chromium (apt-get install chromium) or test/browser/node_modules (npm ci in
test/browser) is missing. Screenshots go to $VERBUND_ARTIFACTS/console-screenshots, else to the
test's tmp_path; where is printed."""
import json
import os
import re
import shutil
import subprocess
import urllib.request

import pytest

from helpers import BROKER
from test_13_tenants import hub  # noqa: F401  (the fixture: tenants acme and beta)

pytestmark = pytest.mark.skipif(BROKER != "verbund", reason="Verbund's web console")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BROWSER_DIR = os.path.join(ROOT, "test", "browser")
E2E = os.path.join("test", "browser", "console.e2e.mjs")
CHROMIUM = os.environ.get("VERBUND_CHROMIUM", "/usr/bin/chromium")
SOAK_MINUTES = float(os.environ.get("VERBUND_SOAK_MINUTES", "0.5"))


def node_or_skip():
    node = shutil.which("node")
    if not node:
        pytest.skip("the browser tests need Node.js 20 or newer (apt-get install nodejs npm)")
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    m = re.match(r"v(\d+)\.", version)
    if not m or int(m.group(1)) < 20:
        pytest.skip("the browser tests need Node.js 20 or newer (playwright-core), not %s" % version)
    return node


def test_console_in_chromium(hub, tmp_path, capsys):  # noqa: F811
    if not os.path.exists(CHROMIUM):
        pytest.skip("the console's browser tests: chromium is not installed (apt-get install chromium)")
    if not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "playwright-core")):
        pytest.skip("the console's browser tests: test/browser/node_modules/playwright-core is "
                    "missing (run npm ci in test/browser)")
    node = node_or_skip()
    b, _, operator_token, tokens = hub
    base = "http://%s:%d" % (b.host, b.http_port)

    # The hub serves the built console itself (found in the build tree).
    with urllib.request.urlopen(base + "/console/", timeout=30) as r:
        body = r.read().decode()
        assert r.status == 200, body
        assert r.headers["Content-Type"].startswith("text/html"), r.headers
        assert "Content-Security-Policy" in r.headers
    assert "<!doctype html>" in body.lower() and "/console/assets/" in body, body

    artifacts = os.environ.get("VERBUND_ARTIFACTS")
    shots = os.path.join(artifacts, "console-screenshots") if artifacts else str(tmp_path / "screenshots")
    os.makedirs(shots, exist_ok=True)
    with capsys.disabled():  # shown even when pytest captures the output
        print("\nconsole screenshots: %s" % shots)

    env = dict(os.environ,
               VERBUND_URL=base,
               VERBUND_MQTT_HOST=b.host,
               VERBUND_MQTT_PORT=str(b.port),
               VERBUND_ACME_PLC_PASSWORD="pw-acme",
               VERBUND_BETA_PLC_PASSWORD="pw-beta",
               VERBUND_ACME_ANN_PASSWORD="ann-acme",
               VERBUND_ACME_TOKEN=tokens["acme"],
               VERBUND_BETA_TOKEN=tokens["beta"],
               VERBUND_OPERATOR_TOKEN=operator_token,
               VERBUND_SCREENSHOTS=shots,
               VERBUND_SOAK_MINUTES=str(SOAK_MINUTES),
               VERBUND_CHROMIUM=CHROMIUM)
    try:
        # Below CTest's 600 s for this file (with the default soak), so a hang still reports.
        r = subprocess.run([node, "--test", "--test-reporter=spec", E2E], cwd=ROOT, env=env,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=420 + SOAK_MINUTES * 60)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        pytest.fail("the browser tests did not finish in %d s; output so far:\n%s" % (e.timeout, out))
    out = r.stdout + ("\n--- stderr ---\n" + r.stderr if r.stderr.strip() else "")
    print(out)
    for line in r.stdout.splitlines():
        if line.startswith("MEASURE "):
            json.loads(line[len("MEASURE "):])  # one JSON object
            with capsys.disabled():
                print(line)
    assert r.returncode == 0, "the browser tests failed (exit %d):\n%s" % (r.returncode, out)
    counts = dict(re.findall(r"^ℹ (pass|fail|skipped|cancelled) (\d+)$", r.stdout, re.M))
    assert counts.get("fail") == "0" and counts.get("cancelled") == "0", out
    assert counts.get("skipped") == "0", "no browser test may be skipped here:\n" + out
    assert int(counts.get("pass", "0")) >= 8, out
    assert any(line.startswith("MEASURE {") for line in r.stdout.splitlines()), out
