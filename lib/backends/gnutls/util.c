/* Small helpers every other file of the GnuTLS backend uses: a string copy, GnuTLS's error
 * words in a detail, and whole-file reads for credentials and trust. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_FILE_BYTES (16 * 1024 * 1024) /* cert/key/CA files larger than this are refused */

char *dup_str(const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

/* Appends the GnuTLS error text and its symbolic name, e.g. "Decryption has failed.
 * (GNUTLS_E_DECRYPTION_FAILED)", so the detail keeps the library's own words. */
void append_gnutls_error(tlsm_error *e, int ret)
{
    const char *name = gnutls_strerror_name(ret);
    tlsm_error_append(e, "gnutls: %s (%s)", gnutls_strerror(ret), name ? name : "?");
}

int fail_gnutls(tlsm_error *e, tlsm_class cls, tlsm_stage stage, int ret, const char *what)
{
    if (e == NULL || e->cls != TLSM_OK)
        return -1;
    tlsm_fail(e, cls, stage, "%s", what);
    append_gnutls_error(e, ret);
    return -1;
}

/* Reads a whole (small) file. On failure writes the reason into why. */
int read_file(const char *path, gnutls_datum_t *out, char *why, size_t why_len)
{
    out->data = NULL;
    out->size = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(why, why_len, "%s", strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    unsigned char *buf = malloc(cap + 1);
    while (buf != NULL) {
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (len < cap)
            break;
        if (cap >= MAX_FILE_BYTES) {
            free(buf);
            buf = NULL;
            snprintf(why, why_len, "file larger than %d bytes", MAX_FILE_BYTES);
            fclose(f);
            return -1;
        }
        cap *= 2;
        unsigned char *bigger = realloc(buf, cap + 1);
        if (bigger == NULL) {
            free(buf);
            buf = NULL;
        }
        buf = bigger;
    }
    int read_error = ferror(f);
    fclose(f);
    if (buf == NULL) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    if (read_error) {
        free(buf);
        snprintf(why, why_len, "read error");
        return -1;
    }
    buf[len] = '\0'; /* lets PEM checks use strstr */
    out->data = buf;
    out->size = (unsigned)len;
    return 0;
}

int has_text(const gnutls_datum_t *d, const char *needle)
{
    return d->data != NULL && strstr((const char *)d->data, needle) != NULL;
}

int is_pem(const gnutls_datum_t *d)
{
    return has_text(d, "-----BEGIN ");
}
