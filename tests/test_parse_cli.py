"""``c2audit parse``: raw regrouping loses no line, JSON documents, errors, stdin, --follow."""
from __future__ import annotations

import io
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from test_reader import EXPECTED_GARBAGE

from c2audit.cli import parse
from c2audit.reader import CollectingErrorSink, read_records

COMMAND = [sys.executable, "-m", "c2audit", "parse"]


def run(argv: list[str], capsysbinary, stdin: bytes | None = None,
        monkeypatch=None) -> tuple[int, bytes, str]:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = parse.main(argv)
    captured = capsysbinary.readouterr()
    return code, captured.out, captured.err.decode()


def record_lines(log: Path) -> list[str]:
    return [line for line in log.read_bytes().decode("utf-8", "surrogateescape").split("\n")
            if line.startswith(("type=", "node="))]


def test_raw_regroups_every_corpus_log_without_losing_a_line(corpus, capsysbinary):
    for log in sorted((corpus / "logs").iterdir()):
        code, out, err = run(["--format", "raw", str(log)], capsysbinary)
        assert code == 0
        lines = out.decode("utf-8", "surrogateescape").split("\n")  # not splitlines: \x1d is no line end
        assert lines.pop() == ""
        assert Counter(lines) == Counter(record_lines(log)), log.name
        assert ("were not audit records" in err) == (log.name in EXPECTED_GARBAGE)


def test_raw_puts_each_events_records_together(corpus, capsysbinary):
    log = corpus / "logs" / "laurel__shell-proc-trace-reordered.txt"
    _code, out, _ = run([str(log)], capsysbinary)
    serials = [line.split(":")[1].split(")")[0] for line in out.decode().splitlines()]
    runs = [serial for index, serial in enumerate(serials) if index == 0 or serials[index - 1] != serial]
    assert len(runs) == len(set(runs))  # no event is split around another


def test_json_documents_carry_every_field_as_auparse_splits_it(corpus, capsysbinary):
    log = corpus / "logs" / "elastic-integrations__test-auditd-enriched.log"
    code, out, _ = run(["--format", "json", str(log)], capsysbinary)
    assert code == 0
    documents = [json.loads(line) for line in out.splitlines()]
    records = {record.line: record for record in read_records([log], CollectingErrorSink())}
    seen = 0
    for document in documents:
        assert set(document) == {"node", "sec", "milli", "serial", "records"}
        for entry in document["records"]:
            record = records[entry["line"]]
            assert entry["type"] == record.type_text and entry["file"] == str(log)
            assert [tuple(field) for field in entry["fields"]] == record.data_fields
            assert entry.get("enriched") == record.enriched
            stamp = (document["node"], document["sec"], document["milli"], document["serial"])
            assert stamp == record.event_key
            seen += 1
    assert seen == len(records) == 5
    assert any(document["node"] == "praorem001" for document in documents)


def test_json_keeps_repeated_names_and_undecodable_bytes(tmp_path, capsysbinary):
    log = tmp_path / "odd.log"
    log.write_bytes(b"type=SYSCALL msg=audit(1.000:1): uid=0 uid=1 comm=\"\xff\" key=6\n")
    _code, out, _ = run(["-F", "json", str(log)], capsysbinary)
    fields = json.loads(out)["records"][0]["fields"]
    assert fields == [["uid", "0"], ["uid", "1"], ["comm", '"\udcff"'], ["key", None]]


def test_json_with_interpretations(corpus, capsysbinary):
    pytest.importorskip("c2audit.interpret")
    log = corpus / "logs" / "laurel__record-execve.txt"
    _code, out, _ = run(["-F", "json", "--interpret", str(log)], capsysbinary)
    fields = json.loads(out.splitlines()[0])["records"][0]["fields"]
    assert ["arch", "c000003e", "x86_64"] in fields
    assert ["syscall", "59", "execve"] in fields


def test_live_grouping_reports_losses_in_json(corpus, capsysbinary):
    log = corpus / "logs" / "go-libaudit__testdata-lost_messages.log"
    _code, out, _ = run(["-F", "json", "--grouping", "live", str(log)], capsysbinary)
    documents = [json.loads(line) for line in out.splitlines()]
    assert {"lost": 9, "node": None, "after_serial": 49, "next_serial": 59} in documents
    assert [d["serial"] for d in documents if "serial" in d] == [49, 59, 60, 61, 62]


def test_stdin_when_no_file_or_dash(corpus, capsysbinary, monkeypatch):
    data = (corpus / "logs" / "laurel__record-syscall-key.txt").read_bytes()
    for argv in ([], ["-"]):
        code, out, _ = run(argv, capsysbinary, stdin=data, monkeypatch=monkeypatch)
        assert code == 0 and out == data


def test_garbage_is_reported_with_file_and_line_and_reading_goes_on(tmp_path, capsysbinary):
    log = tmp_path / "mixed.log"
    log.write_text("type=USER msg=audit(1.000:1): pid=1\nnot a record\ntype=USER msg=audit(1.000:2): pid=2\n")
    code, out, err = run([str(log)], capsysbinary)
    assert code == 0
    assert out.decode().count("type=USER") == 2
    assert f"c2audit parse: {log}:2: no type= field: 'not a record'" in err
    assert "1 line(s) were not audit records" in err


def test_usage_errors(tmp_path, capsysbinary):
    assert run([str(tmp_path / "missing.log")], capsysbinary)[0] == 2
    assert run([str(tmp_path)], capsysbinary)[0] == 2
    log = tmp_path / "a.log"
    log.write_text("")
    assert run(["--follow", str(log), str(log)], capsysbinary)[0] == 2
    assert run(["--follow", "-"], capsysbinary)[0] == 2


def test_pipes_and_devices_are_inputs_too(corpus, capsysbinary):
    assert run(["/dev/null"], capsysbinary)[:2] == (0, b"")
    log = corpus / "logs" / "laurel__record-login.txt"
    piped = subprocess.run(f"{' '.join(COMMAND)} <(cat {log})", shell=True, executable="/bin/bash",
                           capture_output=True, env=_env(), check=False)
    assert piped.returncode == 0 and piped.stdout.count(b"type=") == 3


def test_progress_bar_only_when_asked_or_on_a_terminal(corpus, capsysbinary):
    log = str(corpus / "logs" / "go-libaudit__testdata-normal.log")
    assert "c2audit parse" not in run([log], capsysbinary)[2]  # stderr is not a terminal here
    assert "c2audit parse: 100%" in run(["--progress", "always", log], capsysbinary)[2]


def test_a_reader_that_goes_away_is_not_an_error(corpus):
    logs = [str(log) for log in sorted((corpus / "logs").iterdir())]
    pipeline = subprocess.run(f"{' '.join(COMMAND)} -F json {' '.join(logs)} | head -n 1",
                              shell=True, capture_output=True, text=True, env=_env(), check=False)
    assert pipeline.stdout.count("\n") == 1
    assert "Traceback" not in pipeline.stderr and "BrokenPipe" not in pipeline.stderr


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(Path(parse.__file__).parents[2])}


class Output:
    """Lines of a child's stdout, each awaited with a timeout."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.fd = process.stdout.fileno()
        self.buffer = b""

    def line(self, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            if time.monotonic() > deadline:
                raise AssertionError("no output from c2audit parse --follow")
            if select.select([self.fd], [], [], 0.1)[0]:
                self.buffer += os.read(self.fd, 65536)
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()


def test_follow_prints_events_as_they_are_written_across_rotation(tmp_path):
    log = tmp_path / "audit.log"
    log.write_text("type=USER msg=audit(1.000:1): pid=1\n")
    process = subprocess.Popen([*COMMAND, "--follow", "-F", "json", str(log)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=_env())
    output = Output(process)
    try:
        assert json.loads(output.line())["serial"] == 1
        with log.open("a") as stream:
            stream.write("type=SYSCALL msg=audit(2.000:2): a=1\ntype=EOE msg=audit(2.000:2):\n"
                         "type=USER msg=audit(3.000:3): pid=3\n")
        assert json.loads(output.line())["serial"] == 2
        assert json.loads(output.line())["serial"] == 3
        os.rename(log, tmp_path / "audit.log.1")
        log.write_text("type=USER msg=audit(4.000:4): pid=4\n")
        document = json.loads(output.line())
        assert document["serial"] == 4 and document["records"][0]["line"] == 1
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    assert process.returncode == 130
