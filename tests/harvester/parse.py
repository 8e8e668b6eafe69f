"""Run by the harvester's own Python (``.venv-harvester``, from ``requirements.txt`` here: CKAN 2.12 and
ckanext-dcat 2.4.4, which parse RDF without a database): read a DCAT file as a CKAN harvester does, with one profile,
and print the datasets it gets as JSON.

    .venv-harvester/bin/python tests/harvester/parse.py FILE PROFILE
"""

import json
import sys

from ckanext.dcat.processors import RDFParser

path, profile = sys.argv[1], sys.argv[2]
parser = RDFParser(profiles=[profile])
with open(path, encoding="utf-8") as f:
    parser.parse(f.read(), _format="json-ld" if path.endswith(".jsonld") else "turtle")
print(json.dumps([{**{k: v for k, v in d.items() if k != "extras"}, "extras": {e["key"]: e["value"] for e in d.get("extras", [])}}
                  for d in parser.datasets()], default=str))
