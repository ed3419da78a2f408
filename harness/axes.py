"""The axes a case expands over, their values, the placeholders they fill and the test ids they
make (docs/case-format.md, "Axes" and "Placeholders")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .impls import IMPLEMENTATIONS, VERSION_RECORD_NAMES, VERSION_TRANSPORTS
from .pki import placeholder_names as pki_placeholder_names


@dataclass(frozen=True)
class HostForm:
    value: str   # the axis value, as written in a URL: "127.0.0.1", "[::1]"
    label: str   # in test ids
    addr: str    # the bare address (for --resolve, options)


HOST_FORMS = {h.value: h for h in (HostForm("127.0.0.1", "ipv4", "127.0.0.1"),
                                   HostForm("[::1]", "ipv6", "::1"))}

# Axis -> every value it can take, in matrix order.
AXIS_VALUES: dict[str, tuple[str, ...]] = {
    "version": tuple(VERSION_RECORD_NAMES),
    "client": tuple(IMPLEMENTATIONS),
    "server": tuple(IMPLEMENTATIONS),
    "host": tuple(HOST_FORMS),
}

# Axes a case runs over in full unless it narrows them (with a reason). The version axis is
# different: a case opts into it by listing the versions it is about.
FULL_BY_DEFAULT = ("client", "server", "host")

# Placeholders filled from the axes: name -> the axis that must be present for it to have a value.
AXIS_PLACEHOLDERS = {
    "client": "client", "server": "server",
    "version": "version", "version_id": "version", "version_transport": "version",
    "host": "host", "addr": "host",
}
# Placeholders filled at run time (the server's READY port, the session PKI); "port" needs a server.
RUN_PLACEHOLDERS = {"port": "server", **dict.fromkeys(pki_placeholder_names())}
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([a-z_][a-z0-9_]*)\}")


def axis_placeholders(axes: dict[str, str]) -> dict[str, str]:
    """The placeholder values one combination of axis values gives."""
    values = {}
    if "client" in axes:
        values["client"] = axes["client"]
    if "server" in axes:
        values["server"] = axes["server"]
    if "version" in axes:
        v = axes["version"]
        values.update(version=VERSION_RECORD_NAMES[v], version_id=v,
                      version_transport=VERSION_TRANSPORTS[v])
    if "host" in axes:
        values.update(host=axes["host"], addr=HOST_FORMS[axes["host"]].addr)
    return values


def substitute(value, mapping: dict[str, str], final: bool):
    """Replaces {name} in every string inside value (dicts and lists too).
    final=False leaves unknown names and {{ }} escapes for a later pass; final=True resolves
    the escapes and raises KeyError on an unknown name."""
    if isinstance(value, str):
        def repl(m: re.Match) -> str:
            if m.group(1) is None:
                return m.group(0)[0] if final else m.group(0)
            if m.group(1) in mapping:
                return str(mapping[m.group(1)])
            if final:
                raise KeyError(m.group(1))
            return m.group(0)
        return _PLACEHOLDER.sub(repl, value)
    if isinstance(value, dict):
        return {k: substitute(v, mapping, final) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, mapping, final) for v in value]
    return value


def placeholders_in(value) -> set[str]:
    """Every {name} used in value (strings inside dicts and lists too)."""
    if isinstance(value, str):
        return {m.group(1) for m in _PLACEHOLDER.finditer(value) if m.group(1)}
    if isinstance(value, dict):
        return set().union(*(placeholders_in(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(placeholders_in(v) for v in value)) if value else set()
    return set()


def variant_id(case_id: str, axes: dict[str, str]) -> str:
    """e.g. "tls1.3-openssl>gnutls-ipv6-echo.tls", "openssl-url.ipv4"."""
    parts = []
    if "version" in axes:
        parts.append(axes["version"])
    if "server" in axes:
        parts.append(f"{axes['client']}>{axes['server']}")
    elif "client" in axes:
        parts.append(axes["client"])
    if "host" in axes:
        parts.append(HOST_FORMS[axes["host"]].label)
    parts.append(case_id)
    return "-".join(parts)
