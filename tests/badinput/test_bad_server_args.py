"""Bad listen URLs, options and flags given to both reference servers: each must end (bounded)
with exit 1 and one startup-failure record, or exit 2 with usage, and never print READY."""

import socket

import pytest

from harness.impls import IMPLEMENTATIONS
from harness.procs import ServerStartError
from refusal import refusal_problems

pytestmark = pytest.mark.badinput

CERT = ["-o", "local_cert={cert}", "-o", "local_pk={key}"]
BAD = {
    "listen-unclosed-bracket": (["--listen", "tcp://[::1"], {"url.bad_bracket"}),
    "listen-unknown-transport": (["--listen", "foo://127.0.0.1:0"], {"url.bad_transport"}),
    "listen-port-too-big": (["--listen", "tcp://127.0.0.1:65536"], {"url.bad_port"}),
    "listen-missing-port": (["--listen", "tcp://127.0.0.1"], {"url.missing_port"}),
    "listen-empty-host": (["--listen", "tcp://:0"], {"url.empty_host"}),
    "listen-without-value": (["--listen"], set()),
    "tls-without-credentials": (["--listen", "tls://127.0.0.1:0"],
                                {"config.cert_load", "config.bad_option"}),
    "cert-missing": (["--listen", "tls://127.0.0.1:0", "-o", "local_cert=/nonexistent",
                      "-o", "local_pk={key}"], {"config.cert_load"}),
    "key-missing": (["--listen", "tls://127.0.0.1:0", "-o", "local_cert={cert}",
                     "-o", "local_pk=/nonexistent"], {"config.key_load"}),
    "key-mismatch": (["--listen", "tls://127.0.0.1:0", "-o", "local_cert={cert}",
                      "-o", "local_pk={other_key}"], {"config.key_mismatch"}),
    "key-as-cert": (["--listen", "tls://127.0.0.1:0", "-o", "local_cert={ca_key}",
                     "-o", "local_pk={key}"], {"config.cert_load"}),
    "unknown-option": (["--listen", "tls://127.0.0.1:0", *CERT, "-o", "nosuch=1"],
                       {"config.bad_option"}),
    "bool-maybe": (["--listen", "tls://127.0.0.1:0", *CERT, "-o", "verify_peer=maybe"],
                   {"config.bad_option"}),
    "client-only-option": (["--listen", "tls://127.0.0.1:0", *CERT, "-o", "peer_name=x"],
                           {"config.bad_option"}),
    "ciphers-unknown": (["--listen", "tls://127.0.0.1:0", *CERT, "-o", "ciphers=NOPE"],
                        {"config.bad_ciphers"}),
    "unknown-proto": (["--listen", "tcp://127.0.0.1:0", "--proto", "gopher"],
                      {"config.bad_option"}),
    "timeout-word": (["--listen", "tcp://127.0.0.1:0", "--timeout", "abc"],
                     {"config.bad_option"}),
    "unknown-flag": (["--listen", "tcp://127.0.0.1:0", "--frobnicate"], {"config.bad_option"}),
    # --resolve is the client's parser and map: a bad entry is config.bad_option as there.
    "resolve-no-colon": (["--listen", "tcp://server.test:0", "--resolve", "nocolon"],
                         {"config.bad_option"}),
    "resolve-not-an-address": (["--listen", "tcp://server.test:0", "--resolve",
                                "server.test:localhost"], {"config.bad_option"}),
    "resolve-empty-name": (["--listen", "tcp://127.0.0.1:0", "--resolve", ":127.0.0.1"],
                           {"config.bad_option"}),
    "resolve-too-many": (["--listen", "tcp://127.0.0.1:0",
                          *["--resolve", "a.test:127.0.0.1"] * 17], {"config.bad_option"}),
    "resolve-without-value": (["--listen", "tcp://127.0.0.1:0", "--resolve"], set()),
    "sslv3": (["--listen", "sslv3://127.0.0.1:0", *CERT], {"transport.unavailable"}),
    "sslv2": (["--listen", "sslv2://127.0.0.1:0", *CERT], {"transport.unavailable"}),
}
SANITIZED = {"listen-unclosed-bracket", "key-mismatch", "unknown-option", "sslv3",
             "resolve-too-many"}

SERVERS = pytest.mark.parametrize("server", ["openssl", "gnutls"])


def _start_must_fail(server_lib, args, pki, procs):
    files = {"{cert}": pki.server_cert, "{key}": pki.server_key,
             "{other_key}": pki.other_key, "{ca_key}": pki.ca_key}
    for name, path in files.items():
        args = [a.replace(name, str(path)) for a in args]
    argv = [str(IMPLEMENTATIONS[server_lib].server_path), *args]
    with pytest.raises(ServerStartError) as info:
        server = procs.start_server(argv)
        pytest.fail(f"silent success: the server said {server.ready.url} for {args}")
    return info.value, procs.servers[-1]


@pytest.mark.parametrize("args,classes", [
    pytest.param(*v, id=k, marks=[pytest.mark.sanitizer_sample] if k in SANITIZED else [])
    for k, v in BAD.items()])
@SERVERS
def test_bad_server_input_is_refused_before_ready(server, args, classes, pki, procs):
    failure, proc = _start_must_fail(server, args, pki, procs)
    assert failure.returncode is not None, str(failure)      # it ended; it did not hang
    assert refusal_problems(failure.returncode, proc.records, proc.noise, failure.stderr,
                            "server", classes or None) == []


@SERVERS
def test_port_in_use_is_listen_failed(server, pki, procs):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        failure, proc = _start_must_fail(server, ["--listen", f"tcp://127.0.0.1:{port}"],
                                         pki, procs)
    assert refusal_problems(failure.returncode, proc.records, proc.noise, failure.stderr,
                            "server", {"listen.failed"}, usage_ok=False) == []
