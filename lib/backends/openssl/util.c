/* Small helpers the other files of the OpenSSL backend share: bounded string copies,
 * OpenSSL's error queue as text, and names in the RFC 2253 form records use. */
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "internal.h"

void copy_string(char *dst, size_t size, const char *src, size_t len)
{
    if (size == 0)
        return;
    if (len >= size)
        len = size - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* Pops every error of this thread's queue into "error:…; error:…" (OpenSSL's own words, with the
 * extra data some errors carry, such as "SSL alert number 48"). Returns how many there were; the
 * packed codes go to codes[] (up to max) for classification. */
int drain_errors(char *text, size_t text_len, unsigned long *codes, int max)
{
    int n = 0;
    size_t used = 0;
    const char *data = NULL;
    int flags = 0;
    unsigned long code;
    if (text_len > 0)
        text[0] = '\0';
    while ((code = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
        char one[256];
        ERR_error_string_n(code, one, sizeof one);
        if (codes != NULL && n < max)
            codes[n] = code;
        n++;
        if (used + 1 >= text_len)
            continue;
        int w = snprintf(text + used, text_len - used, "%s%s", used > 0 ? "; " : "", one);
        if (w > 0)
            used += (size_t)w < text_len - used ? (size_t)w : text_len - used - 1;
        if ((flags & ERR_TXT_STRING) && data != NULL && data[0] != '\0' && used + 1 < text_len) {
            w = snprintf(text + used, text_len - used, " (%s)", data);
            if (w > 0)
                used += (size_t)w < text_len - used ? (size_t)w : text_len - used - 1;
        }
    }
    return n;
}

/* Appends what OpenSSL said (if anything) to e's detail and empties the queue. */
void append_openssl_errors(tlsm_error *e)
{
    char text[TLSM_DETAIL_MAX];
    if (drain_errors(text, sizeof text, NULL, 0) > 0 && e != NULL)
        tlsm_error_append(e, "%s", text);
}

/* "CN=localhost,O=tlsmatrix": RFC 4514 order (most specific first), UTF-8 kept as is. */
void name_to_text(const X509_NAME *name, char *out, size_t len)
{
    out[0] = '\0';
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL)
        return;
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        char *data = NULL;
        long n = BIO_get_mem_data(bio, &data);
        if (n > 0 && data != NULL)
            copy_string(out, len, data, (size_t)n);
    }
    BIO_free(bio);
}
