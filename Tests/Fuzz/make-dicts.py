#!/usr/bin/env python3
"""Writes the libFuzzer dictionaries in Tests/Fuzz/dict/ (tokens of each input format)."""
import os
here = os.path.dirname(os.path.abspath(__file__))

def w(name, toks):
    with open(os.path.join(here, "dict", f"{name}.dict"), "w") as f:
        f.write(f"# libFuzzer dictionary for fuzz-{name} (written by make-dicts.py)\n")
        for t in toks:
            out = ""
            for b in t.encode():
                if b in (0x22, 0x5C) or b < 0x20 or b >= 0x7F:
                    out += "\\x%02X" % b
                else:
                    out += chr(b)
            f.write(f'"{out}"\n')

json_toks = ['{', '}', '[', ']', ':', ',', '"', '\\u0000', '\\ud800', '\\"', 'true', 'false', 'null', '-0',
             '1e999', '9007199254740993', '0.5']
methods = ("status outstanding releases holds rx.list stock.list audit.verify audit.list report.daily people.list "
           "hold.clear confirm rx.import stock.add enroll lockdown sim.card sim.keys sim.scan sim.return sim.door "
           "sim.line sim.advance sim.bolt-fault").split()
w("control", json_toks + ['"method"', '"parameters"', '"error"', '\x00'] + [f'"{m}"' for m in methods])
w("prescription", json_toks + [f'"{k}"' for k in
    "entries key payload signature type prescription cancellation id version patient drug route dose_mg "
    "max_sessions_per_day min_interval_minutes valid_from valid_until prescriber titrating reason dr-a dr-b dr-c "
    "diacetylmorphine methadone injectable inhalable oral 2025-02-29".split()] + ['=='])
toml = ['[', ']', '[[', ']]', '=', '"', "'", '"""', "'''", '\\u', '\\U', 'true', 'false', 'inf', 'nan', '0x', '0o',
        '0b', '1979-05-27T07:32:00Z', '#', '\n', '.', ',', '{', '}']
w("pinmap", toml + "chip lines line active-low bias debounce-ms as-is pull-up pull-down disabled lock bolt door "
      "counter-d0 counter-d1 return-d0 return-d1 return-beam tamper buzzer led-ok led-fault".split())
w("config", toml + ['\x00'] + ("daemon policy close-out hardware journal state-directory socket pinmap "
      "prescribers-directory read-group admin-group require-clock-sync utc-offset-minutes time-zone Europe/Amsterdam ceiling-diacetylmorphine-mg "
      "ceiling-methadone-mg windows min-interval-minutes titration-max-percent missed-days-reauthorise "
      "missed-days-retitrate observation-minutes pin-attempts pin-lockout-minutes staff-session-seconds "
      "pin-entry-seconds unlock-window-seconds bolt-confirm-seconds door-open-max-seconds injectable inhalable oral "
      "rule deadline-minutes return witnessed wiegand-frame-gap-ms return-window-ms max-unsent-seconds capacity "
      "24:00 00:00").split())
w("journal", ['\x00', 'MESSAGE', 'PRIORITY', 'SYSLOG_IDENTIFIER', 'DOSECAB_', 'META_', '_', '\n', '\r', '\x1b',
              '\x7f', '\u0085', '\u2028', 'ß', 'ﬁ', 'İ'])
