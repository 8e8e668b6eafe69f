"""Reconcile: the sources' records → the published tables, one vocabulary for every package. ``claims`` (claims →
phases → partnerships and assertions), ``places`` (names without a QID → cities, or ambiguous), ``held`` (values a
source held back), ``images`` (picture credits), and one module per package shape: ``entities`` (a registry with
the Wikidata items and Commons files it names) and ``network`` (the world's statements and lists). In: the sources'
results. Out: ``twindata.contract.tables.CoreTables``, for the gate.
"""
