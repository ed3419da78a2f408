"""The JSON result record (DESIGN §6, docs/harness.md): shape checks and client/server pairing.

Every record the harness sees is checked against the documented keys and types first, so a
drifting binary fails loudly with the key it got wrong instead of confusing an expectation."""

from __future__ import annotations

from .errors import error_classes, stages

# key -> accepted JSON types (None = null allowed)
RECORD_KEYS: dict[str, tuple] = {
    "side": (str,),
    "impl": (str,),
    "lib_version": (str, None),
    "url": (str, None),
    "transport": (str, None),
    "ok": (bool,),
    "stage": (str,),
    "error": (str, None),
    "detail": (str, None),
    "version": (str, None),
    "cipher": (str, None),
    "peer_subject": (str, None),
    "peer_sans": (list, None),
    "alpn": (str, None),
    "sni": (str, None),
    "transcript": (list, None),
    "close_notify": (bool, None),
    "local_port": (int, None),
    "peer_port": (int, None),
    "ms": (int, float, None),
}
# "id" in --batch mode, "peer_cert" with capture_peer_cert; "proto" and "starttls" say which
# line protocol ran (STARTTLS arrives in a later issue).
OPTIONAL_KEYS = {"id", "peer_cert", "proto", "starttls"}
VERSIONS = ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")
PROTOS = ("echo", "smtp", "imap", "pop3")
# The "starttls" object of a STARTTLS dialog (docs/result-record.md): key -> accepted types.
STARTTLS_KEYS: dict[str, tuple] = {"offered": (bool, None), "upgraded": (bool,),
                                   "discarded": (int, None)}


def _type_ok(value, accepted: tuple) -> bool:
    if value is None:
        return None in accepted
    if isinstance(value, bool):           # bool is an int in Python: only accept it as bool
        return bool in accepted
    return any(t is not None and isinstance(value, t) for t in accepted)


def record_problems(record: dict, side: str | None = None) -> list[str]:
    """What is wrong with a record's shape (empty when it follows the contract)."""
    problems = []
    for key, accepted in RECORD_KEYS.items():
        if key not in record:
            problems.append(f"missing key {key!r}")
        elif not _type_ok(record[key], accepted):
            names = "/".join("null" if t is None else t.__name__ for t in accepted)
            problems.append(f"{key!r} is {record[key]!r}, expected {names}")
    for key in record:
        if key not in RECORD_KEYS and key not in OPTIONAL_KEYS:
            problems.append(f"unknown key {key!r}")
    if problems:
        return problems
    if side is not None and record["side"] != side:
        problems.append(f"side is {record['side']!r}, expected {side!r}")
    if record["ok"] and record["error"] is not None:
        problems.append(f"ok is true but error is {record['error']!r}")
    if not record["ok"] and record["error"] is None:
        problems.append("ok is false but error is null")
    if record["error"] is not None and record["error"] not in error_classes():
        problems.append(f"error {record['error']!r} is not a class in lib/errors.h")
    if record["stage"] not in stages():
        problems.append(f"stage {record['stage']!r} is not a stage in lib/errors.h")
    if record["version"] is not None and record["version"] not in VERSIONS:
        problems.append(f"version {record['version']!r} is not one of {', '.join(VERSIONS)}")
    problems += _mail_problems(record)
    for i, msg in enumerate(record["transcript"] or []):
        if not (isinstance(msg, dict) and msg.get("from") in ("client", "server")
                and isinstance(msg.get("msg"), str)):
            problems.append(f"transcript[{i}] is {msg!r}, expected "
                            '{"from": "client"|"server", "msg": "Name"}')
    return problems


def _mail_problems(record: dict) -> list[str]:
    """The optional "proto" and "starttls" keys, when a record has them."""
    problems = []
    if "proto" in record and record["proto"] not in PROTOS:
        problems.append(f"proto {record['proto']!r} is not one of {', '.join(PROTOS)}")
    starttls = record.get("starttls")
    if starttls is None:
        return problems
    if not isinstance(starttls, dict) or set(starttls) != set(STARTTLS_KEYS):
        return problems + [f"starttls is {starttls!r}, expected null or an object with "
                           f"{', '.join(STARTTLS_KEYS)}"]
    for key, accepted in STARTTLS_KEYS.items():
        if not _type_ok(starttls[key], accepted):
            names = "/".join("null" if t is None else t.__name__ for t in accepted)
            problems.append(f"starttls.{key} is {starttls[key]!r}, expected {names}")
    if isinstance(starttls["discarded"], int) and starttls["discarded"] < 0:
        problems.append(f"starttls.discarded is {starttls['discarded']}, a negative byte count")
    return problems


class PairingError(ValueError):
    pass


def pair(client: dict, server_records: list[dict]) -> dict | None:
    """The server record of the client's connection: the one whose peer_port is the client's
    local_port. None when the client never had a connection (local_port null/0) or the server
    wrote nothing for it. Two candidates mean the records are ambiguous: PairingError."""
    port = client.get("local_port")
    if not port:
        return None
    matches = [r for r in server_records if r.get("peer_port") == port]
    if len(matches) > 1:
        raise PairingError(f"{len(matches)} server records have peer_port {port}")
    return matches[0] if matches else None


def unpaired(server_records: list[dict], paired: list[dict]) -> list[dict]:
    """Server records that belong to no client we ran (compared by identity)."""
    ids = {id(r) for r in paired}
    return [r for r in server_records if id(r) not in ids]
