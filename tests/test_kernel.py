"""The socket edge and the request client: against tests/fakekernel.py, and (marked) the real kernel."""
from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from fakekernel import FakeKernel

from c2audit import netlink
from c2audit.kernel import (
    GUARD_ENV,
    AuditClient,
    AuditSocket,
    IrreversibleRefused,
    KernelError,
    KernelTimeout,
    open_netlink,
)
from c2audit.rules import compile_rule, kernel_form, parse_argv
from c2audit.tables import uapi

RULE = (Path(__file__).parent / "fixtures" / "netlink" / "rule_sent.bin").read_bytes()  # -S getpgid key=c2audit-fixture


@pytest.fixture
def fake() -> FakeKernel:
    return FakeKernel()


def client_of(kernel: FakeKernel, **kwargs) -> AuditClient:
    return AuditClient(AuditSocket(kernel.connect(**kwargs)), timeout=1.0)


# -- requests against the fake kernel ---------------------------------------------------------

@pytest.mark.parametrize("ack_first", [True, False])
def test_status_round_trip_in_either_reply_order(fake, ack_first):
    fake.ack_first = ack_first
    client = client_of(fake)
    client.set_backlog_limit(8192)
    client.set_rate_limit(10)
    client.set_backlog_wait_time(0)
    status = client.get_status()
    assert (status.backlog_limit, status.rate_limit, status.backlog_wait_time) == (8192, 10, 0)
    assert client.sock.recv(0.01) is None  # every reply was consumed, none left behind


def test_status_from_an_older_kernel_lacks_the_newer_fields(fake):
    fake.status_size = 32
    status = client_of(fake).get_status()
    assert status.backlog_limit == 64 and status.backlog_wait_time is None


def test_resets_return_the_old_counters(fake):
    fake.lost, fake.backlog_wait_time_actual = 17, 250
    client = client_of(fake)
    assert client.reset_lost() == 17
    assert client.reset_backlog_wait_time_actual() == 250
    assert client.reset_lost() == 0
    assert (fake.lost, fake.backlog_wait_time_actual) == (0, 0)


def test_out_of_range_values_are_refused_like_the_kernel(fake):
    client = client_of(fake)
    with pytest.raises(KernelError) as caught:
        client.set_enabled(3)
    assert caught.value.errno == errno.EINVAL and caught.value.request == "AUDIT_SET"
    with pytest.raises(KernelError):
        client.set_backlog_wait_time(150001)  # more than 10 x the default


def test_immutable_refuses_every_change_but_registration_and_lost_reset(fake):
    client = client_of(fake)
    client.add_rule(RULE)
    client.set_enabled(2)
    for change in (lambda: client.set_enabled(1), lambda: client.set_failure(0), lambda: client.set_rate_limit(1),
                   lambda: client.set_backlog_limit(1), lambda: client.set_backlog_wait_time(1),
                   lambda: client.add_rule(RULE[:-1] + b"x"), lambda: client.delete_rule(RULE)):
        with pytest.raises(KernelError) as caught:
            change()
        assert caught.value.errno == errno.EPERM
    assert client.reset_lost() == 0
    client.register()
    assert client.get_status().enabled == 2 and client.list_rules() == [RULE]


def test_panic_mode_is_just_a_value_on_the_fake(fake):
    client = client_of(fake)
    client.set_failure(2)
    assert client.get_status().failure == 2


def test_loginuid_immutable_locks_the_feature(fake):
    client = client_of(fake)
    client.set_loginuid_immutable()
    features = client.get_features()
    bit = netlink.feature_mask(uapi.AUDIT_FEATURE_LOGINUID_IMMUTABLE)
    assert features.features & bit and features.lock & bit
    with pytest.raises(KernelError) as caught:
        client.set_feature(uapi.AUDIT_FEATURE_LOGINUID_IMMUTABLE, on=False)
    assert caught.value.errno == errno.EPERM
    client.set_loginuid_immutable()  # setting it to what it is stays allowed


def test_rules_add_list_delete(fake):
    client = client_of(fake)
    assert client.list_rules() == []
    client.add_rule(RULE)
    with pytest.raises(KernelError) as exists:
        client.add_rule(RULE)
    assert exists.value.errno == errno.EEXIST
    assert client.list_rules() == [RULE]
    client.delete_rule(client.list_rules()[0])
    with pytest.raises(KernelError) as missing:
        client.delete_rule(RULE)
    assert missing.value.errno == errno.ENOENT


def test_signal_info(fake):
    fake.signal_sender = (1000, 4321)
    info = client_of(fake).signal_info()
    assert (info.uid, info.pid) == (1000, 4321)


def test_a_silent_kernel_times_out():
    class Deaf(FakeKernel):
        def handle(self, transport, raw):
            pass

    with pytest.raises(KernelTimeout):
        AuditClient(AuditSocket(Deaf().connect()), timeout=0.1).get_status()


# -- registration and records ----------------------------------------------------------------

def test_the_registered_socket_receives_records_with_the_unicast_quirk(fake):
    reader = AuditSocket(fake.connect())
    AuditClient(reader).register()
    fake.emit(uapi.AUDIT_SYSCALL, "audit(1.000:1): arch=c000003e syscall=121")
    buffer = bytearray(1 << 16)
    size = reader.recv_into(buffer, timeout=1)
    assert netlink.record_of(bytes(buffer[:size])) == (uapi.AUDIT_SYSCALL, b"audit(1.000:1): arch=c000003e syscall=121")
    assert fake.status().pid == os.getpid()


def test_a_record_read_by_a_request_is_kept_for_the_reader(fake):
    reader = AuditSocket(fake.connect())
    client = AuditClient(reader)
    client.register()
    fake.emit(uapi.AUDIT_PATH, "audit(1.000:2): item=0")
    assert client.get_status().pid == os.getpid()
    assert netlink.record_of(reader.recv(timeout=0))[1] == b"audit(1.000:2): item=0"


def test_a_second_daemon_gets_eexist_and_the_first_a_replace(fake):
    first = AuditSocket(fake.connect(pid=100))
    AuditClient(first).set_status(pid=100)
    with pytest.raises(KernelError) as caught:
        AuditClient(AuditSocket(fake.connect(pid=200))).set_status(pid=200)
    assert caught.value.errno == errno.EEXIST
    kind, payload = netlink.record_of(first.recv(timeout=1))
    assert kind == uapi.AUDIT_REPLACE and netlink.decode_replace(payload) == 200


def test_only_the_daemon_unregisters_itself_unless_it_is_gone(fake):
    daemon = fake.connect(pid=100)
    AuditClient(AuditSocket(daemon)).set_status(pid=100)
    other = client_of(fake, pid=200)
    with pytest.raises(KernelError) as caught:
        other.unregister()
    assert caught.value.errno == errno.EACCES
    daemon.close()
    other.unregister()  # the kernel notices the old daemon is gone
    assert fake.pid == 0


def test_multicast_members_get_true_length_copies(fake):
    listener = AuditSocket(fake.connect(groups=1))
    fake.emit(uapi.AUDIT_EOE, "audit(1.000:3): ")
    data = listener.recv(timeout=1)
    assert netlink.split_messages(data)[0].payload == b"audit(1.000:3): "


def test_datagrams_not_from_the_kernel_are_rejected_and_counted(fake):
    transport = fake.connect(groups=1)
    reader = AuditSocket(transport)
    transport.sender_port = 4242
    fake.emit(uapi.AUDIT_USER, "audit(1.000:4): forged")
    assert reader.recv(timeout=0.05) is None and reader.rejected == 1


def test_enobufs_counts_as_an_overrun_and_reading_goes_on(fake):
    transport = fake.connect(groups=1)
    reader = AuditSocket(transport)
    fake.emit(uapi.AUDIT_EOE, "audit(1.000:5): ")
    transport.fail_next_recv(errno.ENOBUFS)
    assert reader.recv(timeout=1) is not None
    assert reader.overruns == 1


NETLINK_USERSOCK = 2  # user-to-user netlink: the recvmmsg path without touching the audit subsystem


@pytest.fixture
def usersock_pair():
    """(AuditSocket on a real netlink socket, a peer socket sending to it, the receiver's address)."""
    receiver = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_USERSOCK)
    receiver.bind((0, 0))
    peer = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_USERSOCK)
    peer.bind((0, 0))
    sock = AuditSocket(receiver)
    yield sock, peer, receiver.getsockname()
    sock.close()
    peer.close()


def test_recv_records_takes_many_datagrams_per_call_and_counts_the_rest(usersock_pair):
    sock, peer, address = usersock_pair
    sock.kernel_port = peer.getsockname()[0]  # stand in for the kernel
    payloads = [f"audit(1.000:{serial}): a=1".encode() for serial in range(150)]
    for serial, payload in enumerate(payloads):
        peer.sendto(netlink.HEADER.pack(len(payload), uapi.AUDIT_SYSCALL, 0, 0, 0) + payload, address)
        if serial == 70:
            peer.sendto(netlink.encode_message(uapi.AUDIT_REPLACE, b"\x01\0\0\0", seq=0, flags=0), address)
            peer.sendto(b"short", address)
    got = [sock.recv_records(timeout=1) for _ in range(3)]
    assert [len(received.types) for received in got] == [64, 62, 24]  # the second took 2 non-records too
    assert [p for received in got for p in received.payloads] == payloads
    assert {t for received in got for t in received.types} == {uapi.AUDIT_SYSCALL}
    assert (sock.control_messages, sock.malformed, sock.rejected) == (1, 1, 0)
    assert sock.recv_records(timeout=0) is None and sock.recv_records(timeout=0.05) is None


def test_recv_records_rejects_datagrams_not_from_the_kernel(usersock_pair):
    sock, peer, address = usersock_pair
    for _ in range(3):
        peer.sendto(netlink.encode_message(uapi.AUDIT_USER, b"forged", seq=1, flags=0), address)
    assert sock.recv_records(timeout=1) == ([], []) and sock.rejected == 3


def test_no_requests_from_the_draining_thread(fake):
    reader = AuditSocket(fake.connect())
    client = AuditClient(reader)
    reader.claim_drain_thread()
    try:
        with pytest.raises(RuntimeError):
            client.get_status()
        seen: list[int] = []
        worker = threading.Thread(target=lambda: seen.append(client.get_status().backlog_limit))
        worker.start()
        worker.join()
        assert seen == [64]  # another thread may
    finally:
        reader.close()
    assert AuditClient(AuditSocket(fake.connect())).get_status().backlog_limit == 64  # the claim ended with close


def test_a_drainer_that_ended_without_closing_leaves_no_claim(fake):
    """Thread idents are reused: a claim must die with its thread, not with its ident."""
    reader = AuditSocket(fake.connect())
    for _ in range(20):  # enough short threads for the system to hand an ident out again
        drainer = threading.Thread(target=reader.claim_drain_thread)
        drainer.start()
        drainer.join()
    seen: list[int] = []
    worker = threading.Thread(target=lambda: seen.append(AuditClient(reader).get_status().backlog_limit))
    worker.start()
    worker.join()
    assert seen == [64]
    reader.close()


@pytest.mark.parametrize("request_", [
    lambda c: c.set_enabled(2), lambda c: c.set_failure(2), lambda c: c.set_loginuid_immutable(),
    lambda c: c.set_feature(uapi.AUDIT_FEATURE_ONLY_UNSET_LOGINUID, on=False, lock=True),
])
def test_the_guard_refuses_irreversible_requests_before_sending(fake, request_):
    client = AuditClient(AuditSocket(fake.connect(), guard=True), timeout=0.5)
    with pytest.raises(IrreversibleRefused):
        request_(client)
    assert fake.requests == [] and fake.enabled == 0 and fake.feature_lock == 0


def test_the_receive_buffer_is_resized_while_another_thread_reads(fake):
    sock = AuditSocket(fake.connect())
    reading = threading.Thread(target=lambda: sock.recv(timeout=1))
    reading.start()
    granted = sock.set_receive_buffer(1 << 20)
    assert granted == sock.receive_buffer() >= 1 << 20  # the kernel reports twice what was asked
    assert sock.set_receive_buffer(4096) == sock.receive_buffer() < granted
    fake.emit(uapi.AUDIT_EOE, "audit(1.000:6): ")
    reading.join()
    sock.close()


def test_a_real_socket_gets_the_buffer_asked_past_rmem_max():
    if os.geteuid() != 0:
        pytest.skip("SO_RCVBUFFORCE needs CAP_NET_ADMIN")
    with AuditSocket() as sock:  # opening and sizing a socket asks the audit subsystem nothing
        assert sock.set_receive_buffer(64 << 20) == sock.receive_buffer() == 128 << 20
        assert sock.set_receive_buffer(4096) < 1 << 16


def test_real_sockets_take_the_guard_from_the_environment(monkeypatch):
    monkeypatch.setenv(GUARD_ENV, "1")
    assert AuditSocket(FakeKernel().connect()).guard is False  # injected transports are not the kernel
    if os.geteuid() == 0:
        with AuditSocket() as real:
            assert real.guard is True


# -- rules kept as kernel/auditfilter.c keeps them ----------------------------------------------

# None of them matches anything: no pid reaches 4194311 (past the largest pid_max), no one sends type 1999.
KEPT_RULES = {
    "exit": "-a always,exit -F arch=b64 -S getpgid -F pid=4194311 -k c2audit-fake",
    "exit -A": "-A always,exit -F arch=b64 -S getsid -F pid=4194311 -k c2audit-fake",
    "all -A": "-A always,exit -S all -F pid=4194311 -k c2audit-fake",  # -S all sets the class bits too
    "user": "-a never,user -F msgtype=1999",
    "exclude": "-a always,exclude -F msgtype=1999",
}


def rule_requests(client: AuditClient) -> list[tuple[str, int, list[str]]]:
    """A run of rule requests: (request, errno or 0, our rules as then listed) after each."""
    sent = {name: compile_rule(parse_argv(text.split()).rule).data for name, text in KEPT_RULES.items()}
    name_of = {kernel_form(data).rstrip(b"\0"): name for name, data in sent.items()}
    found = set(client.list_rules())
    steps: list[tuple[str, int, list[str]]] = []

    def step(what: str, request: Callable[[], None]) -> None:
        try:
            request()
            code = 0
        except KernelError as refused:
            code = refused.errno
        listed = [rule for rule in client.list_rules() if rule not in found]
        steps.append((what, code, [name_of.get(rule.rstrip(b"\0"), rule.hex()) for rule in listed]))

    for name in ("exit", "exclude", "user", "exit -A", "all -A", "exit -A", "exit"):
        step(f"add {name}", lambda data=sent[name]: client.add_rule(data))
    step("delete exit -A as sent", lambda: client.delete_rule(sent["exit -A"]))
    step("delete exit -A as listed", lambda: client.delete_rule(kernel_form(sent["exit -A"])))
    return steps


def test_the_fake_keeps_rules_as_kernel_auditfilter_c_does(fake):
    """Lists in list-number order; -A first in its list, the flag not kept, so never "Rule exists"."""
    assert rule_requests(client_of(fake)) == [
        ("add exit", 0, ["exit"]),
        ("add exclude", 0, ["exit", "exclude"]),
        ("add user", 0, ["user", "exit", "exclude"]),
        ("add exit -A", 0, ["user", "exit -A", "exit", "exclude"]),
        ("add all -A", 0, ["user", "all -A", "exit -A", "exit", "exclude"]),
        ("add exit -A", 0, ["user", "exit -A", "all -A", "exit -A", "exit", "exclude"]),
        ("add exit", errno.EEXIST, ["user", "exit -A", "all -A", "exit -A", "exit", "exclude"]),
        ("delete exit -A as sent", errno.ENOENT, ["user", "exit -A", "all -A", "exit -A", "exit", "exclude"]),
        ("delete exit -A as listed", 0, ["user", "all -A", "exit -A", "exit", "exclude"]),
    ]


# -- the real kernel --------------------------------------------------------------------------

@pytest.mark.kernel
def test_kernel_status_and_settings_round_trip(kernel_state):
    with AuditClient() as client:
        status = client.get_status()
        assert status.feature_bitmap is not None and status.backlog_wait_time_actual is not None
        client.set_backlog_limit(status.backlog_limit + 7)
        client.set_backlog_wait_time(status.backlog_wait_time + 1)
        client.set_rate_limit(status.rate_limit + 3)
        after = client.get_status()
        assert after.backlog_limit == status.backlog_limit + 7
        assert after.backlog_wait_time == status.backlog_wait_time + 1
        assert after.rate_limit == status.rate_limit + 3
        assert client.reset_lost() >= 0 and client.get_status().lost == 0
        assert client.get_features().vers == uapi.AUDIT_FEATURE_VERSION
        assert client.signal_info().uid >= 0


@pytest.mark.kernel
def test_kernel_rules_add_list_delete(kernel_state):
    with AuditClient() as client:
        client.add_rule(RULE)
        assert RULE in client.list_rules()
        with pytest.raises(KernelError) as exists:
            client.add_rule(RULE)
        assert exists.value.errno == errno.EEXIST
        client.delete_rule(RULE)
        assert RULE not in client.list_rules()


@pytest.mark.kernel
def test_the_kernel_keeps_rules_as_the_fake_does(kernel_state, fake):
    with AuditClient() as client:
        assert rule_requests(client) == rule_requests(client_of(fake))


@pytest.mark.kernel
def test_kernel_records_reach_the_registered_reader_and_the_multicast_group(kernel_state):
    if kernel_state.pid:
        pytest.skip(f"an audit daemon (pid {kernel_state.pid}) is registered")
    with AuditSocket(rcvbuf=1 << 20) as reader, AuditSocket(groups=uapi.AUDIT_NLGRP_READLOG) as listener, \
            AuditClient() as control:
        AuditClient(reader).register()
        control.add_rule(RULE)
        control.set_enabled(1)
        subprocess.run([sys.executable, "-c", "import os; os.getpgid(0)"], check=True)
        unicast = _find_record(reader, b'key="c2audit-fixture"')
        multicast = _find_record(listener, b'key="c2audit-fixture"')
        assert unicast == multicast and unicast[0] == uapi.AUDIT_SYSCALL
        assert reader.rejected == 0
        control.unregister()  # any socket of the registered process may


def _find_record(sock: AuditSocket, needle: bytes) -> tuple[int, bytes]:
    buffer = bytearray(1 << 16)
    for _ in range(200):
        size = sock.recv_into(buffer, timeout=2)
        assert size, "no record from the kernel"
        kind, payload = netlink.record_of(bytes(buffer[:size]))
        if needle in payload:
            return kind, payload
    raise AssertionError("record not seen")


@pytest.mark.kernel
def test_kernel_socket_rejects_datagrams_from_user_processes(kernel_state):
    target = open_netlink()
    with AuditSocket(target) as sock, socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 9) as forger:
        forger.bind((0, 0))
        forger.sendto(netlink.encode_message(uapi.AUDIT_USER, b"forged", seq=1, flags=0), (target.getsockname()[0], 0))
        assert sock.recv(timeout=0.2) is None
        assert sock.rejected == 1
