"""Read: what researchers import. ``loader`` (one table of a published release, local or over http(s), checked
against its sha256, in the schema's types) and ``asof`` (the partnerships in force on a day). Reads releases only;
builds nothing.
"""
