"""Expansion of a case over its axes: ids, restrictions, overrides, placeholders, pruning."""

import textwrap

import pytest

from case_files import MAIL_MODE_CASE
from harness import cases
from harness.axes import AXIS_VALUES, HOST_FORMS, axis_placeholders, substitute, variant_id
from harness.cases import expand, load_file
from harness.impls import IMPLEMENTATIONS
from harness.pki import LEAVES, SERVER_LEAF_BY_KEY, SERVER_SANS, placeholder_names
from harness.runner import client_command, server_command

BASE = """
[[case]]
id = "echo.tls"
about = "a"
spec = "b"
server.listen = "tls://{host}:0"
client.url = "{version_transport}://{host}:{port}"
axes.version = ["tls1.3", "tls1.2"]
expect.client = { ok = true, version = "{version}", transcript = "{version_id}-full" }
expect.server = { ok = true, close_notify = true }
"""


def load(tmp_path, text):
    path = tmp_path / "t.toml"
    path.write_text(textwrap.dedent(text))
    return load_file(path)


def test_full_matrix_ids_are_readable_and_ordered(tmp_path):
    [case] = load(tmp_path, BASE)
    ids = [v.test_id for v in expand(case)]
    assert len(ids) == 2 * 4 * 3      # versions × pairings × host forms
    assert ids[0] == "tls1.2-openssl>openssl-ipv4-echo.tls"   # matrix order, not file order
    assert ids[:3] == ["tls1.2-openssl>openssl-ipv4-echo.tls",
                       "tls1.2-openssl>openssl-ipv6-echo.tls",
                       "tls1.2-openssl>openssl-dnsname-echo.tls"]
    assert "tls1.3-openssl>gnutls-ipv6-echo.tls" in ids
    assert "tls1.3-gnutls>gnutls-dnsname-echo.tls" == ids[-1]
    assert len(set(ids)) == len(ids)


def test_axis_placeholders_are_filled_and_run_time_ones_kept(tmp_path):
    [case] = load(tmp_path, BASE)
    v = next(v for v in expand(case) if v.test_id == "tls1.3-gnutls>openssl-ipv6-echo.tls")
    assert v.client["url"] == "tlsv1.3://[::1]:{port}"
    assert v.server["listen"] == "tls://[::1]:0"
    assert v.expect["client"]["version"] == "TLSv1.3"
    assert v.expect["client"]["transcript"] == "tls1.3-full"


def test_client_only_case_runs_per_client_only(tmp_path):
    [case] = load(tmp_path, """
        [[case]]
        id = "url.x"
        about = "a"
        spec = "b"
        client = { url = "tcp://127.0.0.1:80", parse_only = true }
        expect.client.ok = true
        """)
    assert [v.test_id for v in expand(case)] == ["openssl-url.x", "gnutls-url.x"]


def test_restriction_is_kept_with_its_reason(tmp_path):
    [case] = load(tmp_path, BASE.replace('axes.version', 'axes.client = ["gnutls"]\n'
                                         'restricted = "only GnuTLS has X"\naxes.version'))
    variants = expand(case)
    assert {v.axes["client"] for v in variants} == {"gnutls"}
    assert case.restricted == "only GnuTLS has X"


def test_override_applies_only_where_it_matches(tmp_path):
    [case] = load(tmp_path, BASE + """
        [[case.override]]
        when = { server = "gnutls", version = "tls1.3" }
        reason = "because"
        expect.server.close_notify = false
        expect.client.error = "io.truncated"
        """)
    by_id = {v.test_id: v for v in expand(case)}
    hit = by_id["tls1.3-openssl>gnutls-ipv4-echo.tls"]
    assert hit.expect["server"]["close_notify"] is False
    assert hit.expect["client"]["ok"] is False        # naming an error implies ok = false
    assert hit.override_reasons == ["because"]
    miss = by_id["tls1.2-openssl>gnutls-ipv4-echo.tls"]
    assert miss.expect["server"]["close_notify"] is True and miss.override_reasons == []
    assert miss.expect["client"]["ok"] is True


def test_override_with_a_list_of_values(tmp_path):
    [case] = load(tmp_path, BASE + """
        [[case.override]]
        when.client = ["openssl", "gnutls"]
        when.host = "[::1]"
        reason = "r"
        expect.server.close_notify = "null"
        """)
    hits = [v.test_id for v in expand(case) if v.override_reasons]
    assert len(hits) == 8 and all("-ipv6-" in h for h in hits)


def test_defaults_fill_in_and_cases_win(tmp_path):
    first, second = load(tmp_path, """
        [defaults]
        client.options = { cafile = "{ca_cert}", verify_depth = 3 }
        client.parse_only = true
        expect.client = { ok = true, stage = "parse" }

        [[case]]
        id = "a"
        about = "x"
        spec = "y"
        client.url = "tcp://127.0.0.1:1"

        [[case]]
        id = "b"
        about = "x"
        spec = "y"
        client.url = "tcp://127.0.0.1:1"
        client.options.verify_depth = 5
        expect.client = { error = "url.bad_port" }
        """)
    assert first.client["options"] == {"cafile": "{ca_cert}", "verify_depth": 3}
    assert second.client["options"] == {"cafile": "{ca_cert}", "verify_depth": 5}
    # Naming an error in the case overrides the defaults' ok = true.
    assert second.expect["client"] == {"stage": "parse", "error": "url.bad_port"}


def test_unsupported_version_is_skipped_with_the_implementations_reason(tmp_path, monkeypatch):
    # Both reference implementations run every version-axis value, so pretend one does not.
    openssl = IMPLEMENTATIONS["openssl"]
    monkeypatch.setattr(openssl, "versions", frozenset({"tls1.2", "tls1.3"}))
    monkeypatch.setattr(openssl, "versions_reason", "pretended for this test")
    [case] = load(tmp_path, BASE.replace('["tls1.3", "tls1.2"]', '["tls1.1"]'))
    v = expand(case)[0]
    assert v.skip_reason and "reference-openssl" in v.skip_reason and "TLSv1.1" in v.skip_reason


def test_substitute_escapes_and_unknown_names():
    assert substitute("{{literal}} {a}", {"a": "1"}, final=True) == "{literal} 1"
    assert substitute("{{x}} {b}", {"a": "1"}, final=False) == "{{x}} {b}"
    with pytest.raises(KeyError):
        substitute("{b}", {}, final=True)
    assert substitute({"k": ["{a}", 3, True]}, {"a": "v"}, final=True) == {"k": ["v", 3, True]}


def test_variant_id_shapes():
    assert variant_id("c", {"client": "gnutls"}) == "gnutls-c"
    assert variant_id("c", {"client": "gnutls", "host": "[::1]"}) == "gnutls-ipv6-c"
    assert variant_id("c", {"client": "a", "server": "b", "host": "server.test"}) == \
        "a>b-dnsname-c"
    assert variant_id("c", {"version": "tls1.2", "client": "a", "server": "b",
                         "host": "127.0.0.1"}) == "tls1.2-a>b-ipv4-c"
    # [version-][key-]client[>server][-host][-mode]-<id>, whatever order the dict has
    assert variant_id("c", {"mode": "starttls", "host": "[::1]", "server": "b", "client": "a",
                         "key": "rsa2048", "version": "tls1.3"}) == \
        "tls1.3-rsa2048-a>b-ipv6-starttls-c"


# ---- the key axis ---------------------------------------------------------------------------

KEY_CASE = """
[[case]]
id = "keys.x"
about = "a"
spec = "b"
axes.version = ["tls1.2"]
axes.key = ["ed25519", "p256", "rsa2048"]
server.listen = "tls://{host}:0"
server.options = { local_cert = "{key_cert}", local_pk = "{key_pk}" }
client.url = "tls://{host}:{port}"
expect.client.ok = true
expect.client.cipher = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
expect.client.detail_contains = "{key}"
expect.server = { ok = true }

[[case.override]]
when = { key = "rsa2048" }
reason = "RSA signs for ECDHE_RSA"
expect.client.cipher = "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
"""


def test_key_axis_ids_order_and_count(tmp_path):
    [case] = load(tmp_path, KEY_CASE)
    ids = [v.test_id for v in expand(case)]
    assert len(ids) == 3 * 4 * 3 == len(set(ids))     # keys × pairings × host forms
    # Matrix order (p256, rsa2048, ed25519), not file order; the key right after the version.
    assert ids[0] == "tls1.2-p256-openssl>openssl-ipv4-keys.x"
    assert ids[12] == "tls1.2-rsa2048-openssl>openssl-ipv4-keys.x"
    assert ids[-1] == "tls1.2-ed25519-gnutls>gnutls-dnsname-keys.x"


def test_a_key_is_selected_by_its_word_in_the_id(tmp_path):
    # `pytest -k rsa2048` matches words of the id: exactly the rsa2048 variants carry it.
    [case] = load(tmp_path, KEY_CASE)
    for key in AXIS_VALUES["key"]:
        variants = expand(case)
        assert [v for v in variants if key in v.test_id] == \
            [v for v in variants if v.axes["key"] == key]


def test_key_placeholders_name_the_leaf_then_its_file(tmp_path):
    [case] = load(tmp_path, KEY_CASE)
    by_id = {v.test_id: v for v in expand(case)}
    v = by_id["tls1.2-rsa2048-gnutls>openssl-ipv6-keys.x"]
    # At expansion the leaf is known, its file not yet: {key_cert} becomes {rsa_cert} ...
    assert v.server["options"] == {"local_cert": "{rsa_cert}", "local_pk": "{rsa_key}"}
    assert v.expect["client"]["detail_contains"] == "rsa2048"
    assert v.expect["client"]["cipher"] == "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
    # ... and the run fills it as it does every PKI placeholder (harness/runner.py merges the
    # session PKI's values with the axis values and substitutes the variant).
    pki_values = {name: f"/pki/{name}" for name in placeholder_names()}
    run = substitute(v.server, {**pki_values, **axis_placeholders(v.axes)}, final=True)
    assert run["options"] == {"local_cert": "/pki/rsa_cert", "local_pk": "/pki/rsa_key"}
    p256 = by_id["tls1.2-p256-gnutls>openssl-ipv6-keys.x"]
    assert p256.server["options"] == {"local_cert": "{server_cert}", "local_pk": "{server_key}"}
    assert p256.expect["client"]["cipher"] == "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"


def test_each_key_is_a_server_leaf_that_differs_only_in_its_key():
    leaves = {leaf.name: leaf for leaf in LEAVES}
    assert tuple(SERVER_LEAF_BY_KEY) == AXIS_VALUES["key"] == ("p256", "rsa2048", "ed25519")
    good = leaves["server"]
    for key, name in SERVER_LEAF_BY_KEY.items():
        leaf = leaves[name]
        assert leaf.key_type == key
        assert (leaf.issuer, leaf.cn, leaf.sans, leaf.validity, leaf.purpose, leaf.with_chain,
                leaf.der) == (good.issuer, good.cn, good.sans, good.validity, good.purpose,
                              good.with_chain, good.der), name
        assert {f"{name}_cert", f"{name}_key"} <= set(placeholder_names())


# ---- the mode axis --------------------------------------------------------------------------

# Listed in reverse: the axis keeps matrix order whatever order the file gives.
MODE_CASE = MAIL_MODE_CASE.replace('id = "mail.x"', 'id = "smtp.x"').replace(
    '["implicit", "starttls"]', '["starttls", "implicit"]').replace(
    "expect.client.ok = true\nexpect.server.ok = true\n", """\
expect.client = { ok = true, starttls = { offered = true, upgraded = true } }
expect.server = { ok = true, starttls = { upgraded = true } }

[[case.override]]
when = { mode = "implicit" }
reason = "no STARTTLS dialog"
expect.client.starttls = "null"
expect.server.starttls = "null"
""")


def test_mode_axis_ids_order_and_count(tmp_path):
    [case] = load(tmp_path, MODE_CASE)
    ids = [v.test_id for v in expand(case)]
    assert len(ids) == 4 * 3 * 2 == len(set(ids))     # pairings × host forms × modes
    assert ids[:2] == ["openssl>openssl-ipv4-implicit-smtp.x",
                       "openssl>openssl-ipv4-starttls-smtp.x"]


def test_implicit_mode_speaks_tls_without_policies(tmp_path):
    [case] = load(tmp_path, MODE_CASE)
    by_id = {v.test_id: v for v in expand(case)}
    implicit = by_id["gnutls>openssl-ipv6-implicit-smtp.x"]
    assert implicit.server == {"listen": "tls://[::1]:0", "proto": "smtp", "options": {},
                               "resolve": []}
    assert implicit.client["url"] == "tls://[::1]:{port}" and "starttls" not in implicit.client
    assert implicit.expect["client"]["starttls"] == "null"
    assert implicit.override_reasons == ["no STARTTLS dialog"]
    upgrade = by_id["gnutls>openssl-ipv6-starttls-smtp.x"]
    assert (upgrade.server["listen"], upgrade.server["starttls"]) == ("tcp://[::1]:0", "offer")
    assert (upgrade.client["url"], upgrade.client["starttls"]) == \
        ("tcp://[::1]:{port}", "required")
    assert upgrade.expect["client"]["starttls"] == {"offered": True, "upgraded": True}


def test_the_repository_mail_cases_run_both_modes_on_every_key():
    for proto in ("smtp", "imap", "pop3"):
        [case] = [c for c in cases.load_file(cases.REPO_CASES / f"starttls_{proto}.toml")
                  if c.id == f"{proto}.ok"]
        variants = expand(case)
        assert len(variants) == 3 * 4 * 3 * 2      # keys × pairings × host forms × modes
        assert {(v.axes["mode"], v.server.get("starttls")) for v in variants} == \
            {("implicit", None), ("starttls", "offer")}
        assert f"ed25519-openssl>gnutls-ipv6-implicit-{proto}.ok" in \
            {v.test_id for v in variants}


def test_the_repository_cases_load_and_ids_are_unique():
    all_cases = cases.load_dir(cases.REPO_CASES)
    ids = [(c.path.name, v.test_id) for c in all_cases for v in expand(c)]
    assert len(ids) == len(set(ids))
    assert len({c.id for c in all_cases}) == len(all_cases), "case ids must be unique across files"
    # The matrix the issue asks for: at least 2000 tests once key type and mode are axes.
    assert len(ids) >= 2000


# ---- the host form that is a name ------------------------------------------------------------

def test_the_name_form_maps_its_name_on_both_sides(tmp_path):
    [case] = load(tmp_path, BASE)
    by_id = {v.test_id: v for v in expand(case)}
    named = by_id["tls1.3-openssl>gnutls-dnsname-echo.tls"]
    assert named.axes["host"] == "server.test"
    # {host} is the name in both URLs; each side maps it to the address with --resolve.
    assert named.server["listen"] == "tls://server.test:0"
    assert named.client["url"] == "tlsv1.3://server.test:{port}"
    assert named.server["resolve"] == named.client["resolve"] == ["server.test:127.0.0.1"]
    # An IP literal needs no lookup: those forms add nothing.
    for label in ("ipv4", "ipv6"):
        v = by_id[f"tls1.3-openssl>gnutls-{label}-echo.tls"]
        assert v.server["resolve"] == v.client["resolve"] == []


def test_the_name_forms_placeholders():
    assert axis_placeholders({"host": "server.test"}) == {"host": "server.test",
                                                          "addr": "127.0.0.1"}
    assert axis_placeholders({"host": "[::1]"}) == {"host": "[::1]", "addr": "::1"}
    assert [f.resolve for f in HOST_FORMS.values()] == [None, None, "server.test:127.0.0.1"]


def test_the_name_is_a_dns_san_of_every_server_key():
    # Verification must not fail merely because the form is a name; each key-axis leaf has the
    # good leaf's SANs (test_each_key_is_a_server_leaf_that_differs_only_in_its_key).
    names = {f.value for f in HOST_FORMS.values() if f.resolve}
    assert names == {"server.test"} and all(f"DNS:{n}" in SERVER_SANS for n in names)


def test_a_cases_own_resolve_entries_come_first(tmp_path):
    [case] = load(tmp_path, BASE + """
        client.resolve = ["localhost:{addr}", "server.test:{addr}"]
        server.resolve = "other.test:{addr}"
        """)
    by_id = {v.test_id: v for v in expand(case)}
    named = by_id["tls1.2-gnutls>openssl-dnsname-echo.tls"]
    # The client already maps server.test to the same address: not listed twice.
    assert named.client["resolve"] == ["localhost:127.0.0.1", "server.test:127.0.0.1"]
    assert named.server["resolve"] == ["other.test:127.0.0.1", "server.test:127.0.0.1"]
    v6 = by_id["tls1.2-gnutls>openssl-ipv6-echo.tls"]
    assert v6.client["resolve"] == ["localhost:::1", "server.test:::1"]
    assert v6.server["resolve"] == ["other.test:::1"]


def test_a_client_only_case_on_the_name_form_resolves_it(tmp_path):
    [case] = load(tmp_path, """
        [[case]]
        id = "url.x"
        about = "a"
        spec = "b"
        axes.host = ["server.test"]
        restricted = "about the name form"
        client = { url = "tcp://{host}:80", parse_only = true }
        expect.client = { ok = true, url = "tcp://{host}:80" }
        """)
    v = expand(case)[0]
    assert v.test_id == "openssl-dnsname-url.x"
    assert (v.client["url"], v.client["resolve"]) == ("tcp://server.test:80",
                                                      ["server.test:127.0.0.1"])


def test_the_command_lines_carry_the_resolve_entries(tmp_path, monkeypatch):
    monkeypatch.setenv("TLSM_BIN", str(tmp_path))
    for name in ("tlsm-client-openssl", "tlsm-server-gnutls"):
        (tmp_path / name).write_text("#!/bin/sh\n")
        (tmp_path / name).chmod(0o755)
    [case] = load(tmp_path, BASE)
    v = {v.test_id: v for v in expand(case)}["tls1.3-openssl>gnutls-dnsname-echo.tls"]
    values = {**axis_placeholders(v.axes), "port": "4433"}
    server_argv, listen = server_command(v, values, IMPLEMENTATIONS)
    client_argv, _ = client_command(v, values, IMPLEMENTATIONS)
    assert listen == "tls://server.test:0"
    assert client_argv[1] == "tlsv1.3://server.test:4433"
    for argv in (server_argv, client_argv):
        i = argv.index("--resolve")
        assert argv[i + 1] == "server.test:127.0.0.1" and argv.count("--resolve") == 1


def test_each_host_label_selects_exactly_its_form():
    # `pytest -k dnsname` must select the name form and nothing else ("name" would also pick
    # every names.* case). ipv4/ipv6 also occur in client-only url.* case ids, which have no
    # host axis; among the variants that have one, each label selects exactly its form.
    variants = [v for c in cases.load_dir(cases.REPO_CASES) for v in expand(c)]
    named = [v for v in variants if v.axes.get("host") == "server.test"]
    assert named and [v for v in variants if "dnsname" in v.test_id] == named
    with_host = [v for v in variants if "host" in v.axes]
    for form in HOST_FORMS.values():
        assert [v for v in with_host if f"-{form.label}-" in v.test_id] == \
            [v for v in with_host if v.axes["host"] == form.value]
