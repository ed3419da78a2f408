"""The plugin in an inner pytest session: a broken case file stops collection with the file, case
and key named; skips carry the implementation's reason; restrictions are listed at the end."""

import textwrap

import pytest

from harness import REPO_ROOT
from harness.plugin import restriction_lines

RESTRICTED_AND_UNSUPPORTED = """
[[case]]
id = "demo.restricted"
about = "only GnuTLS, and TLS 1.1 which the inner session's conftest says GnuTLS cannot run"
spec = "none"
axes = { client = ["gnutls"], version = ["tls1.1"] }
restricted = "demo reason for restricting"
server.listen = "tls://{host}:0"
client.url = "{version_transport}://{host}:{port}"
expect.client = { ok = true, version = "{version}" }
expect.server = { ok = true }
"""


# Both reference implementations run every version-axis value; the inner session pretends that
# GnuTLS lacks TLS 1.1 so that the skip and its reason can be seen.
PRETEND_NO_TLS11 = """
from harness.impls import IMPLEMENTATIONS
IMPLEMENTATIONS["gnutls"].versions = frozenset({"tls1.2", "tls1.3"})
IMPLEMENTATIONS["gnutls"].versions_reason = "pretended by the inner conftest"
"""


@pytest.fixture
def inner(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    pytester.mkdir("cases")
    pytester.makeconftest(PRETEND_NO_TLS11)

    def run(text, *args):
        (pytester.path / "cases" / "demo.toml").write_text(textwrap.dedent(text))
        return pytester.runpytest_subprocess("-p", "harness.plugin", "-p", "no:cacheprovider",
                                             "-rs", "cases", *args, timeout=120)
    return run


def test_broken_case_file_is_a_collection_error(inner):
    result = inner(RESTRICTED_AND_UNSUPPORTED.replace("expect.server = { ok = true }",
                                                      "expect.server = { ok = true, eror = 1 }"))
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*cases/demo.toml: case 'demo.restricted': "
                                 "expect.server.eror: unknown key*"])


def test_skips_have_reasons_and_restrictions_are_listed(inner):
    result = inner(RESTRICTED_AND_UNSUPPORTED)
    result.assert_outcomes(skipped=6)   # gnutls client × 2 servers × 3 host forms
    result.stdout.fnmatch_lines([
        "*1 cases restricted to some axis values, by reason*",
        "demo reason for restricting (1 case):",
        "    demo.restricted",
        "*SKIPPED*reference-gnutls does not negotiate TLSv1.1*",
    ])


def test_test_ids_are_readable(inner):
    result = inner(RESTRICTED_AND_UNSUPPORTED, "--collect-only", "-q")
    result.stdout.fnmatch_lines(["cases/demo.toml::tls1.1-gnutls>openssl-ipv6-demo.restricted"])


def test_restricted_cases_are_grouped_by_reason():
    lines = restriction_lines({"b.one: host only", "a.two: host only", "c.three: one pairing"})
    assert lines == ["host only (2 cases):", "    a.two, b.one",
                     "one pairing (1 case):", "    c.three"]


def test_a_long_list_of_restricted_cases_wraps_without_splitting_ids():
    ids = {f"group.case-number-{i}: why" for i in range(30)}
    lines = restriction_lines(ids, width=60)
    assert lines[0] == "why (30 cases):"
    assert all(len(line) <= 60 for line in lines)
    listed = " ".join(line.strip() for line in lines[1:]).split(", ")
    assert sorted(listed) == sorted(i.split(":")[0] for i in ids)
