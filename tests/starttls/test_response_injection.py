"""Check (b), response injection (harness/attacks/response_injection.py), against clients: both
reference clients drop the plaintext that came with the go-ahead, wait for the real reply and
count what they dropped; the naive Python client is flagged exactly when it keeps its buffer."""

import pytest

from harness.attacks import response_injection
from harness.attacks.verdict import CONFORMING, VULNERABLE
from starttls_params import HOSTS, LIBS, PROTOS


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("proto", PROTOS)
@pytest.mark.parametrize("lib", LIBS)
def test_reference_client_never_reads_plaintext_from_before_the_handshake(lib, proto, host,
                                                                           impls, pki, procs):
    verdict = response_injection.check_client(impls[lib], procs, pki, proto, host)
    assert verdict.outcome == CONFORMING, verdict.report()
    # Its own record agrees: the dialog completed inside TLS and the injected text was dropped.
    [record] = verdict.records
    assert (record["ok"], record["version"]) == (True, "TLSv1.3"), verdict.report()
    assert record["starttls"]["upgraded"] is True
    assert record["starttls"]["discarded"] > 0, "the injected reply must show as discarded"


@pytest.mark.parametrize("proto", PROTOS)
def test_flags_a_client_that_keeps_its_plaintext_buffer_across_the_upgrade(proto, naive, pki,
                                                                          procs):
    verdict = response_injection.check_client(naive("keep-buffer"), procs, pki, proto)
    assert verdict.outcome == VULNERABLE, verdict.report()
    assert verdict.vulnerability.startswith("response injection: the client sent")


@pytest.mark.parametrize("proto", PROTOS)
@pytest.mark.parametrize("flaws", [(), ("ignore-missing-starttls",)], ids=["no-flaw", "other-flaw"])
def test_a_client_without_that_flaw_is_conforming(proto, flaws, naive, pki, procs):
    """Also with the stripping flaw: each check judges its own mistake and no other."""
    verdict = response_injection.check_client(naive(*flaws), procs, pki, proto)
    assert verdict.outcome == CONFORMING, verdict.report()
