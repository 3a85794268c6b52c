"""Who may read /metrics: a client address in settings.METRICS_ALLOWED_IPS (addresses or
networks, default the machine itself), or a request bearing settings.METRICS_TOKEN.

The address is REMOTE_ADDR as the ASGI server reports it (behind a reverse proxy on the same
machine, uvicorn's --proxy-headers sets it from X-Forwarded-For); a client-supplied header is
never trusted here.
"""

import functools
import hmac
import ipaddress

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"METRICS_ALLOWED_IPS: {entry!r} is not an address or a network"
            ) from exc
    return tuple(networks)


def address_allowed(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in _networks(tuple(settings.METRICS_ALLOWED_IPS)))


def token_valid(header: str) -> bool:
    expected = settings.METRICS_TOKEN
    scheme, _sep, token = header.partition(" ")
    if not expected or scheme.lower() != "bearer" or not token.strip():
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())


def metrics_allowed(request: HttpRequest) -> bool:
    return token_valid(request.META.get("HTTP_AUTHORIZATION", "")) or address_allowed(
        request.META.get("REMOTE_ADDR", "")
    )
