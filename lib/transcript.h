/* The handshake transcript: the messages of a handshake in the order this side saw them. */
#ifndef TLSM_TRANSCRIPT_H
#define TLSM_TRANSCRIPT_H

#define TLSM_TRANSCRIPT_MAX 64

/* TLS HandshakeType values (RFC 8446 §4, RFC 5246 §7.4) plus a pseudo type for the
 * ChangeCipherSpec record, which is not a handshake message but belongs in the seed order. */
enum {
    TLSM_HS_HELLO_REQUEST = 0,
    TLSM_HS_CLIENT_HELLO = 1,
    TLSM_HS_SERVER_HELLO = 2,
    TLSM_HS_NEW_SESSION_TICKET = 4,
    TLSM_HS_END_OF_EARLY_DATA = 5,
    TLSM_HS_ENCRYPTED_EXTENSIONS = 8,
    TLSM_HS_CERTIFICATE = 11,
    TLSM_HS_SERVER_KEY_EXCHANGE = 12,
    TLSM_HS_CERTIFICATE_REQUEST = 13,
    TLSM_HS_SERVER_HELLO_DONE = 14,
    TLSM_HS_CERTIFICATE_VERIFY = 15,
    TLSM_HS_CLIENT_KEY_EXCHANGE = 16,
    TLSM_HS_FINISHED = 20,
    TLSM_HS_CERTIFICATE_STATUS = 22,
    TLSM_HS_KEY_UPDATE = 24,
    TLSM_HS_CHANGE_CIPHER_SPEC = 0x114, /* pseudo: record content type 20 */
};

typedef struct tlsm_hs_msg {
    int type;        /* TLSM_HS_* (or any other HandshakeType value) */
    int from_server; /* 1: sent by the server, 0: by the client (absolute, not "sent by me") */
} tlsm_hs_msg;

typedef struct tlsm_transcript {
    tlsm_hs_msg msgs[TLSM_TRANSCRIPT_MAX];
    int n;
    int overflow; /* messages dropped after TLSM_TRANSCRIPT_MAX */
} tlsm_transcript;

void tlsm_transcript_add(tlsm_transcript *t, int type, int from_server);
/* "ClientHello" … ; "HandshakeType(N)" for values without a name (into buf). */
const char *tlsm_hs_name(int type, char *buf, unsigned long len);

#endif
