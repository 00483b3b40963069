#!/usr/bin/python3
"""Access-control set-up for `bench/http/run.sh --auth`: the load client's workers and their data.

  auth_setup.py verbund   --server URL --token OPERATOR_TOKEN --out clients.json [model options]
  auth_setup.py anonymous --server URL --out clients.json [model options]   # a hub with auth off
  auth_setup.py show      [model options]                                   # tenant 0's rules

Both write clients.json, one entry per load-client worker, {"db": ..., "token": ... or null}
(loadclient.py write --clients), after creating each worker's database with CREATE DATABASE
(as that worker, with its token, when auth is on).

The model (deterministic):
  * TENANTS tenants `tenant0` ...; worker w is principal `bench-w{w}` of tenant w % TENANTS and
    writes into database `tenant{T}_benchmark` (a tenant owns `<tenant>` and `<tenant>_*`) with
    an API token with the rights write and query (`Authorization: Token ...`); two more
    principals per tenant (`plc-a`, `plc-b`) never call.
  * RULES write/query rules per tenant (100 by default, 10,000 in total),
    `<database-glob>/<measurement-glob>`: per-site databases and measurement families with `*`
    globs, literal databases (indexed by name) and globs over any database (searched one by
    one), %u rules, per-principal rules and denies for both rights. The bench's measurements
    (`readings`, `diagnostics`) in `tenant{T}_benchmark` are allowed by three rules in the middle
    of the list; a few others match them without applying (another principal's deny, another
    right), so every check walks the tenant's rules for that database. No %c rule: HTTP callers
    have no client id, and a %c deny rule would fail closed (deny everything).

Python 3 standard library only (Debian's /usr/bin/python3).
"""
import argparse
import http.client
import importlib.util
import json
import os
import sys
import time
import urllib.parse

_mqtt = importlib.util.spec_from_file_location(
    "mqtt_auth_setup", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mqtt",
                                    "auth_setup.py"))
mqtt_auth_setup = importlib.util.module_from_spec(_mqtt)
_mqtt.loader.exec_module(mqtt_auth_setup)
VerbundAdmin = mqtt_auth_setup.VerbundAdmin
tenant_name = mqtt_auth_setup.tenant_name
rule = mqtt_auth_setup.rule

SITES = 5


def worker_tenant(a, w):
    return w % a.tenants


def worker_db(a, w):
    return "%s_benchmark" % tenant_name(worker_tenant(a, w))


def tenant_rules(t, count):
    """`count` write/query rules of tenant t, in a fixed order."""
    n = tenant_name(t)
    grants = [
        rule("allow", ["write"], "%s_bench*/readings" % n),
        rule("allow", ["write"], "%s_bench*/diagnostics" % n),
        rule("allow", ["query"], "%s_benchmark/*" % n),
    ]
    rules = [
        rule("allow", ["write", "query"], "%s_%%u/*" % n),     # every principal's own database
        rule("allow", ["query"], "%s_%%u_*/*" % n),
        rule("allow", ["query"], "%s/*" % n),                  # the tenant's main database
        rule("allow", ["write"], "%s/%%u_*" % n),
        rule("deny", ["write"], "%s_benchmark/secret_*" % n),
        rule("deny", ["query"], "%s_*/audit_*" % n),
        rule("deny", ["write"], "%s_archive*/*" % n),
        rule("deny", ["write", "query"], "*/internal_*"),
        rule("deny", ["write"], "%s_benchmark/readings" % n, "plc-a"),
        rule("deny", ["query"], "%s_*/*" % n, "plc-b"),
        rule("allow", ["write"], "%s_plc/*" % n, "plc-a"),
        rule("allow", ["write"], "%s_plc/*" % n, "plc-b"),
        rule("allow", ["query"], "*/public_*"),
        rule("deny", ["write"], "*_benchmark/tmp_*"),
    ]
    for s in range(SITES):
        rules.append(rule("allow", ["query"], "%s_site%d/*" % (n, s)))
        rules.append(rule("deny", ["write"], "%s_site%d/config_*" % (n, s)))
    kinds = [
        (["write"], "%s_site%d/line%d_*"),
        (["query"], "%s_site%d_line%d/*"),
        (["write", "query"], "%s_site%d_*/line%d_telemetry"),
        (["write"], "%s_site%d/m%d"),
        (["query"], "%s_site%d_line%d_*/alarm_*"),
    ]
    k = 0
    while len(rules) + len(grants) < count:
        s, l = k % SITES, k // SITES
        rights, fmt = kinds[k % len(kinds)]
        rules.append(rule("allow", rights, fmt % (n, s, l)))
        k += 1
    middle = count // 2
    return rules[:middle] + grants + rules[middle:]


def create_database(server, db, token):
    u = urllib.parse.urlsplit(server)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=60)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if token:
        headers["Authorization"] = "Token " + token
    conn.request("POST", "/query", body=urllib.parse.urlencode({"q": "CREATE DATABASE " + db}),
                 headers=headers)
    r = conn.getresponse()
    text = r.read()
    conn.close()
    if r.status != 200 or b"error" in text:
        raise SystemExit("CREATE DATABASE %s: %d %s" % (db, r.status, text[:300]))


def cmd_verbund(a):
    t0 = time.monotonic()
    admin = VerbundAdmin(a.server, a.token)
    for t in range(a.tenants):
        admin.create_tenant(tenant_name(t))
    nprincipals = 0
    for w in range(a.workers):
        admin.create_principal(tenant_name(worker_tenant(a, w)), "bench-w%d" % w, kind="service")
        nprincipals += 1
    for t in range(a.tenants):
        for x in ("plc-a", "plc-b"):
            admin.create_principal(tenant_name(t), x)
            nprincipals += 1
    total = 0
    for t in range(a.tenants):
        total += len(admin.add_rules(tenant_name(t), tenant_rules(t, a.rules)))
    clients = []
    for w in range(a.workers):
        token = admin.issue_token(tenant_name(worker_tenant(a, w)), "bench-w%d" % w,
                                  ["write", "query"])
        clients.append({"db": worker_db(a, w), "token": token})
    for db in sorted({c["db"] for c in clients}):
        create_database(a.server, db, next(c["token"] for c in clients if c["db"] == db))
    json.dump(clients, open(a.out, "w"), indent=1)
    print("verbund: %d tenants, %d principals, %d rules, %d tokens, %d databases in %.1f s"
          % (a.tenants, nprincipals, total, len(clients), len({c["db"] for c in clients}),
             time.monotonic() - t0))


def cmd_anonymous(a):
    clients = [{"db": worker_db(a, w), "token": None} for w in range(a.workers)]
    for db in sorted({c["db"] for c in clients}):
        create_database(a.server, db, None)
    json.dump(clients, open(a.out, "w"), indent=1)
    print("verbund (auth off): %d databases" % len({c["db"] for c in clients}))


def cmd_show(a):
    json.dump(tenant_rules(0, a.rules), sys.stdout, indent=1)
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("verbund", help="tenants, principals, rules, tokens and databases")
    v.add_argument("--token", required=True, help="an operator token (verbund --init-admin)")
    n = sub.add_parser("anonymous", help="only the databases, on a hub with auth off")
    s = sub.add_parser("show", help="print tenant 0's rules")
    for p in (v, n):
        p.add_argument("--server", required=True, help="http://127.0.0.1:PORT")
        p.add_argument("--out", required=True, help="clients.json for loadclient.py --clients")
    for p in (v, n, s):
        p.add_argument("--tenants", type=int, default=100)
        p.add_argument("--rules", type=int, default=100, help="rules per tenant")
        p.add_argument("--workers", type=int, default=4, help="load-client workers")
    a = ap.parse_args()
    if a.rules < 27:
        ap.error("--rules must be at least 27 (the fixed part of the model)")
    return {"verbund": cmd_verbund, "anonymous": cmd_anonymous, "show": cmd_show}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
