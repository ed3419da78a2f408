"""Per-process session state: the PKI each pytest process (each xdist worker) makes once, on
first use, and removes at the end (or at interpreter exit if the session dies first)."""

from __future__ import annotations

import atexit
import threading

import pytest

from .pki import Pki, make_pki


class LazyPki:
    def __init__(self):
        self._pki: Pki | None = None
        self._lock = threading.Lock()
        atexit.register(self.remove)

    def get(self) -> Pki:
        with self._lock:
            if self._pki is None:
                self._pki = make_pki()
            return self._pki

    def remove(self) -> None:
        with self._lock:
            if self._pki is not None:
                self._pki.remove()
                self._pki = None


# Where the plugin keeps the LazyPki of this pytest process (config.stash).
PKI_KEY = pytest.StashKey[LazyPki]()


def session_pki(config) -> Pki:
    return config.stash[PKI_KEY].get()
