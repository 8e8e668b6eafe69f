"""Write tests/fixtures/reference-releases.json: both packages' first release, published offline from the bundled
registry and snapshots at a fixed time and commit, as the sha256 of every file, with the library versions that write
the bytes. Run it when a change is meant to change what a release publishes (and say why in the commit); the
architecture test holds every other change to the same bytes.

    python tools/reference_releases.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from release_reference import REFERENCE, library_versions, publish_reference  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        files = publish_reference(Path(tmp))
    doc = json.loads(REFERENCE.read_text(encoding="utf-8"))
    doc.update(libraries=library_versions(), files=files)
    REFERENCE.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(f"{REFERENCE}: {len(files)} files")


if __name__ == "__main__":
    main()
