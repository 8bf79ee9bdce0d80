"""Benchmark of reading audit logs: c2audit against ausearch, libauparse and laurel, in one run.

    .venv/bin/python bench/parse.py [--size 100M] [--unique-values] [--repeat N] [--only NAME ...] [--log PATH] [--keep]

1. **The log.**  Every event of ``../shared/corpus/logs`` (grouped as libauparse
   groups them) is a template; templates are written in turn, each with the
   next serial and a timestamp 10 ms after the previous event's, until the log
   reaches ``--size`` (``100M``; ``1G`` for the memory check).  Records keep
   their text, ENRICHED part and ``node=``; only ``msg=audit(…)`` changes, so
   every event is valid and its serial unique and increasing.  With
   ``--unique-values`` each event also gets its own pid, ppid, inode and
   pointer-sized arguments, as on a live system (caches of words then hit less).
2. **The tools.**  Each reads the whole log once, output to ``/dev/null``:
   ``ausearch --raw`` and ``-i``; a walk of every field with Debian's
   ``auparse`` binding (``/usr/bin/python3``) without and with
   ``interpret_field()``; ``laurel`` reading the log on stdin with every
   enrichment, translation and label off (``bench/laurel.toml``); and
   c2audit's ``parse --format raw|interpreted|json|laurel`` and the same
   walk with ``c2audit.auparse``; and ``bench/python_floor.py``, the least a
   Python program can do per line (split, ``orjson.dumps``), as the ceiling
   of any Python JSON encoder against laurel.  A tool or format that does not
   exist is skipped with a note.  c2audit's modules are compiled to bytecode
   first, as an installed package has them (``PYTHONDONTWRITEBYTECODE`` would
   otherwise make every run compile them again).
3. **Names.**  As root, the run re-executes itself under
   ``bench/local-names.sh`` so that every tool, c2audit included, resolves
   users, groups and protocols from local files only (the distribution's
   ``passwd: files systemd`` makes a miss cost milliseconds in ausearch and
   libauparse).  Otherwise it says which configuration was used.
4. **Figures.**  Wall and CPU (user + system) time, events/s and MB/s (on wall
   time) and peak RSS (``/usr/bin/time``'s ``%M``: the tool process's maximum
   resident set) for each, and each c2audit figure as a ratio to the reference
   doing the same job, measured in this run (on wall and on CPU time: on a
   shared machine CPU time is the steadier of the two).  ``--repeat N`` runs
   the tools N times, round by round, and keeps each one's fastest run.
"""
from __future__ import annotations

import argparse
import compileall
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CORPUS_LOGS = REPO.parent / "shared" / "corpus" / "logs"
ISOLATED = "C2AUDIT_BENCH_LOCAL_NAMES"
START = 1700000000  # 2023-11-14 22:13:20 UTC
STEP_MS = 10
_HEADER = re.compile(r"msg=audit\([0-9]+\.[0-9]+:[0-9]+\)")


@dataclass(frozen=True)
class Tool:
    name: str
    command: list[str]
    stdin: bool = False  # the log on standard input instead of as an argument
    missing: str | None = None  # why it cannot run here
    reference: str | None = None  # the tool whose job this one does


@dataclass(frozen=True)
class Result:
    tool: Tool
    seconds: float  # wall clock
    cpu_seconds: float  # user + system
    max_rss_kib: int
    status: int


# --- the log ---------------------------------------------------------------------------------


def templates() -> list[list[tuple[str, str]]]:
    """Every corpus event as its records' text around the ``msg=audit(…)`` header."""
    sys.path.insert(0, str(REPO / "src"))
    from c2audit.events import Event
    from c2audit.reader import CollectingErrorSink, read_events

    events: list[list[tuple[str, str]]] = []
    for log in sorted(CORPUS_LOGS.iterdir()):
        for item in read_events([log], on_error=CollectingErrorSink()):
            if not isinstance(item, Event):
                continue
            parts = []
            for record in item.records:
                match = _HEADER.search(record.raw)
                if match is not None:
                    parts.append((record.raw[: match.start()], record.raw[match.end():]))
            if parts:
                events.append(parts)
    return events


_FIRST_ID, _ID_SPACE = 100, 4_194_000  # pids between 100 and the kernel's pid_max
_ID_OFFSET = {"ppid": 0, "pid": 1, "inode": 2, "ino": 3}
_PER_EVENT = re.compile(r"\b(pid|ppid|inode|ino)=([0-9]+)\b|\b(a[0-3])=([0-9a-f]{8,16})\b")


def unique_values(text: str, count: int) -> str:
    """``text`` with its process ids, inode numbers and pointer-sized arguments made the event's own.

    A live log repeats far fewer words than the corpus cycled over and over;
    this makes the words a cache could remember from earlier events fresh.
    """
    def fresh(match: re.Match[str]) -> str:
        name = match.group(1)
        if name:
            return f"{name}={_FIRST_ID + (count * 8 + _ID_OFFSET[name]) % _ID_SPACE}"
        return f"{match.group(3)}={0x7F0000000000 + count * 4096 + int(match.group(3)[1]) * 8:x}"

    return _PER_EVENT.sub(fresh, text)


def build_log(path: Path, size: int, unique: bool = False) -> int:
    """Write a log of at least ``size`` bytes from the corpus templates; return its event count."""
    events = templates()
    written = count = 0
    with path.open("w", encoding="utf-8", errors="surrogateescape", newline="\n") as out:
        while written < size:
            for parts in events:
                count += 1
                millis = count * STEP_MS
                header = f"msg=audit({START + millis // 1000}.{millis % 1000:03d}:{count})"
                chunk = "".join(f"{before}{header}{after}\n" for before, after in parts)
                if unique:
                    chunk = unique_values(chunk, count)
                out.write(chunk)
                written += len(chunk)
                if written >= size:
                    break
    return count


# --- the tools -------------------------------------------------------------------------------


def tools(log: Path, workdir: Path) -> list[Tool]:
    python = sys.executable
    c2audit = [python, "-m", "c2audit", "parse"]
    walk = str(BENCH / "auparse_walk.py")
    ausearch = shutil.which("ausearch")
    laurel = shutil.which("laurel")
    no_ausearch = None if ausearch else "ausearch is not installed (Debian's auditd)"
    binding = _reference_binding()
    formats = _c2audit_formats()
    c2_auparse = None if _importable("c2audit.auparse") else "c2audit.auparse does not exist yet"

    def c2_format(name: str) -> str | None:
        return None if name in formats else f"c2audit parse has no --format {name} yet"

    laurel_config = workdir / "laurel.toml"
    laurel_config.write_text((BENCH / "laurel.toml").read_text().replace("@DIRECTORY@", str(workdir)))
    return [
        Tool("ausearch --raw", [ausearch or "ausearch", "-if", str(log), "--raw"], missing=no_ausearch),
        Tool("ausearch -i", [ausearch or "ausearch", "-if", str(log), "-i"], missing=no_ausearch),
        Tool("auparse walk", ["/usr/bin/python3", walk, "auparse", str(log)], missing=binding),
        Tool("auparse walk + interpret_field", ["/usr/bin/python3", walk, "auparse", str(log), "--interpret"],
             missing=binding),
        Tool("laurel (stdin)", [laurel or "laurel", "-c", str(laurel_config)], stdin=True,
             missing=None if laurel else "laurel is not installed"),
        Tool("python floor: split + orjson per line", [python, str(BENCH / "python_floor.py"), str(log)],
             reference="laurel (stdin)"),
        Tool("c2audit parse --format raw", [*c2audit, "--format", "raw", str(log)],
             missing=c2_format("raw"), reference="ausearch --raw"),
        Tool("c2audit parse --format interpreted", [*c2audit, "--format", "interpreted", str(log)],
             missing=c2_format("interpreted"), reference="ausearch -i"),
        Tool("c2audit parse --format json", [*c2audit, "--format", "json", str(log)],
             missing=c2_format("json"), reference="laurel (stdin)"),
        Tool("c2audit parse --format laurel", [*c2audit, "--format", "laurel", str(log)],
             missing=c2_format("laurel"), reference="laurel (stdin)"),
        Tool("c2audit.auparse walk", [python, walk, "c2audit.auparse", str(log)],
             missing=c2_auparse, reference="auparse walk"),
        Tool("c2audit.auparse walk + interpret_field", [python, walk, "c2audit.auparse", str(log), "--interpret"],
             missing=c2_auparse, reference="auparse walk + interpret_field"),
    ]


def _reference_binding() -> str | None:
    if not Path("/usr/bin/python3").exists():
        return "/usr/bin/python3 is missing"
    found = subprocess.run(["/usr/bin/python3", "-c", "import auparse"], capture_output=True, check=False)
    return None if found.returncode == 0 else "Debian's python3-audit (import auparse) is not installed"


def _importable(module: str) -> bool:
    return subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                          check=False).returncode == 0


def compile_c2audit() -> None:
    """Write the bytecode of c2audit's modules, so that no timed run spends its start compiling them."""
    import c2audit

    compileall.compile_dir(str(Path(c2audit.__file__).parent), quiet=1)


def _c2audit_formats() -> set[str]:
    listing = subprocess.run([sys.executable, "-c", "from c2audit.encode import FORMATS; print(*FORMATS)"],
                             capture_output=True, text=True, check=False)
    return set(listing.stdout.split())


def run(tool: Tool, log: Path, workdir: Path) -> Result:
    """Run ``tool`` once, output discarded; wall time and the peak RSS of its process.

    ``/usr/bin/time`` starts the tool: a child forked from this Python process
    would carry this process's RSS as its high-water mark across ``exec``.
    """
    measured = workdir / "usage"
    command = ["/usr/bin/time", "-f", "%U %S %M", "-o", str(measured), *tool.command]
    with open(os.devnull, "wb") as sink, open(log if tool.stdin else os.devnull, "rb") as source:
        started = time.perf_counter()
        process = subprocess.run(command, stdin=source, stdout=sink, stderr=subprocess.PIPE,
                                 env={**os.environ, "TZ": "UTC"}, check=False)
        seconds = time.perf_counter() - started
    code = process.returncode
    # ausearch exits 1 when nothing matched; any other failure is reported.
    if code not in (0, 1) or (code == 1 and not tool.name.startswith("ausearch")):
        tail = process.stderr.decode(errors="replace").strip().splitlines()[-3:]
        print(f"  ! {tool.name} exited with {code}: {' | '.join(tail)}", file=sys.stderr)
    user, system, rss = measured.read_text().split()[-3:]
    return Result(tool, seconds, float(user) + float(system), int(rss), code)


# --- the report ------------------------------------------------------------------------------


def fastest(runs: list[Result]) -> Result:
    """The run least disturbed by the rest of the machine: least CPU time (its wall time with it)."""
    return min(runs, key=lambda result: result.cpu_seconds)


def report(results: list[Result], events: int, size: int, repeat: int = 1) -> str:
    """The table: rates on wall-clock time; ratios to the reference on wall and on CPU time."""
    by_name = {result.tool.name: result for result in results}
    megabytes = size / 1e6
    lines = [
        "| tool | wall s | CPU s | events/s | MB/s | peak RSS MB | vs reference: speed (wall, CPU), RSS |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for result in results:
        ratio = ""
        reference = by_name.get(result.tool.reference or "")
        if reference is not None:
            ratio = (f"{reference.seconds / result.seconds:.2f}x, {reference.cpu_seconds / result.cpu_seconds:.2f}x "
                     f"{reference.tool.name}; {result.max_rss_kib / reference.max_rss_kib:.2f}x RSS")
        failed = "" if result.status in (0, 1) else f" (exit {result.status})"
        lines.append(f"| {result.tool.name}{failed} | {result.seconds:.1f} | {result.cpu_seconds:.1f} | "
                     f"{events / result.seconds:,.0f} | {megabytes / result.seconds:.1f} | "
                     f"{result.max_rss_kib / 1024:.0f} | {ratio} |")
    if repeat > 1:
        lines.append(f"\n(each tool's fastest of {repeat} runs, by CPU time)")
    return "\n".join(lines)


def parse_size(text: str) -> int:
    units = {"K": 10**3, "M": 10**6, "G": 10**9}
    match = re.fullmatch(r"([0-9]+)([KMG]?)B?", text.upper())
    if match is None:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 100M, 1G)")
    return int(match.group(1)) * units.get(match.group(2), 1)


def names_configuration() -> str:
    if os.environ.get(ISOLATED) == "1":
        return "local files only (bench/local-names.sh: files-only nsswitch.conf in a private mount namespace)"
    try:
        passwd = next(line for line in Path("/etc/nsswitch.conf").read_text().splitlines()
                      if line.startswith("passwd:"))
    except (OSError, StopIteration):
        passwd = "passwd: (no /etc/nsswitch.conf)"
    return f"this machine's NSS ({' '.join(passwd.split())}), not isolated: run as root for local files only"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, default=parse_size("100M"), help="log size (100M, 1G, ...)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only tools whose name contains NAME")
    parser.add_argument("--log", type=Path, help="where to write the log (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the log afterwards")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="run every tool N times, round by round, and report each tool's fastest run")
    parser.add_argument("--unique-values", action="store_true",
                        help="give every event its own pid, ppid, inode and pointer-sized a0-a3 "
                             "(a live log repeats fewer words than the corpus cycled)")
    args = parser.parse_args()
    if not Path("/usr/bin/time").exists():
        raise SystemExit("bench/parse.py measures with /usr/bin/time (Debian package 'time'): not installed")
    if os.environ.get(ISOLATED) != "1" and os.geteuid() == 0 and shutil.which("unshare"):
        os.environ[ISOLATED] = "1"
        os.execv(str(BENCH / "local-names.sh"), [str(BENCH / "local-names.sh"), sys.executable, *sys.argv])
    compile_c2audit()
    with tempfile.TemporaryDirectory(prefix="c2audit-bench-") as scratch:
        workdir = Path(scratch)
        log = args.log or workdir / "bench.log"
        started = time.perf_counter()
        events = build_log(log, args.size, args.unique_values)
        size = log.stat().st_size
        print(f"log: {log} — {size / 1e6:.1f} MB, {events:,} events from {CORPUS_LOGS}"
              f"{', unique values per event' if args.unique_values else ''} "
              f"(built in {time.perf_counter() - started:.0f} s)")
        print(f"names: {names_configuration()}")
        print(f"host: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, TZ=UTC\n")
        chosen = []
        for tool in tools(log, workdir):
            if args.only and not any(word in tool.name for word in args.only):
                continue
            if tool.missing:
                print(f"skipped {tool.name}: {tool.missing}")
                continue
            chosen.append(tool)
        runs: dict[str, list[Result]] = {tool.name: [] for tool in chosen}
        for round_number in range(1, args.repeat + 1):  # round by round: a busy spell hits every tool alike
            for tool in chosen:
                print(f"round {round_number}/{args.repeat}: {tool.name} …", flush=True)
                runs[tool.name].append(run(tool, log, workdir))
        print()
        print(report([fastest(runs[tool.name]) for tool in chosen], events, size, args.repeat))
        if args.keep and args.log is None:
            kept = Path(tempfile.gettempdir()) / log.name
            shutil.move(log, kept)
            print(f"\nlog kept at {kept}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
