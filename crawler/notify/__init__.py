"""`scrapy notify`: tell each site's contacts and the supervising office what a run found, once per run and
channel, through Apprise (README: Notifications)."""

from __future__ import annotations
