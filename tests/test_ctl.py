"""``c2audit ctl``: auditctl's control flags, output and exit statuses.

Against tests/fakekernel.py for everything, including what must never run on
the real kernel (-e 2, -f 2, --loginuid-immutable); against the real kernel
(marked) for ``-s`` compared with Debian's ``auditctl -s`` and settings round trips.
"""
from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from fakekernel import FakeKernel

from c2audit.cli import ctl as cli
from c2audit.ctl import USAGE, DaemonFiles, Session, files_of, running_daemons
from c2audit.kernel import AuditClient, AuditSocket

REPO = Path(__file__).resolve().parent.parent
C2AUDIT = [sys.executable, "-m", "c2audit", "ctl"]

IDLE_STATUS = """\
enabled 0
failure 1
pid 0
rate_limit 0
backlog_limit 64
lost 0
backlog 0
backlog_wait_time 15000
backlog_wait_time_actual 0
"""


class Run:
    """One ``c2audit ctl`` command line against a fake kernel."""

    def __init__(self, kernel: FakeKernel, argv: list[str], daemon: DaemonFiles) -> None:
        self.out, self.err = io.StringIO(), io.StringIO()
        session = Session(self.out, self.err, lambda: AuditClient(AuditSocket(kernel.connect()), timeout=1), daemon)
        try:
            self.status = cli.run(argv, session)
        finally:
            session.close()
        self.stdout, self.stderr = self.out.getvalue(), self.err.getvalue()


@pytest.fixture
def fake() -> FakeKernel:
    return FakeKernel()


@pytest.fixture
def ctl(fake, tmp_path):
    daemon = DaemonFiles(str(tmp_path / "c2audit.pid"), str(tmp_path / "c2audit.state"))
    return lambda *argv: Run(fake, list(argv), daemon)


def test_status_is_auditctls_block_and_the_loginuid_line(ctl):
    run = ctl("-s")
    assert (run.status, run.stderr) == (0, "")
    assert run.stdout == IDLE_STATUS + "loginuid_immutable 0 unlocked\n"


def test_status_in_words(ctl, fake):
    fake.enabled, fake.failure = 2, 2
    lines = ctl("-s", "-i").stdout.splitlines()
    assert lines[:2] == ["enabled enabled+immutable", "failure panic"]
    fake.enabled, fake.failure = 7, 9
    assert ctl("-s", "-i").stdout.splitlines()[:2] == ["enabled unknown", "failure unknown"]


def test_status_of_a_kernel_without_the_features_api(ctl, fake):
    original = fake._dispatch

    def no_features(transport, request, replies):
        if request.type == 1019:
            raise OSError(22, "EINVAL")
        return original(transport, request, replies)

    fake._dispatch = no_features
    assert ctl("-s").stdout == IDLE_STATUS


def test_setters_print_the_status_once_after_the_last(ctl, fake):
    run = ctl("-b", "8192", "-r", "5", "--backlog_wait_time", "0")
    assert run.status == 0
    assert run.stdout == IDLE_STATUS.replace("backlog_limit 64", "backlog_limit 8192").replace(
        "rate_limit 0", "rate_limit 5").replace("backlog_wait_time 15000", "backlog_wait_time 0")
    assert [m.type for m in fake.requests] == [1001, 1001, 1001, 1000]


def test_a_setter_followed_by_i_prints_nothing(ctl, fake):
    run = ctl("-b", "100", "-i")
    assert (run.status, run.stdout, run.stderr) == (0, "", "")
    assert fake.backlog_limit == 100


def test_immutable_on_the_fake_then_every_change_refused(ctl, fake):
    first = ctl("-e", "2")
    assert first.status == 0 and first.stdout.startswith("enabled 2\n")
    for argv, message in [
        (["-e", "1"], "Error sending enable request (Operation not permitted)\n"),
        (["-f", "0"], "Error sending failure mode request (Operation not permitted)\n"),
        (["-r", "1"], "Error sending rate limit request (Operation not permitted)\n"),
        (["-b", "1"], "Error sending backlog limit request (Operation not permitted)\n"),
        (["--backlog_wait_time", "1"], "Error sending backlog limit request (Operation not permitted)\n"),
        (["-e", "2"], "Error sending enable request (Operation not permitted)\n"),
    ]:
        run = ctl(*argv)
        assert (run.status, run.stdout, run.stderr) == (255, "", message), argv
    assert (fake.enabled, fake.failure, fake.backlog_limit, fake.rate_limit) == (2, 1, 64, 0)
    assert ctl("--reset-lost").stderr == "lost: 0\n"  # the kernel still allows this


def test_panic_mode_on_the_fake(ctl, fake):
    run = ctl("-f", "2")
    assert run.status == 0 and "failure 2\n" in run.stdout and fake.failure == 2


def test_loginuid_immutable_on_the_fake_locks_it(ctl, fake):
    run = ctl("--loginuid-immutable")
    assert (run.status, run.stdout, run.stderr) == (0, "", "")
    assert ctl("-s").stdout.endswith("loginuid_immutable 1 locked\n")
    assert fake.requests[0].type == 1018


def test_a_locked_feature_change_is_reported(ctl, fake):
    fake.feature_lock = 2  # loginuid immutable locked off
    run = ctl("--loginuid-immutable")
    assert (run.status, run.stderr) == (255, "Error setting feature (Operation not permitted)\n")


def test_resets_print_the_old_counter_on_stderr(ctl, fake):
    fake.lost, fake.backlog_wait_time_actual = 17, 9
    assert ctl("--reset-lost").stderr == "lost: 17\n"
    run = ctl("--reset_backlog_wait_time_actual")
    assert (run.status, run.stdout, run.stderr) == (0, "", "backlog_wait_time_actual: 9\n")
    assert (fake.lost, fake.backlog_wait_time_actual) == (0, 0)


@pytest.mark.parametrize(("argv", "message"), [
    (["-e", "3"], "Enable must be 0, 1, or 2 was 3"),
    (["-f", "5"], "Failure must be 0, 1, or 2 was 5"),
    (["-b", "abc"], "Backlog must be a numeric value was abc"),
    (["-r", "-1"], "Rate must be a numeric value was -1"),
    (["--backlog_wait_time", "x"], "Backlog_wait_time must be a numeric value was x"),
    (["-b"], "Option -b is invalid"),
    (["--reset"], "Option --reset is invalid"),
    (["-x"], "Option -x is invalid"),
    (["-b", "64", "extra"], "parameter passed without an option given"),
    (["-i", "-b", "64"], "parameter passed without an option given"),
    (["--reset-lost", "-s"], ("nothing may follow --reset-lost: auditctl would run it and ignore '-s' and the rest; "
                              "nothing was done")),
    (["--loginuid-immutable", "-x"], ("nothing may follow --loginuid-immutable: auditctl would run it and ignore "
                                      "'-x' and the rest; nothing was done")),
    (["-s", "-b", "64"], "Too many options for status command"),
    (["-s", "-s"], "Only -i option is allowed"),
    (["--signal", "foo"], "foo is an unsupported signal"),
])
def test_refused_options_say_what_auditctl_says_and_touch_nothing(ctl, fake, argv, message):
    run = ctl(*argv)
    assert (run.status, run.stdout, run.stderr) == (255, "", message + "\n")
    assert fake.requests == []


def test_help_and_version(ctl):
    help_run = ctl("-h")
    assert (help_run.status, help_run.stdout) == (255, USAGE)
    assert ctl("-v").stdout.startswith("c2audit ctl version ")


def test_no_arguments_prints_usage_and_exits_1(capsys):
    assert cli.main([]) == 1
    assert capsys.readouterr().out == USAGE


# -- --signal and the daemon's counters ---------------------------------------------------------

CHILD = r"""
import signal, sys, time  # c2audit daemon stand-in
def report(signo, frame):
    print(signo, flush=True)
    if signo == signal.SIGTERM:
        sys.exit(0)
for signo in (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGCONT, signal.SIGTERM):
    signal.signal(signo, report)
print("ready", flush=True)
time.sleep(30)
"""


@pytest.fixture
def daemon_process():
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline() == "ready\n"
    yield child
    child.kill()
    child.wait()


def register(kernel: FakeKernel, pid: int) -> None:
    AuditClient(AuditSocket(kernel.connect(pid=pid))).set_status(pid=pid)


@pytest.mark.parametrize(("name", "signo"), [
    ("reload", signal.SIGHUP), ("rotate", signal.SIGUSR1), ("resume", signal.SIGUSR2),
    ("state", signal.SIGCONT), ("CONT", signal.SIGCONT), ("hup", signal.SIGHUP), ("stop", signal.SIGTERM),
])
def test_signal_reaches_the_registered_daemon(ctl, fake, daemon_process, name, signo):
    register(fake, daemon_process.pid)
    run = ctl("--signal", name)
    assert (run.status, run.stdout, run.stderr) == (0, "", "")
    assert daemon_process.stdout.readline() == f"{int(signo)}\n"


def test_signal_without_a_daemon(ctl):
    run = ctl("--signal", "state")
    assert (run.status, run.stderr) == (0, "Auditd is not running\n")


def test_signal_finds_a_read_only_daemon_by_its_pid_file(fake, daemon_process, tmp_path):
    daemon = DaemonFiles(str(tmp_path / "c2audit.pid"), str(tmp_path / "c2audit.state"))
    Path(daemon.pid_file).write_text(f"{daemon_process.pid}\n")
    run = Run(fake, ["--signal", "rotate"], daemon)
    assert run.status == 0 and daemon_process.stdout.readline() == f"{int(signal.SIGUSR1)}\n"


def test_a_stale_pid_file_is_not_trusted(fake, tmp_path):
    daemon = DaemonFiles(str(tmp_path / "c2audit.pid"), str(tmp_path / "c2audit.state"))
    Path(daemon.pid_file).write_text("1\n")  # init: alive, but not a c2audit daemon
    assert Run(fake, ["--signal", "stop"], daemon).stderr == "Auditd is not running\n"


def test_status_shows_the_running_daemons_loss_counters(fake, daemon_process, tmp_path):
    daemon = DaemonFiles(str(tmp_path / "c2audit.pid"), str(tmp_path / "c2audit.state"))
    Path(daemon.state_file).write_text(
        f"time = 2026-01-01T00:00:00+00:00\npid = {daemon_process.pid}\nlog_file = /x\n"
        "records_dropped = 2\nenobufs = 1\nkernel_lost_since_start = 5\n")
    assert Run(fake, ["-s"], daemon).stdout.endswith("loginuid_immutable 0 unlocked\n")  # not registered
    register(fake, daemon_process.pid)
    tail = Run(fake, ["-s"], daemon).stdout.split("loginuid_immutable 0 unlocked\n")[1]
    assert tail == ("c2audit_report_time 2026-01-01T00:00:00+00:00\nc2audit_records_dropped 2\n"
                    "c2audit_enobufs 1\nc2audit_kernel_lost_since_start 5\n")


@pytest.fixture
def stand_in(tmp_path):
    """A daemon stand-in whose command line reads ``c2audit daemon ARGS...`` (run in ``tmp_path``)."""
    started = []

    def start(*arguments: str) -> subprocess.Popen[str]:
        child = subprocess.Popen([sys.executable, "-c", CHILD, "c2audit", "daemon", *arguments],
                                 stdout=subprocess.PIPE, text=True, cwd=tmp_path)
        started.append(child)
        assert child.stdout.readline() == "ready\n"
        return child

    yield start
    for child in started:
        child.kill()
        child.wait()


def test_a_daemons_files_come_from_its_command_line_and_configuration(stand_in, tmp_path):
    (tmp_path / "d.conf").write_text(f"pid_file = {tmp_path}/run/d.pid\nstate_file = {tmp_path}/run/d.state\n")
    plain = stand_in("--config", "d.conf")  # relative: to the daemon's working directory
    overridden = stand_in("-c", str(tmp_path / "d.conf"), "--state-file", "/x/s.state", "--foreground")
    assert files_of(plain.pid) == DaemonFiles(f"{tmp_path}/run/d.pid", f"{tmp_path}/run/d.state")
    assert files_of(overridden.pid) == DaemonFiles(f"{tmp_path}/run/d.pid", "/x/s.state")
    assert {plain.pid, overridden.pid} <= set(running_daemons())
    (tmp_path / "d.conf").write_text("freq = x\n")
    assert files_of(plain.pid) is None  # a configuration it cannot read now names nothing
    assert files_of(os.getpid()) is None  # not a c2audit daemon


def searching(tmp_path: Path) -> DaemonFiles:
    return DaemonFiles(str(tmp_path / "c2audit.pid"), str(tmp_path / "c2audit.state"), search_processes=True)


def test_status_finds_the_report_of_a_daemon_started_with_other_files(fake, stand_in, tmp_path):
    (tmp_path / "d.conf").write_text(f"state_file = {tmp_path}/elsewhere.state\n")
    child = stand_in("--config", str(tmp_path / "d.conf"))
    (tmp_path / "elsewhere.state").write_text(f"pid = {child.pid}\nrecords_dropped = 3\n")
    register(fake, child.pid)
    assert Run(fake, ["-s"], searching(tmp_path)).stdout.endswith("c2audit_records_dropped 3\n")


def test_signal_finds_an_unregistered_daemon_without_pid_file_among_the_processes(fake, stand_in, tmp_path):
    child = stand_in("--pid-file", "/nonexistent/c2audit.pid")
    if running_daemons() != [child.pid]:
        pytest.skip("another c2audit daemon runs on this machine: --signal would not know which one to signal")
    assert Run(fake, ["--signal", "rotate"], searching(tmp_path)).status == 0
    assert child.stdout.readline() == f"{int(signal.SIGUSR1)}\n"


# -- the real kernel ------------------------------------------------------------------------------

def ctl_process(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*C2AUDIT, *argv], capture_output=True, text=True, timeout=30, cwd=REPO, check=False)


def auditctl(*argv: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("auditctl") is None:
        pytest.skip("Debian's auditctl is not installed (scripts/install-deps.sh)")
    return subprocess.run(["auditctl", *argv], capture_output=True, text=True, timeout=30, check=False)


def fields(text: str) -> list[tuple[str, str]]:
    """key/value pairs of a status block, without c2audit's daemon lines."""
    return [tuple(line.split(" ", 1)) for line in text.splitlines() if not line.startswith("c2audit_")]


@pytest.mark.kernel
@pytest.mark.reference
def test_kernel_status_matches_auditctl_field_for_field(kernel_state):
    before, ours, after = auditctl("-s"), ctl_process("-s"), auditctl("-s")
    assert ours.returncode == before.returncode == 0 and ours.stderr == ""
    mine, theirs, later = fields(ours.stdout), fields(before.stdout), fields(after.stdout)
    assert [key for key, _ in mine] == [key for key, _ in theirs] == [key for key, _ in later]
    for (key, value), (_, first), (_, last) in zip(mine, theirs, later):
        if key in ("lost", "backlog"):  # counters the kernel moves between the three calls
            low, high = sorted((int(first), int(last)))
            assert low <= int(value) <= high or first != last, (key, value, first, last)
        else:
            assert value == first == last, key
    assert ctl_process("-s", "-i").stdout.splitlines()[:2] == auditctl("-s", "-i").stdout.splitlines()[:2]


@pytest.mark.kernel
@pytest.mark.reference
def test_kernel_settings_round_trip_and_are_restored(kernel_state):
    wanted = {"backlog_limit": kernel_state.backlog_limit + 11, "rate_limit": kernel_state.rate_limit + 2,
              "backlog_wait_time": kernel_state.backlog_wait_time + 3}
    run = ctl_process("-b", str(wanted["backlog_limit"]), "-r", str(wanted["rate_limit"]),
                      "--backlog_wait_time", str(wanted["backlog_wait_time"]))
    assert run.returncode == 0 and run.stderr == ""
    shown = dict(fields(run.stdout))
    checked = dict(fields(auditctl("-s").stdout))
    for key, value in wanted.items():
        assert shown[key] == checked[key] == str(value)


@pytest.mark.kernel
@pytest.mark.reference
def test_kernel_reset_lost_and_wait_time_actual(kernel_state):
    run = ctl_process("--reset-lost")
    assert run.returncode == 0 and run.stdout == "" and run.stderr.startswith("lost: ")
    assert int(run.stderr.split()[1]) >= 0
    assert int(dict(fields(auditctl("-s").stdout))["lost"]) <= 1000  # zeroed moments ago
    waited = ctl_process("--reset_backlog_wait_time_actual")
    assert waited.returncode == 0 and waited.stderr.startswith("backlog_wait_time_actual: ")


REGISTERED_CHILD = CHILD.replace('print("ready"', 'from c2audit.kernel import AuditClient\nAuditClient().register()\nprint("ready"')


@pytest.mark.kernel
def test_kernel_signal_reaches_the_registered_daemon(kernel_state):
    if kernel_state.pid:
        pytest.skip(f"an audit daemon (pid {kernel_state.pid}) is registered")
    child = subprocess.Popen([sys.executable, "-c", REGISTERED_CHILD], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "ready\n"
        assert AuditClient().get_status().pid == child.pid
        run = ctl_process("--signal", "rotate")
        assert (run.returncode, run.stderr) == (0, "")
        assert child.stdout.readline() == f"{int(signal.SIGUSR1)}\n"
    finally:
        child.terminate()  # kernel_state unregisters it once it is gone
        child.wait()


def in_user_namespace(command: list[str]) -> subprocess.CompletedProcess[str]:
    """``command`` in a new user namespace, where the kernel refuses audit requests (ECONNREFUSED)."""
    if not shutil.which("unshare"):
        pytest.skip("util-linux's unshare is not installed")
    return subprocess.run(["unshare", "--user", "--map-root-user", *command],
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.kernel
@pytest.mark.parametrize("argv", [["-s"], ["-l"], ["-D"], ["-e", "1"], ["-b", "100"], ["--reset-lost"],
                                  ["-a", "always,exit", "-F", "arch=b64", "-S", "getpgid"], ["-w", "/etc/passwd"]])
def test_a_namespace_without_audit_is_told_so(argv: list[str]) -> None:
    """The kernel refuses every request from outside the initial user namespace; nothing changes."""
    ours = in_user_namespace([*C2AUDIT, *argv])
    assert (ours.returncode, ours.stdout, ours.stderr) == (255, "", "The audit system is disabled\n")
    if shutil.which("auditctl") and argv[0] in ("-l", "-D", "-e"):  # where auditctl 3.0.9 says it too
        theirs = in_user_namespace(["auditctl", *argv])
        assert (theirs.returncode, theirs.stderr) == (255, ours.stderr)
