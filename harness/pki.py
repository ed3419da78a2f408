"""The throwaway test PKI, made once per pytest process with python3-cryptography.

Every certificate's validity is fixed relative to REFERENCE_TIME (2030-01-01T00:00:00Z), not to
today: cases verify with `verify_time={ref_time}`, so an expired certificate is expired and a good
one good whatever the calendar says. docs/pki.md lists every item, its dates and why it exists.

Shape: a root CA and an intermediate CA (both ECDSA P-256); the leaves are issued by the
intermediate and their PEM files carry the intermediate after the leaf, as a real server's
full-chain file does. A second, untrusted root issues the leaves no case trusts. Keys are P-256
unless the item is about the key type: P-256 keys take well under a millisecond, RSA-2048 about
a hundred, so only the two RSA leaves the cases need are RSA.

The directory comes from tempfile.mkdtemp (mode 0700); private keys are written 0600. The caller
removes it with Pki.remove() (harness/session.py does so at the end of the run).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# The instant every case verifies at (-o verify_time=REFERENCE_UNIX).
REFERENCE_TIME = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
REFERENCE_UNIX = int(REFERENCE_TIME.timestamp())
assert REFERENCE_UNIX == 1893456000

# The subject hash for the capath directory comes from the openssl CLI (it is OpenSSL's own
# canonical-name digest); the call is bounded so a wedged CLI fails the session, not hangs it.
OPENSSL = "openssl"
OPENSSL_TIMEOUT_S = 30

# peer_fingerprint accepts these digests (docs/options.md): {server_fp_<name>} for each.
FINGERPRINT_ALGORITHMS = {"md5": hashes.MD5, "sha1": hashes.SHA1, "sha256": hashes.SHA256}

# Leaves whose PEM text cases can compare with a captured peer certificate ({<name>_leaf_pem}).
PEM_LEAVES = ("server", "client")

# The passphrase of server-encrypted.key and client-encrypted.key (`{passphrase}`).
PASSPHRASE = "tlsmatrix-passphrase"

# The good leaf's names (and those of every leaf that is about something other than names), in
# certificate order, as a record's peer_sans lists them.
SERVER_SANS = ("DNS:localhost", "DNS:server.test", "DNS:*.wild.test", "IP:127.0.0.1", "IP:::1")


class PkiError(RuntimeError):
    pass


def years(n: int) -> dt.datetime:
    """REFERENCE_TIME moved by n whole calendar years (it is a 1 January, so no leap-day edge)."""
    return REFERENCE_TIME.replace(year=REFERENCE_TIME.year + n)


# Validity windows, relative to the reference time.
CA_VALIDITY = (years(-15), years(15))
# Leaves that are meant to be valid also cover the present (2020-2040), so the libraries' own
# tools, which cannot pin the verification time (gnutls-cli), can verify them in tests/interop.
# Cases never rely on that: they pin verify_time to the reference.
GOOD_VALIDITY = (years(-10), years(10))
EXPIRED_VALIDITY = (years(-3), years(-1))
NOT_YET_VALID_VALIDITY = (years(1), years(3))


@dataclass(frozen=True)
class Leaf:
    """One end-entity certificate of the PKI: files <name>.pem and <name>.key, placeholders
    {<name>_cert} and {<name>_key}."""
    name: str
    why: str
    issuer: str = "intermediate"      # "intermediate", "root", "untrusted_root" or "self"
    key_type: str = "p256"            # "p256", "rsa2048", "rsa1024", "ed25519"
    cn: str = "localhost"
    sans: tuple[str, ...] | None = SERVER_SANS   # None: no subjectAltName extension at all
    validity: tuple[dt.datetime, dt.datetime] = GOOD_VALIDITY
    purpose: str = "server"           # extendedKeyUsage serverAuth, clientAuth, or "any" (none)
    # The PEM file carries the intermediate after the leaf (a full chain). Off for leaves whose
    # issuer is not the intermediate, and for the one that exists to be served without it.
    with_chain: bool = True
    shares_key_with: str | None = None
    der: bool = False                 # certificate and key in DER (<name>.der, <name>-key.der)


LEAVES: tuple[Leaf, ...] = (
    Leaf("server", "the good server certificate: every name a case connects to"),
    Leaf("incomplete_chain", "the good leaf without its intermediate (a server that forgot "
         "the chain file)", shares_key_with="server", with_chain=False),
    Leaf("expired", "expired a year before the reference time", validity=EXPIRED_VALIDITY),
    Leaf("not_yet_valid", "valid only from a year after the reference time",
         validity=NOT_YET_VALID_VALIDITY),
    Leaf("self_signed", "signed by its own key, trusted by nobody; no extendedKeyUsage, like "
         "`openssl req -x509` makes, so it also serves as a self-signed client certificate",
         issuer="self", with_chain=False, purpose="any"),
    Leaf("untrusted", "issued by a root no case trusts", issuer="untrusted_root",
         with_chain=False),
    Leaf("cn_only", "names its host only in the subject CN (no subjectAltName)",
         cn="cn-only.test", sans=None),
    Leaf("san_mismatch", "has a DNS SAN that names another host, and the CN server.test, so a "
         "CN fallback would wrongly accept it", cn="server.test", sans=("DNS:elsewhere.test",)),
    Leaf("rsa", "RSA-2048 key: the ECDHE-RSA suites and RSA signatures", key_type="rsa2048"),
    Leaf("ed25519", "Ed25519 key (RFC 8410, RFC 8446 §4.2.3)", key_type="ed25519"),
    Leaf("weak_rsa", "RSA-1024 key: refused at security level 2, accepted at 0",
         key_type="rsa1024"),
    Leaf("der", "certificate and PKCS#8 key in DER (OpenSSL's SSL_FILETYPE_ASN1); issued by the "
         "root itself, so the one certificate a DER file holds is a complete chain",
         issuer="root", with_chain=False, der=True),
    Leaf("client", "a client certificate from the trusted intermediate", cn="tlsmatrix client",
         sans=None, purpose="client"),
    Leaf("untrusted_client", "a client certificate from the untrusted root",
         cn="tlsmatrix untrusted client", sans=None, purpose="client",
         issuer="untrusted_root", with_chain=False),
)

# The key axis (harness/axes.py): each server key type, in matrix order, and the leaf that has
# it. The three leaves differ only in their key (same issuer, names, dates and purpose), so one
# case can run on each and expect the same names.
SERVER_LEAF_BY_KEY = {"p256": "server", "rsa2048": "rsa", "ed25519": "ed25519"}


@dataclass(frozen=True)
class Pki:
    directory: Path
    ca_cert: Path               # the trusted root: what cases put in cafile
    ca_key: Path
    server_cert: Path           # good leaf + intermediate
    server_key: Path
    other_key: Path             # a key that belongs to no certificate
    files: dict[str, Path] = field(default_factory=dict)   # placeholder name -> path

    # The good leaf's digests, lower-case hex without colons (peer_fingerprint).
    fingerprints: dict[str, str] = field(default_factory=dict)
    # PEM text of the server and client leaves alone, as capture_peer_cert reports a peer's.
    leaf_pems: dict[str, str] = field(default_factory=dict)

    def placeholders(self) -> dict[str, str]:
        """The names cases use as {ca_cert}, {server_cert}, … (docs/case-format.md, docs/pki.md)."""
        return {**{name: str(path) for name, path in self.files.items()},
                **{f"{name}_pem": text for name, text in self.leaf_pems.items()},
                **{f"server_fp_{algo}": hexdigest for algo, hexdigest in self.fingerprints.items()},
                "pki_dir": str(self.directory), "passphrase": PASSPHRASE,
                "ref_time": str(REFERENCE_UNIX)}

    def __getitem__(self, name: str) -> Path:
        return self.files[name]

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def placeholder_names() -> tuple[str, ...]:
    """Every placeholder a Pki fills, without making one (for validating case files)."""
    names = ["ca_cert", "ca_key", "intermediate_cert", "ca_and_intermediate",
             "untrusted_ca_cert", "capath",
             "other_key", "server_cert_with_key", "server_key_encrypted",
             "client_cert_with_key", "client_key_encrypted", "pki_dir", "passphrase", "ref_time"]
    names += [f"server_fp_{algo}" for algo in FINGERPRINT_ALGORITHMS]
    names += [f"{leaf}_leaf_pem" for leaf in PEM_LEAVES]
    for leaf in LEAVES:
        names += [f"{leaf.name}_cert", f"{leaf.name}_key"]
    return tuple(dict.fromkeys(names))


# ---- making it -----------------------------------------------------------------------------------

def make_pki(parent: str | None = None) -> Pki:
    """Creates a new PKI in a fresh 0700 directory (under parent, or the system temp dir)."""
    directory = Path(tempfile.mkdtemp(prefix="tlsm-pki-", dir=parent))
    try:
        return _Builder(directory).build()
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "tlsmatrix"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _new_key(key_type: str):
    if key_type == "p256":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if key_type in ("rsa2048", "rsa1024"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(key_type[3:]))
    raise ValueError(f"unknown key type {key_type!r}")


def _general_name(san: str) -> x509.GeneralName:
    kind, _, value = san.partition(":")
    if kind == "DNS":
        return x509.DNSName(value)
    if kind == "IP":
        return x509.IPAddress(ipaddress.ip_address(value))
    raise ValueError(f"unknown SAN type in {san!r}")


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_bytes(key, encoding=serialization.Encoding.PEM, password: str | None = None) -> bytes:
    encryption = (serialization.BestAvailableEncryption(password.encode()) if password
                  else serialization.NoEncryption())
    return key.private_bytes(encoding, serialization.PrivateFormat.PKCS8, encryption)


class _Builder:
    def __init__(self, directory: Path):
        self.d = directory
        self.files: dict[str, Path] = {}

    # -- files
    def _write(self, placeholder: str, filename: str, data: bytes, secret: bool = False) -> Path:
        path = self.d / filename
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if secret else 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        self.files[placeholder] = path
        return path

    # -- certificates
    def _issue(self, subject: x509.Name, public_key, issuer: x509.Name, issuer_key,
               validity: tuple[dt.datetime, dt.datetime], extensions) -> x509.Certificate:
        builder = (x509.CertificateBuilder()
                   .subject_name(subject).issuer_name(issuer).public_key(public_key)
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(validity[0]).not_valid_after(validity[1])
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       issuer_key.public_key()), False))
        for ext, critical in extensions:
            builder = builder.add_extension(ext, critical)
        algorithm = None if isinstance(issuer_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
        return builder.sign(issuer_key, algorithm)

    def _ca(self, cn: str, issuer: tuple | None, path_length: int | None):
        key = _new_key("p256")
        name = _name(cn)
        issuer_name, issuer_key = issuer if issuer else (name, key)
        cert = self._issue(name, key.public_key(), issuer_name, issuer_key, CA_VALIDITY, [
            (x509.BasicConstraints(ca=True, path_length=path_length), True),
            (x509.KeyUsage(digital_signature=False, content_commitment=False,
                           key_encipherment=False, data_encipherment=False, key_agreement=False,
                           key_cert_sign=True, crl_sign=True, encipher_only=False,
                           decipher_only=False), True)])
        return cert, key

    def _leaf(self, leaf: Leaf, key, issuers: dict) -> x509.Certificate:
        if leaf.issuer == "self":
            issuer_name, issuer_key = _name(leaf.cn), key
        else:
            issuer_cert, issuer_key = issuers[leaf.issuer]
            issuer_name = issuer_cert.subject
        is_rsa = isinstance(key, rsa.RSAPrivateKey)
        extensions = [
            (x509.BasicConstraints(ca=False, path_length=None), True),
            # keyEncipherment only for RSA (TLS 1.2 RSA key exchange); an EC or Ed25519 key
            # only signs.
            (x509.KeyUsage(digital_signature=True, content_commitment=False,
                           key_encipherment=is_rsa, data_encipherment=False, key_agreement=False,
                           key_cert_sign=False, crl_sign=False, encipher_only=False,
                           decipher_only=False), True),
        ]
        if leaf.purpose != "any":
            eku = {"server": ExtendedKeyUsageOID.SERVER_AUTH,
                   "client": ExtendedKeyUsageOID.CLIENT_AUTH}[leaf.purpose]
            extensions.append((x509.ExtendedKeyUsage([eku]), False))
        if leaf.sans is not None:
            extensions.append((x509.SubjectAlternativeName(
                [_general_name(s) for s in leaf.sans]), False))
        return self._issue(_name(leaf.cn), key.public_key(), issuer_name, issuer_key,
                           leaf.validity, extensions)

    def _subject_hash(self, cert_path: Path) -> str:
        argv = [OPENSSL, "x509", "-in", str(cert_path), "-noout", "-subject_hash"]
        try:
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=OPENSSL_TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            raise PkiError(f"{' '.join(argv)}: no answer in {OPENSSL_TIMEOUT_S} s") from exc
        if proc.returncode != 0 or not proc.stdout.strip():
            raise PkiError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.strip()}")
        return proc.stdout.strip()

    def build(self) -> Pki:
        root, root_key = self._ca("tlsmatrix test root CA", None, path_length=1)
        inter, inter_key = self._ca("tlsmatrix test intermediate CA", (root.subject, root_key),
                                    path_length=0)
        untrusted, untrusted_key = self._ca("tlsmatrix untrusted root CA", None, path_length=0)
        issuers = {"root": (root, root_key), "intermediate": (inter, inter_key),
                   "untrusted_root": (untrusted, untrusted_key)}
        ca_cert = self._write("ca_cert", "ca.pem", _pem(root))
        ca_key = self._write("ca_key", "ca.key", _key_bytes(root_key), secret=True)
        self._write("intermediate_cert", "intermediate.pem", _pem(inter))
        self._write("ca_and_intermediate", "ca-and-intermediate.pem", _pem(root) + _pem(inter))
        self._write("untrusted_ca_cert", "untrusted-ca.pem", _pem(untrusted))

        keys, certs = {}, {}
        for leaf in LEAVES:
            key = keys[leaf.shares_key_with] if leaf.shares_key_with else _new_key(leaf.key_type)
            keys[leaf.name] = key
            cert = certs[leaf.shares_key_with] if leaf.shares_key_with else \
                self._leaf(leaf, key, issuers)
            certs[leaf.name] = cert
            if leaf.der:
                self._write(f"{leaf.name}_cert", f"{leaf.name}.der",
                            cert.public_bytes(serialization.Encoding.DER))
                self._write(f"{leaf.name}_key", f"{leaf.name}-key.der",
                            _key_bytes(key, serialization.Encoding.DER), secret=True)
                continue
            chain = _pem(inter) if leaf.with_chain else b""
            self._write(f"{leaf.name}_cert", f"{leaf.name}.pem", _pem(cert) + chain)
            if leaf.shares_key_with:
                self.files[f"{leaf.name}_key"] = self.files[f"{leaf.shares_key_with}_key"]
            else:
                self._write(f"{leaf.name}_key", f"{leaf.name}.key", _key_bytes(key), secret=True)

        # Other encodings of the two identities cases load in every way PHP allows.
        for name in ("server", "client"):
            cert, key = certs[name], keys[name]
            self._write(f"{name}_cert_with_key", f"{name}-with-key.pem",
                        _pem(cert) + _pem(inter) + _key_bytes(key), secret=True)
            self._write(f"{name}_key_encrypted", f"{name}-encrypted.key",
                        _key_bytes(key, password=PASSPHRASE), secret=True)
        server = certs["server"]
        self._write("other_key", "other.key", _key_bytes(_new_key("p256")), secret=True)

        capath = self.d / "capath"
        capath.mkdir(mode=0o700)
        self.files["capath"] = capath
        (capath / f"{self._subject_hash(ca_cert)}.0").write_bytes(_pem(root))

        fingerprints = {name: server.fingerprint(algo()).hex()
                        for name, algo in FINGERPRINT_ALGORITHMS.items()}
        leaf_pems = {f"{name}_leaf": _pem(certs[name]).decode() for name in PEM_LEAVES}
        return Pki(self.d, ca_cert, ca_key, self.files["server_cert"],
                   self.files["server_key"], self.files["other_key"], dict(self.files),
                   fingerprints, leaf_pems)
