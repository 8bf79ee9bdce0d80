"""The result table and the verdicts on issue 2's targets (pure: results in, text out)."""
from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence

from seedload.case import NO_DAEMON, RunResult

HEADER = ("workload", "backlog_limit", "wait", "daemon", "emitted", "logged", "missed", "lost Δ (records)",
          "CPU s", "CPU µs/event", "unaudited s", "audited s", "slowdown ×", "load")


def _number(value: float, digits: int) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def row_cells(result: RunResult) -> tuple[str, ...]:
    case = result.case
    flag = "" if result.sound else " ⚠"
    logged, missed = (str(result.logged), str(result.missed)) if result.has_daemon else ("n/a", "n/a")
    return (case.workload.name, str(case.backlog_limit), str(case.wait_time), case.daemon + flag,
            str(result.emitted), logged, missed, str(result.lost_delta),
            _number(result.cpu_window, 2), _number(result.us_per_event, 1), _number(result.wall_off, 2),
            _number(result.wall_on, 2), _number(result.slowdown, 1), _number(result.load, 2))


def table(results: Iterable[RunResult]) -> str:
    """A Markdown table, one line per run, in the order run."""
    return _markdown([HEADER, *(row_cells(r) for r in results)])


SUMMARY_HEADER = ("workload", "backlog_limit", "wait", "daemon", "runs", "emitted", "missed (median, range)",
                  "lost Δ (median)", "CPU µs/event", "slowdown × (median, range)")


def summary_table(results: Sequence[RunResult]) -> str:
    """One line per case and daemon over the repeats (sound runs only): medians, ranges, pooled CPU."""
    keys = dict.fromkeys((r.case.workload.name, r.case.backlog_limit, r.case.wait_time, r.case.daemon)
                         for r in results)
    rows = [SUMMARY_HEADER]
    for name, limit, wait, daemon in keys:
        runs = _select(results, daemon, name, limit, wait)
        if not runs:
            continue
        missed = [r.missed for r in runs]
        slowdown = [r.slowdown for r in runs]
        missed_cell = f"{statistics.median(missed):.0f} ({min(missed)}–{max(missed)})" if runs[0].has_daemon else "n/a"
        rows.append((name, str(limit), str(wait), daemon, str(len(runs)), str(runs[0].emitted), missed_cell,
                     f"{statistics.median(r.lost_delta for r in runs):.0f}", _number(_pooled_us(runs), 1),
                     f"{statistics.median(slowdown):.1f} ({min(slowdown):.1f}–{max(slowdown):.1f})"))
    return _markdown(rows)


def _markdown(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def notes(results: Iterable[RunResult]) -> list[str]:
    """What the table cannot show: runs that went wrong, other processes' events, c2audit's counters."""
    out = []
    for r in results:
        c = r.case
        label = f"{c.workload.name} {c.backlog_limit}/{c.wait_time} {c.daemon}"
        extra = dict(r.notes)
        if not r.drained:
            extra["drained"] = "no: the daemon's socket or log was still moving when the harness gave up"
        if r.logged > r.emitted:
            extra["count"] = "more events logged than strace counted: the calibration is off"
        if r.other_logged:
            extra["other processes' events logged"] = str(r.other_logged)
        if r.blocked_jiffies:
            extra["producers blocked (jiffies)"] = str(r.blocked_jiffies)
        if c.wait_time and r.blocked_jiffies >= c.wait_time:
            extra["stall"] = ("a producer slept the whole backlog_wait_time: nothing woke it (the kernel wakes "
                              "one sleeper per kauditd pass; the median in the verdicts absorbs such runs)")
        if r.cpu_total is not None:
            extra["CPU s over the daemon's life"] = f"{r.cpu_total:.2f}"
        out.append(f"- {label}: " + ", ".join(f"{k} {v}" for k, v in extra.items()))
    return out


# ------------------------------------------------------------------ targets


def _select(results: Sequence[RunResult], daemon: str, workload: str, limit: int, wait: int) -> list[RunResult]:
    return [r for r in results if r.case.daemon == daemon and r.case.workload.name == workload
            and r.case.backlog_limit == limit and r.case.wait_time == wait and r.sound]


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def verdicts(results: Sequence[RunResult]) -> list[str]:
    """Each of issue 2's targets, per workload, from the runs of this invocation (sound runs only)."""
    lines: list[str] = []
    workloads = list(dict.fromkeys(r.case.workload.name for r in results))
    for name in workloads:
        c2 = _select(results, "c2audit", name, 8192, 0)
        if c2:
            missed = [r.missed for r in c2]
            lines.append(f"- {name}, 8192/0, c2audit misses nothing: {_verdict(max(missed) == 0)} "
                         f"(missed {missed} of {c2[0].emitted} per run)")
        c2, ref = _select(results, "c2audit", name, 64, 0), _select(results, "auditd", name, 64, 0)
        if c2 and ref:
            ours, theirs = sum(r.missed for r in c2), sum(r.missed for r in ref)
            lines.append(f"- {name}, 64/0, c2audit loses at most half of auditd's: {_verdict(ours <= theirs / 2)} "
                         f"(c2audit missed {ours}, auditd {theirs}, over {len(c2)}+{len(ref)} runs)")
        for limit in (8192, 64):
            c2, ref = _select(results, "c2audit", name, limit, 60000), _select(results, "auditd", name, limit, 60000)
            if c2 and ref:
                ours = statistics.median(r.slowdown for r in c2)
                theirs = statistics.median(r.slowdown for r in ref)
                lines.append(
                    f"- {name}, {limit}/60000, c2audit slows the workload at most half as much as auditd: "
                    f"{_verdict(ours <= theirs / 2)} (median slowdown c2audit {ours:.1f}×, auditd {theirs:.1f}×; "
                    f"on the extra time alone: {_verdict(ours - 1 <= (theirs - 1) / 2)}){_floor(results, name, limit)}")
    lines += _cpu_verdicts(results)
    return lines


def _floor(results: Sequence[RunResult], workload: str, limit: int) -> str:
    """The kernel's own share of the slowdown, where the runs include the daemon-less floor."""
    alone = _select(results, NO_DAEMON, workload, limit, 60000)
    if not alone:
        return ""
    floor = statistics.median(r.slowdown for r in alone)
    over = {daemon: statistics.median(r.slowdown for r in _select(results, daemon, workload, limit, 60000)) - floor
            for daemon in ("c2audit", "auditd")}
    return (f"; with no daemon at all the kernel alone slows it {floor:.1f}×, so the daemon's own part is "
            f"c2audit {over['c2audit']:+.1f}×, auditd {over['auditd']:+.1f}×")


def _cpu_verdicts(results: Sequence[RunResult]) -> list[str]:
    """CPU per logged event, c2audit against auditd on every case both ran (pooled over repeats)."""
    lines = []
    cases = dict.fromkeys((r.case.workload.name, r.case.backlog_limit, r.case.wait_time) for r in results)
    for name, limit, wait in cases:
        c2, ref = _select(results, "c2audit", name, limit, wait), _select(results, "auditd", name, limit, wait)
        if not (c2 and ref):
            continue
        ours, theirs = _pooled_us(c2), _pooled_us(ref)
        lines.append(f"- {name}, {limit}/{wait}, CPU per logged event no more than auditd's: "
                     f"{_verdict(ours <= theirs)} (c2audit {ours:.1f} µs, auditd {theirs:.1f} µs)")
    return lines


def _pooled_us(results: list[RunResult]) -> float:
    logged = sum(r.logged for r in results)
    return sum(r.cpu_window for r in results) / logged * 1e6 if logged else float("nan")
