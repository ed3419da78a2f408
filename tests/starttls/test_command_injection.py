"""Check (a), command injection (harness/attacks/command_injection.py), against servers: both
reference servers drop what a client pipelined after STARTTLS and count it in their record; the
naive Python server is flagged exactly when it keeps its plaintext buffer across the upgrade."""

import pytest

from harness.attacks import command_injection
from harness.attacks.dialects import DIALECTS
from harness.attacks.verdict import CONFORMING, INCONCLUSIVE, VULNERABLE
from harness.tools import bracketed
from starttls_params import HOSTS, LIBS, PROTOS


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("proto", PROTOS)
@pytest.mark.parametrize("lib", LIBS)
def test_reference_server_does_not_answer_a_pipelined_command_inside_tls(lib, proto, host, impls,
                                                                          pki, procs):
    verdict = command_injection.check_server(impls[lib], procs, pki, proto, host)
    assert verdict.outcome == CONFORMING, verdict.report()
    # Its own record agrees: the connection ended well, and exactly the pipelined command was
    # dropped at the upgrade (RFC 3207 §4.2).
    [record] = verdict.records
    assert (record["ok"], record["proto"]) == (True, proto), verdict.report()
    assert record["starttls"] == {"offered": None, "upgraded": True,
                                  "discarded": len(DIALECTS[proto].injected_command)}


@pytest.mark.parametrize("proto", PROTOS)
def test_flags_a_server_that_keeps_its_plaintext_buffer_across_the_upgrade(proto, naive, pki,
                                                                          procs):
    verdict = command_injection.check_server(naive("keep-buffer"), procs, pki, proto)
    assert verdict.outcome == VULNERABLE, verdict.report()
    assert verdict.vulnerability.startswith(
        f"command injection: answered a pipelined {DIALECTS[proto].injected_name} inside TLS")


@pytest.mark.parametrize("proto", PROTOS)
def test_the_naive_server_without_that_flaw_is_conforming(proto, naive, pki, procs):
    verdict = command_injection.check_server(naive(), procs, pki, proto)
    assert verdict.outcome == CONFORMING, verdict.report()


def test_a_server_that_refuses_the_upgrade_injects_nothing(impls, pki, procs):
    server = procs.start_server(impls["openssl"].server_argv(
        "tcp://127.0.0.1:0", proto="smtp", starttls="refuse",
        options={"local_cert": pki.server_cert, "local_pk": pki.server_key}))
    verdict = command_injection.probe("127.0.0.1", server.port, "smtp", cafile=str(pki.ca_cert))
    assert verdict.outcome == CONFORMING, verdict.report()
    assert "refused STARTTLS" in verdict.summary and "454" in verdict.summary


def test_a_server_without_starttls_cannot_be_judged(impls, pki, procs):
    server = procs.start_server(impls["gnutls"].server_argv("tcp://[::1]:0", proto="imap"))
    verdict = command_injection.probe("::1", server.port, "imap")
    assert verdict.outcome == INCONCLUSIVE, verdict.report()
    assert "does not offer STARTTLS" in verdict.summary


def test_an_implicit_tls_port_cannot_be_judged(impls, pki, procs):
    """A plaintext probe at an implicit-TLS port gets no greeting: inconclusive, not conforming
    (the reference server waits for a ClientHello, bounded by its own --timeout)."""
    server = procs.start_server(impls["openssl"].server_argv(
        f"tls://{bracketed('127.0.0.1')}:0", proto="pop3", timeout_ms=500,
        options={"local_cert": pki.server_cert, "local_pk": pki.server_key}))
    verdict = command_injection.probe("127.0.0.1", server.port, "pop3")
    assert verdict.outcome == INCONCLUSIVE, verdict.report()
