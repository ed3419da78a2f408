#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"

/* ------------------------------------------------------------------ writer */

static void jw_reserve(tlsm_jw *w, size_t more)
{
    if (w->len + more + 1 <= w->cap)
        return;
    size_t cap = w->cap ? w->cap : 512;
    while (cap < w->len + more + 1)
        cap *= 2;
    char *grown = realloc(w->buf, cap);
    if (grown == NULL) {
        fputs("tlsmatrix: out of memory writing a JSON record\n", stderr);
        abort();
    }
    w->buf = grown;
    w->cap = cap;
}

static void jw_raw(tlsm_jw *w, const char *s, size_t n)
{
    jw_reserve(w, n);
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void jw_value_prefix(tlsm_jw *w)
{
    if (w->need_comma)
        jw_raw(w, ",", 1);
    w->need_comma = 1;
}

void tlsm_jw_init(tlsm_jw *w)
{
    memset(w, 0, sizeof *w);
    jw_reserve(w, 0);
    w->buf[0] = '\0';
}

void tlsm_jw_free(tlsm_jw *w)
{
    free(w->buf);
    memset(w, 0, sizeof *w);
}

void tlsm_jw_begin_object(tlsm_jw *w)
{
    jw_value_prefix(w);
    jw_raw(w, "{", 1);
    w->need_comma = 0;
}

void tlsm_jw_end_object(tlsm_jw *w)
{
    jw_raw(w, "}", 1);
    w->need_comma = 1;
}

void tlsm_jw_begin_array(tlsm_jw *w)
{
    jw_value_prefix(w);
    jw_raw(w, "[", 1);
    w->need_comma = 0;
}

void tlsm_jw_end_array(tlsm_jw *w)
{
    jw_raw(w, "]", 1);
    w->need_comma = 1;
}

/* Escapes per RFC 8259 §7; bytes >= 0x80 pass through (library messages are ASCII or UTF-8). */
static void jw_quoted(tlsm_jw *w, const char *s)
{
    jw_raw(w, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        switch (*p) {
        case '"': jw_raw(w, "\\\"", 2); break;
        case '\\': jw_raw(w, "\\\\", 2); break;
        case '\n': jw_raw(w, "\\n", 2); break;
        case '\r': jw_raw(w, "\\r", 2); break;
        case '\t': jw_raw(w, "\\t", 2); break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                snprintf(esc, sizeof esc, "\\u%04x", *p);
                jw_raw(w, esc, 6);
            } else {
                jw_raw(w, (const char *)p, 1);
            }
        }
    }
    jw_raw(w, "\"", 1);
}

void tlsm_jw_key(tlsm_jw *w, const char *key)
{
    jw_value_prefix(w);
    jw_quoted(w, key);
    jw_raw(w, ":", 1);
    w->need_comma = 0;
}

void tlsm_jw_string(tlsm_jw *w, const char *s)
{
    if (s == NULL) {
        tlsm_jw_null(w);
        return;
    }
    jw_value_prefix(w);
    jw_quoted(w, s);
}

void tlsm_jw_int(tlsm_jw *w, long long v)
{
    char num[32];
    int n = snprintf(num, sizeof num, "%lld", v);
    jw_value_prefix(w);
    jw_raw(w, num, (size_t)n);
}

void tlsm_jw_double(tlsm_jw *w, double v)
{
    char num[48];
    int n = snprintf(num, sizeof num, "%.3f", v);
    jw_value_prefix(w);
    jw_raw(w, num, (size_t)n);
}

void tlsm_jw_bool(tlsm_jw *w, int v)
{
    jw_value_prefix(w);
    jw_raw(w, v ? "true" : "false", v ? 4 : 5);
}

void tlsm_jw_null(tlsm_jw *w)
{
    jw_value_prefix(w);
    jw_raw(w, "null", 4);
}

/* ------------------------------------------------------------------ reader */

typedef struct reader {
    const char *p;
    char *err;
    size_t err_len;
} reader;

static int read_fail(reader *r, const char *what)
{
    if (r->err[0] == '\0')
        snprintf(r->err, r->err_len, "%s", what);
    return -1;
}

static void skip_space(reader *r)
{
    while (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')
        r->p++;
}

/* Appends the UTF-8 form of a \uXXXX escape (surrogate pairs joined). */
static int read_unicode_escape(reader *r, char *out, size_t *n)
{
    unsigned cp = 0;
    for (int i = 0; i < 4; i++) {
        int h = tlsm_hex_value(r->p[i]);
        if (h < 0)
            return read_fail(r, "bad \\u escape in a string");
        cp = cp * 16 + (unsigned)h;
    }
    r->p += 4;
    if (cp >= 0xD800 && cp <= 0xDBFF && r->p[0] == '\\' && r->p[1] == 'u') {
        unsigned low = 0;
        for (int i = 0; i < 4; i++) {
            int h = tlsm_hex_value(r->p[2 + i]);
            if (h < 0)
                return read_fail(r, "bad \\u escape in a string");
            low = low * 16 + (unsigned)h;
        }
        if (low < 0xDC00 || low > 0xDFFF)
            return read_fail(r, "unpaired surrogate in a string");
        r->p += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
        return read_fail(r, "unpaired surrogate in a string");
    }
    if (cp == 0)
        return read_fail(r, "NUL character in a string");
    if (cp < 0x80) {
        out[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*n)++] = (char)(0xC0 | (cp >> 6));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out[(*n)++] = (char)(0xE0 | (cp >> 12));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[(*n)++] = (char)(0xF0 | (cp >> 18));
        out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
    return 0;
}

/* Reads a string; the result is malloc'd. An escape never yields more bytes than its source
 * text, so the input length bounds the output. */
static char *read_string(reader *r)
{
    if (*r->p != '"') {
        read_fail(r, "expected a string");
        return NULL;
    }
    r->p++;
    const char *end = r->p;
    while (*end && *end != '"') {
        if (*end == '\\' && end[1])
            end++;
        end++;
    }
    if (*end != '"') {
        read_fail(r, "unterminated string");
        return NULL;
    }
    char *out = malloc((size_t)(end - r->p) + 1);
    if (out == NULL) {
        read_fail(r, "out of memory");
        return NULL;
    }
    size_t n = 0;
    while (*r->p != '"') {
        unsigned char c = (unsigned char)*r->p++;
        if (c < 0x20) {
            free(out);
            read_fail(r, "control character in a string");
            return NULL;
        }
        if (c != '\\') {
            out[n++] = (char)c;
            continue;
        }
        char e = *r->p++;
        switch (e) {
        case '"': out[n++] = '"'; break;
        case '\\': out[n++] = '\\'; break;
        case '/': out[n++] = '/'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u':
            if (read_unicode_escape(r, out, &n) < 0) {
                free(out);
                return NULL;
            }
            break;
        default:
            free(out);
            read_fail(r, "unknown escape in a string");
            return NULL;
        }
    }
    r->p++;
    out[n] = '\0';
    return out;
}

static int read_args(reader *r, tlsm_case_line *c)
{
    r->p++; /* '[' */
    skip_space(r);
    if (*r->p == ']') {
        r->p++;
        return 0;
    }
    for (;;) {
        skip_space(r);
        if (c->n_args >= TLSM_JSON_MAX_ARGS)
            return read_fail(r, "too many \"args\" (at most 128)");
        if (*r->p != '"')
            return read_fail(r, "\"args\" must be an array of strings");
        char *arg = read_string(r);
        if (arg == NULL)
            return -1;
        c->args[c->n_args++] = arg;
        skip_space(r);
        if (*r->p == ',') {
            r->p++;
            continue;
        }
        if (*r->p == ']') {
            r->p++;
            return 0;
        }
        return read_fail(r, "expected ',' or ']' in \"args\"");
    }
}

/* Skips a scalar value of a key the reader does not use (forward compatibility). */
static int skip_scalar(reader *r)
{
    if (*r->p == '"') {
        char *s = read_string(r);
        if (s == NULL)
            return -1;
        free(s);
        return 0;
    }
    const char *start = r->p;
    while (*r->p && strchr(",} \t\r\n", *r->p) == NULL)
        r->p++;
    if (r->p == start)
        return read_fail(r, "expected a value");
    return 0;
}

static int read_member(reader *r, tlsm_case_line *c)
{
    char *key = read_string(r);
    if (key == NULL)
        return read_fail(r, "expected a key");
    skip_space(r);
    int rc = 0;
    if (*r->p != ':') {
        rc = read_fail(r, "expected ':' after a key");
    } else {
        r->p++;
        skip_space(r);
        if (strcmp(key, "args") == 0) {
            rc = *r->p == '[' ? read_args(r, c) : read_fail(r, "\"args\" must be an array");
        } else if (strcmp(key, "id") == 0) {
            free(c->id);
            c->id = NULL;
            if (*r->p != '"')
                rc = read_fail(r, "\"id\" must be a string");
            else
                rc = (c->id = read_string(r)) != NULL ? 0 : -1;
        } else if (*r->p == '[' || *r->p == '{') {
            rc = read_fail(r, "nested values are only allowed in \"args\"");
        } else {
            rc = skip_scalar(r);
        }
    }
    free(key);
    return rc;
}

int tlsm_case_line_parse(const char *text, tlsm_case_line *out, char *err, size_t err_len)
{
    reader r = {text, err, err_len};
    memset(out, 0, sizeof *out);
    err[0] = '\0';
    skip_space(&r);
    if (*r.p != '{')
        return read_fail(&r, "a case line must be a JSON object");
    r.p++;
    skip_space(&r);
    if (*r.p != '}') {
        for (;;) {
            skip_space(&r);
            if (read_member(&r, out) < 0)
                return -1;
            skip_space(&r);
            if (*r.p == ',') {
                r.p++;
                continue;
            }
            if (*r.p == '}')
                break;
            return read_fail(&r, "expected ',' or '}' in the case object");
        }
    }
    r.p++;
    skip_space(&r);
    if (*r.p != '\0')
        return read_fail(&r, "trailing characters after the case object");
    if (out->n_args == 0)
        return read_fail(&r, "the case has no \"args\" (at least the URL)");
    return 0;
}

void tlsm_case_line_free(tlsm_case_line *c)
{
    free(c->id);
    for (int i = 0; i < c->n_args; i++)
        free(c->args[i]);
    memset(c, 0, sizeof *c);
}
