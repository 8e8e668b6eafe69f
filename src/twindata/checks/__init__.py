"""Checks: whether tables keep their contract. ``validator`` compiles each Table Schema into vectorised checks over
Arrow columns (proven equal to frictionless-py); ``policies`` holds the rules a schema cannot say, each behind one
protocol; ``gate`` runs both once per run and quarantines what outside sources got wrong. In: tables and schemas
(``twindata.contract``). Out: row errors, data issues and the gated tables a release publishes.
"""
