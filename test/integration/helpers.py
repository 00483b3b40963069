"""Black-box MQTT test helpers: a tiny packet encoder/decoder and a raw-socket client.

The raw client deliberately does nothing behind the test's back except (optionally)
acknowledging QoS 1/2 traffic, so tests can observe exactly what the broker sends.
Works for MQTT 3.1.1 (version=4) and MQTT 5 (version=5).
"""

import os
import select
import socket
import ssl
import struct
import time

# Which broker implementation the suite runs against ("verbund" or "mosquitto").
def _detect_broker():
    explicit = os.environ.get("VERBUND_TEST_BROKER", "").strip()
    if explicit:
        return explicit
    binp = os.environ.get("VERBUND_BIN", "")
    if binp and os.path.isfile(binp):
        return "verbund"
    return "mosquitto"


BROKER = _detect_broker()
IS_MOSQUITTO = BROKER == "mosquitto"

# Generous: the machine is shared and noisy. Nothing asserts a lower bound on time.
TIMEOUT = float(os.environ.get("VERBUND_TEST_TIMEOUT", "10"))
# How long we listen to conclude that "nothing (more) arrives" when no sentinel can be used.
QUIET = float(os.environ.get("VERBUND_TEST_QUIET", "1.0"))

# Packet types
CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT, AUTH = range(8, 16)
PACKET_NAMES = {1: "CONNECT", 2: "CONNACK", 3: "PUBLISH", 4: "PUBACK", 5: "PUBREC", 6: "PUBREL",
                7: "PUBCOMP", 8: "SUBSCRIBE", 9: "SUBACK", 10: "UNSUBSCRIBE", 11: "UNSUBACK",
                12: "PINGREQ", 13: "PINGRESP", 14: "DISCONNECT", 15: "AUTH"}

# MQTT 5 property identifiers and their wire types.
P_PAYLOAD_FORMAT = 0x01
P_MESSAGE_EXPIRY = 0x02
P_CONTENT_TYPE = 0x03
P_RESPONSE_TOPIC = 0x08
P_CORRELATION_DATA = 0x09
P_SUBSCRIPTION_ID = 0x0B
P_SESSION_EXPIRY = 0x11
P_ASSIGNED_CLIENT_ID = 0x12
P_SERVER_KEEP_ALIVE = 0x13
P_AUTH_METHOD = 0x15
P_AUTH_DATA = 0x16
P_REQUEST_PROBLEM_INFO = 0x17
P_WILL_DELAY = 0x18
P_REQUEST_RESPONSE_INFO = 0x19
P_RESPONSE_INFO = 0x1A
P_SERVER_REFERENCE = 0x1C
P_REASON_STRING = 0x1F
P_RECEIVE_MAXIMUM = 0x21
P_TOPIC_ALIAS_MAXIMUM = 0x22
P_TOPIC_ALIAS = 0x23
P_MAXIMUM_QOS = 0x24
P_RETAIN_AVAILABLE = 0x25
P_USER_PROPERTY = 0x26
P_MAXIMUM_PACKET_SIZE = 0x27
P_WILDCARD_SUB_AVAILABLE = 0x28
P_SUB_ID_AVAILABLE = 0x29
P_SHARED_SUB_AVAILABLE = 0x2A

_BYTE, _U16, _U32, _VARINT, _STR, _BIN, _PAIR = range(7)
PROP_TYPES = {
    0x01: _BYTE, 0x02: _U32, 0x03: _STR, 0x08: _STR, 0x09: _BIN, 0x0B: _VARINT, 0x11: _U32,
    0x12: _STR, 0x13: _U16, 0x15: _STR, 0x16: _BIN, 0x17: _BYTE, 0x18: _U32, 0x19: _BYTE,
    0x1A: _STR, 0x1C: _STR, 0x1F: _STR, 0x21: _U16, 0x22: _U16, 0x23: _U16, 0x24: _BYTE,
    0x25: _BYTE, 0x26: _PAIR, 0x27: _U32, 0x28: _BYTE, 0x29: _BYTE, 0x2A: _BYTE,
}
MULTI_PROPS = (P_USER_PROPERTY, P_SUBSCRIPTION_ID)


class ProtocolError(Exception):
    pass


class Closed(Exception):
    """The broker closed the connection."""


# ---------------------------------------------------------------- encoding

def varint(n):
    if n < 0 or n > 268435455:
        raise ValueError("varint out of range")
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        if n:
            b |= 0x80
        out.append(b)
        if not n:
            return bytes(out)


def u16(n):
    return struct.pack("!H", n)


def u32(n):
    return struct.pack("!I", n)


def mstr(s):
    b = s.encode("utf-8") if isinstance(s, str) else bytes(s)
    return u16(len(b)) + b


def mbin(b):
    b = b.encode() if isinstance(b, str) else bytes(b)
    return u16(len(b)) + b


def props(plist):
    """Encode properties. plist: list of (id, value) or dict {id: value}; user property
    values are (key, value) tuples; use a list to repeat an id."""
    if plist is None:
        plist = []
    if isinstance(plist, dict):
        items = []
        for k, v in plist.items():
            if k in MULTI_PROPS and isinstance(v, list):
                items.extend((k, x) for x in v)
            else:
                items.append((k, v))
        plist = items
    body = bytearray()
    for pid, val in plist:
        t = PROP_TYPES[pid]
        body += varint(pid)
        if t == _BYTE:
            body.append(val)
        elif t == _U16:
            body += u16(val)
        elif t == _U32:
            body += u32(val)
        elif t == _VARINT:
            body += varint(val)
        elif t == _STR:
            body += mstr(val)
        elif t == _BIN:
            body += mbin(val)
        elif t == _PAIR:
            body += mstr(val[0]) + mstr(val[1])
    return varint(len(body)) + bytes(body)


def packet(ptype, flags, body):
    return bytes([(ptype << 4) | (flags & 0x0F)]) + varint(len(body)) + bytes(body)


def connect_packet(client_id="", version=5, clean=True, keepalive=60, properties=None,
                   will=None, username=None, password=None, proto_name="MQTT"):
    """will: dict(topic, payload, qos=0, retain=False, properties=None)"""
    flags = 0
    if clean:
        flags |= 0x02
    if will is not None:
        flags |= 0x04 | (will.get("qos", 0) << 3) | (0x20 if will.get("retain") else 0)
    if username is not None:
        flags |= 0x80
    if password is not None:
        flags |= 0x40
    vh = mstr(proto_name) + bytes([version, flags]) + u16(keepalive)
    if version == 5:
        vh += props(properties)
    pl = mstr(client_id)
    if will is not None:
        if version == 5:
            pl += props(will.get("properties"))
        pl += mstr(will["topic"]) + mbin(will.get("payload", b""))
    if username is not None:
        pl += mstr(username)
    if password is not None:
        pl += mbin(password)
    return packet(CONNECT, 0, vh + pl)


def publish_packet(topic, payload=b"", qos=0, retain=False, dup=False, pid=None, version=5,
                   properties=None):
    flags = (0x08 if dup else 0) | (qos << 1) | (0x01 if retain else 0)
    body = mstr(topic)
    if qos:
        body += u16(pid)
    if version == 5:
        body += props(properties)
    body += payload.encode() if isinstance(payload, str) else bytes(payload)
    return packet(PUBLISH, flags, body)


def ack_packet(ptype, pid, version=5, reason=0, properties=None):
    body = u16(pid)
    if version == 5 and (reason or properties):
        body += bytes([reason]) + (props(properties) if properties else b"")
    return packet(ptype, 2 if ptype == PUBREL else 0, body)


def subscribe_packet(pid, filters, version=5, properties=None):
    """filters: list of (filter, options_byte) — options is the QoS for 3.1.1."""
    body = u16(pid)
    if version == 5:
        body += props(properties)
    for f, opts in filters:
        body += mstr(f) + bytes([opts])
    return packet(SUBSCRIBE, 2, body)


def sub_opts(qos=0, no_local=False, retain_as_published=False, retain_handling=0):
    return qos | (0x04 if no_local else 0) | (0x08 if retain_as_published else 0) | (retain_handling << 4)


def unsubscribe_packet(pid, filters, version=5, properties=None):
    body = u16(pid)
    if version == 5:
        body += props(properties)
    for f in filters:
        body += mstr(f)
    return packet(UNSUBSCRIBE, 2, body)


def disconnect_packet(version=5, reason=0, properties=None):
    if version == 5 and (reason or properties):
        return packet(DISCONNECT, 0, bytes([reason]) + (props(properties) if properties else b""))
    return packet(DISCONNECT, 0, b"")


def auth_packet(reason=0, properties=None):
    return packet(AUTH, 0, bytes([reason]) + props(properties))


# ---------------------------------------------------------------- decoding

class Reader:
    def __init__(self, data):
        self.d = bytes(data)
        self.i = 0

    def left(self):
        return len(self.d) - self.i

    def byte(self):
        if self.i >= len(self.d):
            raise ProtocolError("truncated")
        b = self.d[self.i]
        self.i += 1
        return b

    def u16(self):
        v = struct.unpack_from("!H", self.d, self.i)[0]
        self.i += 2
        return v

    def u32(self):
        v = struct.unpack_from("!I", self.d, self.i)[0]
        self.i += 4
        return v

    def varint(self):
        mult, val = 1, 0
        for _ in range(4):
            b = self.byte()
            val += (b & 0x7F) * mult
            if not b & 0x80:
                return val
            mult *= 128
        raise ProtocolError("bad varint")

    def bin(self):
        n = self.u16()
        v = self.d[self.i:self.i + n]
        if len(v) != n:
            raise ProtocolError("truncated")
        self.i += n
        return v

    def str(self):
        return self.bin().decode("utf-8")

    def rest(self):
        v = self.d[self.i:]
        self.i = len(self.d)
        return v

    def props(self):
        n = self.varint()
        end = self.i + n
        out = Props()
        while self.i < end:
            pid = self.varint()
            t = PROP_TYPES.get(pid)
            if t is None:
                raise ProtocolError("unknown property 0x%02x" % pid)
            if t == _BYTE:
                v = self.byte()
            elif t == _U16:
                v = self.u16()
            elif t == _U32:
                v = self.u32()
            elif t == _VARINT:
                v = self.varint()
            elif t == _STR:
                v = self.str()
            elif t == _BIN:
                v = self.bin()
            else:
                v = (self.str(), self.str())
            if pid in MULTI_PROPS:
                out.setdefault(pid, []).append(v)
            else:
                out[pid] = v
        return out


class Props(dict):
    @property
    def user(self):
        return self.get(P_USER_PROPERTY, [])


class Packet:
    def __init__(self, ptype, flags, body, version):
        self.type = ptype
        self.flags = flags
        self.body = body
        self.version = version
        self.props = Props()
        self.reason = 0
        self.pid = None
        self.codes = []
        r = Reader(body)
        v5 = version == 5
        if ptype == CONNACK:
            self.session_present = bool(r.byte() & 1)
            self.reason = r.byte()
            if v5 and r.left():
                self.props = r.props()
        elif ptype == PUBLISH:
            self.dup = bool(flags & 0x08)
            self.qos = (flags >> 1) & 3
            self.retain = bool(flags & 1)
            self.topic = r.str()
            if self.qos:
                self.pid = r.u16()
            if v5:
                self.props = r.props()
            self.payload = r.rest()
        elif ptype in (PUBACK, PUBREC, PUBREL, PUBCOMP):
            self.pid = r.u16()
            if v5 and r.left():
                self.reason = r.byte()
                if r.left():
                    self.props = r.props()
        elif ptype in (SUBACK, UNSUBACK):
            self.pid = r.u16()
            if v5:
                self.props = r.props()
            self.codes = list(r.rest())
        elif ptype in (DISCONNECT, AUTH):
            if r.left():
                self.reason = r.byte()
                if r.left():
                    self.props = r.props()

    @property
    def name(self):
        return PACKET_NAMES.get(self.type, str(self.type))

    def __repr__(self):
        extra = ""
        if self.type == PUBLISH:
            extra = " topic=%r qos=%d retain=%s dup=%s pid=%s payload=%r" % (
                self.topic, self.qos, self.retain, self.dup, self.pid, self.payload[:60])
        elif self.type in (CONNACK, DISCONNECT, AUTH, PUBACK, PUBREC, PUBREL, PUBCOMP):
            extra = " reason=0x%02x pid=%s" % (self.reason, self.pid)
        elif self.type in (SUBACK, UNSUBACK):
            extra = " pid=%s codes=%s" % (self.pid, self.codes)
        return "<%s%s props=%r>" % (self.name, extra, dict(self.props))


# ---------------------------------------------------------------- raw client

def open_socket(host, port, timeout=TIMEOUT, tls_context=None, server_hostname="localhost"):
    s = socket.create_connection((host, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if tls_context is not None:
        s = tls_context.wrap_socket(s, server_hostname=server_hostname)
    return s


class RawClient:
    """A minimal MQTT client over a raw socket.

    auto_ack: answer incoming QoS 1 PUBLISH with PUBACK and QoS 2 with PUBREC, incoming
    PUBREL with PUBCOMP. Received packets other than the one being waited for are queued."""

    def __init__(self, host, port, version=5, timeout=TIMEOUT, auto_ack=True, sock=None,
                 tls_context=None):
        self.version = version
        self.timeout = timeout
        self.auto_ack = auto_ack
        self.sock = sock or open_socket(host, port, timeout, tls_context)
        self.buf = bytearray()
        self.pending = []
        self.next_pid = 1
        self.closed = False
        self.connack = None

    # --- wire
    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out waiting for data from broker")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("timed out waiting for data from broker")
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError, OSError) as e:
            self.closed = True
            raise Closed(str(e))
        if not chunk:
            self.closed = True
            raise Closed("connection closed by broker")
        self.buf += chunk

    def _try_parse(self):
        if len(self.buf) < 2:
            return None
        mult, length, i = 1, 0, 1
        while True:
            if i >= len(self.buf):
                return None
            b = self.buf[i]
            length += (b & 0x7F) * mult
            mult *= 128
            i += 1
            if not b & 0x80:
                break
            if i > 4:
                raise ProtocolError("bad remaining length from broker")
        if len(self.buf) < i + length:
            return None
        first = self.buf[0]
        body = bytes(self.buf[i:i + length])
        del self.buf[:i + length]
        return Packet(first >> 4, first & 0x0F, body, self.version)

    def read_packet(self, timeout=None):
        """Next packet off the wire (ignores the pending queue)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            p = self._try_parse()
            if p is not None:
                self._auto(p)
                return p
            self._fill(deadline)

    def _auto(self, p):
        if not self.auto_ack:
            return
        if p.type == PUBLISH and p.qos == 1:
            self.send(ack_packet(PUBACK, p.pid, self.version))
        elif p.type == PUBLISH and p.qos == 2:
            self.send(ack_packet(PUBREC, p.pid, self.version))
        elif p.type == PUBREL:
            self.send(ack_packet(PUBCOMP, p.pid, self.version))

    def recv(self, types=None, timeout=None):
        """Next packet of one of `types` (pending first); others are queued."""
        if isinstance(types, int):
            types = (types,)
        for i, p in enumerate(self.pending):
            if types is None or p.type in types:
                return self.pending.pop(i)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            p = self.read_packet(timeout=max(0.0, deadline - time.monotonic()) or 0.001)
            if types is None or p.type in types:
                return p
            if p.type == PUBREL and self.auto_ack:
                continue
            self.pending.append(p)

    def recv_publish(self, timeout=None):
        return self.recv(PUBLISH, timeout)

    def recv_publishes(self, n, timeout=None):
        return [self.recv_publish(timeout) for _ in range(n)]

    def recv_until(self, payload, timeout=None):
        """PUBLISHes received up to and including the one carrying `payload` (a sentinel)."""
        payload = payload.encode() if isinstance(payload, str) else payload
        out = []
        while True:
            p = self.recv_publish(timeout)
            out.append(p)
            if p.payload == payload:
                return out

    def expect_nothing(self, types=(PUBLISH,), quiet=None):
        """Assert that no packet of `types` arrives within `quiet` seconds."""
        try:
            p = self.recv(types, timeout=QUIET if quiet is None else quiet)
        except TimeoutError:
            return
        raise AssertionError("unexpected packet %r" % (p,))

    def wait_closed(self, timeout=None):
        """Wait until the broker closes the connection. Returns the packets received meanwhile
        (e.g. a DISCONNECT). Raises AssertionError if still open after the timeout."""
        got = list(self.pending)
        self.pending = []
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        try:
            while True:
                got.append(self.read_packet(timeout=max(0.001, deadline - time.monotonic())))
        except Closed:
            return got
        except ProtocolError:
            return got
        except TimeoutError:
            raise AssertionError("broker did not close the connection within %.0fs (got %r)"
                                 % (self.timeout if timeout is None else timeout, got))

    def is_open(self, quiet=0.3):
        """False once the broker closed the connection or sent DISCONNECT. Packets read while
        checking are kept for recv()/wait_closed()."""
        if any(p.type == DISCONNECT for p in self.pending):
            return False
        try:
            p = self.read_packet(timeout=quiet)
        except TimeoutError:
            return True
        except (Closed, ProtocolError):
            return False
        self.pending.append(p)
        return p.type != DISCONNECT

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        self.closed = True

    def pid(self):
        p = self.next_pid
        self.next_pid = self.next_pid % 65535 + 1
        return p

    # --- MQTT operations
    def connect(self, client_id="", clean=True, keepalive=60, properties=None, will=None,
                username=None, password=None, expect_success=True):
        self.send(connect_packet(client_id, self.version, clean, keepalive, properties, will,
                                 username, password))
        p = self.recv((CONNACK, DISCONNECT, AUTH))
        self.connack = p
        if expect_success:
            assert p.type == CONNACK and p.reason == 0, "connect refused: %r" % (p,)
        return p

    def subscribe(self, filters, qos=0, properties=None, check=True):
        """filters: str, list of str (using qos) or list of (filter, options)."""
        if isinstance(filters, str):
            filters = [filters]
        filters = [f if isinstance(f, tuple) else (f, qos) for f in filters]
        pid = self.pid()
        self.send(subscribe_packet(pid, filters, self.version, properties))
        p = self.recv(SUBACK)
        assert p.pid == pid
        if check:
            assert all(c < 0x80 for c in p.codes), "subscription refused: %r" % (p,)
        return p

    def unsubscribe(self, filters, properties=None):
        if isinstance(filters, str):
            filters = [filters]
        pid = self.pid()
        self.send(unsubscribe_packet(pid, filters, self.version, properties))
        p = self.recv(UNSUBACK)
        assert p.pid == pid
        return p

    def publish(self, topic, payload=b"", qos=0, retain=False, properties=None, wait=True):
        """Publish; for QoS 1/2 completes the handshake when wait=True. Returns the final
        ack packet (PUBACK/PUBCOMP), or the packet id when wait=False."""
        pid = self.pid() if qos else None
        self.send(publish_packet(topic, payload, qos, retain, False, pid, self.version, properties))
        if not qos or not wait:
            return pid
        if qos == 1:
            p = self.recv(PUBACK)
            assert p.pid == pid
            return p
        p = self.recv(PUBREC)
        assert p.pid == pid
        if p.reason >= 0x80:
            return p
        self.send(ack_packet(PUBREL, pid, self.version))
        c = self.recv(PUBCOMP)
        assert c.pid == pid
        return c

    def ping(self):
        self.send(packet(PINGREQ, 0, b""))
        return self.recv(PINGRESP)

    def disconnect(self, reason=0, properties=None):
        try:
            self.send(disconnect_packet(self.version, reason, properties))
        except OSError:
            pass
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


def verbundctl():
    """The verbundctl binary: $VERBUNDCTL_BIN, else beside $VERBUND_BIN in the build tree
    (build/src/server/verbund -> build/tools/verbundctl/verbundctl)."""
    explicit = os.environ.get("VERBUNDCTL_BIN")
    if explicit:
        return explicit
    build = os.path.dirname(os.path.dirname(os.path.dirname(os.environ["VERBUND_BIN"])))
    return os.path.join(build, "tools", "verbundctl", "verbundctl")


def wait_for(cond, timeout=TIMEOUT, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s" % what)
        time.sleep(interval)


def uniq(prefix="t"):
    """A unique topic/client-id fragment, so tests never see each other's traffic."""
    uniq.n += 1
    return "%s%d_%d" % (prefix, os.getpid(), uniq.n)


uniq.n = 0
