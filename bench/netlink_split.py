#!/usr/bin/env python3
"""How much the daemon's per-record netlink work costs: ``record_of`` against ``split_messages``.

Run: ``.venv/bin/python bench/netlink_split.py``.  Prints ns per datagram for
each way of getting (type, payload) out of a captured SYSCALL datagram, and the
ratio to the general parser measured in the same run (no absolute targets: the
machine is shared).
"""
from __future__ import annotations

import timeit
from pathlib import Path

from c2audit import netlink

DATAGRAM = (Path(__file__).resolve().parent.parent / "tests/fixtures/netlink/record_syscall_unicast.bin").read_bytes()


def main(number: int = 200_000) -> None:
    cases = {
        "split_messages (general)": lambda: netlink.split_messages(DATAGRAM),
        "record_of (hot path)": lambda: netlink.record_of(DATAGRAM),
        "inline: index + slice (floor)": lambda: (DATAGRAM[4] | DATAGRAM[5] << 8, DATAGRAM[16:]),
    }
    timings = {name: min(timeit.repeat(case, number=number, repeat=3)) / number * 1e9 for name, case in cases.items()}
    base = timings["split_messages (general)"]
    for name, ns in timings.items():
        print(f"{name:32} {ns:8.0f} ns/datagram  {ns / base:5.2f}x of split_messages")


if __name__ == "__main__":
    main()
