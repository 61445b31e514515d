"""Print the crawl interpreter's Python, Scrapy, Twisted and lxml versions as JSON; fail if govhealth is missing.

Run with the project's venv from the project root: ``python -m benchmarks.harness.versions``.
"""

from __future__ import annotations

import importlib
import json
import sys

import lxml.etree
import scrapy
import twisted

if __name__ == "__main__":
    importlib.import_module("crawler")  # the check: this interpreter can run `scrapy crawl portal`
    versions = {
        "crawl_python": sys.version.split()[0],
        "scrapy": scrapy.__version__,
        "twisted": twisted.__version__,
        "lxml": ".".join(map(str, lxml.etree.LXML_VERSION)),
    }
    print(json.dumps(versions))
