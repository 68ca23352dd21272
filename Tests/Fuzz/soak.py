#!/usr/bin/env python3
"""Socket-abuse soak for dosecabd's control socket (issue 10, point 4). Run by soak.sh.

Against a running `dosecabd --simulate` on a Unix socket (loopback only), in phases:
1000 concurrent connections, clients that send half a request and stall, a 10 MB request,
invalid UTF-8 and garbage, a flood of unknown methods, clients that disconnect mid-reply.
Throughout, a prober runs `dosecabctl status` every 0.25 s and records each response time.
Prints the figures as `key: value` lines and exits 1 if a check failed."""
import os, resource, socket, subprocess, sys, threading, time

sock_path, ctl, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_NOFILE, (8192, 8192))
failures = []
stop = threading.Event()
probe = {"n": 0, "failed": 0, "worst": 0.0, "errors": []}

def rss_kib():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

def fd_targets():
    out = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            out[fd] = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            pass
    return out

def fds():
    return len(fd_targets())

# The hostile clients below are this process's uid; since the control server caps connections
# per uid, a prober of the same uid would be refused by design whenever they hold its slots.
# The prober is the technician at another account: as root, it runs as uid nobody with gid 0
# (the demo daemon's own group, its admin group in --simulate; soak.sh opens the state folder
# to that group).
as_other_uid = ["setpriv", "--reuid=65534", "--regid=0", "--clear-groups"] if os.geteuid() == 0 else []

def status_call():
    t = time.monotonic()
    r = subprocess.run(as_other_uid + [ctl, "status", "--socket", sock_path], capture_output=True, text=True, timeout=30)
    return time.monotonic() - t, r

def prober():
    while not stop.is_set():
        try:
            dt, r = status_call()
            probe["n"] += 1
            probe["worst"] = max(probe["worst"], dt)
            if r.returncode != 0:
                probe["failed"] += 1
                if len(probe["errors"]) < 5:
                    probe["errors"].append((r.stderr or r.stdout).strip().splitlines()[-1:])
        except subprocess.TimeoutExpired:
            probe["n"] += 1
            probe["failed"] += 1
            probe["worst"] = max(probe["worst"], 30.0)
        stop.wait(0.25)

def connect(timeout=10.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    return s

def read_reply(s, limit=1 << 20):
    buf = b""
    while not buf.endswith(b"\0") and len(buf) < limit:
        try:
            chunk = s.recv(65536)
        except (socket.timeout, ConnectionResetError):
            break
        if not chunk:
            break
        buf += chunk
    return buf

def phase(name, fn):
    t = time.monotonic()
    before = probe["failed"]
    try:
        detail = fn()
    except Exception as e:  # a hostile client's own errors are expected; record them
        detail = f"client error {type(e).__name__}: {e}"
    print(f"phase {name}: {time.monotonic() - t:.1f}s; {detail}; status failures during phase: {probe['failed'] - before}", flush=True)

def thousand_connections():
    conns, refused = [], 0
    for _ in range(1000):
        try:
            conns.append(connect())
        except OSError:
            refused += 1
    time.sleep(2)
    replies = {"ok": 0, "too-many": 0, "evicted": 0, "other": 0, "closed": 0}
    for s in conns:
        try:
            s.sendall(b'{"method":"status"}\0')
        except OSError:
            pass
    for s in conns:
        r = read_reply(s)
        if not r: replies["closed"] += 1
        elif b"too-many-connections" in r: replies["too-many"] += 1
        elif b'"evicted"' in r: replies["evicted"] += 1
        elif b'"error"' not in r: replies["ok"] += 1
        else: replies["other"] += 1
        s.close()
    return f"1000 opened ({refused} refused at connect), replies {replies}"

def half_requests():
    conns = []
    for _ in range(40):
        try:
            s = connect(timeout=20)
            s.sendall(b'{"method":"sta')
            conns.append(s)
        except OSError:
            pass
    t = time.monotonic()
    # Stall past the server's 10 s read timeout; each should be told and closed.
    closed = 0
    for s in conns:
        r = read_reply(s)
        if r == b"" or b"timed-out" in r or b"too-many" in r or b'"evicted"' in r:
            closed += 1
        s.close()
    return f"{len(conns)} stalled clients, {closed} closed by the server within {time.monotonic() - t:.1f}s"

def ten_megabytes():
    s = connect(timeout=15)
    sent = 0
    chunk = b"x" * 65536
    try:
        while sent < 10 * 1024 * 1024:
            s.sendall(chunk)
            sent += len(chunk)
    except OSError as e:
        pass
    r = read_reply(s)
    s.close()
    ok = b"request-too-large" in r or r == b""
    if not ok:
        failures.append("10 MB request: no too-large refusal")
    return f"sent {sent} bytes before the server stopped reading; reply {r[:90]!r}"

def invalid_utf8():
    out = []
    for payload in [b'{"method":"\xff\xfe"}\0', b"\xc3\x28\xa0\xa1\0", b"\x00\x00\x00", b"{\"method\":\"status\",\"parameters\":{\"\xed\xa0\x80\":1}}\0",
                    bytes(range(1, 256)) + b"\0", b"[" * 100000 + b"\0"]:
        try:
            s = connect()
            s.sendall(payload)
            r = read_reply(s)
            s.close()
            out.append(r[:40])
        except OSError as e:
            out.append(type(e).__name__)
    return f"replies {out}"

def unknown_flood():
    total, closed_by_rate = 0, 0
    def one():
        nonlocal total, closed_by_rate
        try:
            s = connect()
            req = b"".join(b'{"method":"no.such.%d"}\0' % i for i in range(2000))
            try:
                s.sendall(req)
            except OSError:
                pass
            r = b""
            while True:
                try:
                    c = s.recv(65536)
                except OSError:
                    break
                if not c:
                    break
                r += c
            total += r.count(b"\0")
            if b"rate-limited" in r:
                closed_by_rate += 1
            s.close()
        except OSError:
            pass
    ts = [threading.Thread(target=one) for _ in range(12)]
    for t in ts: t.start()
    for t in ts: t.join()
    return f"12 clients x 2000 unknown methods: {total} replies, {closed_by_rate} connections closed for rate"

def disconnect_mid_reply():
    n = 0
    for i in range(200):
        try:
            s = connect()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
            s.sendall(b'{"method":"audit.list","parameters":{"from":1,"limit":1000}}\0{"method":"people.list"}\0{"method":"status"}\0')
            if i % 2:
                s.recv(1)  # take one byte of the reply, then vanish
            s.close()
            n += 1
        except OSError:
            pass
    return f"{n} clients closed before reading their replies"

# Warm up first: the store opens its reader connections lazily, on the first reads.
for m in (["status"], ["audit", "verify"], ["audit", "list"], ["people"], ["outstanding"]):
    subprocess.run([ctl, *m, "--socket", sock_path], capture_output=True, timeout=60)
fd_map0 = fd_targets()
fds0, rss0 = len(fd_map0), rss_kib()
print(f"before: rss_kib={rss0} fds={fds0}", flush=True)
th = threading.Thread(target=prober, daemon=True)
th.start()
time.sleep(1)
phase("1000-connections", thousand_connections)
phase("half-request-stall", half_requests)
phase("10MB-request", ten_megabytes)
phase("invalid-utf8-garbage", invalid_utf8)
phase("unknown-method-flood", unknown_flood)
phase("disconnect-mid-reply", disconnect_mid_reply)
# Let the server time out and close whatever is left, then measure.
time.sleep(12)
stop.set()
th.join()
fd_map1 = fd_targets()
fds1, rss1 = len(fd_map1), rss_kib()
print(f"after: rss_kib={rss1} fds={fds1}", flush=True)
for fd in sorted(set(fd_map0) | set(fd_map1), key=int):
    if fd_map0.get(fd) != fd_map1.get(fd):
        print(f"  fd {fd}: {fd_map0.get(fd, '-')} -> {fd_map1.get(fd, '-')}")
v = subprocess.run([ctl, "audit", "verify", "--socket", sock_path], capture_output=True, text=True, timeout=60)
print(f"audit verify: exit {v.returncode}: {(v.stdout + v.stderr).strip().splitlines()[:2]}")
print(f"status probes: {probe['n']}, failed: {probe['failed']}, worst response: {probe['worst'] * 1000:.0f} ms")
for e in probe["errors"]:
    print(f"  status failure: {e}")
if probe["failed"]:
    failures.append(f"dosecabctl status failed {probe['failed']} of {probe['n']} times")
# The store's connection pool opens reader connections lazily, up to its limit, and keeps
# them: those may grow (bounded); every other descriptor must be back where it started.
store = lambda m: {fd: t for fd, t in m.items() if "/dosecab.sqlite" in t}
other0 = sorted(t for fd, t in fd_map0.items() if fd not in store(fd_map0))
other1 = sorted(t for fd, t in fd_map1.items() if fd not in store(fd_map1))
print(f"descriptors other than the store's: {len(other0)} -> {len(other1)}; store files: "
      f"{len(store(fd_map0))} -> {len(store(fd_map1))}")
if other1 != other0:
    failures.append(f"open descriptors (other than the store's) {len(other0)} -> {len(other1)}")
if len(store(fd_map1)) > 2 * 8 + 2:
    failures.append(f"store descriptors grew to {len(store(fd_map1))}")
if rss1 > rss0 + 32 * 1024:
    failures.append(f"RSS grew {rss1 - rss0} KiB (> 32 MiB)")
if v.returncode != 0 or "intact" not in (v.stdout + v.stderr).lower():
    failures.append("audit chain does not verify")
print("RESULT: " + ("PASS" if not failures else "FAIL: " + "; ".join(failures)))
sys.exit(1 if failures else 0)
