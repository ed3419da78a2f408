"""The throwaway PKI (harness/pki.py, docs/pki.md): what each certificate says, its dates relative
to the reference time, where the files are, who may read them and that they are gone afterwards.

The openssl CLI is the independent judge here: `openssl verify -attime` at the reference time,
so these tests, like the cases, do not depend on today's date."""

import datetime as dt
import os
import stat
import subprocess
import sys
import textwrap
import time

import pytest

from harness import REPO_ROOT
from harness.axes import RUN_PLACEHOLDERS
from harness.pki import (LEAVES, PASSPHRASE, REFERENCE_TIME, REFERENCE_UNIX, SERVER_SANS,
                         make_pki, placeholder_names, years)

REF = str(REFERENCE_UNIX)


def openssl(*args, check=True):
    proc = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=30)
    if check and proc.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
    return proc


def verify(pki, cert, *extra, at=REF, untrusted=True, purpose="sslserver"):
    """openssl verify of a leaf (the chain in its file is offered as untrusted intermediates)."""
    args = ["verify", "-attime", at, "-CAfile", str(pki.ca_cert), "-purpose", purpose]
    if untrusted:
        args += ["-untrusted", str(cert)]
    return openssl(*args, *extra, str(cert), check=False)


def x509_text(path, *args):
    return openssl("x509", "-in", str(path), "-noout", *args).stdout


@pytest.fixture(scope="module")
def fresh():
    pki = make_pki()
    yield pki
    pki.remove()


def test_reference_time_is_2030():
    assert REFERENCE_TIME == dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    assert years(-1).isoformat() == "2029-01-01T00:00:00+00:00"


def test_generation_is_fast():
    # Every xdist worker makes its own PKI before its first case: it must stay cheap.
    start = time.monotonic()
    pki = make_pki()
    elapsed = time.monotonic() - start
    pki.remove()
    assert elapsed < 2.0, f"make_pki took {elapsed:.2f} s"


def test_every_placeholder_has_a_value_and_cases_may_use_it(fresh):
    values = fresh.placeholders()
    assert set(values) == set(placeholder_names())
    assert set(placeholder_names()) <= set(RUN_PLACEHOLDERS)
    for name, path in fresh.files.items():
        assert path.exists() and values[name] == str(path), name
    others = set(values) - set(fresh.files)
    assert others == {"pki_dir", "passphrase", "ref_time", "server_fp_md5", "server_fp_sha1",
                      "server_fp_sha256", "server_leaf_pem", "client_leaf_pem"}
    assert values["ref_time"] == "1893456000" and values["passphrase"] == PASSPHRASE
    assert values["server_leaf_pem"].startswith("-----BEGIN CERTIFICATE-----\n")
    assert values["server_leaf_pem"] in fresh.server_cert.read_text()


def test_directory_and_key_permissions(fresh):
    assert stat.S_IMODE(fresh.directory.stat().st_mode) == 0o700
    secret = [p for name, p in fresh.files.items() if name.endswith(("_key", "_key_encrypted"))]
    assert len(secret) > 10
    for path in secret:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    # Every file that holds a private key is among them (the DER key has no PEM armour).
    for path in fresh.directory.rglob("*"):
        if path.is_file() and (b"PRIVATE KEY" in path.read_bytes() or path.name.endswith(".key")
                               or path.name.endswith("-key.der")):
            assert path in secret, path


def test_the_good_chain_verifies_at_the_reference_time_and_names_every_host(fresh):
    assert verify(fresh, fresh.server_cert).returncode == 0
    for host in ("localhost", "server.test", "a.wild.test"):
        assert verify(fresh, fresh.server_cert, "-verify_hostname", host).returncode == 0, host
    for ip in ("127.0.0.1", "::1"):
        assert verify(fresh, fresh.server_cert, "-verify_ip", ip).returncode == 0, ip
    text = x509_text(fresh.server_cert, "-ext", "subjectAltName")
    for name in ("DNS:localhost", "DNS:server.test", "DNS:*.wild.test", "IP Address:127.0.0.1",
                 "IP Address:0:0:0:0:0:0:0:1"):
        assert name in text
    assert SERVER_SANS == ("DNS:localhost", "DNS:server.test", "DNS:*.wild.test",
                           "IP:127.0.0.1", "IP:::1")


def test_the_server_file_is_a_full_chain_and_the_incomplete_one_is_not(fresh):
    assert fresh.server_cert.read_text().count("BEGIN CERTIFICATE") == 2
    assert fresh["incomplete_chain_cert"].read_text().count("BEGIN CERTIFICATE") == 1
    assert fresh["incomplete_chain_key"] == fresh.server_key
    assert verify(fresh, fresh["incomplete_chain_cert"]).returncode != 0
    # The same leaf does verify once the intermediate is supplied.
    assert openssl("verify", "-attime", REF, "-CAfile", str(fresh.ca_cert), "-untrusted",
                   str(fresh["intermediate_cert"]), str(fresh["incomplete_chain_cert"]),
                   check=False).returncode == 0


def test_chain_depth_is_leaf_intermediate_root(fresh):
    # verify_depth cases rely on the root being at depth 2.
    assert verify(fresh, fresh.server_cert, "-verify_depth", "2").returncode == 0
    out = verify(fresh, fresh.server_cert, "-verify_depth", "0")
    assert out.returncode != 0 and "certificate chain too long" in out.stdout + out.stderr


@pytest.mark.parametrize("name, not_before, not_after", [
    ("server", "Jan  1 00:00:00 2020 GMT", "Jan  1 00:00:00 2040 GMT"),
    ("expired", "Jan  1 00:00:00 2027 GMT", "Jan  1 00:00:00 2029 GMT"),
    ("not_yet_valid", "Jan  1 00:00:00 2031 GMT", "Jan  1 00:00:00 2033 GMT"),
])
def test_validity_windows_are_relative_to_the_reference_time(fresh, name, not_before, not_after):
    text = x509_text(fresh[f"{name}_cert"], "-dates")
    assert f"notBefore={not_before}" in text and f"notAfter={not_after}" in text


def test_expired_and_not_yet_valid_fail_at_the_reference_time_for_that_reason(fresh):
    out = verify(fresh, fresh["expired_cert"])
    assert out.returncode != 0 and "certificate has expired" in out.stdout + out.stderr
    out = verify(fresh, fresh["not_yet_valid_cert"])
    assert out.returncode != 0 and "certificate is not yet valid" in out.stdout + out.stderr
    # Both are fine inside their own window: only the date is wrong with them.
    assert verify(fresh, fresh["expired_cert"], at=str(REFERENCE_UNIX - 2 * 365 * 86400)
                  ).returncode == 0
    assert verify(fresh, fresh["not_yet_valid_cert"], at=str(REFERENCE_UNIX + 2 * 365 * 86400)
                  ).returncode == 0


def test_cas_cover_every_leaf_window(fresh):
    for ca in (fresh.ca_cert, fresh["intermediate_cert"], fresh["untrusted_ca_cert"]):
        text = x509_text(ca, "-dates", "-ext", "basicConstraints,keyUsage")
        assert "notBefore=Jan  1 00:00:00 2015 GMT" in text
        assert "notAfter=Jan  1 00:00:00 2045 GMT" in text
        assert "CA:TRUE" in text and "Certificate Sign" in text


def test_self_signed_and_untrusted_leaves_do_not_chain_to_the_root(fresh):
    out = verify(fresh, fresh["self_signed_cert"])
    assert "self-signed certificate" in out.stdout + out.stderr
    subject = x509_text(fresh["self_signed_cert"], "-subject", "-issuer").splitlines()
    assert subject[0].split("=", 1)[1] == subject[1].split("=", 1)[1]
    out = verify(fresh, fresh["untrusted_cert"])
    assert "unable to get local issuer certificate" in out.stdout + out.stderr
    # …but the untrusted one is a proper chain under its own root.
    assert openssl("verify", "-attime", REF, "-CAfile", str(fresh["untrusted_ca_cert"]),
                   str(fresh["untrusted_cert"]), check=False).returncode == 0


def test_name_items(fresh):
    cn_only = x509_text(fresh["cn_only_cert"], "-subject", "-ext", "subjectAltName")
    assert "CN = cn-only.test" in cn_only and "DNS:" not in cn_only
    mismatch = x509_text(fresh["san_mismatch_cert"], "-subject", "-ext", "subjectAltName")
    assert "CN = server.test" in mismatch and "DNS:elsewhere.test" in mismatch
    assert verify(fresh, fresh["san_mismatch_cert"], "-verify_hostname",
                  "server.test").returncode != 0


@pytest.mark.parametrize("name, key_text", [
    ("server", "prime256v1"), ("rsa", "Private-Key: (2048 bit"), ("ed25519", "ED25519"),
    ("weak_rsa", "Private-Key: (1024 bit"),
])
def test_key_types(fresh, name, key_text):
    assert key_text in openssl("pkey", "-in", str(fresh[f"{name}_key"]), "-noout",
                               "-text").stdout
    assert verify(fresh, fresh[f"{name}_cert"]).returncode == 0


def test_weak_key_is_refused_at_level_2_and_accepted_at_0(fresh):
    # The same judgement the backends make (docs/backend-openssl.md).
    out = verify(fresh, fresh["weak_rsa_cert"], "-auth_level", "2")
    assert out.returncode != 0 and "key too weak" in out.stdout + out.stderr
    assert verify(fresh, fresh["weak_rsa_cert"], "-auth_level", "0").returncode == 0


def test_encrypted_key_needs_the_passphrase(fresh):
    enc = fresh["server_key_encrypted"]
    assert "BEGIN ENCRYPTED PRIVATE KEY" in enc.read_text()
    assert openssl("pkey", "-in", str(enc), "-passin", "pass:wrong", check=False).returncode != 0
    plain = openssl("pkey", "-in", str(enc), "-passin", f"pass:{PASSPHRASE}").stdout
    assert plain == openssl("pkey", "-in", str(fresh.server_key)).stdout


def test_cert_with_key_holds_chain_and_key(fresh):
    text = fresh["server_cert_with_key"].read_text()
    assert text.count("BEGIN CERTIFICATE") == 2 and "BEGIN PRIVATE KEY" in text
    assert text.startswith(fresh.server_cert.read_text())


def test_der_files(fresh, tmp_path):
    cert, key = fresh["der_cert"], fresh["der_key"]
    assert not cert.read_bytes().startswith(b"-----") and not key.read_bytes().startswith(b"-----")
    # One certificate, issued by the root itself: on its own it is a complete chain.
    as_pem = tmp_path / "der-as.pem"
    as_pem.write_text(openssl("x509", "-inform", "DER", "-in", str(cert)).stdout)
    assert openssl("verify", "-attime", REF, "-CAfile", str(fresh.ca_cert),
                   str(as_pem), check=False).returncode == 0
    pub_cert = openssl("x509", "-inform", "DER", "-in", str(cert), "-noout", "-pubkey").stdout
    assert openssl("pkey", "-inform", "DER", "-in", str(key), "-pubout").stdout == pub_cert


@pytest.mark.parametrize("algo", ["md5", "sha1", "sha256"])
def test_fingerprints_are_those_of_the_good_leaf(fresh, algo):
    out = x509_text(fresh.server_cert, "-fingerprint", f"-{algo}")
    assert out.strip().split("=", 1)[1].replace(":", "").lower() == \
        fresh.placeholders()[f"server_fp_{algo}"]


def test_other_key_does_not_match_the_certificate(fresh):
    cert_pub = x509_text(fresh.server_cert, "-pubkey")
    assert openssl("pkey", "-in", str(fresh.server_key), "-pubout").stdout == cert_pub
    assert openssl("pkey", "-in", str(fresh.other_key), "-pubout").stdout != cert_pub


def test_client_certificates(fresh):
    assert verify(fresh, fresh["client_cert"], purpose="sslclient").returncode == 0
    assert "TLS Web Client Authentication" in x509_text(fresh["client_cert"], "-ext",
                                                         "extendedKeyUsage")
    assert verify(fresh, fresh["untrusted_client_cert"], purpose="sslclient").returncode != 0


def test_capath_is_hashed_and_holds_only_the_trusted_root(fresh):
    capath = fresh["capath"]
    entries = sorted(p.name for p in capath.iterdir())
    expected = x509_text(fresh.ca_cert, "-subject_hash").strip() + ".0"
    assert entries == [expected]
    out = openssl("verify", "-attime", REF, "-CApath", str(capath), "-untrusted",
                  str(fresh.server_cert), str(fresh.server_cert), check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_leaf_item_is_documented():
    doc = (REPO_ROOT / "docs" / "pki.md").read_text()
    for leaf in LEAVES:
        assert f"{{{leaf.name}_cert}}" in doc, leaf.name
    for name in placeholder_names():
        assert f"{{{name}}}" in doc, name


def test_two_pkis_do_not_share_a_directory_and_removal_is_complete():
    a, b = make_pki(), make_pki()
    try:
        assert a.directory != b.directory
        assert a.ca_cert.read_text() != b.ca_cert.read_text()
    finally:
        a.remove()
        b.remove()
    assert not a.directory.exists() and not b.directory.exists()


def test_a_session_pki_is_removed_when_its_process_ends(tmp_path):
    # harness/session.py removes the PKI at interpreter exit if the session did not.
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(REPO_ROOT)!r})
        import tempfile
        tempfile.tempdir = {str(tmp_path)!r}
        from harness.session import LazyPki
        print(LazyPki().get().directory, flush=True)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60, check=True).stdout.strip()
    assert out.startswith(str(tmp_path))
    assert not os.path.exists(out)
    assert list(tmp_path.iterdir()) == []


def test_session_fixture_pki_is_usable(pki):
    assert pki.server_cert.exists() and pki.placeholders()["ca_cert"] == str(pki.ca_cert)
