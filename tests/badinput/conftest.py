import pytest

from harness.impls import IMPLEMENTATIONS


@pytest.fixture(scope="session")
def live_tls_server(shared_procs, pki):
    """One reference TLS echo server per library for the whole session, started on first use:
    a client that silently accepted a bad option would complete an echo with it (exit 0) and
    so be caught."""
    servers = {}

    def get(lib: str):
        if lib not in servers:
            servers[lib] = shared_procs.start_server(IMPLEMENTATIONS[lib].server_argv(
                "tls://127.0.0.1:0",
                options={"local_cert": pki.server_cert, "local_pk": pki.server_key}))
        return servers[lib]

    return get
