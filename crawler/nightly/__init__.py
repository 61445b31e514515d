"""`scrapy nightly`'s parts: where sites come from, the scheduler that crawls them, and their results."""
