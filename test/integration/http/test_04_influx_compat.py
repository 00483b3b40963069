"""InfluxDB compatibility: the same data written to Debian's influxd 1.6.7 and to Verbund, then a
corpus of InfluxQL queries covering doc/query.md run against both; answers (HTTP status and JSON)
are compared value by value, floats with a relative tolerance.

Known executor differences are listed in KNOWN_DIFFERENCES (reported as xfail with the reason);
a query listed there that starts to match shows up as XPASS. Every run writes a summary to
$VERBUND_COMPAT_REPORT (default: <tmp>/compat_report.json).

Skipped with a message only when influxd is not installed or cannot be started."""

import json
import math
import os
import re
import shutil
import subprocess
import time
import urllib.parse

import pytest

from conftest import HOST, TIMEOUT, VerbundHttp, free_port, port_open, request

INFLUXD_CANDIDATES = [os.environ.get("INFLUXD_BIN", ""), "/usr/sbin/influxd", "/usr/bin/influxd"]
DB = "compat"
T0 = 1700000000  # 2023-11-14T22:13:20Z
T0_ISO = "2023-11-14T22:13:20Z"


def dataset():
    """Deterministic line protocol (precision s). Every series has its own timestamps so raw rows
    of different series never tie (their order is unspecified in InfluxDB)."""
    lines = []
    regions = {"h0": "eu", "h1": "eu", "h2": "us"}
    for h, (host, region) in enumerate(regions.items()):
        for i in range(60):
            t = T0 + i * 10 + h
            uu = round(10 + 5 * math.sin(i / 5.0) + h, 3)
            us = round(2 + (i % 7) * 0.25 + h * 0.5, 2)
            lines.append("cpu,host=%s,region=%s usage_user=%s,usage_system=%s,cores=%di %d"
                         % (host, region, repr(uu), repr(us), 2 + (i + h) % 5, t))
            if i % 12 < 6:  # gaps for fill()
                lines.append("mem,host=%s used=%di,free=%di,active=%s %d"
                             % (host, 1000 + i * 10 + h, 5000 - i * 7, "true" if i % 3 else "false",
                                t + 3))
    msgs = ["disk full", "cpu hot", "disk slow", "net down", "ok"]
    for i in range(20):
        level = "warn" if i % 3 == 0 else "info"
        lines.append('events,level=%s msg="%s",code=%di %d'
                     % (level, msgs[i % len(msgs)], 100 + i, T0 + i * 30 + 5))
    for s, site in enumerate(["a", "b"]):
        for line in ["1", "2"]:
            for i in range(30):
                v = round(-5 + i * 0.5 + s * 3 + int(line), 1)
                lines.append("temp,site=%s,line=%s celsius=%s %d"
                             % (site, line, repr(v), T0 + i * 20 + s * 2 + int(line)))
    return "\n".join(lines) + "\n"


R = "time >= '2023-11-14T22:13:20Z' AND time < '2023-11-14T22:23:20Z'"  # the whole data range

# (query, extra params). Each covers a feature of doc/query.md.
CORPUS = [
    # SHOW statements
    ("SHOW DATABASES", {}),
    ("SHOW MEASUREMENTS", {}),
    ("SHOW MEASUREMENTS WITH MEASUREMENT =~ /c.*/", {}),
    ("SHOW MEASUREMENTS WHERE host = 'h2'", {}),
    ("SHOW TAG KEYS", {}),
    ("SHOW TAG KEYS FROM cpu", {}),
    ("SHOW TAG VALUES WITH KEY = host", {}),
    ("SHOW TAG VALUES FROM cpu WITH KEY IN (host, region)", {}),
    ("SHOW TAG VALUES WITH KEY =~ /reg.*/", {}),
    ("SHOW TAG VALUES FROM cpu WITH KEY = host WHERE region = 'eu'", {}),
    ("SHOW FIELD KEYS", {}),
    ("SHOW FIELD KEYS FROM mem", {}),
    ("SHOW SERIES", {}),
    ("SHOW SERIES FROM cpu WHERE region = 'eu'", {}),
    ("SHOW RETENTION POLICIES", {}),
    # raw selects
    ("SELECT * FROM cpu WHERE host = 'h0' LIMIT 5", {}),
    ("SELECT usage_user FROM cpu WHERE host = 'h1' AND time >= '2023-11-14T22:14:00Z' AND "
     "time < '2023-11-14T22:15:00Z'", {}),
    ("SELECT usage_user, cores FROM cpu WHERE region = 'us' ORDER BY time DESC LIMIT 3", {}),
    ("SELECT * FROM mem WHERE active = true AND host = 'h0'", {}),
    ("SELECT msg, code FROM events WHERE level = 'warn'", {}),
    ("SELECT * FROM events WHERE msg =~ /disk/", {}),
    ("SELECT * FROM events WHERE msg !~ /disk/ AND code > 110", {}),
    ("SELECT usage_user FROM cpu WHERE host = 'h0' LIMIT 3 OFFSET 5", {}),
    ("SELECT * FROM cpu WHERE usage_user > 12 AND host = 'h0'", {}),
    ("SELECT usage_user FROM cpu WHERE (host = 'h0' OR host = 'h1') AND usage_user < 6.5", {}),
    ("SELECT usage_user FROM cpu WHERE host =~ /h[01]/ AND usage_user < 11", {}),
    ("SELECT usage_user FROM cpu WHERE host != 'h0' AND region = 'eu' LIMIT 2", {}),
    ("SELECT * FROM cpu GROUP BY * LIMIT 2", {}),
    ("SELECT usage_user FROM cpu GROUP BY host SLIMIT 2 LIMIT 2", {}),
    ("SELECT usage_user FROM cpu GROUP BY host SLIMIT 1 SOFFSET 1 LIMIT 2", {}),
    ("SELECT * FROM /c.u/ LIMIT 2", {}),
    ("SELECT used FROM cpu, mem WHERE host = 'h0' LIMIT 2", {}),
    ('SELECT "usage_user"::field, "host"::tag FROM cpu LIMIT 2', {}),
    ("SELECT usage_user FROM cpu WHERE host = 'h0' AND time > 1700000100s AND "
     "time < 1700000200000ms", {}),
    ("SELECT celsius FROM temp WHERE site = 'a' AND line = '1' AND "
     "time >= '2023-11-14 22:15:00' LIMIT 4", {}),
    ("SELECT usage_user FROM cpu WHERE host = 'h2' LIMIT 3", {"epoch": "ms"}),
    ("SELECT usage_user FROM cpu WHERE host = 'h2' LIMIT 3", {"epoch": "s"}),
    # arithmetic
    ("SELECT usage_user * 2 + 1 FROM cpu WHERE host = 'h0' LIMIT 3", {}),
    ("SELECT usage_user + usage_system AS total FROM cpu WHERE host = 'h0' LIMIT 3", {}),
    ("SELECT used / 2 FROM mem WHERE host = 'h1' LIMIT 3", {}),
    ("SELECT cores % 3, cores & 1 FROM cpu WHERE host = 'h0' LIMIT 3", {}),
    ("SELECT usage_user - usage_user, usage_user FROM cpu WHERE host = 'h0' LIMIT 2", {}),
    # aggregates
    ("SELECT count(usage_user) FROM cpu", {}),
    ("SELECT count(usage_user) FROM cpu GROUP BY host", {}),
    ("SELECT sum(cores), mean(usage_user) FROM cpu GROUP BY region", {}),
    ("SELECT min(usage_user), max(usage_user) FROM cpu WHERE host = 'h0'", {}),
    ("SELECT max(usage_user) FROM cpu WHERE host = 'h2'", {}),
    ("SELECT min(cores) FROM cpu", {}),
    ("SELECT first(usage_user), last(usage_user) FROM cpu GROUP BY host", {}),
    ("SELECT spread(usage_user), stddev(usage_user) FROM cpu GROUP BY host", {}),
    ("SELECT median(usage_user) FROM cpu GROUP BY host", {}),
    ("SELECT percentile(usage_user, 90) FROM cpu GROUP BY host", {}),
    ("SELECT count(*) FROM mem", {}),
    ("SELECT mean(/usage/) FROM cpu", {}),
    ("SELECT mean(usage_user) * 100 FROM cpu GROUP BY host", {}),
    ("SELECT max(usage_user) - min(usage_user) AS range FROM cpu", {}),
    ("SELECT first(msg), last(code) FROM events", {}),
    ("SELECT count(msg) FROM events GROUP BY level", {}),
    ("SELECT mean(usage_user) FROM cpu WHERE time > 1700000000s AND time < 1700000300s", {}),
    ("SELECT sum(used) FROM mem WHERE usage_user > 1 OR used > 1500", {}),
    ("SELECT count(code) FROM events WHERE code >= 105 AND " + R, {}),
    # GROUP BY time and fill
    ("SELECT mean(usage_user) FROM cpu WHERE " + R + " GROUP BY time(1m)", {}),
    ("SELECT mean(usage_user) FROM cpu WHERE " + R + " GROUP BY time(1m), host fill(none)", {}),
    ("SELECT max(cores) FROM cpu WHERE " + R + " GROUP BY time(2m) fill(0)", {}),
    ("SELECT mean(used) FROM mem WHERE " + R + " GROUP BY time(1m)", {}),
    ("SELECT mean(used) FROM mem WHERE " + R + " GROUP BY time(1m) fill(previous)", {}),
    ("SELECT mean(used) FROM mem WHERE " + R + " GROUP BY time(1m) fill(linear)", {}),
    ("SELECT mean(used) FROM mem WHERE " + R + " GROUP BY time(1m) fill(none)", {}),
    ("SELECT mean(used) FROM mem WHERE " + R + " GROUP BY time(1m) fill(100)", {}),
    ("SELECT count(used) FROM mem WHERE " + R + " GROUP BY time(1m)", {}),
    ("SELECT sum(used) FROM mem WHERE " + R + " GROUP BY time(1m), host fill(linear)", {}),
    ("SELECT mean(usage_user) FROM cpu WHERE " + R + " GROUP BY time(1m, 30s)", {}),
    ("SELECT mean(usage_user) FROM cpu WHERE " + R + " GROUP BY time(1m) ORDER BY time DESC "
     "LIMIT 3", {}),
    ("SELECT mean(usage_user) FROM cpu WHERE " + R + " GROUP BY time(1m) LIMIT 3 OFFSET 2", {}),
    ("SELECT mean(celsius) FROM temp WHERE " + R + " GROUP BY time(5m), site", {}),
    ("SELECT first(celsius), last(celsius) FROM temp WHERE " + R + " GROUP BY time(3m), *", {}),
    ("SELECT count(usage_user) FROM cpu WHERE " + R + " GROUP BY time(1m)", {"epoch": "s"}),
    # several statements, empty answers, errors
    ("SELECT count(cores) FROM cpu; SELECT count(used) FROM mem", {}),
    ("SELECT mean(value) FROM nonexistent", {}),
    ("SELECT nosuchfield FROM cpu", {}),
    ("SELECT * FROM cpu WHERE host = 'nobody'", {}),
    ("SELECT mean(usage_user), usage_user FROM cpu", {}),
    ("SELECT * FROM cpu GROUP BY time(1m)", {}),
    ("SELECT nofunc(usage_user) FROM cpu", {}),
    ("SELECT FROM cpu", {}),
    ("SELECT usage_user FROM", {}),
    ("SELECT mean(usage_user) FROM cpu WHERE " + R + " GROUP BY time(1m), time(2m)", {}),
    # more sources, identifiers, operators and time forms
    ("SELECT usage_user FROM autogen.cpu WHERE host = 'h0' LIMIT 2", {}),
    ("SELECT usage_user FROM compat.autogen.cpu WHERE host = 'h0' LIMIT 2", {}),
    ("SELECT usage_user FROM compat..cpu WHERE host = 'h0' LIMIT 2", {}),
    ('SELECT "usage_user" FROM "cpu" WHERE "host" = \'h1\' LIMIT 2', {}),
    ("SELECT usage_user FROM cpu WHERE host <> 'h0' AND host !~ /h2/ LIMIT 2", {}),
    ("SELECT usage_user FROM cpu WHERE host = 'h0' AND time > now() - 36500d LIMIT 2", {}),
    ("SELECT usage_user FROM cpu WHERE time = '2023-11-14T22:13:20Z'", {}),
    ("SELECT usage_user FROM cpu WHERE host = 'h0' AND (time < '2023-11-14T22:13:40Z' OR "
     "time > '2023-11-14T22:23:00Z')", {}),
    ("SELECT usage_user FROM cpu WHERE host = 'h0' ORDER BY time DESC LIMIT 2", {}),
    ("SELECT *::field FROM mem WHERE host = 'h2' LIMIT 2", {}),
    ("SELECT *::tag, used FROM mem LIMIT 2", {}),
    ("SELECT usage_user FROM cpu WHERE host = 'h0' LIMIT 2 -- a comment", {}),
    ("SELECT /* inline */ usage_user FROM cpu WHERE host = 'h0' LIMIT 2", {}),
    ("SELECT cores / 2 FROM cpu WHERE host = 'h0' LIMIT 2", {}),
    ("SELECT usage_user FROM cpu WHERE host = 'h2' LIMIT 2", {"epoch": "u"}),
    ("SELECT usage_user FROM cpu WHERE host = 'h2' LIMIT 2", {"epoch": "h"}),
    # more aggregates and selectors
    ("SELECT stddev(usage_user) FROM cpu WHERE host = 'h0' AND time = '2023-11-14T22:13:20Z'", {}),
    ("SELECT max(cores), spread(cores), sum(cores) FROM cpu GROUP BY host", {}),
    ("SELECT first(active), last(active), count(active) FROM mem", {}),
    ("SELECT last(msg) FROM events WHERE " + R + " GROUP BY time(5m)", {}),
    ("SELECT max(usage_user) FROM cpu WHERE " + R + " GROUP BY time(5m), host", {}),
    ("SELECT mean(usage_user) FROM cpu WHERE " + R + " GROUP BY time(2m, -30s)", {}),
    ("SELECT mean(cores) FROM cpu WHERE " + R + " GROUP BY time(2m) fill(linear)", {}),
    ("SELECT sum(used) FROM mem WHERE " + R + " GROUP BY time(1m) fill(linear)", {}),
    ("SELECT count(usage_user) FROM cpu WHERE " + R + " GROUP BY time(5m), host SLIMIT 2", {}),
    ("SELECT percentile(cores, 50), median(cores) FROM cpu", {}),
    ("SELECT mean(usage_user) FROM cpu WHERE usage_user > 10 GROUP BY host", {}),
    ("SELECT count(usage_user) FROM cpu WHERE host = 'h0' OR usage_user > 14", {}),
    # SHOW variants
    ("SHOW TAG VALUES WITH KEY != host", {}),
    ("SHOW TAG KEYS FROM cpu LIMIT 1", {}),
    ("SHOW SERIES LIMIT 3 OFFSET 1", {}),
    ("SHOW MEASUREMENTS LIMIT 2", {}),
    ("SHOW FIELD KEYS FROM /e.*/", {}),
    ("SHOW TAG VALUES ON compat FROM temp WITH KEY = site", {}),
    # CREATE DATABASE over GET (idempotent): InfluxDB's deprecation message
    ("CREATE DATABASE compat", {}),
    # integral() and distinct(): edges, integers, descending, fill beside other aggregates
    ("SELECT integral(used), mean(used) FROM mem WHERE host = 'h0' AND time >= 1700000000s AND "
     "time < 1700000180s GROUP BY time(30s) fill(previous)", {"epoch": "s"}),
    ("SELECT integral(used), mean(used) FROM mem WHERE host = 'h0' AND time >= 1700000000s AND "
     "time < 1700000180s GROUP BY time(30s) ORDER BY time DESC", {"epoch": "s"}),
    ("SELECT integral(celsius, 1m) FROM temp WHERE site = 'a' AND line = '1' AND "
     "time >= 1700000000s AND time <= 1700000065s GROUP BY time(10s) ORDER BY time DESC", {}),
    ("SELECT integral(celsius) FROM temp WHERE site = 'a' AND line = '1' AND "
     "time >= 1700000001s AND time <= 1700000001s GROUP BY time(1s)", {}),
    ("SELECT integral(active) FROM mem", {}),
    ("SELECT distinct(cores) FROM cpu WHERE host = 'h0' AND time >= 1700000000s AND "
     "time < 1700000180s GROUP BY time(30s) ORDER BY time DESC", {"epoch": "s"}),
    ("SELECT distinct(msg) FROM events", {}),
    ("SELECT count(distinct(used)) FROM mem WHERE host = 'h0' AND time >= 1700000000s AND "
     "time < 1700000180s GROUP BY time(30s) fill(previous)", {"epoch": "s"}),
    ("SELECT distinct(cores), mean(cores) FROM cpu", {}),
    # statement errors
    ("SELECT nosuch(usage_user) FROM cpu; SELECT count(cores) FROM cpu", {}),
    ("SELECT percentile(usage_user) FROM cpu", {}),
    ("SELECT usage_user FROM cpu WHERE host = 'h0' LIMIT 2", {"db": "nodb"}),
    # chunked answers (one document per line)
    ("SELECT usage_user FROM cpu WHERE host = 'h0' LIMIT 7", {"chunked": "true", "chunk_size": "3"}),
    ("SELECT count(usage_user) FROM cpu GROUP BY host", {"chunked": "true"}),
    ("SELECT mean(used) FROM mem WHERE " + R + " GROUP BY time(1m) fill(none)",
     {"chunked": "true", "chunk_size": "4"}),
    ("SHOW MEASUREMENTS; SELECT count(cores) FROM cpu", {"chunked": "true"}),
]



def generated_corpus(n=240, seed=20261206):
    """Queries generated from a grammar of the features doc/query.md lists (aggregates and
    selectors, transformations over GROUP BY time with offsets and fill modes, tag and field
    conditions with regexes, time ranges on and off bucket edges, ordering, limits, series
    limits, subqueries). Deterministic: the same seed gives the same queries on every run."""
    import random
    rnd = random.Random(seed)
    fields = {"cpu": ["usage_user", "usage_system", "cores"], "mem": ["used", "free"],
              "temp": ["celsius"]}
    tags = {"cpu": ["host", "region"], "mem": ["host"], "temp": ["site", "line"]}
    tag_conds = {"cpu": ["host = 'h0'", "host =~ /h[12]/", "region = 'eu'", "host !~ /h0/",
                         "region != 'us'"],
                 "mem": ["host = 'h1'", "host =~ /^h[02]$/"],
                 "temp": ["site = 'a'", "line =~ /2/", "site = 'b' AND line = '1'"]}
    field_conds = {"cpu": ["usage_user > 11", "cores >= 4", "usage_system < 3"],
                   "mem": ["used > 1200", "free < 4800"], "temp": ["celsius > 0"]}
    ranges = [R,
              "time >= '2023-11-14T22:15:00Z' AND time < '2023-11-14T22:20:00Z'",  # on edges
              "time > '2023-11-14T22:14:10Z' AND time <= '2023-11-14T22:19:50Z'",  # off edges
              "time >= '2023-11-14T22:14:00Z' AND time < '2023-11-14T22:14:00.001Z'"]
    aggs = ["mean", "median", "spread", "stddev", "first", "last", "min", "max", "count",
            "sum", "distinct", "integral"]
    intervals = ["1m", "90s", "2m", "5m", "2m, 30s", "2m, -30s", "7m", "1m, 15s"]
    fills = ["", " fill(none)", " fill(null)", " fill(0)", " fill(previous)", " fill(linear)",
             " fill(-1)"]
    out = []
    while len(out) < n:
        m = rnd.choice(sorted(fields))
        f = rnd.choice(fields[m])
        where = [rnd.choice(ranges)]
        if rnd.random() < 0.5:
            where.append(rnd.choice(tag_conds[m]))
        if rnd.random() < 0.2:
            where.append(rnd.choice(field_conds[m]))
        w = " WHERE " + " AND ".join(where)
        kind = rnd.random()
        group = []
        if kind < 0.45:  # aggregate over GROUP BY time
            a = rnd.choice(aggs + ["percentile"])
            sel = "%s(%s%s)" % (a, f, ", %d" % rnd.choice([5, 50, 90, 100]) if a == "percentile"
                                else "")
            group.append("time(%s)" % rnd.choice(intervals))
        elif kind < 0.65:  # transformation of an aggregate, or of raw values
            t = rnd.choice(["derivative", "difference", "moving_average", "non_negative_derivative",
                            "cumulative_sum"])
            inner = "%s(%s)" % (rnd.choice(["mean", "max", "sum", "last"]), f)
            extra = ", %d" % rnd.choice([2, 3]) if t == "moving_average" else (
                ", %s" % rnd.choice(["1m", "1s"]) if "derivative" in t and rnd.random() < 0.5 else "")
            if rnd.random() < 0.6:
                sel = "%s(%s%s)" % (t, inner, extra)
                group.append("time(%s)" % rnd.choice(intervals[:4]))
            else:
                sel = "%s(%s%s)" % (t, f, extra)
        elif kind < 0.85:  # aggregate without time grouping, maybe by tag
            a = rnd.choice(aggs[:10])
            sel = "%s(%s)" % (a, f)
        else:  # raw selection
            sel = rnd.choice([f, "*", "%s, %s" % (f, tags[m][0])])
        r = rnd.random()
        if r < 0.3:
            group.append(rnd.choice(tags[m]))
        elif r < 0.4:
            group.append("*")
        q = "SELECT %s FROM %s%s" % (sel, m, w)
        if group:
            q += " GROUP BY " + ", ".join(group)
            if group[0].startswith("time(") and "(" in sel and not sel.startswith(
                    ("derivative", "difference", "moving", "non_neg", "cumulative")):
                q += rnd.choice(fills)
        if rnd.random() < 0.25:
            q += " ORDER BY time DESC"
        if rnd.random() < 0.3:
            q += " LIMIT %d" % rnd.choice([1, 2, 5])
            if rnd.random() < 0.4:
                q += " OFFSET %d" % rnd.choice([1, 3])
        if len(group) > (1 if group and group[0].startswith("time(") else 0) and rnd.random() < 0.3:
            q += " SLIMIT 1" + rnd.choice(["", " SOFFSET 1"])
        if rnd.random() < 0.07:  # a subquery around it
            q = "SELECT max(*) FROM (%s)" % q if "(" in sel else "SELECT count(*) FROM (%s)" % q
        params = rnd.choice([{}, {}, {}, {"epoch": "s"}, {"epoch": "ms"}])
        if (q, params) not in out and (q, params) not in CORPUS:
            out.append((q, params))
    return out


GENERATED = generated_corpus()

# Query -> the executor difference seen against influxd 1.6.7 (kept precise for the query
# engineer; see the report of this suite).
KNOWN_DIFFERENCES = {
    "SELECT mean(/usage/) FROM cpu":
        "parser: a /regex/ argument of an aggregate is rejected (\"found /, expected identifier, "
        "string, number, bool at line 1, char 13\", HTTP 400) although doc/query.md lists it; "
        "influxd answers one column per matching field (mean_usage_system, mean_usage_user)",
    "SELECT usage_user FROM cpu WHERE host = 'h0' AND (time < '2023-11-14T22:13:40Z' OR "
    "time > '2023-11-14T22:23:00Z')":
        "time conditions inside OR: Verbund evaluates them per point (3 rows); influxd 1.6.7 "
        "returns no series (documented in doc/query.md, 'Known differences'; influxd's behaviour "
        "is the odd one)",
    "SELECT /* inline */ usage_user FROM cpu WHERE host = 'h0' LIMIT 2":
        "a /* */ comment right after SELECT: influxd 1.6.7 scans it as a regex and answers 400 "
        "'error parsing regexp: missing argument to repetition operator'; Verbund accepts the "
        "comment (doc/query.md allows comments)",
    # Found by the generated corpus, not yet understood (not deliberate):
    "SELECT percentile(celsius, 5) FROM temp WHERE time > '2023-11-14T22:14:10Z' AND "
    "time <= '2023-11-14T22:19:50Z' GROUP BY time(5m) fill(none)":
        "influxd 1.6.7 answers no series although the 22:15-22:20 bucket holds 60 points (the "
        "5th percentile is the 3rd smallest, -0.5, which Verbund returns); the first bucket's "
        "percentile is null (2 points) and fill(none) drops it",
}


# Generated queries whose answer differs for a reason already known: (pattern, reason). These are
# not deliberate: they are the executor's open gaps (doc/query.md, "Not supported (yet)").
GENERATED_GAPS = [
    (r"FROM \(", "subqueries not supported yet (doc/query.md): Verbund answers HTTP 400"),
]


def find_influxd():
    for c in INFLUXD_CANDIDATES:
        if c and os.path.exists(c):
            return c
    return shutil.which("influxd")


class Influxd:
    def __init__(self, workdir):
        self.dir = str(workdir)
        self.port = free_port()
        self.proc = None

    def start(self, binary):
        os.makedirs(self.dir, exist_ok=True)
        config = os.path.join(self.dir, "influxdb.conf")
        d = lambda n: os.path.join(self.dir, n)  # noqa: E731
        with open(config, "w") as f:
            f.write('reporting-disabled = true\nbind-address = "%s:%d"\n\n'
                    '[meta]\n  dir = "%s"\n\n'
                    '[data]\n  dir = "%s"\n  wal-dir = "%s"\n  query-log-enabled = false\n\n'
                    '[retention]\n  enabled = false\n\n[shard-precreation]\n  enabled = false\n\n'
                    '[monitor]\n  store-enabled = false\n\n'
                    '[http]\n  enabled = true\n  bind-address = "%s:%d"\n  log-enabled = false\n\n'
                    '[continuous_queries]\n  enabled = false\n\n[subscriber]\n  enabled = false\n'
                    % (HOST, free_port(), d("meta"), d("data"), d("wal"), HOST, self.port))
        self.log = open(d("influxd.log"), "wb")
        self.proc = subprocess.Popen([binary, "run", "-config", config], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            if port_open(self.port):
                try:
                    if request(self.base, "GET", "/ping", timeout=2)[0] == 204:
                        return True
                except OSError:
                    pass
            time.sleep(0.1)
        return False

    @property
    def base(self):
        return "http://%s:%d" % (HOST, self.port)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def post_query(base, q, **params):
    p = {"q": q}
    p.update(params)
    return request(base, "POST", "/query", urllib.parse.urlencode(p).encode(),
                   {"Content-Type": "application/x-www-form-urlencoded"})


def load(base):
    st, _, body = post_query(base, "CREATE DATABASE " + DB)
    assert st == 200, body
    st, _, body = request(base, "POST", "/write?db=%s&precision=s" % DB, dataset().encode())
    assert st == 204, body


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    binary = find_influxd()
    if not binary:
        pytest.skip("influxd not installed (Debian package influxdb): compatibility not checked")
    influx = Influxd(tmp_path_factory.mktemp("influxd"))
    if not influx.start(binary):
        influx.stop()
        pytest.skip("influxd could not be started: " +
                    open(os.path.join(influx.dir, "influxd.log"), errors="replace").read()[-2000:])
    verbund = VerbundHttp(tmp_path_factory.mktemp("verbund")).start()
    try:
        load(influx.base)
        load(verbund.base)
        yield influx, verbund
    finally:
        verbund.stop()
        influx.stop()


def ask(base, q, params):
    p = {"db": DB}
    p.update(params)
    st, _, body = request(base, "GET", "/query?" + urllib.parse.urlencode(dict(p, q=q)))
    try:
        if params.get("chunked"):
            return st, [json.loads(line) for line in body.splitlines() if line.strip()]
        return st, json.loads(body)
    except ValueError:
        return st, body.decode(errors="replace")


def diff(a, b, path="$"):
    """First difference between influxd's answer `a` and Verbund's `b`, or None."""
    if isinstance(a, bool) or isinstance(b, bool):
        return None if a is b or a == b and type(a) is type(b) else "%s: %r != %r" % (path, a, b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, int) and isinstance(b, int):
            return None if a == b else "%s: %r != %r" % (path, a, b)
        if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9):
            return None
        return "%s: %r != %r" % (path, a, b)
    if type(a) is not type(b):
        return "%s: %r != %r" % (path, a, b)
    if isinstance(a, dict):
        if set(a) != set(b):
            return "%s: keys %s != %s" % (path, sorted(a), sorted(b))
        for k in a:
            d = diff(a[k], b[k], "%s.%s" % (path, k))
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return "%s: length %d != %d (%s vs %s)" % (path, len(a), len(b),
                                                       json.dumps(a)[:300], json.dumps(b)[:300])
        for i, (x, y) in enumerate(zip(a, b)):
            d = diff(x, y, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    return None if a == b else "%s: %r != %r" % (path, a, b)


REPORT = {}


def test_corpus_size():
    assert len(CORPUS) >= 50
    assert len({(q, json.dumps(p, sort_keys=True)) for q, p in CORPUS}) == len(CORPUS)


def merge_split_series(doc):
    """influxd 1.6.7's integral() keeps every group's last window open until the input ends and
    then flushes them in Go map order, so a group's series can come back in two pieces (the
    second one after the other groups) in an order that changes from run to run. Verbund emits
    each series in one piece; the pieces are joined here, in influxd's order of rows."""
    if not isinstance(doc, dict):
        return doc
    for result in doc.get("results", []):
        merged = []
        for series in result.get("series", []):
            key = (series.get("name"), json.dumps(series.get("tags"), sort_keys=True))
            first = next((m for m in merged if m[0] == key), None)
            if first:
                first[1]["values"].extend(series["values"])
            else:
                merged.append((key, series))
        if "series" in result:
            result["series"] = [m[1] for m in merged]
    return doc


@pytest.mark.parametrize("q,params", CORPUS + GENERATED,
                         ids=["q%02d" % i for i in range(len(CORPUS))] +
                             ["g%03d" % i for i in range(len(GENERATED))])
def test_query_matches_influxdb(pair, q, params):
    influx, verbund = pair
    st_i, doc_i = ask(influx.base, q, params)
    if re.search(r"\bintegral\(", q) and not params.get("chunked"):
        doc_i = merge_split_series(doc_i)
    st_v, doc_v = ask(verbund.base, q, params)
    d = None
    if st_i != st_v:
        d = "HTTP status %d != %d" % (st_i, st_v)
    else:
        d = diff(doc_i, doc_v)
    REPORT[q + (" " + json.dumps(params) if params else "")] = {
        "match": d is None, "difference": d,
        "influxdb": doc_i if d else None, "verbund": doc_v if d else None}
    if d and q in KNOWN_DIFFERENCES:
        pytest.xfail(KNOWN_DIFFERENCES[q] + " | " + d)
    gap = next((why for pattern, why in GENERATED_GAPS
                if (q, params) in GENERATED and re.search(pattern, q)), None)
    if d and gap:
        pytest.xfail(gap + " | " + d)
    assert d is None, "%s\ninfluxdb: %s\nverbund:  %s" % (d, json.dumps(doc_i)[:1500],
                                                          json.dumps(doc_v)[:1500])


def test_write_report(tmp_path_factory):
    """Runs last in this file: writes the per-query summary."""
    path = os.environ.get("VERBUND_COMPAT_REPORT") or str(
        tmp_path_factory.getbasetemp() / "compat_report.json")
    with open(path, "w") as f:
        json.dump(REPORT, f, indent=1)
    print("compatibility report: %s (%d queries, %d match)"
          % (path, len(REPORT), sum(1 for r in REPORT.values() if r["match"])))
