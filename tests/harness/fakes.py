"""Fakes for the harness's own tests: a reference implementation whose binaries are Python
scripts (fake_client.py, fake_server.py) and a one-pairing case for it."""

import sys
from pathlib import Path

from harness.cases import expand, load_file
from harness.impls import Implementation

HERE = Path(__file__).parent


class FakeImpl(Implementation):
    name = "fake"
    versions = frozenset({"tls1.2", "tls1.3"})

    def __init__(self, server_mode="ready", client_extra=()):
        self.server_mode, self.client_extra = server_mode, list(client_extra)

    def client_argv(self, url, **kw):
        return [sys.executable, str(HERE / "fake_client.py"), url, *self.client_extra]

    def server_argv(self, listen, **kw):
        return [sys.executable, str(HERE / "fake_server.py"), self.server_mode]


CASE = """
[[case]]
id = "fake.echo"
about = "a"
spec = "b"
axes = { client = ["openssl"], server = ["openssl"], host = ["127.0.0.1"] }
restricted = "the fakes stand in for one pairing"
server.listen = "tcp://{host}:0"
client.url = "tcp://{host}:{port}"
expect.client.ok = true
expect.server.ok = true
"""


def load_fake_variant(tmp_path):
    """CASE's one variant, from a file in tmp_path."""
    path = tmp_path / "fake.toml"
    path.write_text(CASE)
    [case] = load_file(path)
    [variant] = expand(case)
    return variant
