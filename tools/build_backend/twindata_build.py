"""The build backend: hatchling's, behind one check, that the Python building twindata is one twindata runs on (else
pip would report a pandas it cannot find instead of the Python it needs)."""

import sys

if sys.version_info < (3, 11):  # noqa: UP036 (the one place that runs on an older Python)
    raise SystemExit(f"twindata needs Python >= 3.11; this is Python {sys.version.split()[0]}. Use python3.11 or later.")

from hatchling.build import *  # noqa: E402,F401,F403
