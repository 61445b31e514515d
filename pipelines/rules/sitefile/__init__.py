"""Parts of the site-registry reader (``pipelines/rules/registry.py``): rows and errors, cells, decoding, validation."""

from __future__ import annotations
