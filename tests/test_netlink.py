"""The netlink codec on datagrams captured from a real kernel (tests/fixtures/netlink, see capture.py)."""
from __future__ import annotations

import errno
import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from c2audit import netlink
from c2audit.netlink import (
    NLM_F_ACK,
    NLM_F_CAPPED,
    NLM_F_MULTI,
    NLM_F_REQUEST,
    NLMSG_DONE,
    NLMSG_ERROR,
    AuditFeatures,
    AuditRuleData,
    AuditStatus,
    Message,
    NetlinkError,
    Transaction,
)
from c2audit.tables import uapi

FIXTURES = Path(__file__).parent / "fixtures" / "netlink"


def datagram(name: str) -> bytes:
    return (FIXTURES / f"{name}.bin").read_bytes()


def only(name: str) -> Message:
    messages = netlink.split_messages(datagram(name))
    assert len(messages) == 1
    return messages[0]


def test_status_reply_decodes_every_field_the_kernel_sent():
    reply = only("get_1_get_reply")
    assert (reply.type, reply.flags, reply.seq, reply.port) == (uapi.AUDIT_GET, 0, 1, 0)
    status = netlink.decode(AuditStatus, reply.payload)
    # The kernel's state when captured (idle: the state every test must leave behind).
    assert (status.enabled, status.failure, status.pid, status.rate_limit, status.backlog_limit) == (0, 1, 0, 0, 64)
    assert status.feature_bitmap == uapi.AUDIT_FEATURE_BITMAP_ALL
    assert status.backlog_wait_time == 15000  # 60 s at HZ=250, the kernel default
    assert status.backlog_wait_time_actual == 0


@pytest.mark.parametrize(("size", "present"), [(32, 8), (36, 9), (40, 10), (44, 11), (43, 10)])
def test_status_from_older_kernels_keeps_what_is_there(size, present):
    payload = only("get_1_get_reply").payload[:size]
    status = netlink.decode(AuditStatus, payload)
    tail = [status.feature_bitmap, status.backlog_wait_time, status.backlog_wait_time_actual]
    assert status.backlog_limit == 64
    assert [value is not None for value in tail] == [i < present - 8 for i in range(3)]


def test_status_shorter_than_its_base_fields_is_a_typed_error():
    with pytest.raises(NetlinkError) as caught:
        netlink.decode(AuditStatus, only("get_1_get_reply").payload[:28])
    assert caught.value.data == only("get_1_get_reply").payload[:28]


def test_acks_echo_the_request_header_capped():
    ack = only("get_0_ack")
    assert ack.type == NLMSG_ERROR and ack.flags == NLM_F_CAPPED
    reply = netlink.decode_error(ack.payload)
    assert reply.error == 0
    assert (reply.request.type, reply.request.seq, reply.request.flags) == (uapi.AUDIT_GET, 1, NLM_F_REQUEST | NLM_F_ACK)


def test_errors_carry_the_errno_and_the_whole_request():
    einval = netlink.decode_error(only("error_einval_0").payload)
    assert einval.error == -errno.EINVAL and einval.request.type == uapi.AUDIT_DEL_RULE
    exists = only("error_eexist")
    reply = netlink.decode_error(exists.payload)
    assert reply.error == -errno.EEXIST and reply.request.type == uapi.AUDIT_ADD_RULE
    sent = datagram("rule_sent")
    assert exists.payload[20:20 + len(sent)] == sent


def test_features_reply():
    features = netlink.decode(AuditFeatures, only("get_feature_1").payload)
    assert features.vers == uapi.AUDIT_FEATURE_VERSION
    assert features.mask & netlink.feature_mask(uapi.AUDIT_FEATURE_LOGINUID_IMMUTABLE)


def test_signal_info_reply_with_no_signal_yet():
    info = netlink.decode_signal_info(only("signal_info_1").payload)
    assert (info.uid, info.pid, info.context) == (4294967295, -1, "")


def test_signal_info_context_is_the_nul_terminated_tail():
    payload = struct.pack("=Ii", 0, 4242) + b"system_u:system_r:init_t:s0\0\0"
    assert netlink.decode_signal_info(payload).context == "system_u:system_r:init_t:s0"


def test_unicast_record_length_quirk_and_multicast_give_the_same_record():
    unicast, multicast = datagram("record_syscall_unicast"), datagram("record_syscall_multicast")
    assert struct.unpack_from("=I", unicast)[0] == len(unicast) - 16  # nlmsg_len without the header
    assert struct.unpack_from("=I", multicast)[0] == len(multicast)
    (one,), (two,) = netlink.split_messages(unicast), netlink.split_messages(multicast)
    assert one.type == two.type == uapi.AUDIT_SYSCALL
    assert one.payload == two.payload
    assert one.payload.startswith(b"audit(") and one.payload.endswith(b'key="c2audit-fixture"')
    assert netlink.record_of(unicast) == (uapi.AUDIT_SYSCALL, one.payload)
    assert netlink.is_record(one.type)


def test_eoe_record_is_only_its_header_text():
    eoe = only("record_eoe_unicast")
    assert eoe.type == uapi.AUDIT_EOE and eoe.payload.endswith(b"): ")


def test_replace_is_a_binary_pid_of_the_process_that_tried_to_register():
    replace = only("record_replace")
    assert not netlink.is_record(replace.type)
    refused = netlink.decode_error(only("error_eexist_register").payload)
    assert refused.error == -errno.EEXIST
    would_be = netlink.decode(AuditStatus, only("error_eexist_register").payload, 20)
    assert netlink.decode_replace(replace.payload) == would_be.pid


def test_list_rules_reply_is_multipart_and_returns_the_rule_we_sent():
    transaction = Transaction(7, uapi.AUDIT_LIST_RULES, multi=True)
    for name in ("list_rules_0", "list_rules_1", "list_rules_2"):
        (message,) = netlink.split_messages(datagram(name))
        assert transaction.feed(message)
    assert transaction.done and transaction.error is None
    assert transaction.data == [datagram("rule_sent")]
    assert only("list_rules_1").flags == NLM_F_MULTI and only("list_rules_2").type == NLMSG_DONE


@pytest.mark.parametrize("order", [("get_0_ack", "get_1_get_reply"), ("get_1_get_reply", "get_0_ack")])
def test_a_query_completes_when_both_ack_and_data_arrived_in_either_order(order):
    transaction = Transaction(1, uapi.AUDIT_GET)
    first, second = (only(name) for name in order)
    assert transaction.feed(first) and not transaction.done
    assert transaction.feed(second) and transaction.done
    assert netlink.decode(AuditStatus, transaction.data[0]).backlog_limit == 64


def test_a_transaction_ignores_other_sequence_numbers_and_records():
    transaction = Transaction(2, uapi.AUDIT_GET)
    assert not transaction.feed(only("get_0_ack"))  # seq 1
    assert not transaction.feed(only("record_syscall_unicast"))
    assert not transaction.done


def test_an_error_ends_the_transaction():
    transaction = Transaction(4)
    assert transaction.feed(only("error_einval_0"))
    assert transaction.done and transaction.error == errno.EINVAL


def test_a_positive_ack_value_is_the_reset_counter():
    ack = netlink.encode_message(NLMSG_ERROR, struct.pack("=i", 1234) + bytes(16), seq=9, flags=0)
    transaction = Transaction(9)
    transaction.feed(netlink.split_messages(ack)[0])
    assert transaction.done and transaction.value == 1234


def test_set_requests_carry_exactly_the_mask_of_their_fields():
    payload = netlink.status_request(backlog_limit=8192, rate_limit=5)
    status = netlink.decode(AuditStatus, payload)
    assert status.mask == uapi.AUDIT_STATUS_BACKLOG_LIMIT | uapi.AUDIT_STATUS_RATE_LIMIT
    assert (status.backlog_limit, status.rate_limit, status.enabled) == (8192, 5, 0)
    assert len(payload) == 44
    with pytest.raises(ValueError):
        netlink.status_request(backlog=3)


def test_encoded_requests_are_aligned_and_split_back():
    wire = netlink.encode_message(uapi.AUDIT_ADD_RULE, datagram("rule_sent"), seq=42)
    assert len(wire) % 4 == 0 and struct.unpack_from("=I", wire)[0] == len(wire)
    (message,) = netlink.split_messages(wire)
    assert message.seq == 42 and message.flags == NLM_F_REQUEST | NLM_F_ACK
    assert message.payload.rstrip(b"\0") == datagram("rule_sent").rstrip(b"\0")


@pytest.mark.parametrize(("msg_type", "payload", "why"), [
    (uapi.AUDIT_SET, netlink.status_request(enabled=2), "immutable"),
    (uapi.AUDIT_SET, netlink.status_request(failure=2), "panic"),
    (uapi.AUDIT_SET_FEATURE, netlink.features_request(uapi.AUDIT_FEATURE_LOGINUID_IMMUTABLE, on=True, lock=False), "loginuid"),
    (uapi.AUDIT_SET_FEATURE, netlink.features_request(uapi.AUDIT_FEATURE_LOGINUID_IMMUTABLE, on=False, lock=True), "lock"),
])
def test_irreversible_changes_are_recognised(msg_type, payload, why):
    assert why in netlink.irreversible_change(msg_type, payload)


@pytest.mark.parametrize("payload", [
    netlink.status_request(enabled=1), netlink.status_request(failure=1), netlink.status_request(backlog_limit=2),
    netlink.status_request(enabled=0, failure=0), netlink.status_request(pid=2),
])
def test_reversible_changes_pass(payload):
    assert netlink.irreversible_change(uapi.AUDIT_SET, payload) is None


def test_enabled_2_without_its_mask_bit_changes_nothing():
    payload = netlink.encode(AuditStatus(mask=uapi.AUDIT_STATUS_BACKLOG_LIMIT, enabled=2, failure=2, backlog_limit=9))
    assert netlink.irreversible_change(uapi.AUDIT_SET, payload) is None


def test_rule_data_arrays_and_buf_decode_from_the_kernels_listing():
    listed = only("list_rules_1").payload
    rule = netlink.decode(AuditRuleData, listed)
    assert netlink.sizeof(AuditRuleData) == 1040
    assert (rule.flags, rule.action, rule.field_count) == (uapi.AUDIT_FILTER_EXIT, uapi.AUDIT_ALWAYS, 2)
    assert rule.fields[:2] == (uapi.AUDIT_ARCH, uapi.AUDIT_FILTERKEY) and not any(rule.fields[2:])
    assert rule.values[:2] == (uapi.AUDIT_ARCH_X86_64, 15) and rule.fieldflags[:2] == (uapi.AUDIT_EQUAL,) * 2
    assert len(rule.mask) == uapi.AUDIT_BITMASK_SIZE
    assert rule.buf[:rule.buflen] == b"c2audit-fixture"  # the rest is the listing's padding
    assert netlink.encode(rule) == listed
    sent = datagram("rule_sent")
    assert netlink.encode(netlink.decode(AuditRuleData, sent)) == sent


def test_a_struct_shorter_than_its_arrays_is_a_typed_error():
    with pytest.raises(NetlinkError):
        netlink.decode(AuditRuleData, datagram("rule_sent")[:1039])


@given(st.binary(max_size=200))
def test_any_bytes_split_or_raise_a_typed_error(data):
    try:
        messages = netlink.split_messages(data)
    except NetlinkError as error:
        assert error.data == data
    else:
        assert sum(len(m.payload) for m in messages) <= len(data)


@given(st.lists(st.integers(0, 2**32 - 1), min_size=11, max_size=11))
def test_status_round_trips(values):
    status = AuditStatus(*values)
    assert netlink.decode(AuditStatus, netlink.encode(status)) == status
