"""Synthetic result entries for the report tests: a pass, an expected error, a failure with the
library's own detail, an xfail, a skip and a test from tests/ — every colour of the matrix."""

from harness.reports import results


def record(side, lib, ok=True, error=None, detail=None, port=40000):
    return {"side": side, "impl": f"reference-{lib}", "lib_version": f"{lib} 9.9",
            "ok": ok, "error": error, "stage": "none" if ok else "verify", "detail": detail,
            "version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384",
            "local_port": port if side == "client" else 443,
            "peer_port": 443 if side == "client" else port}


def entry(case, client, server, version="tls1.3", outcome="passed", client_error=None,
          server_error=None, detail=None, group="verify", reason=None, kind="case"):
    axes = {"version": version, "client": client, "server": server, "host": "127.0.0.1"}
    test_id = f"{version}-{client}>{server}-ipv4-{case}"
    crec = record("client", client, client_error is None, client_error, detail)
    srec = record("server", server, server_error is None, server_error)
    return {"id": test_id, "nodeid": f"cases/{group}.toml::{test_id}", "kind": kind,
            "case": case, "group": group, "axes": axes,
            "expected": {"client": client_error, "server": server_error},
            "outcome": outcome, "reason": reason,
            "classes": {"client": client_error, "server": server_error}, "duration_s": 0.01,
            "client": crec, "server": srec, "server_records": [srec], "longrepr": None}


def entries():
    failing = entry("verify.expired", "gnutls", "openssl", client_error="tls.cert_untrusted",
                    detail="gnutls says: The certificate issuer is unknown <&>",
                    outcome="failed", reason="client: error: expected 'tls.cert_expired'")
    failing["expected"] = {"client": "tls.cert_expired", "server": None}
    plain_test = {"id": "test_something", "nodeid": "tests/harness/test_x.py::test_something",
                  "kind": "test", "case": "test_something", "group": "tests/harness",
                  "axes": {}, "expected": {}, "outcome": "failed", "reason": "assert 1 == 2",
                  "classes": {"client": None, "server": None}, "duration_s": 0.0,
                  "client": None, "server": None, "server_records": [], "longrepr": "E assert"}
    return [
        entry("verify.ok", "openssl", "openssl"),
        entry("verify.ok", "openssl", "gnutls"),
        entry("verify.untrusted", "openssl", "gnutls", client_error="tls.cert_untrusted",
              server_error="tls.cert_rejected_by_peer"),
        failing,
        entry("verify.later", "gnutls", "gnutls", outcome="xfailed", reason="not yet"),
        entry("verify.skipped", "openssl", "openssl", version="tls1.2", outcome="skipped",
              reason="no TLS 1.2 here"),
        plain_test,
    ]


def document():
    return results.document(entries(), {"shard": None, "duration_s": 1.5, "axis_order": {
        "client": ["openssl", "gnutls"], "server": ["openssl", "gnutls"],
        "version": ["tls1.2", "tls1.3"]}})
