"""Versioning policy: the semantic-version bump that the changes between two releases call for, in words, and the
one version type every release name is read with (python-semver's ``Version``).

(Frictionless's data-package-version pattern.)
MAJOR  the contract changes: a table removed, a field removed, renamed or retyped, a required field added, a
       primary key (what a key means) changed;
MINOR  tables, optional fields or rows added; rows removed, merged or redirected (ids renamed, merged, retyped,
       renumbered or withdrawn: the redirects table lists each);
PATCH  only values changed under the same keys (or only the schemas' documentation). Keys are the sources' own
       identities of their records, so a corrected value is a PATCH (``twindata.contract.identity``).
The first release of a package is <data contract>.0.0, so that a package's major version never trails the
contract its tables follow.
"""

from __future__ import annotations

from semver import Version

from twindata.contract import schema

BUMPS = ("patch", "minor", "major")


def is_version(text: object) -> bool:
    """Whether ``text`` names a release: a plain SemVer MAJOR.MINOR.PATCH (no pre-release or build part)."""
    if not isinstance(text, str) or not Version.is_valid(text):
        return False
    version = Version.parse(text)
    return version.prerelease is None and version.build is None


def bump(changes: dict) -> tuple[str | None, list[str]]:
    """The version bump the changes call for, and why, in words."""
    reasons: dict[str, list[str]] = {b: [] for b in BUMPS}
    for name, c in changes.items():
        s = c.get("schema", {})
        if s.get("table_removed"):
            reasons["major"].append(f"table {name} removed")
        if s.get("table_added"):
            reasons["minor"].append(f"table {name} added")
        for key, words in (("fields_removed", "removed"), ("fields_retyped", "retyped"),
                           ("required_fields_added", "added as required")):
            if s.get(key):
                reasons["major"].append(f"{name}: field(s) {', '.join(s[key])} {words}")
        if s.get("primary_key_changed"):
            reasons["major"].append(f"{name}: primary key changed")
        optional = [f for f in s.get("fields_added", []) if f not in s.get("required_fields_added", [])]
        if optional:
            reasons["minor"].append(f"{name}: optional field(s) {', '.join(optional)} added")
        if s.get("table_added") or s.get("table_removed"):
            continue
        if c.get("added"):
            reasons["minor"].append(f"{name}: {len(c['added'])} row(s) added")
        if c.get("removed"):
            reasons["minor"].append(f"{name}: {len(c['removed'])} row(s) removed")
        if c.get("merged"):
            reasons["minor"].append(f"{name}: {len(c['merged'])} row(s) merged into another under a renamed id")
        if c.get("changed"):
            reasons["patch"].append(f"{name}: {len(c['changed'])} row(s) changed")
        if s.get("documentation_changed") and not any(s.get(k) for k in ("fields_added", "fields_removed", "fields_retyped")):
            reasons["patch"].append(f"{name}: schema documentation or constraints changed")
    for level in reversed(BUMPS):
        if reasons[level]:
            return level, [r for lvl in reversed(BUMPS) for r in reasons[lvl]]
    return None, []


def next_version(previous: str | None, level: str | None) -> str:
    """The version after ``previous`` for a bump of ``level``; the first is <data contract>.0.0."""
    if previous is None:
        return str(Version(schema.contract_version()))
    return str(Version.parse(previous).next_version(level))


def major(version: str) -> int:
    return Version.parse(version).major


def higher(a: str | None, b: str | None) -> str | None:
    """The larger of two bumps."""
    return max((x for x in (a, b) if x), key=BUMPS.index, default=None)
