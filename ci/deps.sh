#!/usr/bin/env bash
# Installs the Debian packages tlsmatrix needs, only when one is missing.
# As root: `apt-get update` once, then `apt-get install`. Otherwise: prints the exact command and
# exits non-zero, because a half-provisioned machine gives verdicts nobody can trust.
set -euo pipefail

packages=(
  gcc make pkg-config          # the C build
  libssl-dev libgnutls28-dev   # the two TLS libraries, found with pkg-config
  openssl gnutls-bin           # their command-line tools: test PKI and interop peers
  python3 python3-pytest python3-pytest-xdist  # the orchestrator (Debian's /usr/bin/python3)
  python3-cryptography         # the test PKI: exact validity dates, Ed25519, DER and encrypted keys
  swaks libnet-ssleay-perl libio-socket-inet6-perl  # a real SMTP client for STARTTLS interop, with TLS and IPv6
)

# `ci/deps.sh fuzz` adds what `make fuzz` needs (clang and its libFuzzer runtime).
if [[ "${1:-}" == "fuzz" ]]; then
  packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  echo "ci/deps.sh: missing Debian packages: ${missing[*]}" >&2
  echo "ci/deps.sh: run as root:  apt-get update && $cmd" >&2
  exit 1
fi

echo "ci/deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
$cmd
