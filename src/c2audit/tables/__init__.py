"""Tables generated from the kernel and audit-userspace headers.

Each module holds ``ENTRIES``, the ``(key, name)`` pairs of one header in file
order; ``uapi`` holds the audit headers' numeric ``#define``s.  Regenerate with
``python scripts/gen_tables.py``; never edit the generated modules by hand.
"""
