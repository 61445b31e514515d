"""Notification messages (`scrapy notify`, README: Notifications): short Chinese plain text built from a run's
new and fixed findings, its score card and early warnings; crawled text neutralised. Pure: nothing is sent here."""

from __future__ import annotations
