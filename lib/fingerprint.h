/* peer_fingerprint's text: "hex" (the digest named by its length: 32 hex digits md5, 40 sha1,
 * 64 sha256) or "algo:hex" (PHP's array form ['sha256' => hex] in one string). Hex in either
 * case, colons between bytes allowed. Parsed once here; each backend only computes the digest. */
#ifndef TLSM_FINGERPRINT_H
#define TLSM_FINGERPRINT_H

#include "errors.h"

#define TLSM_FINGERPRINT_MAX 64 /* sha512 */

typedef struct tlsm_fingerprint {
    char algo[8];   /* "md5", "sha1", "sha224", "sha256", "sha384", "sha512" */
    unsigned char digest[TLSM_FINGERPRINT_MAX];
    unsigned len;   /* bytes in digest, checked against the algorithm's size */
} tlsm_fingerprint;

/* 0, or -1 with config.bad_option (stage config) naming what is wrong. */
int tlsm_fingerprint_parse(const char *text, tlsm_fingerprint *out, tlsm_error *e);

#endif
