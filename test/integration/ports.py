"""Listening ports for the servers the integration suites start.

Why not `bind(("127.0.0.1", 0))`, read the port, close, and hand it to the server? The kernel
hands out that same port range (net.ipv4.ip_local_port_range) to every outgoing connection and
every other bind(0) on the machine. Between our close and the server's bind, another test
process (CTest runs suites in parallel) or any client socket may take the port, and the server
fails with "Address already in use"; after a restart() the window opens again. That race failed
CI once (test_11_conformance, ws_listen on 59253).

Instead, ports come from below the ephemeral range, where the kernel never allocates on its
own, handed out round-robin from a counter in a lock file shared by all processes of this user,
and each candidate is checked by binding it. A port handed out here is therefore only taken by
a process that binds it explicitly, and no two suites of this machine get the same one until
the counter wraps (8,000 ports later).
"""

import fcntl
import getpass
import os
import socket
import tempfile

HOST = "127.0.0.1"
_SPAN = 8000


def _range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    top = min(low, 65536) - 1          # highest port below the ephemeral range
    bottom = max(1024, top - _SPAN)
    return bottom, top


def _bindable(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((HOST, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port():
    """A port on HOST that no other caller of free_port() on this machine holds, outside the
    kernel's ephemeral range."""
    bottom, top = _range()
    path = os.path.join(tempfile.gettempdir(), "verbund-test-ports-%s" % getpass.getuser())
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        raw = os.read(fd, 32).decode(errors="replace").strip()
        try:
            nxt = int(raw)
        except ValueError:
            nxt = bottom + os.getpid() % (top - bottom)
        for _ in range(top - bottom + 1):
            port = nxt if bottom <= nxt <= top else bottom
            nxt = port + 1
            if _bindable(port):
                os.lseek(fd, 0, os.SEEK_SET)
                os.ftruncate(fd, 0)
                os.write(fd, str(nxt).encode())
                return port
        raise RuntimeError("no free port in %d..%d" % (bottom, top))
    finally:
        os.close(fd)
