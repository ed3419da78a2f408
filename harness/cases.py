"""Case files (cases/*.toml): loading, validation and expansion over the axes.

The format is described for case authors in docs/case-format.md. In short: one [[case]] per
scenario, read top to bottom as id, about, spec, axes, server, client, expect, plus
optional [[case.override]] rules that change the expectation on some axis values, each with a
reason. A file may start with [defaults] that fill in keys of the tables its cases have.

Everything that can be checked without running a process is checked here, at collection time,
and every error names the file, the case id and the key.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import REPO_ROOT, transcripts
from .axes import (AXIS_PLACEHOLDERS, AXIS_VALUES, FULL_BY_DEFAULT, HOST_FORMS, RUN_PLACEHOLDERS,
                   axis_placeholders, placeholders_in, substitute, variant_id)
from .errors import error_classes, stages
from .impls import CLIENT_STARTTLS, IMPLEMENTATIONS, SERVER_STARTTLS

REPO_CASES = REPO_ROOT / "cases"


# ---- errors -------------------------------------------------------------------------------------

class CaseFormatError(ValueError):
    """A case file is wrong. The message names the file, the case and the key."""

    def __init__(self, path: Path, case_id: str | None, message: str):
        where = f"{path}: case {case_id!r}: " if case_id else f"{path}: "
        super().__init__(where + message)
        self.path, self.case_id, self.message = path, case_id, message


# ---- the schema ---------------------------------------------------------------------------------

CASE_KEYS = {"id", "about", "spec", "axes", "restricted", "sanitizer_sample", "server", "client",
             "expect", "override"}
SERVER_KEYS = {"listen", "options", "proto", "starttls", "resolve"}
CLIENT_KEYS = {"url", "port", "options", "send", "resolve", "parse_only", "close_notify",
               "timeout_ms", "proto", "starttls"}
# Expectation keys compared with the record key of the same name.
RECORD_EXPECT_KEYS = {"ok", "error", "stage", "version", "cipher", "transport", "url", "alpn",
                      "sni", "close_notify", "peer_sans", "peer_subject", "proto", "peer_cert"}
SPECIAL_EXPECT_KEYS = {
    "client": {"transcript", "exit", "detail_contains", "starttls"},
    "server": {"transcript", "detail_contains", "record", "starttls"},
}
OVERRIDE_KEYS = {"when", "reason", "expect"}
DEFAULTS_KEYS = {"axes", "restricted", "sanitizer_sample", "server", "client", "expect"}
PROTOS = {"echo", "smtp", "imap", "pop3"}
MAIL_PROTOS = PROTOS - {"echo"}
# expect.<side>.starttls = { … }: the record's "starttls" object, key by key
# (docs/result-record.md)
STARTTLS_EXPECT_TYPES = {"offered": (bool, str), "upgraded": (bool,), "discarded": (int, str)}
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
NULL = "null"       # TOML has no null: an expectation of "null" means JSON null


@dataclass
class Override:
    when: dict[str, tuple[str, ...]]
    reason: str
    expect: dict[str, dict]

    def matches(self, axes: dict[str, str]) -> bool:
        return all(axes.get(axis) in values for axis, values in self.when.items())


@dataclass
class Case:
    path: Path
    id: str
    about: str
    spec: str
    axes: dict[str, tuple[str, ...]]
    restricted: str | None
    sanitizer_sample: bool
    server: dict | None
    client: dict
    expect: dict[str, dict]
    overrides: list[Override] = field(default_factory=list)
    line: int = 0   # 0-based line of its `id = …` in the file, for reports


@dataclass
class Variant:
    """One run of a case: one value per axis, expectations with the overrides applied and the
    axis placeholders filled in (run-time ones like {port} stay until the run; {key_cert} has
    become the leaf's own placeholder, e.g. {rsa_cert}, which the run fills like any other), and
    a STARTTLS policy of "null" dropped."""
    case: Case
    axes: dict[str, str]
    test_id: str
    server: dict | None
    client: dict
    expect: dict[str, dict]
    override_reasons: list[str]
    skip_reason: str | None = None


class _Checker:
    """Validation helpers that know where they are (file, case id) for the message."""

    def __init__(self, path: Path, case_id: str | None):
        self.path, self.case_id = path, case_id

    def fail(self, message: str):
        raise CaseFormatError(self.path, self.case_id, message)

    def table(self, value, where: str) -> dict:
        if not isinstance(value, dict):
            self.fail(f"{where} must be a table, got {type(value).__name__}")
        return value

    def keys(self, table: dict, allowed: set[str], where: str) -> None:
        for key in table:
            if key not in allowed:
                self.fail(f"{where}.{key}: unknown key (known: {', '.join(sorted(allowed))})")

    def typed(self, table: dict, key: str, types, where: str, required=False):
        if key not in table:
            if required:
                self.fail(f"{where}.{key} is required")
            return None
        value = table[key]
        types = types if isinstance(types, tuple) else (types,)
        if isinstance(value, bool) and bool not in types or not isinstance(value, types):
            names = " or ".join(t.__name__ for t in types)
            self.fail(f"{where}.{key} must be {names}, got {value!r}")
        return value

    def string_list(self, table: dict, key: str, where: str) -> list[str] | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(f"{where}.{key} must be a string or a list of strings, got {value!r}")
        return value


def _merge(base: dict, over: dict) -> dict:
    """Deep merge of tables: over wins; lists and scalars are replaced, not concatenated."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _apply_defaults(raw: dict, defaults: dict) -> dict:
    """[defaults] is merged under every case of the file (the case's own values win; tables
    merge key by key). A file whose defaults have a server is a file of client-server cases."""
    merged = dict(raw)
    for key, value in defaults.items():
        if key not in raw:
            merged[key] = value
        elif isinstance(value, dict) and isinstance(raw[key], dict):
            merged[key] = _merge(value, raw[key])
    # A case that names an error means ok = false whatever the defaults said (and vice versa).
    own_expect = raw.get("expect") if isinstance(raw.get("expect"), dict) else {}
    for side, exp in own_expect.items():
        if isinstance(exp, dict) and isinstance(merged["expect"].get(side), dict):
            if exp.get("error") not in (None, NULL) and "ok" not in exp:
                merged["expect"][side].pop("ok", None)
            if exp.get("ok") is True and "error" not in exp:
                merged["expect"][side].pop("error", None)
    return merged


def _check_expect_side(ck: _Checker, side: str, exp: dict, where: str, partial: bool) -> None:
    """partial=True for overrides: they may set any subset of keys."""
    ck.keys(exp, RECORD_EXPECT_KEYS | SPECIAL_EXPECT_KEYS[side], where)
    ck.typed(exp, "ok", bool, where)
    ck.typed(exp, "error", str, where)
    ck.typed(exp, "stage", str, where)
    ck.typed(exp, "exit", int, where)
    ck.typed(exp, "record", bool, where)
    ck.typed(exp, "detail_contains", str, where)
    for key in ("version", "cipher", "transport", "url", "alpn", "sni", "peer_subject",
                "peer_cert"):
        ck.typed(exp, key, str, where)
    ck.typed(exp, "close_notify", (bool, str), where)
    if isinstance(exp.get("close_notify"), str) and exp["close_notify"] != NULL:
        ck.fail(f'{where}.close_notify must be true, false or "null"')
    ck.typed(exp, "peer_sans", list, where)
    ck.typed(exp, "transcript", (str, list), where)
    ck.typed(exp, "proto", str, where)
    _check_starttls_expect(ck, exp, where)
    if not partial and exp.get("record", True) and "ok" not in exp and "error" not in exp:
        ck.fail(f"{where} must say ok = true or error = \"<class>\"")
    if exp.get("ok") is True and exp.get("error") not in (None, NULL):
        ck.fail(f"{where}: ok = true contradicts error = {exp['error']!r}")
    if "exit" in exp and exp["exit"] not in (0, 1, 2, 3):
        ck.fail(f"{where}.exit must be 0, 1, 2 or 3 (see docs/harness.md), got {exp['exit']}")


def _check_starttls_expect(ck: _Checker, exp: dict, where: str) -> None:
    """expect.<side>.starttls: "null" (no STARTTLS dialog: implicit TLS, echo) or a table of
    offered / upgraded / discarded, each compared with the record's value when given."""
    if "starttls" not in exp:
        return
    value = exp["starttls"]
    if value == NULL:
        return
    ck.table(value, f"{where}.starttls")
    ck.keys(value, set(STARTTLS_EXPECT_TYPES), f"{where}.starttls")
    for key, types in STARTTLS_EXPECT_TYPES.items():
        got = ck.typed(value, key, types, f"{where}.starttls")
        if isinstance(got, str) and got != NULL:
            ck.fail(f'{where}.starttls.{key} must be {types[0].__name__} or "null"')


def _check_expect_values(ck: _Checker, side: str, exp: dict, where: str) -> None:
    """Checks values that have no placeholders left (run per variant, after substitution)."""
    err = exp.get("error")
    if err not in (None, NULL) and not placeholders_in(err) and err not in error_classes():
        ck.fail(f"{where}.error: {err!r} is not a class in lib/errors.h")
    stage = exp.get("stage")
    if stage is not None and not placeholders_in(stage) and stage not in stages():
        ck.fail(f"{where}.stage: {stage!r} is not a stage (known: {', '.join(sorted(stages()))})")
    spec = exp.get("transcript")
    if spec is not None and not placeholders_in(spec):
        try:
            transcripts.expected(spec)
        except ValueError as exc:
            ck.fail(f"{where}.transcript: {exc}")


def _parse_axes(ck: _Checker, raw: dict, has_server: bool) -> tuple[dict, bool]:
    """The case's axes with their values, and whether it narrowed a full-by-default axis."""
    given = ck.table(raw.get("axes", {}), "axes")
    ck.keys(given, set(AXIS_VALUES), "axes")
    applicable = ["client", "version"]
    if has_server:
        applicable += ["server", "host", "key", "mode"]
    elif "host" in given:
        applicable.append("host")   # a client-only case may opt into host forms
    for axis in given:
        if axis not in applicable:
            ck.fail(f"axes.{axis}: a case without [case.server] has no {axis} axis")
    axes, narrowed = {}, False
    for axis in AXIS_VALUES:
        if axis not in applicable:
            continue
        if axis in given:
            values = ck.string_list(given, axis, "axes")
            if not values:
                ck.fail(f"axes.{axis} is empty")
            for v in values:
                if v not in AXIS_VALUES[axis]:
                    ck.fail(f"axes.{axis}: unknown value {v!r} "
                            f"(known: {', '.join(AXIS_VALUES[axis])})")
            if len(set(values)) != len(values):
                ck.fail(f"axes.{axis} lists a value twice")
            if axis in FULL_BY_DEFAULT and set(values) != set(AXIS_VALUES[axis]):
                narrowed = True
            # Keep matrix order whatever order the file lists them in.
            axes[axis] = tuple(v for v in AXIS_VALUES[axis] if v in values)
        elif axis in FULL_BY_DEFAULT:
            axes[axis] = AXIS_VALUES[axis]
    return axes, narrowed


def _parse_server(ck: _Checker, raw: dict) -> dict | None:
    if "server" not in raw:
        return None
    server = ck.table(raw["server"], "server")
    ck.keys(server, SERVER_KEYS, "server")
    ck.typed(server, "listen", str, "server", required=True)
    _check_options(ck, server, "server")
    proto = ck.typed(server, "proto", str, "server") or "echo"
    if proto not in PROTOS:
        ck.fail(f"server.proto: unknown protocol {proto!r} (known: {', '.join(sorted(PROTOS))})")
    _check_starttls_policy(ck, server, "server", proto, SERVER_STARTTLS)
    resolve = ck.string_list(server, "resolve", "server") or []
    return {"options": {}, "proto": "echo", **server, "resolve": resolve}


def _check_starttls_policy(ck: _Checker, table: dict, where: str, proto: str | None,
                           policies: tuple[str, ...]) -> None:
    """A policy, or "null" for none (what {mode_*_starttls} gives in implicit mode). One written
    with placeholders is checked per variant, once they are filled (_resolve_policies)."""
    policy = ck.typed(table, "starttls", str, where)
    if policy is None:
        return
    if not placeholders_in(policy) and policy not in (*policies, NULL):
        ck.fail(f"{where}.starttls: unknown policy {policy!r} "
                f"(known: {', '.join(policies)}, or \"null\" for none)")
    if proto not in MAIL_PROTOS:
        ck.fail(f"{where}.starttls needs {where}.proto = one of {', '.join(sorted(MAIL_PROTOS))}")


def _parse_client(ck: _Checker, raw: dict, has_server: bool) -> dict:
    if "client" not in raw:
        ck.fail("[case.client] is required")
    client = ck.table(raw["client"], "client")
    ck.keys(client, CLIENT_KEYS, "client")
    ck.typed(client, "url", str, "client", required=True)
    ck.typed(client, "port", (int, str), "client")
    _check_options(ck, client, "client")
    ck.typed(client, "send", str, "client")
    resolve = ck.string_list(client, "resolve", "client") or []
    parse_only = ck.typed(client, "parse_only", bool, "client") or False
    ck.typed(client, "close_notify", bool, "client")
    ck.typed(client, "timeout_ms", int, "client")
    proto = ck.typed(client, "proto", str, "client")
    if proto is not None and proto not in PROTOS:
        ck.fail(f"client.proto: unknown protocol {proto!r} (known: {', '.join(sorted(PROTOS))})")
    _check_starttls_policy(ck, client, "client", proto, CLIENT_STARTTLS)
    if proto in MAIL_PROTOS and "send" in client:
        ck.fail("client.send is for echo: a mail client runs its protocol's dialog instead")
    if parse_only and has_server:
        ck.fail("client.parse_only never connects: a parse-only case has no [case.server]")
    return {"options": {}, "close_notify": True, **client, "resolve": resolve,
            "parse_only": parse_only}


def _check_options(ck: _Checker, table: dict, where: str) -> None:
    for name, value in ck.table(table.get("options", {}), f"{where}.options").items():
        if not isinstance(value, (str, int, bool)):
            ck.fail(f"{where}.options.{name} must be a string, integer or boolean")


def _parse_restriction(ck: _Checker, raw: dict, narrowed: bool) -> str | None:
    restricted = ck.typed(raw, "restricted", str, "case")
    if narrowed and not (restricted and restricted.strip()):
        ck.fail("axes narrows client/server/host: say why in restricted = \"…\" "
                "(it is printed in the test report)")
    if restricted and not narrowed:
        ck.fail("restricted is given but the case runs on every client/server/host value")
    return restricted.strip() if restricted else None


def _parse_expect(ck: _Checker, raw: dict, has_server: bool) -> dict[str, dict]:
    if "expect" not in raw:
        ck.fail("[case.expect] is required")
    expect = ck.table(raw["expect"], "expect")
    ck.keys(expect, {"client", "server"}, "expect")
    if "client" not in expect:
        ck.fail("[case.expect.client] is required")
    if has_server and "server" not in expect:
        ck.fail("a case with a server needs [case.expect.server]")
    if not has_server and "server" in expect:
        ck.fail("[case.expect.server] given but the case has no [case.server]")
    for side, exp in expect.items():
        ck.table(exp, f"expect.{side}")
        _check_expect_side(ck, side, exp, f"expect.{side}", partial=False)
    return expect


def _parse_overrides(ck: _Checker, raw: dict, axes: dict, sides: set[str]) -> list[Override]:
    raw_overrides = raw.get("override", [])
    if not isinstance(raw_overrides, list):
        ck.fail("override must be an array of tables: [[case.override]]")
    overrides = []
    for i, ov in enumerate(raw_overrides):
        where = f"override[{i}]"
        ck.table(ov, where)
        ck.keys(ov, OVERRIDE_KEYS, where)
        reason = ck.typed(ov, "reason", str, where, required=True)
        if not reason.strip():
            ck.fail(f"{where}.reason must say why this combination behaves differently")
        if "when" not in ov:
            ck.fail(f"{where}.when is required")
        when = ck.table(ov["when"], f"{where}.when")
        if not when:
            ck.fail(f"{where}.when is empty: an override must name the axis values it is for")
        parsed_when = {}
        for axis in when:
            if axis not in axes:
                ck.fail(f"{where}.when.{axis}: the case has no {axis} axis "
                        f"(its axes: {', '.join(axes)})")
            values = ck.string_list(when, axis, f"{where}.when")
            for v in values:
                if v not in axes[axis]:
                    ck.fail(f"{where}.when.{axis}: {v!r} is not one of the case's values "
                            f"({', '.join(axes[axis])})")
            parsed_when[axis] = tuple(values)
        ov_expect = ck.table(ov.get("expect", {}), f"{where}.expect")
        ck.keys(ov_expect, sides, f"{where}.expect")
        if not ov_expect:
            ck.fail(f"{where}.expect is empty: the override changes nothing")
        for side, exp in ov_expect.items():
            ck.table(exp, f"{where}.expect.{side}")
            _check_expect_side(ck, side, exp, f"{where}.expect.{side}", partial=True)
        overrides.append(Override(parsed_when, reason.strip(), ov_expect))
    return overrides


def _check_axis_use(ck: _Checker, case: Case) -> None:
    """The key and mode axes are opt-in, and a case that opts in must let them change what runs:
    otherwise its variants would repeat one test under different names."""
    if "key" in case.axes:
        options = case.server["options"]
        for option, name in (("local_cert", "key_cert"), ("local_pk", "key_pk")):
            if name not in placeholders_in(options.get(option)):
                ck.fail(f"axes.key is the server's key type: server.options.{option} must be "
                        f"\"{{{name}}}\" (got {options.get(option)!r})")
    if "mode" in case.axes:
        protos = {"server.proto": case.server["proto"], "client.proto": case.client.get("proto")}
        for where, proto in protos.items():
            if proto not in MAIL_PROTOS:
                ck.fail(f"axes.mode (implicit TLS or STARTTLS) is for mail protocols: {where} "
                        f"must be one of {', '.join(sorted(MAIL_PROTOS))}, got {proto!r}")
        for side, table in (("server", case.server), ("client", case.client)):
            name = f"mode_{side}_starttls"
            if name not in placeholders_in(table.get("starttls")):
                ck.fail(f"axes.mode: {side}.starttls must be \"{{{name}}}\", so that the mode "
                        f"decides whether the {side} upgrades (got {table.get('starttls')!r})")


def _check_placeholders(ck: _Checker, case: Case) -> None:
    """Every placeholder must have a value in every variant of the case."""
    available = set(RUN_PLACEHOLDERS) - ({"port"} if case.server is None else set())
    available |= {name for name, axis in AXIS_PLACEHOLDERS.items() if axis in case.axes}
    parts = [("server", case.server), ("client", case.client), ("expect", case.expect)]
    parts += [(f"override[{i}]", o.expect) for i, o in enumerate(case.overrides)]
    for where, value in parts:
        for name in sorted(placeholders_in(value)):
            if name not in available:
                ck.fail(f"{where}: placeholder {{{name}}} has no value in this case "
                        f"(available: {', '.join('{%s}' % n for n in sorted(available))})")


def _parse_case(path: Path, raw: dict, index: int, defaults: dict) -> Case:
    ck = _Checker(path, None)
    ck.table(raw, f"case #{index + 1}")
    case_id = raw.get("id")
    if not isinstance(case_id, str) or not _ID.match(case_id):
        ck.fail(f"case #{index + 1}: id must be a string of a-z 0-9 . _ - (got {case_id!r})")
    ck = _Checker(path, case_id)
    ck.keys(raw, CASE_KEYS, "case")
    raw = _apply_defaults(raw, defaults)

    about = ck.typed(raw, "about", str, "case", required=True)
    if "\n" in about.strip() or not about.strip():
        ck.fail("about must be one non-empty line")
    spec = ck.typed(raw, "spec", str, "case", required=True)
    if not spec.strip():
        ck.fail("spec must name the source (an RFC section, the PHP transport page, …)")
    sanitizer = ck.typed(raw, "sanitizer_sample", bool, "case") or False
    server = _parse_server(ck, raw)
    client = _parse_client(ck, raw, server is not None)
    axes, narrowed = _parse_axes(ck, raw, server is not None)
    restricted = _parse_restriction(ck, raw, narrowed)
    expect = _parse_expect(ck, raw, server is not None)
    overrides = _parse_overrides(ck, raw, axes, set(expect))
    case = Case(path, case_id, about.strip(), spec.strip(), axes, restricted, sanitizer,
                server, client, expect, overrides)
    _check_placeholders(ck, case)
    _check_axis_use(ck, case)
    return case


def load_file(path: Path) -> list[Case]:
    path = Path(path)
    ck = _Checker(path, None)
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        ck.fail(f"not valid TOML: {exc}")
    id_lines = {m.group(1): text.count("\n", 0, m.start())
                for m in re.finditer(r'^\s*id\s*=\s*"([^"]*)"', text, re.M)}
    ck.keys(data, {"case", "defaults"}, "(top level)")
    defaults = ck.table(data.get("defaults", {}), "defaults")
    ck.keys(defaults, DEFAULTS_KEYS, "defaults")
    for key in ("axes", "server", "client", "expect"):
        if key in defaults:
            ck.table(defaults[key], f"defaults.{key}")
    raw_cases = data.get("case")
    if not isinstance(raw_cases, list) or not raw_cases:
        ck.fail("no [[case]] tables")
    cases, seen = [], set()
    for i, raw in enumerate(raw_cases):
        case = _parse_case(path, raw, i, defaults)
        if case.id in seen:
            raise CaseFormatError(path, case.id, "id used twice in this file")
        seen.add(case.id)
        case.line = id_lines.get(case.id, 0)
        cases.append(case)
    for case in cases:
        expand(case)    # surfaces per-variant errors (bad transcript names …) at collection
    return cases


# ---- expansion ----------------------------------------------------------------------------------

def _skip_reason(axes: dict[str, str]) -> str | None:
    """Pruning by declared capability, always with the implementation's own reason."""
    if "version" not in axes:
        return None
    for role in ("client", "server"):
        if role in axes:
            reason = IMPLEMENTATIONS[axes[role]].unsupported_version(axes["version"])
            if reason:
                return f"{role} {reason}"
    return None


def _resolve_policies(ck: _Checker, tid: str, table: dict, where: str,
                      policies: tuple[str, ...]) -> dict:
    """A STARTTLS policy after the axis placeholders: one of the policies, or none ("null",
    dropped so that the run sees no policy, as when the case leaves it out)."""
    policy = table.get("starttls")
    if policy is None:
        return table
    if policy == NULL:
        return {k: v for k, v in table.items() if k != "starttls"}
    if policy not in policies:
        ck.fail(f"{tid}: {where}.starttls: unknown policy {policy!r} "
                f"(known: {', '.join(policies)}, or \"null\" for none)")
    return table


def _add_host_resolve(table: dict, axes: dict[str, str]) -> dict:
    """A host form that is a name maps it to its address on the side's --resolve, after the
    case's own entries (the first entry for a name wins, so a case that maps the name elsewhere
    keeps its mapping). Both sides get it: the server listens on {host}, the client connects
    to it, and neither asks the system resolver."""
    entry = HOST_FORMS[axes["host"]].resolve if "host" in axes else None
    if entry is None or entry in table["resolve"]:
        return table
    return {**table, "resolve": [*table["resolve"], entry]}


def expand(case: Case) -> list[Variant]:
    ck = _Checker(case.path, case.id)
    names = list(case.axes)
    variants = []
    used = [False] * len(case.overrides)
    for combo in itertools.product(*(case.axes[n] for n in names)):
        axes = dict(zip(names, combo))
        expect = {side: dict(exp) for side, exp in case.expect.items()}
        reasons = []
        for i, ov in enumerate(case.overrides):
            if ov.matches(axes):
                used[i] = True
                reasons.append(ov.reason)
                for side, exp in ov.expect.items():
                    expect[side].update(exp)
                    # Naming an error implies ok = false and ok = true drops the base's error,
                    # so an override says only what changes.
                    if exp.get("error") not in (None, NULL) and "ok" not in exp:
                        expect[side]["ok"] = False
                    if exp.get("ok") is True and "error" not in exp:
                        expect[side].pop("error", None)
        values = axis_placeholders(axes)
        expect = substitute(expect, values, final=False)
        tid = variant_id(case.id, axes)
        for side, exp in expect.items():
            # An override may have turned ok into an error (or back): keep the pair consistent.
            if exp.get("ok") is True and exp.get("error") not in (None, NULL):
                ck.fail(f"{tid}: expect.{side} ends up with ok = true and error = "
                        f"{exp['error']!r} after the overrides")
            _check_expect_values(ck, side, exp, f"{tid}: expect.{side}")
        server = None
        if case.server is not None:
            server = _resolve_policies(ck, tid, substitute(case.server, values, final=False),
                                       "server", SERVER_STARTTLS)
            server = _add_host_resolve(server, axes)
        client = _resolve_policies(ck, tid, substitute(case.client, values, final=False),
                                   "client", CLIENT_STARTTLS)
        client = _add_host_resolve(client, axes)
        variants.append(Variant(
            case=case, axes=axes, test_id=tid, server=server, client=client,
            expect=expect, override_reasons=reasons, skip_reason=_skip_reason(axes)))
    for i, was_used in enumerate(used):
        if not was_used:
            ck.fail(f"override[{i}] matches no variant of this case")
    return variants


def load_dir(directory: Path) -> list[Case]:
    return [c for p in sorted(Path(directory).glob("*.toml")) for c in load_file(p)]
