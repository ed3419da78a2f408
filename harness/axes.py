"""The axes a case expands over, their values, the placeholders they fill and the test ids they
make (docs/case-format.md, "Axes" and "Placeholders")."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from .impls import IMPLEMENTATIONS, VERSION_RECORD_NAMES, VERSION_TRANSPORTS
from .pki import SERVER_LEAF_BY_KEY
from .pki import placeholder_names as pki_placeholder_names


@dataclass(frozen=True)
class HostForm:
    value: str   # the axis value, as written in a URL: "127.0.0.1", "[::1]", "server.test"
    label: str   # in test ids
    addr: str    # the bare address it reaches ({addr}: for --resolve, options)

    @property
    def resolve(self) -> str | None:
        """The --resolve entry that both the client and the server get for this form, so that
        {host} works in a listen URL and a client URL without the system resolver; None for an
        IP literal, which needs no lookup."""
        try:
            ipaddress.ip_address(self.value.strip("[]"))
        except ValueError:
            return f"{self.value}:{self.addr}"
        return None


# The name is a DNS SAN of the good server leaves (harness/pki.py SERVER_SANS: the key axis's
# three), so verification still succeeds on it; what does change (SNI is sent for a name and
# never for an IP literal, RFC 6066 §3; the DNS-ID is matched instead of the IP SAN) is written
# as override rules in the cases. Its label is "dnsname", not "name": `-k name` would also select
# every names.* case, while `-k dnsname` selects exactly this form.
HOST_FORMS = {h.value: h for h in (HostForm("127.0.0.1", "ipv4", "127.0.0.1"),
                                   HostForm("[::1]", "ipv6", "::1"),
                                   HostForm("server.test", "dnsname", "127.0.0.1"))}


@dataclass(frozen=True)
class MailMode:
    value: str             # the axis value, also its label in test ids
    transport: str         # {mode_transport}: of the listen URL and the client's URL
    server_starttls: str   # {mode_server_starttls}: server.starttls ("null": none)
    client_starttls: str   # {mode_client_starttls}: client.starttls ("null": none)


# Implicit TLS: TLS from the first byte, no STARTTLS dialog. STARTTLS: plaintext, the server
# offers the upgrade and the client requires it (docs/starttls.md).
MAIL_MODES = {m.value: m for m in (MailMode("implicit", "tls", "null", "null"),
                                   MailMode("starttls", "tcp", "offer", "required"))}

# Axis -> every value it can take, in matrix order. The order of this dict is also the order in
# which a case expands and in which the values appear in test ids (variant_id).
AXIS_VALUES: dict[str, tuple[str, ...]] = {
    "version": tuple(VERSION_RECORD_NAMES),
    "key": tuple(SERVER_LEAF_BY_KEY),
    "client": tuple(IMPLEMENTATIONS),
    "server": tuple(IMPLEMENTATIONS),
    "host": tuple(HOST_FORMS),
    "mode": tuple(MAIL_MODES),
}

# Axes a case runs over in full unless it narrows them (with a reason). The version, key and
# mode axes are different: a case opts into them by listing the values it is about.
FULL_BY_DEFAULT = ("client", "server", "host")

# Placeholders filled from the axes: name -> the axis that must be present for it to have a value.
AXIS_PLACEHOLDERS = {
    "client": "client", "server": "server",
    "version": "version", "version_id": "version", "version_transport": "version",
    "key": "key", "key_cert": "key", "key_pk": "key",
    "host": "host", "addr": "host",
    "mode": "mode", "mode_transport": "mode", "mode_server_starttls": "mode",
    "mode_client_starttls": "mode",
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
    if "key" in axes:
        # The leaf's files exist only once the session PKI is made, so {key_cert} becomes the
        # leaf's own placeholder ({rsa_cert}) here and its path when the run fills those in.
        leaf = SERVER_LEAF_BY_KEY[axes["key"]]
        values.update(key=axes["key"], key_cert=f"{{{leaf}_cert}}", key_pk=f"{{{leaf}_key}}")
    if "host" in axes:
        values.update(host=axes["host"], addr=HOST_FORMS[axes["host"]].addr)
    if "mode" in axes:
        mode = MAIL_MODES[axes["mode"]]
        values.update(mode=mode.value, mode_transport=mode.transport,
                      mode_server_starttls=mode.server_starttls,
                      mode_client_starttls=mode.client_starttls)
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
    """[version-][key-]client[>server][-host][-mode]-<id>, e.g.
    "tls1.3-rsa2048-openssl>gnutls-ipv6-echo.tls", "openssl-url.ipv4",
    "p256-gnutls>openssl-ipv4-starttls-smtp.ok", "gnutls>openssl-dnsname-echo.tcp"."""
    parts = []
    if "version" in axes:
        parts.append(axes["version"])
    if "key" in axes:
        parts.append(axes["key"])
    if "server" in axes:
        parts.append(f"{axes['client']}>{axes['server']}")
    elif "client" in axes:
        parts.append(axes["client"])
    if "host" in axes:
        parts.append(HOST_FORMS[axes["host"]].label)
    if "mode" in axes:
        parts.append(axes["mode"])
    parts.append(case_id)
    return "-".join(parts)
