"""The throwaway PKI: what the certificates say, where the files are and who may read them."""

import stat
import subprocess

import pytest

from harness.pki import SERVER_SANS, make_pki


def openssl(*args):
    return subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=30,
                          check=True).stdout


@pytest.fixture(scope="module")
def fresh():
    pki = make_pki()
    yield pki
    pki.remove()


def test_directory_and_key_permissions(fresh):
    assert stat.S_IMODE(fresh.directory.stat().st_mode) == 0o700
    for key in (fresh.ca_key, fresh.server_key, fresh.other_key):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key


def test_server_certificate_chains_to_the_ca(fresh):
    out = openssl("verify", "-CAfile", str(fresh.ca_cert), "-purpose", "sslserver",
                  str(fresh.server_cert))
    assert out.strip().endswith(": OK")


def test_server_certificate_names(fresh):
    text = openssl("x509", "-in", str(fresh.server_cert), "-noout", "-ext", "subjectAltName")
    for name in ("DNS:localhost", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1",
                 "DNS:server.test"):
        assert name in text
    assert SERVER_SANS == ("DNS:localhost", "IP:127.0.0.1", "IP:::1", "DNS:server.test")
    for host in ("localhost", "server.test"):
        openssl("verify", "-CAfile", str(fresh.ca_cert), "-verify_hostname", host,
                str(fresh.server_cert))
    for ip in ("127.0.0.1", "::1"):
        openssl("verify", "-CAfile", str(fresh.ca_cert), "-verify_ip", ip, str(fresh.server_cert))


def test_ca_is_a_ca_and_the_leaf_is_not(fresh):
    ca = openssl("x509", "-in", str(fresh.ca_cert), "-noout", "-ext", "basicConstraints,keyUsage")
    assert "CA:TRUE" in ca and "Certificate Sign" in ca
    leaf = openssl("x509", "-in", str(fresh.server_cert), "-noout", "-ext", "basicConstraints")
    assert "CA:FALSE" in leaf


def test_keys_are_p256(fresh):
    assert "prime256v1" in openssl("pkey", "-in", str(fresh.server_key), "-noout", "-text")


def test_other_key_does_not_match_the_certificate(fresh):
    cert_pub = openssl("x509", "-in", str(fresh.server_cert), "-noout", "-pubkey")
    assert openssl("pkey", "-in", str(fresh.server_key), "-pubout") == cert_pub
    assert openssl("pkey", "-in", str(fresh.other_key), "-pubout") != cert_pub


def test_two_pkis_do_not_share_a_directory_and_removal_is_complete():
    a, b = make_pki(), make_pki()
    try:
        assert a.directory != b.directory
        assert a.ca_cert.read_text() != b.ca_cert.read_text()
    finally:
        a.remove()
        b.remove()
    assert not a.directory.exists() and not b.directory.exists()


def test_session_fixture_pki_is_usable(pki):
    assert pki.server_cert.exists() and pki.placeholders()["ca_cert"] == str(pki.ca_cert)
