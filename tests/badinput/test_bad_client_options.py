"""Bad option values and flags given to both reference clients, once with --parse-only and once
for real against a live reference server of the same library (where silently accepting the bad
value would complete an echo and exit 0)."""

import pytest

from harness.impls import IMPLEMENTATIONS
from refusal import refusal_problems

pytestmark = pytest.mark.badinput

# id -> (extra argv, the classes an exit 1 may carry). A value that is not a placeholder is used
# as is; {key}/{other_key}/{cert} are files of the session PKI.
BAD = {
    "unknown-option": (["-o", "nosuch=1"], {"config.bad_option"}),
    "no-equals": (["-o", "verify_peer"], {"config.bad_option"}),
    "empty-name": (["-o", "=1"], {"config.bad_option"}),
    "bool-maybe": (["-o", "verify_peer=maybe"], {"config.bad_option"}),
    "bool-two": (["-o", "capture_peer_cert=2"], {"config.bad_option"}),
    "depth-negative": (["-o", "verify_depth=-1"], {"config.bad_option"}),
    "depth-word": (["-o", "verify_depth=abc"], {"config.bad_option"}),
    "depth-overflow": (["-o", "verify_depth=99999999999999999999"], {"config.bad_option"}),
    "security-level-9": (["-o", "security_level=9"], {"config.bad_option"}),
    "version-unknown": (["-o", "min_proto_version=tls9.9"], {"config.bad_option"}),
    "version-garbage": (["-o", "max_proto_version=sslv4"], {"config.bad_option"}),
    "fingerprint-not-hex": (["-o", "peer_fingerprint=zz"], {"config.bad_option"}),
    "alpn-empty": (["-o", "alpn_protocols="], {"config.bad_option"}),
    "alpn-too-long": (["-o", "alpn_protocols=" + "x" * 300], {"config.bad_option"}),
    "verify-time-word": (["-o", "verify_time=yesterday"], {"config.bad_option"}),
    "cafile-missing": (["-o", "cafile=/nonexistent/ca.pem"], {"config.cafile"}),
    "capath-missing": (["-o", "capath=/nonexistent"], {"config.capath"}),
    "ciphers-unknown": (["-o", "ciphers=NO-SUCH-CIPHER"], {"config.bad_ciphers"}),
    "ciphersuites-unknown": (["-o", "ciphersuites=TLS_NOPE"], {"config.bad_ciphers"}),
    "cert-missing": (["-o", "local_cert=/nonexistent.pem"], {"config.cert_load"}),
    "key-without-cert": (["-o", "local_pk={key}"], {"config.bad_option", "config.cert_load"}),
    "key-mismatch": (["-o", "local_cert={cert}", "-o", "local_pk={other_key}"],
                     {"config.key_mismatch"}),
    "timeout-word": (["--timeout", "abc"], {"config.bad_option"}),
    "timeout-negative": (["--timeout", "-5"], {"config.bad_option"}),
    "resolve-no-colon": (["--resolve", "nocolon"], {"config.bad_option"}),
    "resolve-not-an-address": (["--resolve", "127.0.0.1:localhost"], {"config.bad_option"}),
    "unknown-flag": (["--frobnicate"], {"config.bad_option"}),
    "send-without-value": (["--send"], {"config.bad_option"}),
}
SANITIZED = {"unknown-option", "depth-overflow", "key-mismatch", "alpn-too-long", "cafile-missing"}


def _argv(client, pki, port, extra, parse_only):
    files = {"{key}": str(pki.server_key), "{other_key}": str(pki.other_key),
             "{cert}": str(pki.server_cert)}
    for name, path in files.items():
        extra = [a.replace(name, path) for a in extra]
    # The bad input goes last so that a flag missing its value is really at the end.
    argv = IMPLEMENTATIONS[client].client_argv(
        f"tls://127.0.0.1:{port}", options={"cafile": pki.ca_cert}, send="echo me",
        parse_only=parse_only)
    return argv + extra


CASES = pytest.mark.parametrize("extra,classes", [
    pytest.param(*v, id=k, marks=[pytest.mark.sanitizer_sample] if k in SANITIZED else [])
    for k, v in BAD.items()])
CLIENTS = pytest.mark.parametrize("client", ["openssl", "gnutls"])
MODES = pytest.mark.parametrize("parse_only", [True, False], ids=["parse-only", "live"])


def test_the_good_command_line_succeeds(pki, procs, live_tls_server):
    """The control: without the bad part, the same command line echoes and exits 0, so every
    refusal below is the bad input's doing."""
    for client in ("openssl", "gnutls"):
        run = procs.run_client(_argv(client, pki, live_tls_server(client).port, [], False))
        assert run.returncode == 0 and run.record["ok"], run.stdout + run.stderr


@MODES
@CASES
@CLIENTS
def test_bad_option_is_refused(client, extra, classes, parse_only, pki, procs, live_tls_server):
    argv = _argv(client, pki, live_tls_server(client).port, extra, parse_only)
    run = procs.run_client(argv)
    assert refusal_problems(run.returncode, run.records, run.noise, run.stderr, "client",
                            classes) == []
