"""A throwaway test PKI made with the openssl CLI: one CA and one server certificate.

Key type: ECDSA P-256 for both. Generation takes milliseconds (RSA-2048 takes ~100 ms per key and
every xdist worker makes its own PKI), both libraries accept it at their default security levels
for TLS 1.2 and 1.3, and an ECDHE-ECDSA TLS 1.2 handshake still carries a ServerKeyExchange, so
the seed handshake order applies unchanged. Other key types arrive with the key-type axis.

The directory comes from tempfile.mkdtemp (mode 0700); private keys are chmod 0600. The caller
removes it with Pki.remove() (the plugin does so at session end).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

OPENSSL = "openssl"
# Every openssl call is bounded: a wedged CLI must fail the session, not hang it.
OPENSSL_TIMEOUT_S = 30
VALID_DAYS = 30

SERVER_SANS = ("DNS:localhost", "IP:127.0.0.1", "IP:::1", "DNS:server.test")

# Our own config, so that the system openssl.cnf (default extensions, policies) cannot change
# what we issue. basicConstraints/keyUsage are what GnuTLS insists on for a CA.
_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[v3_server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = {sans}
"""


class PkiError(RuntimeError):
    pass


@dataclass(frozen=True)
class Pki:
    directory: Path
    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    # A key that belongs to no certificate: for key/cert mismatch cases.
    other_key: Path

    def placeholders(self) -> dict[str, str]:
        """The names cases use as {ca_cert}, {server_cert}, … (docs/case-format.md)."""
        return {
            "ca_cert": str(self.ca_cert),
            "server_cert": str(self.server_cert),
            "server_key": str(self.server_key),
            "other_key": str(self.other_key),
            "pki_dir": str(self.directory),
        }

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def _openssl(*args: str, cwd: Path) -> None:
    try:
        proc = subprocess.run(
            [OPENSSL, *args], cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
            text=True, timeout=OPENSSL_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        raise PkiError(f"openssl {' '.join(args)}: no answer in {OPENSSL_TIMEOUT_S} s") from exc
    if proc.returncode != 0:
        raise PkiError(f"openssl {' '.join(args)} exited {proc.returncode}: {proc.stderr.strip()}")


def _new_key(path: Path, cwd: Path) -> None:
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", str(path), cwd=cwd)
    os.chmod(path, 0o600)


def _serial() -> str:
    # Random positive 63-bit serials (top bit set so the length is fixed): two PKIs of one run
    # never share issuer + serial, which some verifiers cache on.
    return format(secrets.randbits(62) | (1 << 62), "#x")


def make_pki(parent: str | None = None) -> Pki:
    """Creates a new PKI in a fresh 0700 directory (under parent, or the system temp dir)."""
    directory = Path(tempfile.mkdtemp(prefix="tlsm-pki-", dir=parent))
    try:
        return _issue(directory)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise


def _issue(d: Path) -> Pki:
    config = d / "pki.cnf"
    config.write_text(_CONFIG.format(sans=", ".join(SERVER_SANS)))
    ca_key, ca_cert = d / "ca.key", d / "ca.pem"
    server_key, server_csr, server_cert = d / "server.key", d / "server.csr", d / "server.pem"
    other_key = d / "other.key"

    _new_key(ca_key, d)
    _openssl("req", "-config", str(config), "-x509", "-new", "-key", str(ca_key), "-sha256",
             "-subj", "/O=tlsmatrix/CN=tlsmatrix test CA", "-days", str(VALID_DAYS),
             "-set_serial", _serial(), "-extensions", "v3_ca", "-out", str(ca_cert), cwd=d)

    _new_key(server_key, d)
    _openssl("req", "-config", str(config), "-new", "-key", str(server_key),
             "-subj", "/O=tlsmatrix/CN=localhost", "-out", str(server_csr), cwd=d)
    _openssl("x509", "-req", "-in", str(server_csr), "-CA", str(ca_cert), "-CAkey", str(ca_key),
             "-sha256", "-days", str(VALID_DAYS), "-set_serial", _serial(),
             "-extfile", str(config), "-extensions", "v3_server", "-out", str(server_cert), cwd=d)
    server_csr.unlink()

    _new_key(other_key, d)
    return Pki(d, ca_cert, ca_key, server_cert, server_key, other_key)
