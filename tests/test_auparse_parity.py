"""c2audit.auparse answers as Debian's python3-audit (libauparse 3.0.9) does.

Three comparisons, each with every remaining difference listed and explained:

* ``fixtures/auparse/scenarios.py`` drives every corner of the API (sources,
  cursors, exceptions, search, feeds, escaping); its output under the C
  binding is frozen in ``scenarios.expected`` (with the user, group and
  protocol names of the machine that froze it in ``scenarios.lookups.json``),
  so the comparison runs anywhere.  Regenerate both with
  ``C2AUDIT_UPDATE_GOLDEN=1 pytest tests/test_auparse_parity.py``.
* the same scenarios against the live C binding, to notice a stale freeze;
* ``fixtures/auparse/walk_logs.py`` walks every event, record and field of
  every corpus log, with ``interpret_field()``, under both implementations
  on this machine (same user database for both): ≥ 99 % of the lines agree,
  and the lines that do not are exactly :data:`KNOWN_CORPUS_DIFFERENCES`;
  ``fixtures/auparse/normalize_logs.py`` does the same with ``aup_normalize()``.
"""
from __future__ import annotations

import difflib
import grp
import json
import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest
from reference_tools import REFERENCE_PYTHON, needs_auparse_binding

from c2audit.interpret.names import read_protocols

FIXTURES = Path(__file__).parent / "fixtures" / "auparse"
UPDATE = os.environ.get("C2AUDIT_UPDATE_GOLDEN") == "1"

LOGIN_GROUPING = ("c2audit groups like audit-userspace 4.x (whose reference output auparse_test.ref.py "
                  "requires): a LOGIN record joins the SYSCALL and PROCTITLE of its event; 3.0.9 made "
                  "two events of them")

# scenario -> why its output differs from libauparse 3.0.9's
KNOWN_SCENARIO_DIFFERENCES = {
    "login_grouping": LOGIN_GROUPING,
    "stale_errno": "where the C library fails without setting errno the binding reports the errno an "
                   "unrelated earlier call left; c2audit reports errno 0 (and returns None where the "
                   "binding would raise with errno 0)",
    "constants": "c2audit also exports the AUPARSE_TYPE_* that 3.0.9's binding leaves out (A3, TRUST, "
                 "FAN_TYPE, FAN_INFO, ERRNO) and MACPROTO spelt without the binding's stray comma",
}

# (log, line, what) -> why.  ``what`` is a field name, "record", or "event" (event lines carry no
# line number: ``line`` is None and the entry covers every event line of the log that differs).
KNOWN_CORPUS_DIFFERENCES: dict[tuple[str, int | None, str], str] = {
    ("laurel__record-login.txt", None, "event"): LOGIN_GROUPING,
    ("hillu-linux-audit-parser-rs__line-testdata.log", 41, "uring_op"):
        "typetab 4.x interprets uring_op as an io_uring operation (openat); 3.0.9 prints the number",
}


@pytest.fixture(scope="module")
def shim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory whose ``auparse`` module is c2audit's: the one-import switch."""
    directory = tmp_path_factory.mktemp("shim")
    (directory / "auparse.py").write_text("from c2audit.auparse import *  # noqa: F403\n")
    return directory


def run_script(python: str, script: Path, args: list[str], cwd: Path, shim: Path | None,
               extra_env: dict[str, str] | None = None) -> str:
    env = dict(os.environ)
    if shim is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(shim), *filter(None, [env.get("PYTHONPATH")])])
    env.update(extra_env or {})
    result = subprocess.run([python, str(script), *args], capture_output=True, text=True, cwd=cwd, env=env,
                            timeout=600, errors="surrogateescape", check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def by_scenario(output: str) -> dict[str, list[str]]:
    scenarios: dict[str, list[str]] = {}
    lines: list[str] = []
    for line in output.splitlines():
        if line.startswith("## "):
            lines = scenarios.setdefault(line[3:], [])
        else:
            lines.append(line)
    return scenarios


def freeze_lookups(path: Path) -> None:
    """The user, group and protocol names of this machine, as the C library sees them."""
    names = {
        "users": {entry.pw_uid: entry.pw_name for entry in reversed(pwd.getpwall())},
        "groups": {entry.gr_gid: entry.gr_name for entry in reversed(grp.getgrall())},
        "protocols": read_protocols(Path("/etc/protocols").read_text(errors="replace")),
    }
    path.write_text(json.dumps(names, indent=1, sort_keys=True) + "\n")


@pytest.fixture(scope="module")
def scenario_outputs(shim: Path) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(frozen C output, c2audit's output with the frozen names)."""
    expected, lookups = FIXTURES / "scenarios.expected", FIXTURES / "scenarios.lookups.json"
    if UPDATE:
        needs_auparse_binding()
        expected.write_text(run_script(REFERENCE_PYTHON, FIXTURES / "scenarios.py", [], FIXTURES, None))
        freeze_lookups(lookups)
    ours = run_script(sys.executable, FIXTURES / "scenarios.py", [], FIXTURES, shim,
                      {"AUPARSE_SCENARIO_LOOKUPS": str(lookups)})
    return by_scenario(expected.read_text()), by_scenario(ours)


def test_every_scenario_answers_as_the_binding(
        scenario_outputs: tuple[dict[str, list[str]], dict[str, list[str]]]) -> None:
    frozen, ours = scenario_outputs
    assert set(frozen) == set(ours)
    assert sum(map(len, frozen.values())) > 5000
    for name, lines in frozen.items():
        if name in KNOWN_SCENARIO_DIFFERENCES:
            assert ours[name] != lines, f"{name}: the listed difference went away, update the list"
            continue
        if ours[name] != lines:
            diff = "\n".join(difflib.unified_diff(lines, ours[name], "libauparse", "c2audit", lineterm=""))
            pytest.fail(f"scenario {name} differs:\n{diff[:6000]}")


def test_known_scenario_differences_are_only_what_they_say(
        scenario_outputs: tuple[dict[str, list[str]], dict[str, list[str]]]) -> None:
    frozen, ours = scenario_outputs
    assert set(frozen["constants"]) < set(ours["constants"])  # a superset, nothing changed
    extra = set(ours["constants"]) - set(frozen["constants"])
    assert {line.split()[0] for line in extra} == {"AUPARSE_TYPE_A3", "AUPARSE_TYPE_TRUST", "AUPARSE_TYPE_FAN_TYPE",
                                                   "AUPARSE_TYPE_FAN_INFO", "AUPARSE_TYPE_ERRNO",
                                                   "AUPARSE_TYPE_MACPROTO"}
    events = [line for line in ours["login_grouping"] if line.startswith("event")]
    assert events == ["event (1700000005, 0, 18, None) 3", "event (1700000005, 1, 19, None) 1"]
    c_events = [line for line in frozen["login_grouping"] if line.startswith("event")]
    assert c_events == ["event (1700000005, 0, 18, None) 1", "event (1700000005, 0, 18, None) 2",
                        "event (1700000005, 1, 19, None) 1"]
    # the stale errno lines: every failure is still a failure of the same kind, or None
    for c_line, our_line in zip(frozen["stale_errno"], ours["stale_errno"]):
        if c_line != our_line:
            assert c_line.split(" !! ")[1].startswith("OSError")
            assert our_line.endswith(("OSError (0, 'Error')", "-> None"))


@pytest.mark.reference
def test_frozen_scenarios_are_still_what_the_binding_says() -> None:
    needs_auparse_binding()
    live = run_script(REFERENCE_PYTHON, FIXTURES / "scenarios.py", [], FIXTURES, None)
    frozen = (FIXTURES / "scenarios.expected").read_text()
    names = json.loads((FIXTURES / "scenarios.lookups.json").read_text())
    if live != frozen:
        # only user/group names of this machine may differ from the freezing machine's
        current = {"users": {str(e.pw_uid): e.pw_name for e in reversed(pwd.getpwall())},
                   "groups": {str(e.gr_gid): e.gr_name for e in reversed(grp.getgrall())}}
        if current["users"] == names["users"] and current["groups"] == names["groups"]:
            diff = "\n".join(difflib.unified_diff(frozen.splitlines(), live.splitlines(), lineterm=""))
            pytest.fail(f"the C binding now answers differently; regenerate:\n{diff[:4000]}")
        pytest.skip("this machine's user database differs from the one the scenarios were frozen with")


def corpus_walks(corpus: Path, shim: Path) -> tuple[list[str], list[str]]:
    logs = sorted(path.name for path in (corpus / "logs").iterdir())
    script = FIXTURES / "walk_logs.py"
    theirs = run_script(REFERENCE_PYTHON, script, logs, corpus / "logs", None).splitlines()
    ours = run_script(sys.executable, script, logs, corpus / "logs", shim).splitlines()
    return theirs, ours


def differing_lines(theirs: list[str], ours: list[str]) -> list[tuple[str, str]]:
    """(their line, our line) pairs that differ; '' where one side has no line."""
    pairs: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, theirs, ours, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        left, right = theirs[i1:i2], ours[j1:j2]
        width = max(len(left), len(right))
        pairs += zip(left + [""] * (width - len(left)), right + [""] * (width - len(right)))
    return pairs


def explain(line: str) -> tuple[str, int | None, str]:
    """The KNOWN_CORPUS_DIFFERENCES key a walk line falls under."""
    kind, log, position, *rest = json.loads(line)
    if kind == "E":
        return (log, None, "event")
    return (log, position, rest[0] if kind == "F" else "record")


@pytest.mark.reference
def test_corpus_normalization_matches_libauparse(corpus: Path, shim: Path) -> None:
    """aup_normalize() and every accessor, on every event of every corpus log, both options."""
    needs_auparse_binding()
    logs = sorted(path.name for path in (corpus / "logs").iterdir())
    script = FIXTURES / "normalize_logs.py"
    theirs = run_script(REFERENCE_PYTHON, script, logs, corpus / "logs", None).splitlines()
    ours = run_script(sys.executable, script, logs, corpus / "logs", shim).splitlines()
    assert len(theirs) > 15_000
    pairs = differing_lines(theirs, ours)
    logs_differing = {json.loads(line)["log"] for pair in pairs for line in pair if line}
    # the LOGIN event of laurel's record-login is one event in c2audit, two in 3.0.9
    assert logs_differing == {"laurel__record-login.txt"}
    assert sum(1 for left, _ in pairs if left) == 4


@pytest.mark.reference
def test_corpus_walk_matches_libauparse(corpus: Path, shim: Path) -> None:
    needs_auparse_binding()
    theirs, ours = corpus_walks(corpus, shim)
    assert len(theirs) > 200_000
    pairs = differing_lines(theirs, ours)
    differing = sum(1 for left, right in pairs if left) + sum(1 for left, right in pairs if right and not left)
    agreement = 1 - differing / len(theirs)
    print(f"auparse corpus walk: {len(theirs) - differing}/{len(theirs)} lines agree = {agreement:.5%}")
    assert agreement >= 0.99
    explained = {explain(line) for pair in pairs for line in pair if line}
    unexplained = sorted(explained - set(KNOWN_CORPUS_DIFFERENCES))
    gone = sorted(set(KNOWN_CORPUS_DIFFERENCES) - explained)
    assert not unexplained, f"differences without a listed reason: {unexplained}"
    assert not gone, f"listed differences that went away (update the list): {gone}"
