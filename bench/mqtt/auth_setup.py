#!/usr/bin/python3
"""Access-control set-up for `bench/mqtt/run.sh --auth`: one rule model, written three ways.

  auth_setup.py verbund   --server URL --token OPERATOR_TOKEN [model options]
  auth_setup.py mosquitto --dir DIR [model options]   # DIR/acl, DIR/passwd, DIR/dynsec.json
  auth_setup.py show      [model options]             # the rules of tenant 0, as JSON

The model (deterministic, the same for every broker):
  * TENANTS tenants `tenant0` ... (Verbund tenants; for mosquitto, which has none, tenant T is the
    topic prefix `tenantT/` and the user name prefix `tenantT/`).
  * a principal for every bench client: publishers `bench-p{i}` (i < PAIRS) in tenant i % TENANTS,
    subscribers `bench-s{j}` (j < SUBSCRIBERS) in tenant (j % PAIRS) % TENANTS, with password
    PASSWORD and client ids `vb-p{i}` / `vb-s{j}` (verbund-bench's `--client-id 'vb-{r}{i}'`);
    plus two devices per tenant that never connect (`plc-a`, `plc-b`), so every tenant has users.
  * RULES rules per tenant (100 by default, 10,000 in total; 0 = tenants and principals without
    rules, Verbund only: what tenancy itself costs), topic filters relative to the
    tenant's namespace: allows on per-site/per-line filters with + and #, tenant-wide filters,
    %u and %c rules, per-principal rules and denies. The bench traffic, publisher k publishing
    `site0/line0/bench-p{k}/data` and its subscriber subscribing to that topic, is allowed by
    two of them in the middle of the list (`+/+/%u/data` for publish, `site0/+/+/data` for
    subscribe); a few others match
    those topics without applying (another principal's deny, another right), and the rest are
    on other sites, lines and kinds of topic, so every check searches the whole tenant policy
    (deny rules exist for both rights, so no match ends a search early).

Mapping to mosquitto 2.0 (same rules, same answers for the bench clients):
  * acl_file: one `user tenantT/NAME` block per principal holding every rule that applies to it
    (tenant-wide `*` rules, its own rules, %u/%c rules with its name and client id substituted),
    topics prefixed `tenantT/`. `pattern` lines would apply to every user of every tenant, and
    mosquitto's %u is the whole user name `tenantT/NAME`, so per-user lines are the only faithful
    form. Access: publish -> write, subscribe -> read (mosquitto checks read on every delivery and
    does not check SUBSCRIBE with an acl_file), both -> readwrite, a deny rule -> `deny` (which in
    mosquitto denies both directions). mosquitto checks deny lines first, then the first allow
    that matches grants: the same answers as Verbund's "a matching deny wins, else any allow".
  * password_file: every bench client, hashed with mosquitto_passwd -U.
  * dynamic-security JSON: role `tenantT` (the tenant-wide allows) on group `tenantT` holding the
    tenant's clients; role `tenantT-deny` (the tenant-wide denies) and role `tenantT/NAME` (its
    own rules and %u/%c rules substituted, denies at higher priority) on each client, the deny
    role first; dynsec checks client roles before group roles and the first matching ACL decides,
    so a deny wins as in Verbund. publish -> publishClientSend, subscribe -> subscribePattern +
    publishClientReceive; defaultACLAccess denies everything but unsubscribe (Verbund: once a
    tenant has rules, what no rule allows is denied). Passwords PBKDF2-SHA512, as dynsec stores.

Python 3 standard library only (Debian's /usr/bin/python3).
"""
import argparse
import base64
import hashlib
import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse

SITES = 5


# ---- the model

def tenant_name(t):
    return "tenant%d" % t


class Principal:
    def __init__(self, tenant, name, client_id, password):
        self.tenant = tenant          # index
        self.name = name
        self.client_id = client_id    # what it connects with (extras: their name)
        self.password = password      # None: never connects

    @property
    def username(self):
        return "%s/%s" % (tenant_name(self.tenant), self.name)


def principals(a):
    """Every principal of the model, bench clients first."""
    out = []
    for i in range(a.pairs):
        out.append(Principal(i % a.tenants, "bench-p%d" % i, "vb-p%d" % i, a.password))
    for j in range(a.subscribers):
        out.append(Principal((j % a.pairs) % a.tenants, "bench-s%d" % j, "vb-s%d" % j, a.password))
    for t in range(a.tenants):
        for x in ("plc-a", "plc-b"):
            out.append(Principal(t, x, x, None))
    return out


def rule(effect, rights, pattern, principal="*"):
    return {"effect": effect, "rights": rights, "principal": principal, "pattern": pattern}


def tenant_rules(t, count):
    """`count` topic rules of tenant t, relative to its namespace, in a fixed order (none for
    count 0: every principal may do everything inside its tenant's namespace)."""
    if count == 0:
        return []
    # The two that grant the bench traffic, placed in the middle of the list (the order matters
    # to mosquitto, which takes the first allow that matches; not to Verbund).
    grants = [
        rule("allow", ["publish"], "+/+/%u/data"),          # a device publishes its own data
        rule("allow", ["subscribe"], "site0/+/+/data"),     # applications read site 0's data
    ]
    rules = [
        # Placeholder rules that do not apply to the bench topics.
        rule("allow", ["publish", "subscribe"], "clients/%c/#"),
        rule("allow", ["subscribe"], "cmd/%u/+"),
        rule("allow", ["publish"], "+/+/%u/status"),
        rule("allow", ["publish"], "devices/%u/%c/#"),
        rule("allow", ["subscribe"], "devices/%u/#"),
        rule("deny", ["publish"], "+/+/%u/firmware"),
        rule("deny", ["subscribe"], "cmd/%c/secret/#"),
        # Per-principal rules: they match the bench topics, but name someone else.
        rule("deny", ["publish"], "site0/line0/+/data", "plc-a"),
        rule("deny", ["subscribe"], "#", "plc-a"),
        rule("deny", ["subscribe"], "#", "plc-b"),
        rule("allow", ["publish"], "site1/line%d/plc-a/#" % (t % 10), "plc-a"),
        rule("allow", ["publish"], "site1/line%d/plc-b/#" % (t % 10), "plc-b"),
        # Tenant-wide denies.
        rule("deny", ["publish", "subscribe"], "+/+/+/secret/#"),
        rule("deny", ["subscribe"], "site0/line9/#"),
    ]
    for s in range(SITES):
        rules.append(rule("allow", ["subscribe"], "site%d/+/+/alarm" % s))
        rules.append(rule("deny", ["publish"], "site%d/+/+/config" % s))
    # The rest: per-site, per-line allows of five shapes, line by line.
    kinds = [
        (["publish"], "site%d/line%d/+/status"),
        (["subscribe"], "site%d/line%d/#"),
        (["publish", "subscribe"], "site%d/line%d/+/telemetry/#"),
        (["subscribe"], "site%d/line%d/+/alarm"),
        (["publish"], "site%d/line%d/+/+/event"),
    ]
    n = 0
    while len(rules) + len(grants) < count:
        s, l = n % SITES, 1 + n // SITES   # line0 of each site is left to the rules above
        rights, fmt = kinds[n % len(kinds)]
        rules.append(rule("allow", rights, fmt % (s, l)))
        n += 1
    middle = count // 2
    return rules[:middle] + grants + rules[middle:]


def applies(r, p):
    return r["principal"] in ("*", p.name)


def substitute(pattern, p):
    return pattern.replace("%u", p.name).replace("%c", p.client_id)


# ---- Verbund, through the admin API

class VerbundAdmin:
    """A keep-alive connection to /api/v1/admin with an operator token."""

    def __init__(self, server, token):
        u = urllib.parse.urlsplit(server)
        self.host, self.port = u.hostname, u.port or 80
        self.token = token
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)

    def call(self, method, path, body=None, ok=(200, 201, 204)):
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": "Token " + self.token, "Content-Type": "application/json"}
        for attempt in (0, 1):
            try:
                self.conn.request(method, "/api/v1/admin" + path, body=data, headers=headers)
                r = self.conn.getresponse()
                text = r.read()
                break
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
                if attempt:
                    raise
        if r.status not in ok:
            raise SystemExit("admin API: %s %s -> %d %s" % (method, path, r.status, text[:300]))
        return json.loads(text) if text else None

    def create_tenant(self, name):
        self.call("POST", "/tenants", {"name": name})

    def create_principal(self, tenant, name, password=None, kind="device"):
        body = {"name": name, "kind": kind}
        if password is not None:
            body["password"] = password
        self.call("POST", "/tenants/%s/principals" % tenant, body)

    def add_rules(self, tenant, rules):
        return self.call("POST", "/tenants/%s/rules" % tenant, rules)["ids"]

    def issue_token(self, tenant, principal, rights):
        return self.call("POST", "/tenants/%s/principals/%s/tokens" % (tenant, principal),
                         {"rights": rights})["token"]


def cmd_verbund(a):
    t0 = time.monotonic()
    admin = VerbundAdmin(a.server, a.token)
    for t in range(a.tenants):
        admin.create_tenant(tenant_name(t))
    ps = principals(a)
    for p in ps:
        admin.create_principal(tenant_name(p.tenant), p.name, p.password)
    total = 0
    for t in range(a.tenants):
        rules = tenant_rules(t, a.rules)
        if rules:
            total += len(admin.add_rules(tenant_name(t), rules))
    print("verbund: %d tenants, %d principals (%d with passwords), %d rules in %.1f s"
          % (a.tenants, len(ps), sum(p.password is not None for p in ps), total,
             time.monotonic() - t0))


# ---- mosquitto: acl_file, password_file, dynamic-security JSON

ACCESS = {("publish",): "write", ("subscribe",): "read", ("publish", "subscribe"): "readwrite"}


def user_lines(p, rules):
    """The acl_file block of one principal: denies first (mosquitto moves them there anyway)."""
    prefix = tenant_name(p.tenant) + "/"
    mine = [r for r in rules if applies(r, p)]
    lines = ["user " + p.username]
    for r in [r for r in mine if r["effect"] == "deny"] + [r for r in mine if r["effect"] == "allow"]:
        access = "deny" if r["effect"] == "deny" else ACCESS[tuple(r["rights"])]
        lines.append("topic %s %s%s" % (access, prefix, substitute(r["pattern"], p)))
    return lines


def dynsec_acls(rules, p, priority_base):
    """dynsec ACLs of `rules` for principal p; earlier rules and denies get higher priority."""
    prefix = tenant_name(p.tenant) + "/"
    acls, seen = [], set()
    ordered = [r for r in rules if r["effect"] == "deny"] + [r for r in rules if r["effect"] == "allow"]
    for n, r in enumerate(ordered):
        topic = prefix + substitute(r["pattern"], p)
        types = []
        if "publish" in r["rights"]:
            types.append("publishClientSend")
        if "subscribe" in r["rights"]:
            types += ["subscribePattern", "publishClientReceive"]
        for acltype in types:
            if (acltype, topic) in seen:   # dynsec keys a role's ACLs by type and topic
                continue
            seen.add((acltype, topic))
            acls.append({"acltype": acltype, "topic": topic, "priority": priority_base - n,
                         "allow": r["effect"] == "allow"})
    return acls


def dynsec_hash(password, salt):
    return base64.b64encode(hashlib.pbkdf2_hmac("sha512", password.encode(), salt, 101)).decode()


def cmd_mosquitto(a):
    t0 = time.monotonic()
    os.makedirs(a.dir, exist_ok=True)
    ps = principals(a)
    rules = {t: tenant_rules(t, a.rules) for t in range(a.tenants)}

    acl = ["# generated by bench/mqtt/auth_setup.py: %d tenants x %d rules, one block per user"
           % (a.tenants, a.rules)]
    for p in ps:
        acl += user_lines(p, rules[p.tenant]) + [""]
    with open(os.path.join(a.dir, "acl"), "w") as f:
        f.write("\n".join(acl) + "\n")

    passwd = os.path.join(a.dir, "passwd")
    with open(passwd, "w") as f:
        for p in ps:
            if p.password is not None:
                f.write("%s:%s\n" % (p.username, p.password))
    subprocess.run([a.mosquitto_passwd, "-U", passwd], check=True)

    roles, groups, clients = [], [], []
    members = {t: [] for t in range(a.tenants)}
    for p in ps:
        members[p.tenant].append(p)
    for t in range(a.tenants):
        shared = [r for r in rules[t] if r["principal"] == "*" and "%" not in r["pattern"]]
        any_member = Principal(t, "", "", None)   # shared rules have no placeholders
        roles.append({"rolename": tenant_name(t),
                      "acls": dynsec_acls([r for r in shared if r["effect"] == "allow"],
                                          any_member, 1000)})
        roles.append({"rolename": tenant_name(t) + "-deny",
                      "acls": dynsec_acls([r for r in shared if r["effect"] == "deny"],
                                          any_member, 1000)})
        groups.append({"groupname": tenant_name(t),
                       "roles": [{"rolename": tenant_name(t), "priority": 0}],
                       "clients": [{"username": p.username, "priority": 0} for p in members[t]]})
    for n, p in enumerate(ps):
        own = [r for r in rules[p.tenant] if applies(r, p)
               and not (r["principal"] == "*" and "%" not in r["pattern"])]
        roles.append({"rolename": p.username, "acls": dynsec_acls(own, p, 1000)})
        c = {"username": p.username,
             "roles": [{"rolename": tenant_name(p.tenant) + "-deny", "priority": 20},
                       {"rolename": p.username, "priority": 10}]}
        if p.password is not None:
            salt = hashlib.sha256(("salt-%d" % n).encode()).digest()[:12]
            c.update({"password": dynsec_hash(p.password, salt),
                      "salt": base64.b64encode(salt).decode(), "iterations": 101})
        clients.append(c)
    dynsec = {"clients": clients, "groups": groups, "roles": roles,
              "defaultACLAccess": {"publishClientSend": False, "publishClientReceive": False,
                                   "subscribe": False, "unsubscribe": True}}
    with open(os.path.join(a.dir, "dynsec.json"), "w") as f:
        json.dump(dynsec, f, indent=1)

    nacl = sum(1 for line in acl if line.startswith("topic "))
    print("mosquitto: %d users, acl_file %d topic lines (%d distinct rules), dynsec %d roles with "
          "%d ACLs, in %.1f s" % (len(ps), nacl, a.tenants * a.rules, len(roles),
                                  sum(len(r["acls"]) for r in roles), time.monotonic() - t0))


def cmd_show(a):
    json.dump(tenant_rules(0, a.rules), sys.stdout, indent=1)
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("verbund", help="create tenants, principals and rules through the admin API")
    v.add_argument("--server", required=True, help="http://127.0.0.1:PORT")
    v.add_argument("--token", required=True, help="an operator token (verbund --init-admin)")
    m = sub.add_parser("mosquitto", help="write acl, passwd and dynsec.json into --dir")
    m.add_argument("--dir", required=True)
    m.add_argument("--mosquitto-passwd", default="/usr/bin/mosquitto_passwd")
    s = sub.add_parser("show", help="print tenant 0's rules")
    for p in (v, m, s):
        p.add_argument("--tenants", type=int, default=100)
        p.add_argument("--rules", type=int, default=100, help="rules per tenant")
        p.add_argument("--pairs", type=int, default=16, help="bench publishers")
        p.add_argument("--subscribers", type=int, default=None, help="default: --pairs")
        p.add_argument("--password", default="bench-pw")
    a = ap.parse_args()
    if getattr(a, "subscribers", None) is None:
        a.subscribers = a.pairs
    if 0 < a.rules < 28:
        ap.error("--rules must be 0 or at least 28 (the fixed part of the model)")
    if a.rules == 0 and a.cmd == "mosquitto":
        ap.error("--rules 0 (tenancy without rules) is a Verbund-only set-up: run with --only verbund")
    return {"verbund": cmd_verbund, "mosquitto": cmd_mosquitto, "show": cmd_show}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
