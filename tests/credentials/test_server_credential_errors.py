"""A server that cannot use its own certificate and key must not start: exit 1 before READY, with
one record whose class says why (docs/errors.md). The case format needs a running server, so the
server-side counterparts of cases/credentials.toml and cases/keys.toml live here; the same loaders
serve the client side, which the cases cover in every pairing.

The weak-key rows are where the libraries' defaults differ (docs/backend-gnutls.md, "Security
levels"): at its default level OpenSSL refuses to load an RSA-1024 key, while GnuTLS's default
priority (NORMAL) has no floor for our own key; with security_level given both refuse."""

import pytest

from harness.procs import ServerStartError
from harness.records import record_problems

SERVERS = ["openssl", "gnutls"]

# name -> (options with {placeholders}, class per server library; None = starts and serves)
REFUSED = {
    "wrong-passphrase": ({"local_cert": "{server_cert}", "local_pk": "{server_key_encrypted}",
                          "passphrase": "not the passphrase"},
                         {"openssl": "config.bad_passphrase", "gnutls": "config.bad_passphrase"}),
    "missing-passphrase": ({"local_cert": "{server_cert}", "local_pk": "{server_key_encrypted}"},
                           {"openssl": "config.bad_passphrase",
                            "gnutls": "config.bad_passphrase"}),
    "key-of-another-certificate": ({"local_cert": "{server_cert}", "local_pk": "{other_key}"},
                                   {"openssl": "config.key_mismatch",
                                    "gnutls": "config.key_mismatch"}),
    "der-certificate-without-key": ({"local_cert": "{der_cert}"},
                                    {"openssl": "config.key_load", "gnutls": "config.key_load"}),
    "weak-key-explicit-level-2": ({"local_cert": "{weak_rsa_cert}", "local_pk": "{weak_rsa_key}",
                                   "security_level": 2},
                                  {"openssl": "config.weak_key", "gnutls": "config.weak_key"}),
    "weak-key-default-level": ({"local_cert": "{weak_rsa_cert}", "local_pk": "{weak_rsa_key}"},
                               {"openssl": "config.weak_key", "gnutls": None}),
}


def _options(template: dict, pki) -> dict:
    values = pki.placeholders()
    return {k: v.format(**values) if isinstance(v, str) else v for k, v in template.items()}


@pytest.mark.parametrize("name", list(REFUSED))
@pytest.mark.parametrize("server", SERVERS)
def test_server_credentials(server, name, pki, impls, procs):
    template, classes = REFUSED[name]
    argv = impls[server].server_argv("tls://127.0.0.1:0", options=_options(template, pki))
    expected = classes[server]
    if expected is None:
        started = procs.start_server(argv)
        assert started.port, "the server said READY without a port"
        return
    with pytest.raises(ServerStartError) as info:
        started = procs.start_server(argv)
        pytest.fail(f"the server started ({started.ready.url}) with {name}: expected {expected}")
    failure = info.value
    assert failure.returncode == 1, (failure.returncode, failure.stderr)
    assert failure.record is not None, f"no startup record; stderr: {failure.stderr}"
    assert record_problems(failure.record, "server") == []
    assert (failure.record["error"], failure.record["stage"]) == (expected, "config"), \
        failure.record["detail"]
