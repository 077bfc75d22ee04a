"""Who may call the admin API: loopback, the subnet of the bound address, or explicitly allowed networks,
and only with the admin token (header ``X-Emulator-Token``) the emulator writes to its token file at start."""

from __future__ import annotations

import hmac
import ipaddress
import socket
import struct
from typing import Iterable, List, Optional, Union

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

_SIOCGIFADDR = 0x8915
_SIOCGIFNETMASK = 0x891B


def client_allowed(client_ip: str, networks: Iterable[Network]) -> bool:
    try:
        address = ipaddress.ip_address(client_ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback or any(address in network for network in networks
                                      if network.version == address.version)


def token_matches(given: Optional[str], expected: str) -> bool:
    """Constant-time comparison of the request's token with the emulator's; no header never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.strip().encode("utf-8", "surrogateescape"), expected.encode("utf-8"))


def _interface_network(address: ipaddress.IPv4Address) -> Optional[Network]:
    """The IPv4 network of the interface holding ``address`` (Linux ioctl), if found."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-Unix
        return None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _index, name in socket.if_nameindex():
            request = struct.pack("256s", name.encode()[:15])
            try:
                found = socket.inet_ntoa(fcntl.ioctl(probe.fileno(), _SIOCGIFADDR, request)[20:24])
                mask = socket.inet_ntoa(fcntl.ioctl(probe.fileno(), _SIOCGIFNETMASK, request)[20:24])
            except OSError:
                continue
            if found == str(address):
                return ipaddress.ip_network(f"{found}/{mask}", strict=False)
    return None


def bound_networks(bound_host: str, extra: Iterable[str] = ()) -> List[Network]:
    """Networks allowed besides loopback: the bound address's subnet plus ``extra`` CIDRs.

    A wildcard or loopback bind allows loopback only (plus ``extra``).
    """
    networks = [ipaddress.ip_network(cidr, strict=False) for cidr in extra]
    try:
        address = ipaddress.ip_address(bound_host)
    except ValueError:
        return networks
    if address.is_unspecified or address.is_loopback:
        return networks
    found = _interface_network(address) if address.version == 4 else None
    if found is None:
        prefix = 24 if address.version == 4 else 64
        found = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    return networks + [found]
