/* Minimal JSON: a writer for result records and a reader for --batch case lines.
 * The reader accepts one object whose values are strings, numbers, booleans, null or arrays of
 * strings: exactly what a case line holds. Anything else is rejected with a message. */
#ifndef TLSM_JSON_H
#define TLSM_JSON_H

#include <stddef.h>

/* ---- writer: appends to a growable buffer; out-of-memory aborts (records are small) ---- */
typedef struct tlsm_jw {
    char *buf;
    size_t len, cap;
    int need_comma;
} tlsm_jw;

void tlsm_jw_init(tlsm_jw *w);
void tlsm_jw_free(tlsm_jw *w);
void tlsm_jw_begin_object(tlsm_jw *w);
void tlsm_jw_end_object(tlsm_jw *w);
void tlsm_jw_key(tlsm_jw *w, const char *key);
void tlsm_jw_begin_array(tlsm_jw *w);
void tlsm_jw_end_array(tlsm_jw *w);
void tlsm_jw_string(tlsm_jw *w, const char *s); /* NULL writes null */
void tlsm_jw_int(tlsm_jw *w, long long v);
void tlsm_jw_double(tlsm_jw *w, double v);
void tlsm_jw_bool(tlsm_jw *w, int v);
void tlsm_jw_null(tlsm_jw *w);

/* ---- reader ---- */
#define TLSM_JSON_MAX_ARGS 128

typedef struct tlsm_case_line {
    char *id;                          /* "id" (optional) */
    char *args[TLSM_JSON_MAX_ARGS + 1]; /* "args": argv without the program name, NULL-terminated */
    int n_args;
} tlsm_case_line;

/* Parses {"id": "...", "args": ["...", ...]}. Returns 0, or -1 with a message in err.
 * Call tlsm_case_line_free afterwards in both cases (a failed parse may hold partial args). */
int tlsm_case_line_parse(const char *text, tlsm_case_line *out, char *err, size_t err_len);
void tlsm_case_line_free(tlsm_case_line *c);

#endif
