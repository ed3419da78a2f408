#include "transcript.h"

#include <stdio.h>

void tlsm_transcript_add(tlsm_transcript *t, int type, int from_server)
{
    if (t->n >= TLSM_TRANSCRIPT_MAX) {
        t->overflow++;
        return;
    }
    t->msgs[t->n].type = type;
    t->msgs[t->n].from_server = from_server;
    t->n++;
}

const char *tlsm_hs_name(int type, char *buf, unsigned long len)
{
    switch (type) {
    case TLSM_HS_HELLO_REQUEST: return "HelloRequest";
    case TLSM_HS_CLIENT_HELLO: return "ClientHello";
    case TLSM_HS_SERVER_HELLO: return "ServerHello";
    case 3: return "HelloVerifyRequest";
    case TLSM_HS_NEW_SESSION_TICKET: return "NewSessionTicket";
    case TLSM_HS_END_OF_EARLY_DATA: return "EndOfEarlyData";
    case 6: return "HelloRetryRequest";
    case TLSM_HS_ENCRYPTED_EXTENSIONS: return "EncryptedExtensions";
    case TLSM_HS_CERTIFICATE: return "Certificate";
    case TLSM_HS_SERVER_KEY_EXCHANGE: return "ServerKeyExchange";
    case TLSM_HS_CERTIFICATE_REQUEST: return "CertificateRequest";
    case TLSM_HS_SERVER_HELLO_DONE: return "ServerHelloDone";
    case TLSM_HS_CERTIFICATE_VERIFY: return "CertificateVerify";
    case TLSM_HS_CLIENT_KEY_EXCHANGE: return "ClientKeyExchange";
    case TLSM_HS_FINISHED: return "Finished";
    case 21: return "CertificateURL";
    case TLSM_HS_CERTIFICATE_STATUS: return "CertificateStatus";
    case TLSM_HS_KEY_UPDATE: return "KeyUpdate";
    case 254: return "MessageHash";
    case TLSM_HS_CHANGE_CIPHER_SPEC: return "ChangeCipherSpec";
    default:
        snprintf(buf, len, "HandshakeType(%d)", type);
        return buf;
    }
}
