"""auparse's interpretation tables (``auparse/*tab.h``), generated."""
