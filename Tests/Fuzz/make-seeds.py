#!/usr/bin/env python3
"""Writes the seed corpora in Tests/Fuzz/corpus/<target>/ from the unit tests' valid and
invalid inputs (Tests/*Tests). Rerun after changing it; the files are committed."""
import base64, hashlib, json, os, struct, shutil, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.abspath(os.path.join(here, "..", ".."))
out = os.path.join(here, "corpus")

def write(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

# Files are overwritten, never deleted: crash-*/fail-* inputs found by the fuzzers stay.

# --- control: byte 0 = size-limit selector (0: 64 KiB), byte 1 = read-size seed, then the stream.
requests = [
    '{"method":"x","parameters":{"b":true,"n":1,"big":9007199254740992}}',
    '{"method":"hold.clear","parameters":{"patient":"P-17","reason":"ok"}}',
    '{"method":"status"}',
    '{"method":"releases","parameters":{"since":1700000000000}}',
    '{"method":"sim.card","parameters":{"facility":42,"card":1001}}',
    '{"method":"sim.keys","parameters":{"keys":"1234#"}}',
    '{"method":"confirm","parameters":{"unit":"U-1","staff_card":7,"pin":"1234"}}',
    '{"method":"stock.add","parameters":{"drug":"diacetylmorphine","route":"injectable","strength_mg":200,"serial":"S-1"}}',
    '{"method":"sim.line","parameters":{"line":"door","state":"open"}}',
    '{"method":"audit.list","parameters":{"from":1,"limit":50}}',
    '{', '{"parameters":{}}', '{"method":7}', '{"method":""}', '{"method":"Status"}',
    '{"method":"rm -rf"}', '{"method":"status","parameters":[]}',
    '{"method":"status","parameters":null}', '{"method":"status","id":1}',
    '{"method":"x","parameters":{"a":' + "[" * 33 + "]" * 33 + "}}",
    '{"method":"x","parameters":{"a":"' + "[" * 100 + '\\"["}}',
    '{"parameters":{"x":1},"extra":true}', '{"error":5}', '{"error":"no","parameters":{"why":"x"}}',
    '[]', 'null', '"status"', '{"method":"st\\u0000atus"}',
]
for i, r in enumerate(requests):
    write("control", f"req-{i:02d}", b"\x00\x05" + r.encode() + b"\x00")
write("control", "multi", b"\x00\x07" + b"\x00".join(r.encode() for r in requests[:4]) + b"\x00")
write("control", "partial", b"\x00\x01" + b'{"method":"status"}\x00{"method":"sta')
write("control", "small-limit", b"\x03\x09" + b'{"method":"status"}\x00{}\x00')
write("control", "invalid-utf8", b"\x00\x02" + b'{"method":"\xff\xfe"}\x00')

# --- wiegand: byte 0 = mode (even: raw edges, odd: clean frame). Raw edges are
# (op, delta16) with op = role index | unit<<4 | back<<6 | level<<7; role index >= 12 = tick.
def raw(mode, edges, start=1000):
    b = bytes([mode]) + struct.pack("<I", start)
    for op, delta in edges:
        b += bytes([op]) + struct.pack("<H", delta)
    return b

def frame(bits, role_d0=3, role_d1=4, period_us=2000, pulse_us=50, rising=True):
    # D0 = counter-d0 (index 3), D1 = counter-d1 (index 4); unit 1 µs (1 << 4).
    ev = []
    for i, bit in enumerate(bits):
        role = role_d1 if bit else role_d0
        ev.append((role | (1 << 4), period_us - (pulse_us if rising and i else 0) if i else 10))
        if rising:
            ev.append((role | (1 << 4) | 0x80, pulse_us))
    ev.append((12 | (3 << 4), 100))  # tick 100 ms later: ends the frame
    return ev

def h10301(fac, num):
    v = (fac << 16) | num
    bits = [(v >> (23 - i)) & 1 for i in range(24)]
    even = sum(bits[:12]) % 2
    odd = 1 - sum(bits[12:]) % 2
    return [even] + bits + [odd]

good = h10301(42, 1001)
write("wiegand", "h10301-rising", raw(0, frame(good)))
write("wiegand", "h10301-falling-only", raw(0, frame(good, rising=False)))
bad = list(good); bad[5] ^= 1
write("wiegand", "bad-parity", raw(0, frame(bad)))
write("wiegand", "truncated", raw(0, frame(good[:20])))
write("wiegand", "noise-burst", raw(0, frame(good + good)))
write("wiegand", "short-pulse", raw(0, frame(good, pulse_us=3)))
write("wiegand", "key-4bit", raw(0, frame([0, 1, 0, 1])))
write("wiegand", "key-8bit", raw(0, frame([1, 0, 1, 0, 0, 1, 0, 1])))
write("wiegand", "two-frames", raw(0, frame(good) + frame(good[:4])))
write("wiegand", "return-reader", raw(2, frame(good, role_d0=5, role_d1=6)))
write("wiegand", "other-lines", raw(0, [(0, 5), (1 | 0x80, 5), (2, 5), (7, 5), (8 | 0x80, 5)]))
for i, sel in enumerate([40, 41, 42, 43, 44, 3, 27]):
    write("wiegand", f"clean-{i}", bytes([1 | (i & 1) << 2, sel]) + bytes(range(7, 7 + 200)))

# --- prescription: byte 0: even = bundle bytes, odd = payload the harness signs.
rx = {"type": "prescription", "id": "RX-P-1-diacetylmorphine", "version": 1, "patient": "P-1",
      "drug": "diacetylmorphine", "route": "injectable", "dose_mg": 200, "max_sessions_per_day": 2,
      "valid_from": "2025-01-01", "valid_until": "2025-12-31", "prescriber": "dr-a", "titrating": False}
cancel = {"type": "cancellation", "id": "RX-P-1-diacetylmorphine", "version": 3, "patient": "P-1",
          "prescriber": "dr-a", "reason": "ended"}
for i, doc in enumerate([rx, cancel, dict(rx, drug="methadone", route="oral", dose_mg=60),
                         dict(rx, dose_mg=0), dict(rx, prescriber="dr-b"), dict(rx, valid_from="2025-13-01"),
                         dict(rx, drug="methadone", route="inhalable"), {"type": "other"}]):
    payload = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    for signer in (0, 1, 2):
        write("prescription", f"signed-{i}-{signer}", bytes([1 | signer << 3]) + payload)
entry = lambda k, p, s: {"key": k, "payload": base64.b64encode(p).decode(), "signature": base64.b64encode(s).decode()}
p = json.dumps(rx, sort_keys=True).encode()
write("prescription", "bundle-forged", b"\x00" + json.dumps({"entries": [entry("dr-a", p, b"\x00" * 64)]}).encode())
write("prescription", "bundle-unknown", b"\x00" + json.dumps({"entries": [entry("dr-x", p, b"\x01" * 64)]}).encode())
write("prescription", "bundle-badkey", b"\x02" + json.dumps({"entries": [entry("dr-c", p, b"\x01" * 64)]}).encode())
for i, g in enumerate(["", "{}", '{"entries": 5}', '{"entries": [{"key": "a", "payload": "!!", "signature": ""}]}']):
    write("prescription", f"garbage-{i}", b"\x00" + g.encode())

# --- pin map: the text of the file.
roles = ["lock", "bolt", "door", "counter-d0", "counter-d1", "return-d0", "return-d1", "return-beam",
         "tamper", "buzzer", "led-ok", "led-fault"]
def minimal(replace=None, table=None, extra=""):
    s = 'chip = "sim"\n' + extra
    for r in roles:
        if r == replace:
            if table: s += table + "\n"
        else:
            s += f'[lines.{r}]\nline = "{r}"\n'
    return s
write("pinmap", "reference", open(os.path.join(root, "hardware", "pinmap.toml")).read())
write("pinmap", "minimal", minimal())
write("pinmap", "door-full", minimal("door", '[lines.door]\nchip = "/dev/gpiochip3"\nline = "reed"\nactive-low = true\nbias = "pull-down"\ndebounce-ms = 15'))
write("pinmap", "tamper-defaults", minimal("tamper", "[lines.tamper]"))
write("pinmap", "unknown-role", minimal(extra='[lines.window]\nline = "window"\n'))
write("pinmap", "missing-role", minimal("bolt", None))
write("pinmap", "duplicate-line", minimal("bolt", '[lines.bolt]\nline = "door"'))
write("pinmap", "debounce-wiegand", minimal("counter-d1", '[lines.counter-d1]\nline = "w1"\ndebounce-ms = 1'))
write("pinmap", "bad-bias", minimal("door", '[lines.door]\nline = "reed"\nbias = "pull-sideways"'))
write("pinmap", "bad-active-low", minimal("door", '[lines.door]\nactive-low = "yes"'))
write("pinmap", "negative-debounce", minimal("door", "[lines.door]\ndebounce-ms = -3"))
write("pinmap", "typo-key", minimal("door", "[lines.door]\nactivelow = true"))
write("pinmap", "no-chip", minimal().replace('chip = "sim"\n', ""))
write("pinmap", "syntax", 'chip = "sim"\n[lines.lock\n')

# --- config: byte 0 = base (0 defaults, 1 simulated), then NUL-separated documents.
example = open(os.path.join(root, "docs", "examples", "dosecab.toml")).read()
write("config", "example", b"\x00" + example.encode())
write("config", "example-sim", b"\x01" + example.encode())
write("config", "dropins", b"\x00" + example.encode() + b"\x00[policy]\nwindows = [\"08:00-09:00\"]\n\x00[journal]\ncapacity = 64\n")
for i, doc in enumerate([
    "[daemon]\nsocket = \"/run/x.sock\"\nrequire-clock-sync = false\n",
    "[policy]\nceiling-methadone-mg = 120\nmin-interval-minutes = 0\npin-attempts = 5\n",
    "[close-out.oral]\nrule = \"witnessed\"\ndeadline-minutes = 30\n",
    "[hardware]\nwiegand-frame-gap-ms = 40\nreturn-window-ms = 500\n",
    "[daemon]\nsocket = \"/run/x.sock\"\nzzz = 1\n",
    "[policy]\nwindows = [\"10:00-09:00\"]\n",
    "[policy]\nwindows = [\"07:00-10:00\", \"09:00-11:00\"]\n",
    "[policy]\nmissed-days-reauthorise = 9\nmissed-days-retitrate = 2\n",
    "[nonsense]\nx = 1\n", "daemon = 5\n", "[daemon\n", "[close-out.nasal]\nrule = \"return\"\n",
]):
    write("config", f"doc-{i:02d}", b"\x00" + doc.encode())

# --- journal: byte 0 = kind/priority selector, then NUL-separated strings.
fields = ["Released 200 mg DAM (injectable) to patient P-0042", "R-1", "P-0042", "S-7", "diacetylmorphine",
          "injectable", "U-99", "RX-1", "over ceiling\nand outside window", "ab" * 32,
          "dosecab.test", "log line", "request-id", "src", "DOSECAB_EXTRA", "count", "MESSAGE", "_TRUSTED",
          "1abc", "x" * 70, "ünïcødé", "a\x01b\x7fc"]
write("journal", "audit-event", b"\x00" + b"\x00".join(f.encode() for f in fields))
write("journal", "alert", b"\x85" + b"\x00".join(f.encode() for f in fields[:12]) + b"\x00" + struct.pack(">d", 12.5) + b"\x00" + struct.pack(">Q", 42))
for i, name in enumerate(["MESSAGE", "DOSECAB_RELEASE_ID", "_PID", "9LIVES", "", "lower", "A" * 64, "A" * 65, "request-id", "SYSLOG_IDENTIFIER"]):
    write("journal", f"name-{i}", b"\x01" + name.encode())
print("seeds written to", out)
