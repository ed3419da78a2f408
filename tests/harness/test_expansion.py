"""Expansion of a case over its axes: ids, restrictions, overrides, placeholders, pruning."""

import textwrap

import pytest

from harness import cases
from harness.axes import substitute, variant_id
from harness.cases import expand, load_file
from harness.impls import IMPLEMENTATIONS

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
    assert len(ids) == 2 * 4 * 2      # versions × pairings × host forms
    assert ids[0] == "tls1.2-openssl>openssl-ipv4-echo.tls"   # matrix order, not file order
    assert "tls1.3-openssl>gnutls-ipv6-echo.tls" in ids
    assert "tls1.3-gnutls>gnutls-ipv6-echo.tls" == ids[-1]
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
    assert variant_id("c", {"version": "tls1.2", "client": "a", "server": "b",
                         "host": "127.0.0.1"}) == "tls1.2-a>b-ipv4-c"


def test_the_repository_cases_load_and_ids_are_unique():
    all_cases = cases.load_dir(cases.REPO_CASES)
    ids = [(c.path.name, v.test_id) for c in all_cases for v in expand(c)]
    assert len(ids) == len(set(ids))
    assert len({c.id for c in all_cases}) == len(all_cases), "case ids must be unique across files"
    assert len(ids) >= 150
