"""Bounded decompression: a response body is inflated up to a byte limit and cut there, never beyond.

Scrapy's HttpCompressionMiddleware drops a response whose decoded body would pass DOWNLOAD_MAXSIZE (32 MiB)
and inflates everything below it: a 30 KB gzip body can still become 31 MiB of links. Here each response is
inflated to its own limit (GOVHEALTH_MAX_PAGE_BYTES for pages, 64 KiB for link checks, the robots.txt limit)
and the prefix is kept, so the links in what was read are still checked. Truncated or corrupt streams give
what could be decoded. Every layer of a nested encoding (gzip, gzip) is bounded the same way.
"""

from __future__ import annotations

import zlib
from io import BytesIO

try:
    import brotli
except ImportError:  # pragma: no cover - Scrapy installs one of the two
    import brotlicffi as brotli  # type: ignore[no-redef]

try:
    from compression import zstd
except ImportError:
    from backports import zstd

CHUNK = 64 * 1024


def bounded_decode(body: bytes, encoding: bytes, limit: int) -> tuple[bytes, bool]:
    """``body`` decoded from ``encoding`` (gzip, x-gzip, deflate, br, zstd): at most ``limit`` bytes, and whether it was cut."""
    if encoding in (b"gzip", b"x-gzip"):
        return _zlib(body, limit, zlib.MAX_WBITS | 16)
    if encoding == b"deflate":
        out, cut = _zlib(body, limit, zlib.MAX_WBITS)
        return (out, cut) if out or cut else _zlib(body, limit, -zlib.MAX_WBITS)  # raw deflate (IIS)
    if encoding == b"br":
        return _brotli(body, limit)
    if encoding == b"zstd":
        return _zstd(body, limit)
    return body, False


def _zlib(body: bytes, limit: int, wbits: int) -> tuple[bytes, bool]:
    out = bytearray()
    data = body
    while data:  # gzip members one after another, like gunzip
        decompressor = zlib.decompressobj(wbits)
        try:
            while data and len(out) <= limit:
                out += decompressor.decompress(data, min(CHUNK, limit + 1 - len(out)))
                data = decompressor.unconsumed_tail
                if decompressor.eof:
                    break
        except zlib.error:
            return bytes(out[:limit]), len(out) > limit
        if len(out) > limit:
            return bytes(out[:limit]), True
        if not decompressor.eof:
            break  # a truncated stream: what could be decoded
        data = decompressor.unused_data
        if wbits > 0 and not data.startswith(b"\x1f\x8b"):
            break
    return bytes(out), False


def _brotli(body: bytes, limit: int) -> tuple[bytes, bool]:
    decompressor = brotli.Decompressor()
    out = bytearray()
    try:
        out += decompressor.process(body, output_buffer_limit=CHUNK)  # type: ignore[call-arg]  # brotli >= 1.2; stubs lag
        while len(out) <= limit and not decompressor.is_finished():
            chunk = decompressor.process(b"", output_buffer_limit=CHUNK)  # type: ignore[call-arg]
            if not chunk:
                break
            out += chunk
    except brotli.error:
        pass
    return bytes(out[:limit]), len(out) > limit


def _zstd(body: bytes, limit: int) -> tuple[bytes, bool]:
    reader = zstd.ZstdFile(BytesIO(body))
    out = bytearray()
    try:
        while len(out) <= limit and (chunk := reader.read(CHUNK)):
            out += chunk
    except (EOFError, zstd.ZstdError):
        pass
    return bytes(out[:limit]), len(out) > limit
