"""Private and local addresses a page must not steer the crawler to (literal hosts only, no DNS).

Pure; no settings.
"""

from __future__ import annotations

import ipaddress
import re
import socket

_LEGACY_IPV4 = re.compile(r"(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}")


def is_private_address(host: str) -> bool:
    """True for literal addresses a page must not steer the crawler to, and for ``localhost``.

    Covers IPv4/IPv6 loopback, private, link-local, unspecified, reserved, shared (100.64/10),
    multicast and other non-global ranges, IPv4-mapped IPv6, and legacy IPv4 spellings that resolvers
    accept (``127.1``, ``2130706433``, ``0x7f.0.0.1``). Other host names give False: no DNS here.
    """
    name = host.strip().lower().rstrip(".")
    if name.startswith("[") and "]" in name:
        name = name[1 : name.index("]")]
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]  # host:port
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        if not _LEGACY_IPV4.fullmatch(name):
            return False
        try:
            ip = ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return False
    if isinstance(ip, ipaddress.IPv6Address) and (mapped := ip.ipv4_mapped or ip.sixtofour):
        ip = mapped
    return not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified
