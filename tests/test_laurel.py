"""``c2audit parse --format laurel`` against laurel 0.5.1: its expectations, its goldens, the live binary.

Three levels, from the task's acceptance to the whole corpus:

* laurel's own test expectations (``expectations/laurel-json``) for its
  ``record-*.txt`` logs, through the command line, compared as JSON and as bytes;
* every corpus log and ``fixtures/laurel/cases.log`` (one line per grammar and
  grouping rule) against what laurel 0.5.1 wrote for them (digests and lines
  recorded from the binary, rewritten with ``C2AUDIT_UPDATE_GOLDEN=1``);
* the same against the live ``laurel`` binary where it is installed.

Every remaining difference is listed with its reason and tested to be exactly
that: :data:`KNOWN_DIFFERENCES` (corpus logs), :data:`MILLISECONDS_ABOVE_999`
(a header c2audit refuses) and :data:`LAUREL_ABORTS` (inputs laurel dies on);
:data:`OUT_OF_SCOPE` names what laurel adds only with enrichment on.
"""
from __future__ import annotations

import gc
import hashlib
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from c2audit.cli.parse import main as parse_main
from c2audit.encode.laurel import LaurelEncoder, LaurelGrouper
from c2audit.reader import CollectingErrorSink, read_events

FIXTURES = Path(__file__).parent / "fixtures" / "laurel"
CORPUS_GOLDEN = FIXTURES / "corpus-laurel-0.5.1.json"
CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
LOGS = sorted(path.name for path in (CORPUS / "logs").glob("*")) if (CORPUS / "logs").is_dir() else []
EXPECTED = sorted(path.stem for path in (CORPUS / "expectations" / "laurel-json").glob("*.json"))
UPDATE = os.environ.get("C2AUDIT_UPDATE_GOLDEN") == "1"

LAUREL_CONFIG = FIXTURES / "laurel.toml"  # @DIRECTORY@ stands for a scratch directory

KNOWN_DIFFERENCES = {
    "elastic-beats__filebeat-auditd-execve-hex-arg.log": (
        "the file's last line has no newline: laurel's grammar ends every record with '\\n' and rejects "
        "the line; c2audit reads a last line without one, as its other formats do (laurel writes exactly "
        "c2audit's output once the newline is there)"
    ),
}
"""Corpus logs where c2audit's output differs from laurel 0.5.1's, and why."""

MILLISECONDS_ABOVE_999 = (
    b"type=USER_ACCT msg=audit(1000.5000:16): x=1\n",
    b'{"ID":"1005.000:16","USER_ACCT":{"x":"1"}}\n',
    ("c2audit's record reader refuses a header whose milliseconds exceed 999 (c2audit.records); laurel "
     "adds them to the seconds (1000.5000 is its 1005.000)"),
)
"""A record laurel accepts and c2audit rejects (laurel's output, then why)."""

LAUREL_ABORTS = {
    "syscall-with-two-fields": (
        b"type=SYSCALL msg=audit(1.000:1): arch=c000003e syscall=2\ntype=EOE msg=audit(1.000:1):\n",
        b'{"ID":"1.000:1","SYSCALL":{"arch":"0xc000003e","syscall":2,"ARGV":[]}}\n',
        ("laurel sizes its SYSCALL rewrite as len(fields) - 3 and dies of the underflow "
         "('capacity overflow') on a SYSCALL record with fewer than three fields"),
    ),
    "nul-byte-in-a-rejected-line": (
        b"type=USER_ACCT msg=audit(1.000:2): x=\x00\ntype=USER_ACCT msg=audit(1.000:3): x=1\n",
        b'{"ID":"1.000:3","USER_ACCT":{"x":"1"}}\n',
        ("laurel logs a rejected line to syslog through a C string and dies on its NUL byte (NulError); "
         "c2audit reports the line and goes on"),
    ),
    "avc-list-in-a-second-cwd": (
        (b'type=CWD msg=audit(1.000:4): cwd="/"\n'
         b"type=CWD msg=audit(1.000:4): avc:  denied  { x } for a=1\ntype=EOE msg=audit(1.000:4):\n"),
        b'{"ID":"1.000:4","CWD":{"cwd":"/","a":"1","denied":["x"]}}\n',
        ("merging a second SYSCALL/EXECVE/PROCTITLE/CWD record that carries an 'avc: ... { perms } for' list, "
         "laurel panics ('Value::List should only exist in EXECVE'); c2audit merges it as laurel merges "
         "the rest"),
    ),
}
"""Inputs on which laurel 0.5.1 aborts (a bug of laurel), with what c2audit writes instead."""

OUT_OF_SCOPE = {
    "ENV": "environment variables of the EXECVE process, read from /proc/PID/environ (enrich.execve-env)",
    "PPID/PID/PARENT_INFO and *pid maps": (
        "laurel's process table, built from /proc and earlier events (enrich.pid)"),
    "CONTAINER_INFO": "container id from /proc/PID/cgroup (enrich.container)",
    "SCRIPT": "the script an interpreter runs, from /proc/PID/root and PATH records (enrich.script)",
    "LABELS": "labels from keys, exe and script patterns, inherited along the process tree (label-process)",
    "ARCH/SYSCALL/SADDR, UID/GID names": (
        "translations laurel makes itself (translate.universal, translate.user-db); with them off it copies "
        "the ENRICHED section's upper-case keys, which c2audit does too"
    ),
    "ARGV_STR, execve-argv-limit-bytes, filter-keys/labels": "non-default transform and filter settings",
}
"""What laurel adds only with enrichment on: not written by --format laurel, by design."""


def run_cli(capsysbinary: pytest.CaptureFixture[bytes], *args: str) -> tuple[bytes, bytes]:
    try:
        assert parse_main(["--format", "laurel", "--progress", "never", *args]) == 0
    finally:
        gc.enable()  # the command turns the cycle collector off for its own run
    captured = capsysbinary.readouterr()
    return captured.out, captured.err


def encode(data: bytes) -> tuple[bytes, CollectingErrorSink]:
    """laurel's JSON for a log held in memory, through the library API."""
    encoder = LaurelEncoder()
    errors = CollectingErrorSink()
    items = read_events([io.BytesIO(data)], LaurelGrouper(errors), errors)
    out = b"".join(encoder.encode(item) for item in items)
    return out, errors


def laurel_binary() -> str:
    path = shutil.which("laurel")
    if path is None:
        pytest.skip("laurel is not installed (scripts/install-deps.sh installs Debian's laurel 0.5.1)")
    version = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    if version != "0.5.1":
        pytest.skip(f"laurel {version} is installed; the goldens are laurel 0.5.1's")
    return path


def run_laurel(data: bytes, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    config = tmp_path / "laurel.toml"
    config.write_text(LAUREL_CONFIG.read_text().replace("@DIRECTORY@", str(tmp_path)))
    return subprocess.run([laurel_binary(), "-c", str(config)], input=data, capture_output=True, timeout=120,
                          check=False)


# --- acceptance: laurel's expectations -----------------------------------------------------------


@pytest.mark.parametrize("name", EXPECTED)
def test_expectations(name: str, corpus: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    expected = (corpus / "expectations" / "laurel-json" / f"{name}.json").read_bytes()
    out, _err = run_cli(capsysbinary, str(corpus / "logs" / f"{name}.txt"))
    documents = [json.loads(line) for line in expected.splitlines()]
    assert [json.loads(line) for line in out.splitlines()] == documents
    assert out == expected  # byte for byte: key order and repeated keys (record-ptrace's uid) too


def test_every_record_log_has_an_expectation_or_a_golden(corpus: Path) -> None:
    records = sorted(path.name for path in (corpus / "logs").glob("laurel__record-*.txt"))
    golden = json.loads(CORPUS_GOLDEN.read_text())["logs"]
    assert records and all(name in golden for name in records)
    assert {f"{name}.txt" for name in EXPECTED} <= set(records)


# --- the whole corpus against laurel's recorded output -------------------------------------------


@pytest.mark.parametrize("name", LOGS)
def test_corpus_log_matches_laurel(name: str, corpus: Path) -> None:
    golden = json.loads(CORPUS_GOLDEN.read_text())["logs"][name]
    out, _ = encode((corpus / "logs" / name).read_bytes())
    if name in KNOWN_DIFFERENCES:
        assert hashlib.sha256(out).hexdigest() != golden["sha256"], f"{name} matches now: unlist it"
        return
    assert out.count(b"\n") == golden["events"]
    assert hashlib.sha256(out).hexdigest() == golden["sha256"]


def test_missing_last_newline_is_the_only_corpus_difference(corpus: Path) -> None:
    name = "elastic-beats__filebeat-auditd-execve-hex-arg.log"
    data = (corpus / "logs" / name).read_bytes()
    assert not data.endswith(b"\n")
    golden = json.loads(CORPUS_GOLDEN.read_text())["logs"][name]
    assert golden["events"] == 0  # laurel rejected the only line
    out, errors = encode(data)
    assert errors.count == 0
    assert json.loads(out) == {"ID": "1669615313.901:5538", "EXECVE": {
        "argc": 3, "ARGV": ["sh", "-c", 'echo \\"arg hex encoded\\"']}}


def test_cases(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """One line per grammar and grouping rule (fixtures/laurel/cases.log), as laurel wrote them."""
    out, err = run_cli(capsysbinary, str(FIXTURES / "cases.log"))
    assert out == (FIXTURES / "cases.jsonl").read_bytes()
    # laurel rejects 22 of those lines; each is reported with its file and line
    reported = [line for line in err.decode().splitlines() if "cases.log:" in line]
    assert len(reported) == 22
    assert any("cases.log:25: cannot parse body" in line for line in reported)
    assert any("cases.log:32: duplicate event id 1000.000:1" in line for line in reported)
    assert any("cases.log:61: Event id 1001.000:51 for EOE marker not found" in line for line in reported)


ENRICHMENT_KEYS = {"ENV", "PPID", "PID", "PARENT_INFO", "CONTAINER_INFO", "SCRIPT", "LABELS", "ARGV_STR"}


def test_nothing_out_of_scope_is_written(corpus: Path) -> None:
    """No key that only laurel's enrichment, labels or transform options add (see OUT_OF_SCOPE)."""
    for name in LOGS:
        out, _ = encode((corpus / "logs" / name).read_bytes())
        for line in out.splitlines():
            event = json.loads(line)
            records = [value for key, value in event.items() if key not in ("ID", "NODE")]
            objects = [obj for record in records for obj in (record if type(record) is list else [record])]
            assert not ENRICHMENT_KEYS & set(event), (name, line[:120])
            assert not any(ENRICHMENT_KEYS & set(obj) for obj in objects), (name, line[:120])


def test_milliseconds_above_999_are_rejected() -> None:
    data, _laurel_writes, _reason = MILLISECONDS_ABOVE_999
    out, errors = encode(data)
    assert out == b""
    assert [error.reason for error in errors.errors] == ["millisecond above 999 in the audit header"]


@pytest.mark.parametrize("case", sorted(LAUREL_ABORTS))
def test_where_laurel_aborts_c2audit_goes_on(case: str) -> None:
    data, expected, _reason = LAUREL_ABORTS[case]
    out, _ = encode(data)
    assert out == expected


# --- the live binary ------------------------------------------------------------------------------


@pytest.mark.reference
@pytest.mark.parametrize("name", LOGS)
def test_live_laurel_on_corpus(name: str, corpus: Path, tmp_path: Path) -> None:
    data = (corpus / "logs" / name).read_bytes()
    laurel = run_laurel(data, tmp_path)
    assert b"fatal" not in laurel.stderr
    if UPDATE:
        golden = json.loads(CORPUS_GOLDEN.read_text())
        golden["logs"][name] = {"sha256": hashlib.sha256(laurel.stdout).hexdigest(),
                                "events": laurel.stdout.count(b"\n")}
        CORPUS_GOLDEN.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
    out, _ = encode(data)
    if name in KNOWN_DIFFERENCES:
        assert out != laurel.stdout
        assert out == run_laurel(data + b"\n", tmp_path).stdout
    else:
        assert out == laurel.stdout


@pytest.mark.reference
def test_live_laurel_on_cases(tmp_path: Path) -> None:
    data = (FIXTURES / "cases.log").read_bytes()
    laurel = run_laurel(data, tmp_path)
    if UPDATE:
        (FIXTURES / "cases.jsonl").write_bytes(laurel.stdout)
    assert laurel.stdout == (FIXTURES / "cases.jsonl").read_bytes()
    assert laurel.stderr.count(b"laurel: Error") == 22


@pytest.mark.reference
def test_live_laurel_reads_milliseconds_above_999(tmp_path: Path) -> None:
    data, laurel_writes, _reason = MILLISECONDS_ABOVE_999
    assert run_laurel(data, tmp_path).stdout == laurel_writes


@pytest.mark.reference
@pytest.mark.parametrize("case", sorted(LAUREL_ABORTS))
def test_live_laurel_aborts(case: str, tmp_path: Path) -> None:
    data, expected, _reason = LAUREL_ABORTS[case]
    laurel = run_laurel(data, tmp_path)
    assert b"fatal error" in laurel.stderr
    assert laurel.stdout != expected
