#!/usr/bin/python3
"""PromQL/MetricsQL query timer and answer checker for victoria-metrics (stdlib only), used by
bench/http/run.sh beside loadclient.py.

  promclient.py queries --port P --spec vmqueries.json [--reps 20] --out res.json \
      [--against verbund=DIR] [--against influxdb=DIR]

Each spec entry: {"id", "influxql", "promql", "kind": "instant"|"range", "params": {...} (time, or
start/end/step, unix seconds as text), "group": [label, ...] (the InfluxQL GROUP BY tags),
"tkey": "ignore"|"raw"|"bucket", "shift_ns" (bucket: VM timestamp - shift = InfluxQL bucket
start), "post" (client-side count like loadclient's), "where" (client-side filter applied to VM
samples before the comparison), "note" (what the PromQL cannot say exactly), "alt_of" (an
alternative formulation of another id)}.

Timing as loadclient.py does for InfluxQL: one warm-up (its answer is the one checked), then REPS
round trips on one keep-alive connection, median of the wall time of request + full body.
Requests go to /api/v1/query or /api/v1/query_range with nocache=1, so victoria-metrics' rollup
result cache cannot turn repetitions into cache hits.

Check: both answers are reduced to {(group label values, time key): sorted non-null values}. An
InfluxQL series contributes its tags (restricted to the GROUP BY tags) and each row's time;
a victoria-metrics series its labels restricted to "group" and each sample's time (ms -> ns,
minus shift_ns for time buckets; "ignore" drops times, e.g. for last() whose InfluxQL time is the
point's and PromQL's is the evaluation time). Equal = same groups (series), same keys, same value
counts and every value within 1e-9 relative (float summation order differs).
"""
import argparse
import http.client
import json
import math
import os
import statistics
import sys
import time
import urllib.parse

REL = 1e-9


def run(conn, q):
    path = "/api/v1/%s?" % ("query_range" if q["kind"] == "range" else "query")
    args = {"query": q["promql"], "nocache": "1"}
    args.update(q["params"])
    conn.request("GET", path + urllib.parse.urlencode(args))
    r = conn.getresponse()
    return r.status, r.read()


def passes(x, f):
    if f is None:
        return True
    op, thr = f["op"], f["value"]
    return {"<=": x <= thr, "<": x < thr, ">=": x >= thr, ">": x > thr}[op]


def canon_vm(doc, q):
    """-> ({key: [values]}, groups, samples, checksum, filtered)."""
    out = {}
    groups = set()
    samples = 0
    checksum = 0.0
    filtered = 0 if q.get("post") else None
    res = doc["data"]["result"]
    for s in res:
        m = s.get("metric", {})
        g = tuple(m.get(k, "") for k in q["group"])
        pts = s.get("values") or ([s["value"]] if "value" in s else [])
        for ts, v in pts:
            x = float(v)
            if math.isnan(x) or not passes(x, q.get("where")):
                continue
            if q["tkey"] == "ignore":
                tk = None
            else:
                tk = int(round(float(ts) * 1000)) * 1000000 - q.get("shift_ns", 0)
            out.setdefault((g, tk), []).append(x)
            groups.add(g)
            samples += 1
            checksum += x
            if filtered is not None and passes(x, q["post"]):
                filtered += 1
    return out, groups, samples, checksum, filtered


def canon_influx(doc, q):
    out = {}
    groups = set()
    values = 0
    checksum = 0.0
    for r in doc.get("results", []):
        for s in r.get("series", []) or []:
            tags = s.get("tags") or {}
            g = tuple(tags.get(k, "") for k in q["group"])
            for row in s.get("values", []) or []:
                vals = [x for x in row[1:] if isinstance(x, (int, float)) and not isinstance(x, bool)]
                if not vals:
                    continue  # fill(null) row of an empty bucket
                tk = None if q["tkey"] == "ignore" else int(row[0])
                out.setdefault((g, tk), []).extend(float(x) for x in vals)
                groups.add(g)
                values += len(vals)
                checksum += sum(vals)
    return out, groups, values, checksum


def close(a, b):
    return abs(a - b) <= REL * max(1.0, abs(a), abs(b))


def compare(vm, ref):
    """-> (equal?, text). vm, ref: {key: [values]}."""
    only_vm = sorted(set(vm) - set(ref), key=repr)
    only_ref = sorted(set(ref) - set(vm), key=repr)
    diff = []
    maxd = 0.0
    for k in set(vm) & set(ref):
        a, b = sorted(vm[k]), sorted(ref[k])
        if len(a) != len(b) or not all(close(x, y) for x, y in zip(a, b)):
            diff.append(k)
            if len(a) == len(b):
                maxd = max([maxd] + [abs(x - y) for x, y in zip(a, b)])
        else:
            maxd = max([maxd] + [abs(x - y) for x, y in zip(a, b)])
    if not only_vm and not only_ref and not diff:
        return True, "equal (%d keys, max |diff| %.3g)" % (len(vm), maxd)
    parts = []
    if only_vm:
        parts.append("%d keys only in vm (e.g. %s: %s)" % (len(only_vm), only_vm[0], vm[only_vm[0]][:4]))
    if only_ref:
        parts.append("%d keys only in the reference (e.g. %s: %s)" % (len(only_ref), only_ref[0], ref[only_ref[0]][:4]))
    if diff:
        k = sorted(diff, key=repr)[0]
        parts.append("%d keys with different values (e.g. %s: vm %s ref %s)" % (len(diff), k, sorted(vm[k])[:4], sorted(ref[k])[:4]))
    return False, "; ".join(parts)


def cmd_queries(a):
    spec = json.load(open(a.spec))
    refs = []
    for s in a.against or []:
        name, d = s.split("=", 1)
        refs.append((name, d))
    conn = http.client.HTTPConnection(a.host, a.port, timeout=600)
    out = {}
    for q in spec:
        status, data = run(conn, q)  # warm-up + the answer checked
        err = None
        canon, groups, samples, checksum, filtered = {}, set(), 0, 0.0, None
        try:
            doc = json.loads(data)
            if status != 200 or doc.get("status") != "success":
                err = "HTTP %d %s" % (status, data[:300])
            else:
                canon, groups, samples, checksum, filtered = canon_vm(doc, q)
        except Exception as e:
            err = "bad answer: %r %r" % (e, data[:200])
        times = []
        for _ in range(a.reps):
            t0 = time.perf_counter()
            st, d = run(conn, q)
            times.append((time.perf_counter() - t0) * 1000.0)
            if st != 200:
                err = "HTTP %d %s" % (st, d[:200])
        checks = {}
        for name, d in refs:
            path = os.path.join(d, q.get("alt_of", q["id"]) + ".json")
            try:
                rdoc = json.load(open(path))
            except Exception as e:
                checks[name] = {"equal": False, "text": "no reference answer (%r)" % e}
                continue
            rc, rg, rv, rsum = canon_influx(rdoc, q)
            eq, text = compare(canon, rc)
            counts_eq = (len(groups), samples) == (len(rg), rv) and close(checksum, rsum)
            checks[name] = {"equal": eq and counts_eq, "text": text, "series": len(rg), "values": rv,
                            "checksum": rsum}
        out[q["id"]] = {"promql": q["promql"], "params": q["params"], "status": status, "series": len(groups),
                        "values": samples, "filtered": filtered, "checksum": checksum, "error": err,
                        "median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times),
                        "bytes": len(data), "checks": checks, "note": q.get("note", ""),
                        "alt_of": q.get("alt_of"), "influxql": q.get("influxql", "")}
        print("  %s %-6s median %9.2f ms (min %8.2f max %8.2f) series=%d values=%d%s%s"
              % (a.label, q["id"], statistics.median(times), min(times), max(times), len(groups), samples,
                 "" if filtered is None else " filtered=%d" % filtered, "" if not err else " ERROR=%s" % err))
        for name, c in checks.items():
            print("      vs %s: %s%s" % (name, "" if c["equal"] else "MISMATCH: ", c["text"]))
    conn.close()
    json.dump(out, open(a.out, "w"), indent=1)
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("queries")
    q.add_argument("--host", default="127.0.0.1")
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--label", default="victoria-metrics")
    q.add_argument("--out", required=True)
    q.add_argument("--spec", required=True)
    q.add_argument("--reps", type=int, default=20)
    q.add_argument("--against", action="append", help="NAME=DIR of InfluxQL answers (ID.json)")
    a = p.parse_args()
    return {"queries": cmd_queries}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
