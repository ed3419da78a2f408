"""Shared parameters of the STARTTLS tests."""

import pytest

PROTOS = ["smtp", "imap", "pop3"]
LIBS = ["openssl", "gnutls"]
# The attack checks run on IPv4: the address family does not change what they judge, and the
# cases and interop tests cover both. Part of the ASan+UBSan sample (make test-san), since the
# discard at the upgrade is buffer handling in C.
HOSTS = [pytest.param("127.0.0.1", id="ipv4", marks=pytest.mark.sanitizer_sample)]
