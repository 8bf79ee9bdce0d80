"""The committed generated tables match what the corpus headers generate."""
import subprocess
import sys

from conftest import REPO


def test_generated_tables_are_fresh(corpus):
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_tables.py"), "--check"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr


def test_tables_resolve_kernel_constants(corpus):
    from c2audit.tables import fieldtab, msg_typetab, uapi, x86_64_table

    assert uapi.AUDIT_ARCH_X86_64 == 0xC000003E
    assert dict(x86_64_table.ENTRIES)[257] == "openat"
    assert dict(msg_typetab.ENTRIES)[1300] == "SYSCALL"
    assert all(isinstance(key, int) for key, _ in fieldtab.ENTRIES)
