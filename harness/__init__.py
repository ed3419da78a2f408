"""tlsmatrix harness: the pytest plugin and `python3 -m harness` CLI that drive the reference
TLS clients and servers (bin/tlsm-{client,server}-<lib>) and compare their JSON records with the
cases in cases/*.toml. See docs/harness.md."""

from pathlib import Path

# The repository root: harness/ lives directly under it.
REPO_ROOT = Path(__file__).resolve().parent.parent
