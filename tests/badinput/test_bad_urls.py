"""Malformed URLs given to both reference clients for real (no --parse-only): each must be refused
as a url.* failure at stage parse before anything is connected or resolved. The named forms come
from cases/url_malformed.toml (same inputs, same classes); the rest are nastier inputs whose exact
class is the parser's choice but must still be a url.* class."""

import pytest

from harness.cases import REPO_CASES, load_file
from harness.errors import error_classes
from refusal import refusal_problems

pytestmark = pytest.mark.badinput

URL_CLASSES = {c for c in error_classes() if c.startswith("url.")}
CLIENTS = pytest.mark.parametrize("client", ["openssl", "gnutls"])


def _from_case_file():
    out = []
    for case in load_file(REPO_CASES / "url_malformed.toml"):
        marks = [pytest.mark.sanitizer_sample] if case.sanitizer_sample else []
        out.append(pytest.param(case.client["url"], case.client.get("port"),
                                case.expect["client"]["error"], id=case.id, marks=marks))
    return out


@pytest.mark.parametrize("url,port,error", _from_case_file())
@CLIENTS
def test_malformed_url_is_refused_without_connecting(client, url, port, error, impls, procs):
    run = procs.run_client(impls[client].client_argv(url, port=port, send="x"))
    assert refusal_problems(run.returncode, run.records, run.noise, run.stderr, "client",
                            {error}, usage_ok=False) == []
    assert run.records[0]["stage"] == "parse" and run.records[0]["local_port"] is None


NASTY = {
    "empty": "",
    "only-separator": "://",
    "transport-only": "tcp://",
    "empty-brackets": "tcp://[]:80",
    "two-ports": "tcp://127.0.0.1:80:80",
    "double-colon-port": "tcp://127.0.0.1::80",
    "trailing-space": "tcp://127.0.0.1:80 ",
    "port-overflow": "tcp://127.0.0.1:99999999999999999999",
    "port-plus-sign": "tcp://127.0.0.1:+80",
    "port-hex": "tcp://127.0.0.1:0x50",
    "lone-open-bracket": "tcp://[",
    "lone-close-bracket": "tcp://]",
    "nested-brackets": "tcp://[[::1]]:80",
    "extra-close-bracket": "tcp://[::1]]:80",
    "ipv4-in-brackets": "tcp://[127.0.0.1]:80",
    "userinfo": "tcp://user@127.0.0.1:80",
    "space-in-host": "tcp://exa mple.test:80",
    "scheme-typo": "tcps://127.0.0.1:80",
    "tls-version-too-new": "tlsv1.4://127.0.0.1:80",
    "one-slash": "tls:/127.0.0.1:80",
    "huge-host": "tcp://" + "a" * 100_000 + ":80",
    "many-brackets": "tcp://" + "[" * 5000 + ":80",
    "many-colons": "tcp://" + ":" * 5000,
}
SANITIZED_NASTY = {"huge-host", "many-brackets", "port-overflow", "empty"}


@pytest.mark.parametrize("url", [
    pytest.param(v, id=k, marks=[pytest.mark.sanitizer_sample] if k in SANITIZED_NASTY else [])
    for k, v in NASTY.items()])
@CLIENTS
def test_nasty_url_is_refused(client, url, impls, procs):
    run = procs.run_client(impls[client].client_argv(url, send="x"))
    assert refusal_problems(run.returncode, run.records, run.noise, run.stderr, "client",
                            URL_CLASSES) == []


@pytest.mark.parametrize("url,port,error", [
    ("tls://127.0.0.1", "0", "url.bad_port"),
    ("tls://127.0.0.1", "65536", "url.bad_port"),
    ("tls://127.0.0.1", "http", "url.bad_port"),
    ("tls://127.0.0.1", "-1", "url.bad_port"),
    ("tls://127.0.0.1", "", "url.bad_port"),
], ids=["zero", "too-big", "name", "negative", "empty"])
@CLIENTS
def test_bad_separate_port_is_refused(client, url, port, error, impls, procs):
    run = procs.run_client(impls[client].client_argv(url, port=port, send="x"))
    assert refusal_problems(run.returncode, run.records, run.noise, run.stderr, "client",
                            {error}) == []
