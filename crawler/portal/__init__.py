"""The parts of the portal spider (crawler/spiders/portal.py): link checks, column follow-ups, the site's hosts."""
