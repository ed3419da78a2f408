"""Check (c), STARTTLS stripping (harness/attacks/stripping.py), against clients: a client that
requires TLS ends the session when STARTTLS is missing; one that goes on in plaintext -- the
naive Python client with that flaw, or a reference client run with the opportunistic policy,
which is what stripping exploits -- is flagged."""

import pytest

from harness.attacks import stripping
from harness.attacks.verdict import CONFORMING, VULNERABLE
from starttls_params import LIBS, PROTOS


@pytest.mark.parametrize("proto", PROTOS)
@pytest.mark.parametrize("lib", LIBS)
def test_reference_client_that_requires_tls_refuses_a_stripped_server(lib, proto, impls, pki,
                                                                      procs):
    verdict = stripping.check_client(impls[lib], procs, pki, proto)
    assert verdict.outcome == CONFORMING, verdict.report()
    [record] = verdict.records
    assert (record["error"], record["stage"]) == ("starttls.not_offered", "starttls")
    assert record["starttls"] == {"offered": False, "upgraded": False, "discarded": None}


@pytest.mark.parametrize("proto", PROTOS)
@pytest.mark.parametrize("lib", LIBS)
def test_the_opportunistic_policy_is_flagged_as_strippable(lib, proto, impls, pki, procs):
    verdict = stripping.check_client(impls[lib], procs, pki, proto, policy="opportunistic")
    assert verdict.outcome == VULNERABLE, verdict.report()
    assert verdict.vulnerability.startswith("STARTTLS stripping: went on in plaintext")
    [record] = verdict.records
    assert record["ok"] is True and record["starttls"]["offered"] is False


@pytest.mark.parametrize("proto", PROTOS)
def test_flags_a_client_that_goes_on_when_starttls_is_missing(proto, naive, pki, procs):
    verdict = stripping.check_client(naive("ignore-missing-starttls"), procs, pki, proto)
    assert verdict.outcome == VULNERABLE, verdict.report()
    assert verdict.vulnerability.startswith("STARTTLS stripping: went on in plaintext")


@pytest.mark.parametrize("proto", PROTOS)
@pytest.mark.parametrize("flaws", [(), ("keep-buffer",)], ids=["no-flaw", "other-flaw"])
def test_a_client_without_that_flaw_is_conforming(proto, flaws, naive, pki, procs):
    verdict = stripping.check_client(naive(*flaws), procs, pki, proto)
    assert verdict.outcome == CONFORMING, verdict.report()


# A man in the middle can also leave STARTTLS listed and refuse it. Every form of refusal the
# protocols have, including IMAP's BAD, which the reference server never sends after an offer.
REFUSALS = [
    pytest.param("smtp", "454 4.7.0 TLS not available due to temporary reason", id="smtp-454"),
    pytest.param("smtp", "502 5.5.1 Command not implemented", id="smtp-502"),
    pytest.param("imap", "{tag} NO [UNAVAILABLE] STARTTLS unavailable", id="imap-NO"),
    pytest.param("imap", "{tag} BAD STARTTLS not now", id="imap-BAD"),
    pytest.param("pop3", "-ERR [SYS/TEMP] TLS unavailable", id="pop3-ERR"),
]


@pytest.mark.parametrize("proto, refusal", REFUSALS)
@pytest.mark.parametrize("lib", LIBS)
def test_reference_client_that_requires_tls_ends_the_session_after_a_refusal(lib, proto, refusal,
                                                                             impls, pki, procs):
    verdict = stripping.check_client(impls[lib], procs, pki, proto, refusal=refusal)
    assert verdict.outcome == CONFORMING, verdict.report()
    assert verdict.summary.endswith("was refused")
    [record] = verdict.records
    assert (record["error"], record["stage"]) == ("starttls.refused", "starttls"), record
    assert refusal.format(tag="S1") in record["detail"], "the detail quotes the refusal"
    assert record["starttls"] == {"offered": True, "upgraded": False, "discarded": None}


@pytest.mark.parametrize("proto, refusal", REFUSALS[::2])
def test_the_opportunistic_policy_goes_on_after_a_refusal(proto, refusal, impls, pki, procs):
    verdict = stripping.check_client(impls["gnutls"], procs, pki, proto, refusal=refusal,
                                     policy="opportunistic")
    assert verdict.outcome == VULNERABLE, verdict.report()
    assert "went on in plaintext when" in verdict.vulnerability
