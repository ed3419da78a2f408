"""Sample records for the harness's own tests (shaped like the binaries' output)."""

import copy

CLIENT_OK = {
    "side": "client", "impl": "reference-openssl", "lib_version": "OpenSSL 3.0.19",
    "url": "tls://127.0.0.1:40000", "transport": "tls", "ok": True, "stage": "close",
    "error": None, "detail": None, "version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384",
    "peer_subject": "CN=localhost,O=tlsmatrix",
    "peer_sans": ["DNS:localhost", "IP:127.0.0.1", "IP:::1", "DNS:server.test"],
    "alpn": None, "sni": None,
    "transcript": [
        {"from": "client", "msg": "ClientHello"}, {"from": "server", "msg": "ServerHello"},
        {"from": "server", "msg": "ChangeCipherSpec"},
        {"from": "server", "msg": "EncryptedExtensions"}, {"from": "server", "msg": "Certificate"},
        {"from": "server", "msg": "CertificateVerify"}, {"from": "server", "msg": "Finished"},
        {"from": "client", "msg": "ChangeCipherSpec"}, {"from": "client", "msg": "Finished"},
        {"from": "server", "msg": "NewSessionTicket"},
        {"from": "server", "msg": "NewSessionTicket"},
    ],
    "close_notify": True, "local_port": 51000, "peer_port": 40000, "ms": 12.5,
}


def client(**changes):
    rec = copy.deepcopy(CLIENT_OK)
    rec.update(changes)
    return rec


def server(**changes):
    rec = copy.deepcopy(CLIENT_OK)
    rec.update(side="server", local_port=40000, peer_port=51000, peer_sans=None,
               peer_subject=None, sni="localhost",
               transcript=[m for m in rec["transcript"] if m["msg"] != "ChangeCipherSpec"])
    rec.update(changes)
    return rec
