#!/usr/bin/env python3
"""Turns hardware/pinmap.toml into the gpio-sim layout the guest builds (lines.conf).

The pin map names, for each role, the chip (by label) and the line name; the guest gets
one gpio-sim bank per chip label, with those line names, so the daemon finds its lines by
name exactly as on the real board. Without a pin map (not written yet), the roles of
ARCHITECTURE.md section 2 are used as line names, in that order, on one chip labelled
"dosecab-sim", and a note says so.

The pin map's exact layout is the hardware issue's to decide, so this reader is tolerant:
it takes every table (at any depth, or in an array of tables) that has a string "line"
(or "name") key; the role is its "role" key or else the table's own key; the chip is its
"chip" key or else the nearest enclosing table's (or the top level's) "chip"; an integer
"offset" places the line, otherwise roles keep the order below.

Output, one record a line:  bank LABEL  |  line OFFSET NAME ROLE IDLE
IDLE is the pull the guest applies at start: Wiegand data lines idle high (pull-up),
every other line starts at the simulator's default, pull-down.

Usage: pinmap-lines.py PINMAP.toml OUT  (prints a note on stdout when it used defaults)
"""
import os
import sys
import tomllib

ROLES = ["lock", "bolt", "door", "counter-d0", "counter-d1", "return-d0", "return-d1",
         "return-beam", "tamper", "buzzer", "led-ok", "led-fault"]
DEFAULT_CHIP = "dosecab-sim"
WIEGAND = {"counter-d0", "counter-d1", "return-d0", "return-d1"}


def entries(node, key, chip, out):
    if isinstance(node, list):
        for item in node:
            entries(item, key, chip, out)
        return
    if not isinstance(node, dict):
        return
    here_chip = node.get("chip") if isinstance(node.get("chip"), str) else chip
    name = node.get("line", node.get("name"))
    if isinstance(name, str):
        explicit = isinstance(node.get("role"), str)
        role = node["role"] if explicit else key
        if not explicit and role not in ROLES:
            return  # e.g. a [chip] table with a name: not a line
        offset = node.get("offset") if isinstance(node.get("offset"), int) else None
        out.append({"role": role, "name": name, "chip": here_chip, "offset": offset})
        return
    for k, v in node.items():
        entries(v, k, here_chip, out)


def main():
    pinmap, out_path = sys.argv[1], sys.argv[2]
    note = ""
    if os.path.exists(pinmap):
        with open(pinmap, "rb") as f:
            data = tomllib.load(f)
        found = []
        entries(data, None, None, found)
        if not found:
            sys.exit(f"pinmap-lines: no table with a 'line' key in {pinmap}")
        missing = [r for r in ROLES if r not in {e["role"] for e in found}]
        if missing:
            note = f"note: {pinmap} has no line for role(s) {', '.join(missing)}; the guest chip lacks them too"
    else:
        found = [{"role": r, "name": r, "chip": None, "offset": None} for r in ROLES]
        note = (f"note: {pinmap} not found: using the ARCHITECTURE.md role names as line "
                f"names on one gpio-sim chip labelled '{DEFAULT_CHIP}'")
    banks = {}
    by_path = []
    for e in found:
        chip = e["chip"] or DEFAULT_CHIP
        if chip.startswith("/") or chip.isdigit() or chip.startswith("gpiochip"):
            # gpio-sim cannot pick its chip number; a label keeps the lookup by name.
            by_path.append((e['role'], chip))
            chip = DEFAULT_CHIP
        banks.setdefault(chip, []).append(e)
    if by_path:
        chips = sorted({c for _, c in by_path})
        note += (f"\nnote: {len(by_path)} role(s) name chip {', '.join(repr(c) for c in chips)} by path/number; "
                 f"the guest's gpio-sim chip is labelled '{DEFAULT_CHIP}' (and is the guest's only chip, so it is gpiochip0)")
    lines = []
    for chip, es in banks.items():
        lines.append(f"bank {chip}")
        es.sort(key=lambda e: (e["offset"] if e["offset"] is not None else 1000 + (ROLES.index(e["role"]) if e["role"] in ROLES else 999)))
        used = set()
        next_free = 0
        for e in es:
            off = e["offset"]
            if off is None:
                while next_free in used:
                    next_free += 1
                off = next_free
            if off in used:
                sys.exit(f"pinmap-lines: two lines at offset {off} on chip {chip}")
            used.add(off)
            for field in (e["name"], e["role"] or "-"):
                if any(c.isspace() for c in field) or not field:
                    sys.exit(f"pinmap-lines: line name or role with white space: {field!r}")
            idle = "pull-up" if e["role"] in WIEGAND else "pull-down"
            lines.append(f"line {off} {e['name']} {e['role'] or '-'} {idle}")
    with open(out_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    if note:
        print(note.strip())


main()
