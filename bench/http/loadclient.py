#!/usr/bin/python3
"""Small InfluxDB-1.x HTTP load client (stdlib only), used for both servers by bench/http/run.sh.

  loadclient.py write   --port P --file data.lp [--batch 5000] [--workers 4] --out res.json
  loadclient.py write   --port P --file data.lp --clients clients.json --out res.json
  loadclient.py queries --port P --spec queries.json [--reps 20] [--token T] --out res.json
  loadclient.py report  --influx-write a.json --verbund-write b.json ... (see run.sh)
  loadclient.py auth-report --off-write a.json --on-write b.json ... (see run.sh --auth)

Writes: the file is split into BATCH-line batches in memory before the clock starts; WORKERS
threads each keep one keep-alive http.client connection and POST batches taken from a shared
queue. Every response must be 204. values = number of fields written (sum over lines).
With --clients (a JSON list, one {"db": ..., "token": ...} per worker, from
bench/http/auth_setup.py), worker w writes batches w, w + W, w + 2W, ... into its own database,
sending `Authorization: Token <token>` when it has one: the same batches go to the same
databases in every run, whatever the timing.
Queries: each query is run once as warm-up, then REPS times; reports the median wall time of the
whole HTTP round trip (request + full JSON body), plus series / row counts of the answer.
"""
import argparse
import http.client
import json
import os
import statistics
import sys
import threading
import time
import urllib.parse


def count_values(line):
    # measurement,tags fields timestamp -- generator output has no escaped spaces/commas.
    parts = line.split(b" ")
    return parts[1].count(b",") + 1 if len(parts) >= 2 else 0


def load_batches(path, batch):
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    batches = []
    total_values = 0
    for i in range(0, len(lines), batch):
        chunk = lines[i:i + batch]
        v = sum(count_values(l) for l in chunk)
        total_values += v
        batches.append((b"\n".join(chunk) + b"\n", len(chunk), v))
    return batches, len(lines), total_values


def write_path(db):
    return "/write?" + urllib.parse.urlencode({"db": db, "precision": "ns"})


def auth_headers(token):
    return {"Authorization": "Token " + token} if token else {}


def cmd_write(a):
    batches, nlines, nvalues = load_batches(a.file, a.batch)
    clients = json.load(open(a.clients)) if a.clients else None
    if clients:
        a.workers = len(clients)
    lock = threading.Lock()
    nxt = [0]
    errors = []
    statuses = {}

    def worker(w):
        client = clients[w] if clients else {"db": a.db, "token": None}
        path = write_path(client["db"])
        headers = {"Content-Type": "text/plain; charset=utf-8", **auth_headers(client["token"])}
        mine = iter(range(w, len(batches), a.workers)) if clients else None
        conn = http.client.HTTPConnection(a.host, a.port, timeout=600)
        while True:
            if mine is not None:
                i = next(mine, len(batches))
            else:
                with lock:
                    i = nxt[0]
                    nxt[0] += 1
            if i >= len(batches) or errors:
                break
            body = batches[i][0]
            try:
                conn.request("POST", path, body=body, headers=headers)
                r = conn.getresponse()
                data = r.read()
            except Exception as e:  # reconnect once, then give up
                conn.close()
                conn = http.client.HTTPConnection(a.host, a.port, timeout=600)
                try:
                    conn.request("POST", path, body=body, headers=auth_headers(client["token"]))
                    r = conn.getresponse()
                    data = r.read()
                except Exception as e2:
                    with lock:
                        errors.append("batch %d: %r / %r" % (i, e, e2))
                    break
            with lock:
                statuses[r.status] = statuses.get(r.status, 0) + 1
                if r.status != 204:
                    errors.append("batch %d: HTTP %d %s" % (i, r.status, data[:300]))
        conn.close()

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(a.workers)]
    c0 = time.process_time()
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.perf_counter() - t0
    client_cpu = time.process_time() - c0
    res = {"seconds": secs, "client_cpu_s": client_cpu, "lines": nlines, "values": nvalues, "batches": len(batches),
           "workers": a.workers, "batch": a.batch, "statuses": statuses, "errors": errors[:10],
           "values_per_second": nvalues / secs if secs > 0 else 0,
           "lines_per_second": nlines / secs if secs > 0 else 0}
    json.dump(res, open(a.out, "w"), indent=1)
    print("  %s: %d lines, %d values, %d batches x %d workers in %.2f s -> %.0f values/s (%.0f lines/s) "
          "client CPU %.2f s statuses=%s"
          % (a.label, nlines, nvalues, len(batches), a.workers, secs, res["values_per_second"],
             res["lines_per_second"], client_cpu, statuses))
    if errors:
        print("  %s: WRITE ERRORS: %s" % (a.label, errors[:3]), file=sys.stderr)
        return 1
    return 0


def run_query(conn, host, port, db, q, token=None):
    path = "/query?" + urllib.parse.urlencode({"db": db, "q": q, "epoch": "ns"})
    conn.request("GET", path, headers=auth_headers(token))
    r = conn.getresponse()
    data = r.read()
    return r.status, data


def summarize(data, post):
    """series count, row count, and the post-filter count (if any) of an InfluxDB JSON answer."""
    doc = json.loads(data)
    series = 0
    rows = 0
    filtered = None
    err = None
    checksum = 0.0
    for res in doc.get("results", []):
        if "error" in res:
            err = res["error"]
        for s in res.get("series", []) or []:
            series += 1
            rows += len(s.get("values", []) or [])
            for v in s.get("values", []) or []:
                checksum += sum(x for x in v[1:] if isinstance(x, (int, float)))
    if post:
        op, thr = post["op"], post["value"]
        filtered = 0
        for res in doc.get("results", []):
            for s in res.get("series", []) or []:
                for v in s.get("values", []) or []:
                    x = v[1]
                    if x is None:
                        continue
                    if (op == "<=" and x <= thr) or (op == "<" and x < thr):
                        filtered += 1
    if "error" in doc:
        err = doc["error"]
    return series, rows, filtered, err, checksum


def cmd_queries(a):
    spec = json.load(open(a.spec))
    conn = http.client.HTTPConnection(a.host, a.port, timeout=600)
    out = {}
    for q in spec:
        status, data = run_query(conn, a.host, a.port, a.db, q["q"], a.token)  # warm-up + check
        if a.answers:  # kept for promclient.py's comparison of victoria-metrics' answers
            with open(os.path.join(a.answers, q["id"] + ".json"), "wb") as f:
                f.write(data)
        try:
            series, rows, filtered, err, checksum = summarize(data, q.get("post"))
        except Exception as e:
            series, rows, filtered, err, checksum = 0, 0, None, "bad json: %r %r" % (e, data[:200]), 0.0
        times = []
        for _ in range(a.reps):
            t0 = time.perf_counter()
            st, d = run_query(conn, a.host, a.port, a.db, q["q"], a.token)
            times.append((time.perf_counter() - t0) * 1000.0)
            if st != 200:
                err = "HTTP %d %s" % (st, d[:200])
        out[q["id"]] = {"q": q["q"], "status": status, "series": series, "rows": rows,
                        "filtered": filtered, "checksum": checksum, "error": err, "median_ms": statistics.median(times),
                        "min_ms": min(times), "max_ms": max(times), "bytes": len(data)}
        print("  %s %-4s median %9.2f ms (min %8.2f max %8.2f) series=%d rows=%d%s%s"
              % (a.label, q["id"], statistics.median(times), min(times), max(times), series, rows,
                 "" if filtered is None else " filtered=%d" % filtered,
                 "" if not err else " ERROR=%s" % err))
    conn.close()
    json.dump(out, open(a.out, "w"), indent=1)
    return 0


def cmd_report(a):
    iw = json.load(open(a.influx_write))
    vw = json.load(open(a.verbund_write))
    iq = json.load(open(a.influx_queries))
    vq = json.load(open(a.verbund_queries))
    disk = json.load(open(a.disk))
    mw = json.load(open(a.vm_write)) if a.vm_write else None
    mq = json.load(open(a.vm_queries)) if a.vm_queries else {}
    rows = []

    def ratio(x, y):
        return "%.2fx" % (x / y) if y else "n/a"

    # rows: (metric, influx, verbund, ratio, goal, met, vm, verbund-vs-vm, vm goal, vm met)
    def row(*r):
        r = list(r) + [""] * (10 - len(r))
        if r[9] == "":
            r[9] = None
        rows.append(r)

    vvps = vw["values_per_second"]
    mvps = mw["values_per_second"] if mw else 0
    row("HTTP ingest values/s (higher better)", "%.0f" % iw["values_per_second"],
        "%.0f" % vvps, ratio(vvps, iw["values_per_second"]),
        ">= 3x", vvps >= 3 * iw["values_per_second"],
        "%.0f" % mvps if mw else "", ratio(vvps, mvps) if mw else "",
        ">= 1.5x" if mw else "", (vvps >= 1.5 * mvps) if mw else None)
    row("HTTP ingest wall s", "%.2f" % iw["seconds"], "%.2f" % vw["seconds"], "", "", None,
        "%.2f" % mw["seconds"] if mw else "")
    vals = iw["values"]
    if "influx_write_cpu" in disk:
        ic = disk["influx_write_cpu"] * 1e9 / vals
        vc = disk["verbund_write_cpu"] * 1e9 / vals
        mc = disk["vm_write_cpu"] * 1e9 / vals if "vm_write_cpu" in disk else None
        row("server CPU ns per value during ingest (user+sys)", "%.0f" % ic, "%.0f" % vc,
            "%.2fx less" % (ic / vc) if vc else "n/a", "", None,
            "" if mc is None else "%.0f" % mc, "" if mc is None else ("%.2fx less" % (mc / vc) if vc else "n/a"))
    if "verbund_cpu_settled" in disk:
        ic = disk["influx_cpu_settled"] * 1e9 / vals
        vc = disk["verbund_cpu_settled"] * 1e9 / vals
        mc = disk["vm_cpu_settled"] * 1e9 / vals if "vm_cpu_settled" in disk else None
        row("server CPU ns per value, write + settle (see below)", "%.0f" % ic, "%.0f" % vc,
            "%.2fx less" % (ic / vc) if vc else "n/a", "", None,
            "" if mc is None else "%.0f" % mc, "" if mc is None else ("%.2fx less" % (mc / vc) if vc else "n/a"))
    ib = disk["influx_total"] / vals
    vb = disk["verbund_storage"] / vals
    mb = disk["vm_total"] / vals if "vm_total" in disk else None
    row("disk bytes/value (influx data+wal, settled; verbund storage/ after SIGTERM)",
        "%.3f" % ib, "%.3f" % vb, "%.2fx smaller" % (ib / vb) if vb else "n/a", "", None,
        "" if mb is None else "%.3f" % mb, "" if mb is None else ("%.2fx smaller" % (mb / vb) if vb else "n/a"))
    if disk.get("influx_tsm"):
        row("disk bytes/value (influx TSM only after compaction)", "%.3f" % (disk["influx_tsm"] / vals),
            "%.3f" % vb, "%.2fx smaller" % ((disk["influx_tsm"] / vals) / vb) if vb else "n/a", "", None)
    if "vm_data" in disk:
        md = disk["vm_data"] / vals
        row("disk bytes/value (vm data/ parts only, without indexdb)", "", "%.3f" % vb, "", "", None,
            "%.3f" % md, "%.2fx smaller" % (md / vb) if vb else "n/a")
    if "vm_merged" in disk:
        mm = disk["vm_merged"] / vals
        row("disk bytes/value (vm after /internal/force_merge, settled)", "", "%.3f" % vb, "", "", None,
            "%.3f" % mm, "%.2fx smaller" % (mm / vb) if vb else "n/a")
    warnings = []
    for qid in sorted(iq):
        i, v = iq[qid], vq.get(qid)
        if v is None:
            continue
        m = mq.get(qid)
        row("query %s median ms" % qid, "%.2f" % i["median_ms"], "%.2f" % v["median_ms"],
            ratio(i["median_ms"], v["median_ms"]), ">= 5x",
            i["median_ms"] >= 5 * v["median_ms"],
            "" if m is None else "%.2f" % m["median_ms"], "" if m is None else ratio(m["median_ms"], v["median_ms"]))
        for aid in sorted(k for k, x in mq.items() if x.get("alt_of") == qid):
            x = mq[aid]
            row("query %s median ms (vm alternative %s)" % (qid, aid), "", "%.2f" % v["median_ms"], "", "", None,
                "%.2f" % x["median_ms"], ratio(x["median_ms"], v["median_ms"]))
        ci, cv = i.get("checksum", 0.0), v.get("checksum", 0.0)
        if abs(ci - cv) > 1e-6 * max(1.0, abs(ci)):
            warnings.append("WARNING query %s: same shape? but value sums differ: influx %.6f verbund %.6f"
                            % (qid, ci, cv))
        if (i["series"], i["rows"], i["filtered"]) != (v["series"], v["rows"], v["filtered"]) or i["error"] or v["error"]:
            warnings.append("WARNING query %s answers differ: influx series=%d rows=%d filtered=%s err=%s | "
                            "verbund series=%d rows=%d filtered=%s err=%s"
                            % (qid, i["series"], i["rows"], i["filtered"], i["error"],
                               v["series"], v["rows"], v["filtered"], v["error"]))
    vmcols = bool(mw or mq)
    w = max(len(r[0]) for r in rows)
    print()
    hdr = "%-*s | %14s | %14s | %14s | %6s | %s" % (w, "metric", "influxdb 1.6.7", "verbund", "ratio", "goal", "met")
    if vmcols:
        hdr += "   | %16s | %14s | %7s | %s" % ("victoria-metrics", "verbund vs vm", "vm goal", "met")
    print(hdr)
    print("-" * (w + 70 + (52 if vmcols else 0)))
    for r in rows:
        met = "" if r[5] is None else ("yes" if r[5] else "NO")
        line = "%-*s | %14s | %14s | %14s | %6s | %s" % (w, r[0], r[1], r[2], r[3], r[4], met)
        if vmcols:
            vmet = "" if r[9] is None else ("yes" if r[9] else "NO")
            line = "%-*s | %14s | %14s | %14s | %6s | %-3s | %16s | %14s | %7s | %s" % (
                w, r[0], r[1], r[2], r[3], r[4], met, r[6], r[7], r[8], vmet)
        print(line.rstrip())
    print()
    print("ratio: verbund/influx for throughput, influx/verbund for latency (speed-up) and disk.")
    if vmcols:
        print("verbund vs vm: verbund/vm for throughput, vm/verbund for CPU, latency (speed-up) and disk;"
              " vm disk = whole -storageDataPath after /internal/force_flush and settling; vm answers /write"
              " before its data is durable (buffered, flushed about every second).")
    if "verbund_cpu_settled" in disk:
        print("write + settle: influx until its files are stable (snapshot, compaction), verbund until it has"
              " exited after SIGTERM (shutdown flush)%s." % (
                  ", vm until /internal/force_flush and its merges have settled" if "vm_cpu_settled" in disk else ""))
    print("queries:")
    vm_notes = []
    for qid in sorted(iq):
        i, v = iq[qid], vq.get(qid, {})
        print("  %s: %s" % (qid, i["q"]))
        print("      sum of returned values: influx %.6f verbund %.6f%s" % (
            i.get("checksum", 0), v.get("checksum", 0),
            " victoria-metrics %.6f" % mq[qid]["checksum"] if qid in mq else ""))
        print("      influx: series=%d rows=%d%s   verbund: series=%s rows=%s%s"
              % (i["series"], i["rows"], "" if i["filtered"] is None else " filtered=%d" % i["filtered"],
                 v.get("series"), v.get("rows"),
                 "" if v.get("filtered") is None else " filtered=%d" % v["filtered"]))
        for mid in [qid] + sorted(k for k, x in mq.items() if x.get("alt_of") == qid):
            if mid not in mq:
                continue
            m = mq[mid]
            print("    %s%s: %s  %s" % ("vm" if mid == qid else "vm alternative ", "" if mid == qid else mid,
                                      m["promql"], " ".join("%s=%s" % kv for kv in sorted(m["params"].items()))))
            print("      victoria-metrics: series=%d values=%d%s%s" % (
                m["series"], m["values"], "" if m["filtered"] is None else " filtered=%d" % m["filtered"],
                " ERROR=%s" % m["error"] if m["error"] else ""))
            for name, c in sorted(m["checks"].items()):
                print("      vs %s: %s%s" % (name, "" if c["equal"] else "MISMATCH: ", c["text"]))
                if not c["equal"]:
                    vm_notes.append("NOTE query %s: victoria-metrics' answer differs from %s's: %s" % (mid, name, c["text"]))
            if m.get("note"):
                print("      note: %s" % m["note"])
            if m["filtered"] is not None and v.get("filtered") is not None and m["filtered"] != v["filtered"]:
                vm_notes.append("NOTE query %s: filtered count vm %d vs verbund %s" % (mid, m["filtered"], v.get("filtered")))
    for wl in warnings:
        print(wl)
    if not warnings:
        print("answers: same series/row counts and value sums (1e-6 rel.) on both for every query")
    for n in vm_notes:
        print(n)
    if mq and not vm_notes:
        print("victoria-metrics: every PromQL answer equals verbund's and influx's (same series, keys and values,"
              " 1e-9 rel.; see the notes for what holds only on this data)")
    return 0


def cmd_auth_report(a):
    """run.sh --auth: Verbund with auth off vs on, medians over the rounds in --dir."""
    def load(kind, side, r):
        try:
            return json.load(open(os.path.join(a.dir, "%s-%s-r%d.json" % (kind, side, r))))
        except (OSError, ValueError):
            return None

    def all_rounds(kind, side):
        return [x for x in (load(kind, side, r) for r in range(1, a.rounds + 1)) if x is not None]

    def med(values):
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None

    rows = []   # metric, off, on, ratio, goal, met
    w_off, w_on = all_rounds("write", "off"), all_rounds("write", "on")
    c_off, c_on = all_rounds("cpu", "off"), all_rounds("cpu", "on")
    off_v, on_v = med([w["values_per_second"] for w in w_off]), med([w["values_per_second"] for w in w_on])
    ratio = on_v / off_v if off_v and on_v else None
    rows.append(("HTTP ingest values/s", off_v, on_v, ratio, ">= 0.95", ratio is not None and ratio >= 0.95))
    def cpu_ns(cpus, writes):
        return med([c["write_cpu_s"] * 1e9 / w["values"] for c, w in zip(cpus, writes) if w["values"]])
    off_c, on_c = cpu_ns(c_off, w_off), cpu_ns(c_on, w_on)
    rows.append(("server CPU ns/value during the write", off_c, on_c,
                 on_c / off_c if off_c and on_c else None, "", None))
    q_off, q_on = all_rounds("queries", "off"), all_rounds("queries", "on")
    warnings = []
    for qid in sorted(q_off[0]) if q_off else []:
        off_ms = med([q[qid]["median_ms"] for q in q_off if qid in q])
        on_ms = med([q[qid]["median_ms"] for q in q_on if qid in q])
        speed = off_ms / on_ms if off_ms and on_ms else None   # throughput on / off
        rows.append(("query %s median ms" % qid, off_ms, on_ms, speed, ">= 0.95",
                     speed is not None and speed >= 0.95))
        for q in q_off + q_on:
            x, y = q_off[0][qid], q.get(qid, {})
            if (x["series"], x["rows"], x["error"]) != (y.get("series"), y.get("rows"), y.get("error")) or \
                    abs(x["checksum"] - y.get("checksum", 0)) > 1e-6 * max(1.0, abs(x["checksum"])):
                warnings.append("WARNING query %s: answers differ between runs: %s vs %s"
                                % (qid, {k: x[k] for k in ("series", "rows", "error")},
                                   {k: y.get(k) for k in ("series", "rows", "error")}))
                break
    for w in w_off + w_on:
        if w.get("errors"):
            warnings.append("WARNING write errors: %s" % w["errors"][:3])
    print()
    print("access control on HTTP: median of %d round(s); ratio = on/off for ingest values/s (> 1: "
          "on is faster) and server CPU (> 1: on costs more), off/on for query times (> 1: on is "
          "faster)" % a.rounds)
    wid = max(len(r[0]) for r in rows)
    print("%-*s | %14s | %14s | %7s | %7s | %s" % (wid, "metric", "verbund off", "verbund on", "ratio", "goal", "met"))
    print("-" * (wid + 62))
    fmt = lambda v: "-" if v is None else ("%.2f" % v if v < 100 else "%.0f" % v)
    for name, off, on, ratio, goal, met in rows:
        print("%-*s | %14s | %14s | %7s | %7s | %s" % (
            wid, name, fmt(off), fmt(on), "-" if ratio is None else "%.3f" % ratio, goal,
            "" if met is None else ("yes" if met else "NO")))
    if a.rounds > 1:
        print("per round, values/s: off %s; on %s" % (
            ", ".join("%.0f" % w["values_per_second"] for w in w_off),
            ", ".join("%.0f" % w["values_per_second"] for w in w_on)))
    for wl in warnings:
        print(wl)
    if not warnings:
        print("answers: the same series, rows and value sums in every run, auth off and on")
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write")
    q = sub.add_parser("queries")
    for s in (w, q):
        s.add_argument("--host", default="127.0.0.1")
        s.add_argument("--port", type=int, required=True)
        s.add_argument("--db", default="benchmark")
        s.add_argument("--label", default="")
        s.add_argument("--out", required=True)
    w.add_argument("--file", required=True)
    w.add_argument("--batch", type=int, default=5000)
    w.add_argument("--workers", type=int, default=4)
    w.add_argument("--clients", help="JSON list of {db, token}, one per worker (see the top)")
    q.add_argument("--spec", required=True)
    q.add_argument("--token", help="send Authorization: Token TOKEN")
    q.add_argument("--reps", type=int, default=20)
    q.add_argument("--answers", help="directory to save each query's first answer as ID.json")
    r = sub.add_parser("report")
    for n in ("--influx-write", "--verbund-write", "--influx-queries", "--verbund-queries", "--disk"):
        r.add_argument(n, required=True)
    r.add_argument("--vm-write", help="victoria-metrics write result (adds its columns)")
    r.add_argument("--vm-queries", help="victoria-metrics promclient.py result")
    ar = sub.add_parser("auth-report")
    ar.add_argument("--dir", required=True, help="with {write,cpu,queries}-{off,on}-rN.json")
    ar.add_argument("--rounds", type=int, default=1)
    a = p.parse_args()
    return {"write": cmd_write, "queries": cmd_queries, "report": cmd_report,
            "auth-report": cmd_auth_report}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
