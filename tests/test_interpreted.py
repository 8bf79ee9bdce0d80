"""``c2audit parse --format interpreted`` against ``ausearch -i`` (Debian's audit 3.0.9).

Both sides must see the same names and the same clock:

* **Names.**  ``fixtures/interpreted/etc`` holds a small ``passwd``, ``group``
  and ``protocols``.  ausearch runs under ``bench/local-names.sh --etc …``: a
  private mount namespace where those files and a files-only
  ``nsswitch.conf`` are bind-mounted over ``/etc``'s (root only; nothing
  changes outside the namespace).  c2audit gets the same files, either as
  :class:`~c2audit.interpret.StaticLookups` (frozen test) or by running in the
  same namespace (live test).  The host machine is x86_64 for both.
* **Time.**  ``TZ=UTC LC_ALL=C``: ``%x %T`` is ``mm/dd/yy HH:MM:SS`` in UTC.

``fixtures/interpreted/expected/`` holds ausearch's output for every corpus log
and for ``synthetic.log`` (the odd cases of ausearch's report loop, grouping
and event filter the corpus lacks), so the comparison runs without ausearch;
the ``reference`` tests check that it is still what ausearch prints, and run
c2audit's command in the same namespace.  Regenerate (root, ausearch installed)::

    .venv/bin/python tests/test_interpreted.py --regenerate

Every remaining difference is listed in :data:`KNOWN_DIFFERENCES` (log, event
serial) with its reason; a difference not listed fails, and so does a listed
one that went away.
"""
from __future__ import annotations

import difflib
import gzip
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from c2audit.encode.interpreted import InterpretedEncoder
from c2audit.events_ausearch import AusearchGrouper
from c2audit.interpret import StaticLookups
from c2audit.interpret.names import read_protocols
from c2audit.reader import CollectingErrorSink, read_events

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "interpreted"
ETC = FIXTURES / "etc"
EXPECTED = FIXTURES / "expected"
SYNTHETIC = FIXTURES / "synthetic.log"
LOGS = REPO.parent / "shared" / "corpus" / "logs"
LOCAL_NAMES = REPO / "bench" / "local-names.sh"
ENVIRONMENT = {"TZ": "UTC", "LC_ALL": "C"}
GZIP_ABOVE = 256 * 1024  # expected outputs larger than this are stored gzipped

# (log, event serial) -> why c2audit prints that event differently from ausearch 3.0.9.
KNOWN_DIFFERENCES: dict[tuple[str, int], str] = {
    ("hillu-linux-audit-parser-rs__line-testdata.log", 12266329):
        "typetab 4.x interprets uring_op as an io_uring operation (openat); 3.0.9 prints the number",
    ("laurel__fork-sleep-exec.txt", 0):
        "ausearch takes the comment line '#   execve(\"/bin/true\", NULL, NULL);' for a record "
        "(extract_timestamp reads the third word of any line as the timestamp: no digits, so time 0, "
        "serial 0); c2audit's record parser refuses a line without a type=... msg=audit(...) header "
        "and reports it on stderr",
}


def utc_c_locale(sec: int) -> str:
    """``strftime("%x %T")`` in the C locale, UTC."""
    return time.strftime("%m/%d/%y %H:%M:%S", time.gmtime(sec))


def fixture_lookups() -> StaticLookups:
    """The fixture user database as getpwuid/getgrgid read it (first entry per id wins)."""
    def ids(path: Path) -> dict[int, str]:
        table: dict[int, str] = {}
        for line in path.read_text().splitlines():
            fields = line.split(":")
            if len(fields) >= 3 and fields[2].isdigit():
                table.setdefault(int(fields[2]), fields[0])
        return table

    return StaticLookups(ids(ETC / "passwd"), ids(ETC / "group"), read_protocols((ETC / "protocols").read_text()))


def render(log: Path) -> str:
    """c2audit's interpreted output for ``log`` with the fixture names and UTC."""
    encoder = InterpretedEncoder(lookups=fixture_lookups(), time_format=utc_c_locale)
    data = b"".join(encoder.encode(item) for item in read_events([log], AusearchGrouper(), CollectingErrorSink()))
    return data.decode("utf-8", "surrogateescape")


def expected_path(name: str) -> Path:
    plain = EXPECTED / f"{name}.ausearch"
    return plain if plain.exists() else EXPECTED / f"{name}.ausearch.gz"


def read_expected(name: str) -> str:
    path = expected_path(name)
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return data.decode("utf-8", "surrogateescape")


_SERIAL = re.compile(r":(\d+)\) ")


def differing_events(expected: str, actual: str) -> set[int]:
    """Serials of the events that are not printed alike (missing, extra or different)."""
    def events(text: str) -> list[str]:
        return [event for event in text.split("----\n") if event]

    def serial(event: str) -> int:
        match = _SERIAL.search(event)
        return int(match.group(1)) if match else -1

    ours, theirs = events(actual), events(expected)
    matcher = difflib.SequenceMatcher(None, theirs, ours, autojunk=False)
    serials: set[int] = set()
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            serials.update(serial(event) for event in theirs[i1:i2] + ours[j1:j2])
    return serials


def known_for(name: str) -> set[int]:
    return {serial for (log, serial) in KNOWN_DIFFERENCES if log == name}


def log_path(name: str) -> Path:
    return SYNTHETIC if name == SYNTHETIC.name else LOGS / name


def compared_logs() -> list[str]:
    return sorted(path.name.removesuffix(".gz").removesuffix(".ausearch") for path in EXPECTED.iterdir())


def reference_missing() -> str | None:
    """Why the live ausearch comparison cannot run here, or None."""
    if shutil.which("ausearch") is None:
        return "ausearch (Debian's auditd 3.0.9) is not installed"
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return "the fixture user database is mounted in a private namespace: needs root and unshare"
    return None


def run_isolated(*command: str) -> bytes:
    """``command`` under the fixture names and UTC, C locale; its standard output."""
    result = subprocess.run(
        [str(LOCAL_NAMES), "--etc", str(ETC), *command],
        env={**os.environ, **ENVIRONMENT}, capture_output=True, check=False, timeout=300,
    )
    if result.returncode not in (0, 1):  # ausearch says 1 for "<no matches>"
        raise AssertionError(f"{command[0]} failed ({result.returncode}): {result.stderr.decode(errors='replace')}")
    return result.stdout


def ausearch(log: Path) -> bytes:
    return run_isolated("ausearch", "-if", str(log), "-i")


@pytest.mark.parametrize("name", compared_logs())
def test_log_prints_as_frozen_ausearch_output(name: str) -> None:
    log = log_path(name)
    if not log.exists():
        pytest.skip(f"corpus not found at {LOGS}")
    assert differing_events(read_expected(name), render(log)) == known_for(name)


@pytest.mark.parametrize("values_kept", [1024, 2])
def test_cached_path_prints_what_ausearchs_loop_prints_on_every_log(values_kept: int) -> None:
    """The fast path against the line-for-line port, with fields given up on early too (``values_kept=2``)."""
    for name in compared_logs():
        log = log_path(name)
        if not log.exists():
            continue
        outputs = []
        for fast in (False, True):
            encoder = InterpretedEncoder(lookups=fixture_lookups(), time_format=utc_c_locale)
            encoder.fast, encoder.values_kept = fast, values_kept
            outputs.append(b"".join(encoder.encode(item) for item in
                                    read_events([log], AusearchGrouper(), CollectingErrorSink())))
        assert outputs[1] == outputs[0], name


def test_every_corpus_log_has_frozen_output() -> None:
    if not LOGS.is_dir():
        pytest.skip(f"corpus not found at {LOGS}")
    assert {path.name for path in LOGS.iterdir()} | {SYNTHETIC.name} == set(compared_logs())


@pytest.mark.reference
@pytest.mark.parametrize("name", compared_logs())
def test_command_prints_as_live_ausearch(name: str) -> None:
    reason = reference_missing()
    if reason:
        pytest.skip(reason)
    log = log_path(name)
    if not log.exists():
        pytest.skip(f"corpus not found at {LOGS}")
    expected = ausearch(log)
    assert expected.decode("utf-8", "surrogateescape") == read_expected(name), \
        "frozen output is stale: regenerate it (see the module docstring)"
    ours = run_isolated(sys.executable, "-m", "c2audit", "parse", "--format", "interpreted", str(log))
    assert differing_events(expected.decode("utf-8", "surrogateescape"),
                            ours.decode("utf-8", "surrogateescape")) == known_for(name)


def regenerate() -> None:
    """Write ausearch's output for every corpus log and the synthetic log to ``expected/``."""
    reason = reference_missing()
    if reason:
        raise SystemExit(reason)
    EXPECTED.mkdir(exist_ok=True)
    for path in EXPECTED.iterdir():
        path.unlink()
    for log in [*sorted(LOGS.iterdir()), SYNTHETIC]:
        output = ausearch(log)
        if len(output) > GZIP_ABOVE:
            (EXPECTED / f"{log.name}.ausearch.gz").write_bytes(gzip.compress(output, 9, mtime=0))
        else:
            (EXPECTED / f"{log.name}.ausearch").write_bytes(output)


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        raise SystemExit(f"usage: {sys.argv[0]} --regenerate")
    regenerate()


def test_word_caches_stay_bounded_whatever_record_types_a_log_invents(tmp_path: Path) -> None:
    # type=N parses as record type N: a hostile log can name as many types as it has lines
    from c2audit.encode import interpreted

    log = tmp_path / "types.log"
    count = 3 * interpreted._TYPES_KEPT
    log.write_text("".join(f"type={10**9 + n} msg=audit(1700000000.{n % 1000:03d}:{n + 1}): pid={n} res=1\n"
                           for n in range(count)))
    encoder = InterpretedEncoder(lookups=fixture_lookups(), time_format=utc_c_locale)
    events = list(read_events([log], AusearchGrouper(), CollectingErrorSink()))
    output = b"".join(encoder.encode(item) for item in events).decode()
    assert output.count("type=") == count  # every record printed
    assert len(encoder._pieces) <= interpreted._TYPES_KEPT
