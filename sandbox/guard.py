"""Who may drive the sandbox: it has no login, so it serves this machine only.

A web page in the same browser must not drive it either: a cross-site form or `fetch` (or a DNS name
rebound to 127.0.0.1) could otherwise act as a person, or point deliveries at another host. So:
  - it binds loopback unless `public` is asked for (then anyone who reaches the port drives it);
  - the Host header must name the address it listens on (not checked when public: names vary there);
  - an Origin header, when a browser sends one, must be this very origin;
  - the UI's JSON actions take `application/json` only, which no cross-site form can send.
"""

from __future__ import annotations

import ipaddress

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, public: bool) -> None:
    """Refuse a non-loopback address unless `public` was asked for."""
    if not public and not is_loopback(host):
        raise ValueError(f"--host {host} is not a loopback address: the sandbox has no login, so it listens on "
                         "127.0.0.1 only. Add --public to serve it to other machines anyway.")


def allowed_hosts(bound_host: str, port: int) -> set[str]:
    """The Host header values that name this server: loopback names and the bound address, with the port."""
    names = set(LOOPBACK_NAMES) | {f"[{bound_host}]" if ":" in bound_host else bound_host}
    return {f"{name}:{port}" for name in names}


def _shown(value: str | None) -> str:
    """A header value quoted in an answer: cut short, with &, < and > escaped."""
    text = repr(value)[:100]
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def refusal(host_header: str | None, origin: str | None, hosts: set[str], public: bool) -> str | None:
    """Why this request may not drive the sandbox, or None when it may."""
    if not host_header or (not public and host_header.lower() not in hosts):
        return f"Host {_shown(host_header)} is not this sandbox; open it at http://127.0.0.1 (loopback) instead"
    if origin is not None and origin.lower() != f"http://{host_header.lower()}":
        return f"requests from the page at {_shown(origin)} may not drive this sandbox"
    return None


def is_json(content_type: str | None) -> bool:
    return (content_type or "").split(";", 1)[0].strip().lower() == "application/json"
