"""Credentials bound to their hosts (RELIABILITY.md T4, the CVE-2024-6587 pattern).  Pure.

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
  ``metadata.google.internal``, ``10.0.0.0/8``, ``fd00::/8``…, written as such in the URL) unless
  that exact host is configured by the caller: ``Client(trusted_hosts=…)``, or the base URL the
  caller set for the provider (``base_urls=``, ``*_BASE_URL``).  The check reads the URL, not the
  resolved address; a host name that resolves into these ranges is not caught here.

The binding lives in this package and the caller's configuration, never in a third-party spec.
Host patterns may contain ``*`` (a templated base URL such as ``https://{{ settings.region }}…``);
``*`` matches exactly one DNS label, so ``bedrock-runtime.*.amazonaws.com`` does not match an S3
website host like ``bedrock-runtime.x.s3-website-us-east-1.amazonaws.com``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

__all__ = ["check_credential_destination", "check_token_destination", "host_matches", "host_pattern", "is_internal", "is_loopback"]

_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")


def host_pattern(base_url: str) -> str | None:
    """The host of a (possibly templated) base URL as an fnmatch pattern, lower-cased."""
    host = urlsplit(_TEMPLATE.sub("*", base_url)).hostname
    return host.lower() if host else None


def host_matches(host: str, pattern: str) -> bool:
    """``pattern`` with ``*`` standing for one DNS label."""
    regex = "^" + "[^.]+".join(re.escape(piece) for piece in pattern.split("*")) + "$"
    return re.match(regex, host) is not None


def is_loopback(host: str) -> bool:
    if host in ("localhost",) or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


_METADATA_HOSTS = frozenset({"metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal"})
# the ranges above are, for IP literals, what ipaddress calls link-local or private (RFC 1918,
# RFC 4193 unique-local, CGNAT 100.64/10 is "shared" and counted too); loopback is allowed
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


def is_internal(host: str) -> bool:
    """``host`` is a cloud-metadata name, or an IP literal that is link-local or private (not
    loopback)."""
    if host in _METADATA_HOSTS:
        return True
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    if ip.is_loopback:
        return False
    return ip.is_link_local or ip.is_private or (ip.version == 4 and ip in _CGNAT)


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
    host = (parts.hostname or "").lower()
    if source is None:
        return None
    if parts.scheme != "https" and not is_loopback(host):
        return f"refusing to send a credential over {parts.scheme}:// to {host or '?'} (https only, except loopback)"
    if is_internal(host):
        explicit = {p.lower() for p in (*(bound_hosts or ()), *trusted_hosts) if "*" not in p}
        if host not in explicit:
            return (
                f"refusing to send a credential to {host}: a link-local, metadata or private address "
                f"(RELIABILITY.md T4); trust it explicitly with Client(trusted_hosts=[{host!r}])"
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
    host = host.lower()
    if is_loopback(host):
        return None
    if scheme != "https":
        return f"refusing to send {token} over {scheme}:// to {host or '?'} (https only, except loopback)"
    if not any(host_matches(host, p) for p in patterns):
        return f"refusing to send {token} to {host}: {allowed}"
    return None
