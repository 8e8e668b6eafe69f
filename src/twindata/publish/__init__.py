"""Publish: gated tables → an immutable, versioned data package. ``release`` (staging, checksums, atomic rename),
``outputs`` (the file formats, one protocol), ``staging`` (locks and recovery), ``versioning`` (SemVer from what
changed), ``diff``, ``verify`` (checksums and rows of a published release), ``pages`` (landing and package pages,
CITATION.cff, the zip, SHA256SUMS) and ``dcat`` (DCAT-AP.de). In: a ``GateResult`` and the package's metadata and
provenance. Out: files under ``<out>/<package>/<version>/``.
"""
