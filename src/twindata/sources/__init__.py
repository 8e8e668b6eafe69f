"""Sources: read what the outside world says, as it says it, and turn each response into plain records.

Fetchers ask the shared ``WikimediaClient``; parsers are pure functions over the decoded JSON, tested against
real recorded responses. Reconciliation with the registry belongs in ``twindata.core``.
"""
