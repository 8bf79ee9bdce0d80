"""The rule compiler against go-libaudit's kernel-captured golden bytes, and ``auditctl -l``.

``go-libaudit-rule-golden/X.rules.golden.yml`` holds, for each rule of
``X.rules``, the ``audit_rule_data`` a real kernel listed after auditctl 3.0
loaded that rule alone, with watched paths moved under ``/tmp/audit-test/``
(go-libaudit's generator rewrites ``-w /p``, ``dir=/p`` and ``path=/p`` and
creates each path: a directory when written with a trailing slash, else a
file).  We apply the same rewrite, compile with ``c2audit rules compile
--json`` and compare the kernel form (class bits cleared, padded to 4 bytes)
byte for byte.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from c2audit.cli.rules import main as rules_main
from c2audit.rules import Environment, compile_rules_text, decompile, kernel_form

FIXTURES = Path(__file__).parent / "fixtures" / "rules"
LISTING_FIXTURE = FIXTURES / "auditctl-listing-golden.json"
TEST_ROOT = "/tmp/audit-test"  # go-libaudit's tempDir: it is part of the golden bytes


def golden_dir(corpus: Path) -> Path:
    return corpus / "expectations" / "go-libaudit-rule-golden"


def rewrite_paths(text: str) -> str:
    """go-libaudit's makePaths: watched paths move under /tmp/audit-test (quoted ones too)."""
    text = re.sub(r"(-w\s+)([\"']?)/", rf"\1\2{TEST_ROOT}/", text)
    return re.sub(r"\b((?:dir|path)=)([\"']?)/", rf"\1\2{TEST_ROOT}/", text)


def created_directories(text: str) -> set[str]:
    """The paths go-libaudit created as directories (written with a trailing slash)."""
    return {path.rstrip("/") for path in re.findall(rf"({TEST_ROOT}/\S*/)(?=\s|$)", text)}


def golden_environment(text: str, machine: str = "x86_64") -> Environment:
    """The host go-libaudit's generator ran on, as far as compiling ``text`` can tell."""
    directories = created_directories(text)
    return Environment(machine=machine, is_dir=directories.__contains__)


def golden_machine(golden_text: str) -> str:
    """The machine the golden file was captured on (its ``uname -a`` header)."""
    return re.search(r"^# Linux .* (\S+) GNU/Linux", golden_text, re.MULTILINE).group(1)


def golden_rules(corpus: Path) -> list[tuple[str, dict]]:
    cases = []
    for path in sorted(golden_dir(corpus).glob("*.rules.golden.yml")):
        name = path.name.removesuffix(".golden.yml")
        cases += [(name, entry) for entry in yaml.safe_load(path.read_text())["rules"]]
    return cases


@contextmanager
def golden_directories(directories: set[str]) -> Iterator[None]:
    """Create the directories a golden file watches (a watched directory compiles to AUDIT_DIR)."""
    fresh = not os.path.exists(TEST_ROOT)
    if not fresh and not all(os.path.isdir(d) for d in directories):
        pytest.skip(f"{TEST_ROOT} exists and is not ours to fill")
    for directory in directories:
        os.makedirs(directory, exist_ok=True)
    try:
        yield
    finally:
        if fresh:
            shutil.rmtree(TEST_ROOT, ignore_errors=True)


RULE_FILES = ["01-file-watch-spaces.rules", "20-dont-audit.rules", "22-ignore-chrony.rules",
              "30-nispom.rules", "30-pci-dss-v31.rules", "32-power-abuse.rules", "41-containers.rules",
              "43-module-load.rules", "70-einval.rules"]


def test_every_golden_file_is_covered(corpus: Path) -> None:
    assert sorted(p.name for p in golden_dir(corpus).glob("*.rules")) == RULE_FILES


@pytest.mark.parametrize("name", RULE_FILES)
def test_compile_json_matches_kernel_golden_bytes(
    corpus: Path, name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    golden_text = (golden_dir(corpus) / f"{name}.golden.yml").read_text()
    golden = yaml.safe_load(golden_text)["rules"]
    text = rewrite_paths((golden_dir(corpus) / name).read_text())
    rules_file = tmp_path / name
    rules_file.write_text(text)
    with golden_directories(created_directories(text)):
        status = rules_main(["compile", "--json", "--machine", golden_machine(golden_text), str(rules_file)])
    output = json.loads(capsys.readouterr().out)
    assert status == 0
    assert len(output) == len(golden)
    lines = text.split("\n")
    for row, entry in zip(output, golden, strict=True):
        assert row["file"] == str(rules_file)
        assert row["rule"] == lines[row["line"] - 1]
        assert kernel_form(bytes.fromhex(row["data"])) == entry["bytes"], entry["flags"]


def test_rule_data_yml_is_what_auditctl_sends(corpus: Path) -> None:
    """go-libaudit's own encodings (x86_64, unpadded): the sent form, byte for byte."""
    for entry in yaml.safe_load((golden_dir(corpus) / "rule_data.yml").read_text())["rules"]:
        compiled = compile_rules_text(entry["flags"], environment=Environment(machine="x86_64"))
        assert not compiled.errors
        assert compiled.rules[0].data == entry["bytes"], entry["flags"]


def test_golden_flags_compile_to_the_golden_bytes_too(corpus: Path) -> None:
    """The rewritten rule text in each golden entry, compiled line by line, gives its bytes."""
    for name, entry in golden_rules(corpus):
        machine = "aarch64" if name.startswith("01-") else "x86_64"
        compiled = compile_rules_text(entry["flags"], environment=golden_environment(entry["flags"], machine))
        assert not compiled.errors, compiled.errors
        assert kernel_form(compiled.rules[0].data) == entry["bytes"], entry["flags"]


def listing_fixture() -> list[dict]:
    return json.loads(LISTING_FIXTURE.read_text())["rules"]


def test_decompile_golden_bytes_prints_what_auditctl_l_printed(corpus: Path) -> None:
    captured = listing_fixture()
    cases = golden_rules(corpus)
    assert [(c["file"], c["rule"]) for c in captured] == [(name, e["flags"]) for name, e in cases]
    for (_, entry), listing in zip(cases, captured, strict=True):
        assert decompile(entry["bytes"], machine="x86_64") == listing["auditctl_l"]


def test_decompile_of_compiled_rules_prints_what_auditctl_l_printed() -> None:
    for listing in listing_fixture():
        environment = golden_environment(listing["rule"])
        compiled = compile_rules_text(listing["rule"], environment=environment).rules[0]
        assert decompile(compiled.data) == listing["auditctl_l"]


def _make_paths(words: list[str]) -> None:
    """Create the watched paths of a rule as go-libaudit's generator did."""
    for previous, word in zip(["", *words], words, strict=False):
        path = word if previous == "-w" else ""
        if word.startswith(("dir=", "path=")):
            path = word.partition("=")[2]
        if not path.startswith(TEST_ROOT):
            continue
        if path.endswith("/"):
            os.makedirs(path, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            Path(path).touch()


@pytest.mark.kernel
@pytest.mark.reference
def test_live_auditctl_lists_golden_rules_as_we_decompile_them(corpus: Path, kernel_state: object) -> None:
    """Load each golden rule with the real auditctl, list it, delete it: text and bytes agree with ours.

    With C2AUDIT_UPDATE_GOLDEN=1 it rewrites the listing fixture from what auditctl printed.
    """
    from c2audit.kernel import AuditClient

    if shutil.which("auditctl") is None:
        pytest.skip("auditctl is not installed (apt-get install auditd)")
    if os.uname().machine != "x86_64":
        pytest.skip("the listing fixture was captured on x86_64 (b32/b64 name other syscalls elsewhere)")
    if os.path.exists(TEST_ROOT):
        pytest.skip(f"{TEST_ROOT} exists: it is not ours to create and delete")
    captured = []
    with AuditClient() as client:
        if client.list_rules():
            pytest.skip("the kernel holds rules already: auditctl -l would list them too")
        try:
            for name, entry in golden_rules(corpus):
                words = shlex.split(entry["flags"])
                _make_paths(words)
                subprocess.run(["auditctl", *words], check=True, capture_output=True)
                listed = client.list_rules()
                text = subprocess.run(["auditctl", "-l"], check=True, capture_output=True, text=True).stdout
                for rule in listed:
                    client.delete_rule(rule)
                shutil.rmtree(TEST_ROOT, ignore_errors=True)
                assert len(listed) == 1
                captured.append({"file": name, "rule": entry["flags"], "auditctl_l": text.rstrip("\n")})
                assert decompile(listed[0]) == text.rstrip("\n")
                environment = golden_environment(entry["flags"])
                ours = compile_rules_text(entry["flags"], environment=environment).rules[0]
                assert kernel_form(ours.data) == listed[0] + b"\0" * (-len(listed[0]) % 4)
        finally:
            shutil.rmtree(TEST_ROOT, ignore_errors=True)
    if os.environ.get("C2AUDIT_UPDATE_GOLDEN") == "1":
        document = json.loads(LISTING_FIXTURE.read_text())
        document["rules"] = captured
        LISTING_FIXTURE.write_text(json.dumps(document, indent=1) + "\n")
    assert captured == listing_fixture()
