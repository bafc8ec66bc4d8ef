"""Credentials bound to their hosts (docs/RELIABILITY.md T4, the CVE-2024-6587 pattern).  Pure.

A spec file from a third party could inherit ``env: {api_key: OPENAI_API_KEY}`` and point
``base_url`` at a host of its choosing; a per-call ``base_url`` could do the same on a server that
passes it through.  So, before anything is sent:

* a key read from an environment variable that a **built-in** spec declares (``OPENAI_API_KEY``…)
  is bound to the hosts of the built-in specs declaring it, plus the host of that provider's own
  base-URL variable when the user set it (``OPENAI_BASE_URL``), plus ``Client(trusted_hosts=…)``;
* a key from ``Client(api_keys=…)`` goes to the spec's own base URL; a per-call ``base_url`` needs a
  trusted host or an explicit ``api_key=`` on the same call;
* a key passed as ``api_key=`` on the call goes where that call says (the caller chose both);
* a credential never travels over plain ``http://`` except to a loopback host;
* a credential never goes to a link-local, cloud-metadata or private address (``169.254.169.254``,
  ``metadata.google.internal``, ``10.0.0.0/8``, ``fd00::/8``…) unless that exact host is configured
  by the caller: ``Client(trusted_hosts=…)``, or the base URL the caller set for the provider
  (``base_urls=``, ``*_BASE_URL``).  Hosts are read the way the socket layer reads them
  (:func:`parse_ip`): every IPv4 form ``inet_aton`` accepts (``2852039166``, ``0251.0376.0251.0376``,
  ``10.1``), trailing dots and any case, and IPv6 addresses that carry an IPv4 address
  (IPv4-mapped and -compatible, NAT64 ``64:ff9b::/96``, 6to4, Teredo) are judged by that address.
  A host *name* that resolves into these ranges is caught when the connection is opened: the
  transport resolves it once per new connection, checks every address with :class:`ConnectGuard`
  and connects to the checked address (so a DNS answer that changes in between cannot slip by).

The binding lives in this package and the caller's configuration, never in a third-party spec.
Host patterns may contain ``*`` (a templated base URL such as ``https://{{ settings.region }}…``);
``*`` matches exactly one DNS label, so ``bedrock-runtime.*.amazonaws.com`` does not match an S3
website host like ``bedrock-runtime.x.s3-website-us-east-1.amazonaws.com``.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "ConnectGuard",
    "check_credential_destination",
    "check_token_destination",
    "host_matches",
    "host_pattern",
    "is_internal",
    "is_internal_address",
    "is_loopback",
    "normalize_host",
    "parse_ip",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")


def host_pattern(base_url: str) -> str | None:
    """The host of a (possibly templated) base URL as an fnmatch pattern, lower-cased."""
    try:
        host = urlsplit(_TEMPLATE.sub("*", base_url)).hostname
    except ValueError:  # not a URL: it binds nothing (the call itself refuses it, naming its source)
        return None
    return host.lower() if host else None


def host_matches(host: str, pattern: str) -> bool:
    """``pattern`` with ``*`` standing for one DNS label."""
    regex = "^" + "[^.]+".join(re.escape(piece) for piece in pattern.split("*")) + "$"
    return re.match(regex, host) is not None


def normalize_host(host: str) -> str:
    """``host`` as a name server and the socket layer see it: lower-cased, without IPv6 brackets
    and without trailing dots (``Metadata.Google.Internal.`` → ``metadata.google.internal``)."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host.rstrip(".")


# the characters of the IPv4 forms inet_aton reads: decimal, octal (leading 0) and hex (0x) parts
_IPV4_FORM = re.compile(r"[0-9][0-9a-fx.]*")


def parse_ip(host: str) -> IPAddress | None:
    """The address ``host`` names when it is an IP literal in any form the socket layer accepts,
    else ``None`` (a host name).  IPv4: every ``inet_aton`` form (``2130706433``, ``0x7f.1``,
    ``0177.0.0.1``, ``127.1``), as ``getaddrinfo`` reads a numeric host; IPv6: ``ipaddress``
    (brackets and a ``%zone`` allowed).  Trailing dots and case do not matter."""
    host = normalize_host(host)
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            return None
    if not _IPV4_FORM.fullmatch(host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (and reaches through a translator or tunnel):
    IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, NAT64 (RFC 6052/8215, the
    address in the last 32 bits), 6to4 ``2002:AABB:CCDD::`` and Teredo (server and client)."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if any(ip in net for net in _NAT64):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    return found


def _is_loopback_ip(ip: IPAddress) -> bool:
    if ip.is_loopback:
        return True
    return isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None and ip.ipv4_mapped.is_loopback


def is_loopback(host: str) -> bool:
    """``host`` is ``localhost`` (or a ``*.localhost`` name) or a loopback IP literal in any form."""
    host = normalize_host(host)
    if host == "localhost" or host.endswith(".localhost"):
        return True
    ip = parse_ip(host)
    return ip is not None and _is_loopback_ip(ip)


_METADATA_HOSTS = frozenset({"metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal"})
# the ranges above are, for IP literals, what ipaddress calls link-local or private (RFC 1918,
# RFC 4193 unique-local, CGNAT 100.64/10 is "shared" and counted too); loopback is allowed
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


def _is_internal_v4_or_v6(ip: IPAddress) -> bool:
    return ip.is_link_local or ip.is_private or (ip.version == 4 and ip in _CGNAT)


def is_internal_address(ip: IPAddress | str) -> bool:
    """``ip`` (an address, or its text as ``getaddrinfo`` returns it) is link-local, private or
    shared (CGNAT), directly or through the IPv4 address it embeds; loopback is not internal."""
    if isinstance(ip, str):
        parsed = parse_ip(ip)
        if parsed is None:
            return False
        ip = parsed
    if _is_loopback_ip(ip):
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if any(not v4.is_loopback and _is_internal_v4_or_v6(v4) for v4 in inner):
            return True
        if ip.ipv4_mapped is not None:  # judged by its IPv4 address only (ipaddress calls all of ::ffff:0:0/96 private)
            return False
    return _is_internal_v4_or_v6(ip)


def is_internal(host: str) -> bool:
    """``host`` is a cloud-metadata name, or an IP literal (any form, see :func:`parse_ip`) that
    is link-local or private (not loopback), directly or through an embedded IPv4 address."""
    host = normalize_host(host)
    if host in _METADATA_HOSTS:
        return True
    ip = parse_ip(host)
    return ip is not None and is_internal_address(ip)


@dataclass(frozen=True)
class ConnectGuard:
    """What the transport checks when it opens a connection for a request that carries a
    credential: every address the host resolves to must be neither link-local, private nor
    shared (CGNAT) — loopback is allowed — unless the host is one of ``trusted`` (exact host
    names, normalised: the caller's ``trusted_hosts`` and configured base URLs).  Pure; the
    transport resolves and connects (DNS rebinding: the address checked is the one connected to)."""

    trusted: frozenset[str] = frozenset()

    @classmethod
    def of(cls, hosts: Iterable[str]) -> ConnectGuard:
        """A guard trusting the exact (wildcard-free) hosts among ``hosts``."""
        return cls(frozenset(normalize_host(h) for h in hosts if h and "*" not in h))

    def check(self, host: str, address: str) -> str | None:
        """``None`` when a credential may travel to ``address`` (what ``host`` resolved to), else
        the reason it may not."""
        name = normalize_host(host)
        if name in self.trusted or not (is_internal_address(address) or name in _METADATA_HOSTS):
            return None
        return (
            f"refusing to send a credential to {name}: it resolves to {address}, a link-local, metadata "
            f"or private address (docs/RELIABILITY.md T4); trust it explicitly with Client(trusted_hosts=[{name!r}])"
        )


def check_credential_destination(
    url: str,
    *,
    source: str | None,
    bound_hosts: Iterable[str] | None,
    trusted_hosts: Iterable[str] = (),
) -> str | None:
    """``None`` when the credential may be sent to ``url``, else the reason it may not.

    ``source``: where the key came from (``"argument"``, ``"client"``, ``"env:NAME"``).
    ``bound_hosts``: the host patterns the key is bound to (``None``: not bound).
    """
    parts = urlsplit(url)
    host = normalize_host(parts.hostname or "")
    if source is None:
        return None
    if parts.scheme != "https" and not is_loopback(host):
        return f"refusing to send a credential over {parts.scheme}:// to {host or '?'} (https only, except loopback)"
    if is_internal(host):
        explicit = ConnectGuard.of((*(bound_hosts or ()), *trusted_hosts)).trusted
        if host not in explicit:
            return (
                f"refusing to send a credential to {host}: a link-local, metadata or private address "
                f"(docs/RELIABILITY.md T4); trust it explicitly with Client(trusted_hosts=[{host!r}])"
            )
    if source == "argument" or bound_hosts is None:
        return None
    patterns = [p.lower() for p in bound_hosts] + [h.lower() for h in trusted_hosts]
    if any(host_matches(host, p) for p in patterns):
        return None
    where = source.removeprefix("env:") if source.startswith("env:") else "the client's key"
    allowed = ", ".join(sorted(set(patterns))) or "no host"
    return (
        f"refusing to send {where} to {host}: it is bound to {allowed}. Pass api_key=… explicitly "
        f"on the call, or trust the host with Client(trusted_hosts=[{host!r}])"
    )


def check_token_destination(scheme: str, host: str, patterns: Iterable[str], *, token: str, allowed: str) -> str | None:
    """For the token-auth hooks (Entra ID, Google OAuth), whose tokens are bound to fixed host
    patterns: ``None`` when a ``token`` (e.g. ``"a Google access token"``) may go to
    ``scheme://host``, else the reason it may not; ``allowed`` says where it may go, for the
    message.  Loopback is always allowed; anything else needs https and a matching pattern."""
    host = normalize_host(host)
    if is_loopback(host):
        return None
    if scheme != "https":
        return f"refusing to send {token} over {scheme}:// to {host or '?'} (https only, except loopback)"
    if not any(host_matches(host, p) for p in patterns):
        return f"refusing to send {token} to {host}: {allowed}"
    return None
