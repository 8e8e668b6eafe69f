"""The contract: the floor every stage stands on, importing nothing else of twindata.

``schema`` (the Table Schemas in ``schemas/``: columns, keys, types, docs, derived Arrow shapes), ``tables`` (the
reconciled tables before the gate, and tables as CSV and Parquet), ``identity`` (global city and partnership ids,
redirects), ``errors`` (what a user can act on, one line each), ``issues`` (row errors and data_issues rows),
``text`` (the pure text rules), ``countries`` and ``licences`` (the vocabularies), ``files`` (safe, atomic file
operations) and ``bundled`` (where the shipped schemas, registries and snapshots are).
"""
