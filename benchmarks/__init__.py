"""Benchmarks of govhealth (scripts, not tests): bench_crawl.py, bench_nightly.py and their harness package."""
