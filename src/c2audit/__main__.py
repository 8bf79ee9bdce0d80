"""``python -m c2audit`` runs the command line."""
import sys

from c2audit.cli import main

sys.exit(main())
