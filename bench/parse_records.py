"""Micro-benchmark of the record parser, the grouper and ``c2audit parse`` on a corpus-built log.

Builds a log of about ``--mb`` megabytes from every event of
``../shared/corpus/logs`` (unique, increasing serials and timestamps), then
times, in this one run, CPU seconds of:

* a plain Python pass (header regex, ``split('=')`` fields, group by serial,
  ``orjson.dumps``): the floor any Python parser stands on;
* c2audit's stages: headers only, + fields, + grouping, + JSON encoding;
* ``c2audit parse --format json`` and ``--format raw`` as commands;
* laurel 0.5.1 (enrichment off) and ``ausearch --raw`` when installed.

Prints events/s and the ratio to the plain pass for each; the machine's load
moves absolute numbers, the ratios less.  ``python bench/parse_records.py --mb 20``.
"""
from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parent.parent
LOGS = REPO.parent / "shared" / "corpus" / "logs"
HEADER = re.compile(r"((?:node=[^ ]+ +)?type=[^ ]+ +msg=audit\()([0-9]+)\.([0-9]+):([0-9]+)(\):.*)")
LAUREL_CONFIG = """directory = "{directory}"
statusreport-period = 0
[auditlog]
file = "audit.log"
size = 100000000000
generations = 1
[translate]
universal = false
user-db = false
[enrich]
pid = false
execve-env = []
container = false
script = false
"""


def build_log(path: Path, megabytes: int) -> int:
    """Write the corpus's events again and again with fresh serials; return the event count."""
    events: list[list[tuple[str, str]]] = []
    for log in sorted(LOGS.iterdir()):
        grouped: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
        for line in log.read_bytes().decode("utf-8", "surrogateescape").split("\n"):
            match = HEADER.match(line)
            if match:
                grouped.setdefault(match.group(2, 3, 4), []).append((match.group(1), match.group(5)))
        events += grouped.values()
    target, size, serial, second, count = megabytes << 20, 0, 1, 1_700_000_000, 0
    with path.open("w", encoding="utf-8", errors="surrogateescape") as out:
        while size < target:
            for records in events:
                for head, tail in records:
                    line = f"{head}{second}.{serial % 1000:03d}:{serial}{tail}\n"
                    out.write(line)
                    size += len(line)
                serial, count = serial + 1, count + 1
                second += serial % 7 == 0
                if size >= target:
                    break
    return count


def plain_pass(path: Path) -> None:
    header = re.compile(r"(?:node=([^ ]+) +)?type=([^ ]+) +msg=audit\(([0-9]+)\.([0-9]+):([0-9]+)\):")
    key, records = None, []
    with path.open("rb") as stream:
        for raw in stream:
            line = raw.decode("utf-8", "surrogateescape").rstrip("\n")
            match = header.match(line)
            if not match:
                continue
            if match.group(3, 4, 5) != key:
                if records:
                    orjson.dumps({"records": records})
                key, records = match.group(3, 4, 5), []
            body = line[match.end() + 1:].split(" ")
            fields = dict(token.split("=", 1) for token in body if "=" in token)
            records.append({"type": match.group(2), "fields": fields})


def stage(path: Path, upto: str) -> None:
    from c2audit.encode import make_encoder
    from c2audit.events import AuparseGrouper, group
    from c2audit.reader import CollectingErrorSink, read_records

    records = read_records([path], CollectingErrorSink())
    if upto == "headers":
        for _ in records:
            pass
    elif upto == "fields":
        for record in records:
            _ = record.fields  # the lazy field split: the work this stage measures
    elif upto == "grouping":
        for _ in group(records, AuparseGrouper()):
            pass
    else:
        encode = make_encoder("json").encode
        for event in group(records, AuparseGrouper(keep_eoe=True)):
            encode(event)


def cpu(run: Callable[[], None], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def command_cpu(argv: list[str], repeat: int, stdin: Path | None = None) -> float:
    best = float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(stdin or "/dev/null", "rb") as source:
            subprocess.run(argv, stdin=source, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best = min(best, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return best


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument("--mb", type=int, default=20, help="size of the log to build (MB)")
    options.add_argument("--repeat", type=int, default=3, help="runs per measure; the fastest counts")
    args = options.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "audit.log"
        events = build_log(log, args.mb)
        print(f"log: {log.stat().st_size / 1e6:.1f} MB, {events} events")
        results = {"plain Python + orjson": cpu(lambda: plain_pass(log), args.repeat)}
        for upto in ("headers", "fields", "grouping", "json"):
            results[f"c2audit stage: {upto}"] = cpu(lambda upto=upto: stage(log, upto), args.repeat)
        c2audit = [sys.executable, "-m", "c2audit", "parse", "--progress", "never"]
        results["c2audit parse -F json"] = command_cpu([*c2audit, "-F", "json", str(log)], args.repeat)
        results["c2audit parse -F raw"] = command_cpu([*c2audit, "-F", "raw", str(log)], args.repeat)
        if shutil.which("laurel"):
            config = Path(scratch) / "laurel.toml"
            config.write_text(LAUREL_CONFIG.format(directory=scratch))
            results["laurel 0.5.1 (stdin, enrichment off)"] = command_cpu(
                ["laurel", "-c", str(config)], args.repeat, stdin=log)
        if shutil.which("ausearch"):
            results["ausearch --raw"] = command_cpu(["ausearch", "-if", str(log), "--raw"], args.repeat)
        floor = results["plain Python + orjson"]
        for name, seconds in results.items():
            print(f"{name:40} {seconds:7.2f} s CPU {events / seconds:9.0f} events/s  x{seconds / floor:5.2f}")


if __name__ == "__main__":
    main()
