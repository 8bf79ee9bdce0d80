"""Walk every event, record and field of a log with an ``auparse``-style binding.

    /usr/bin/python3 bench/auparse_walk.py auparse LOG [--interpret]        # Debian's C binding
    .venv/bin/python bench/auparse_walk.py c2audit.auparse LOG [--interpret]

Reads each field's name and value (and its ``interpret_field()`` with
``--interpret``) the way a script using the binding does, and prints the
number of events, records and fields seen.  Runs under either interpreter: it
imports nothing but the binding named on the command line.
"""
from __future__ import annotations

import importlib
import sys


def walk(module_name: str, path: str, interpret: bool) -> tuple[int, int, int]:
    auparse = importlib.import_module(module_name)
    parser = auparse.AuParser(auparse.AUSOURCE_FILE, path)
    events = records = fields = 0
    while parser.parse_next_event():
        events += 1
        parser.first_record()
        while True:
            records += 1
            has_field = parser.first_field()  # a record may have no field at all
            while has_field:
                fields += 1
                parser.get_field_name()
                try:  # the binding raises for a value auparse holds as NULL (an undecodable key)
                    parser.get_field_str()
                    if interpret:
                        parser.interpret_field()
                except RuntimeError:
                    pass
                has_field = parser.next_field()
            if not parser.next_record():
                break
    return events, records, fields


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4) or sys.argv[3:] not in ([], ["--interpret"]):
        raise SystemExit(f"usage: {sys.argv[0]} MODULE LOG [--interpret]")
    events, records, fields = walk(sys.argv[1], sys.argv[2], sys.argv[3:] == ["--interpret"])
    print(f"events={events} records={records} fields={fields}")
