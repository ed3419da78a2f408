/* A tiny header-only unit-test framework for tlsmatrix's C units.
 *
 *   #include "unit.h"
 *   static void test_parse(void) { UNIT_EQ_INT(add(1, 2), 3); }
 *   UNIT_MAIN("math") { test_parse(); }
 *
 * Every check counts as one pass or one failure. A failure prints "file:line: message" (and the
 * current context, see unit_context) to stderr and the run goes on, so one run shows every broken
 * case. At the end exactly one line goes to stdout, "<name>: N passed, N failed" (CI parses that
 * shape), and the exit status is non-zero when anything failed.
 *
 * If you write your own main() instead of UNIT_MAIN, call unit_begin(name) first and
 * `return unit_finish();` last. */
#ifndef TLSM_UNIT_H
#define TLSM_UNIT_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct unit_state {
    const char *suite;
    long passed, failed;
    char context[256]; /* names the table row under test, printed with each failure */
} unit_state;

static unit_state unit_global = {"unit", 0, 0, ""};

static inline void unit_begin(const char *suite)
{
    unit_global.suite = suite;
}

/* Optional: say which case is running ("case 12: \"tcp://x:1\""), cleared with unit_context(NULL). */
static inline __attribute__((format(printf, 1, 2))) void unit_context(const char *fmt, ...)
{
    unit_global.context[0] = '\0';
    if (fmt == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(unit_global.context, sizeof unit_global.context, fmt, ap);
    va_end(ap);
}

/* Records one check; returns ok so a test can stop early when a later check would be meaningless. */
static inline __attribute__((format(printf, 4, 5))) int
unit_check_at(const char *file, int line, int ok, const char *fmt, ...)
{
    if (ok) {
        unit_global.passed++;
        return 1;
    }
    unit_global.failed++;
    fprintf(stderr, "%s:%d: ", file, line);
    if (unit_global.context[0] != '\0')
        fprintf(stderr, "[%s] ", unit_global.context);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 0;
}

static inline int unit_eq_str_at(const char *file, int line, const char *expr, const char *actual,
                                 const char *expected)
{
    int ok = actual == expected || (actual != NULL && expected != NULL && strcmp(actual, expected) == 0);
    return unit_check_at(file, line, ok, "%s is \"%s\", expected \"%s\"", expr,
                         actual ? actual : "(null)", expected ? expected : "(null)");
}

static inline int unit_contains_at(const char *file, int line, const char *expr,
                                   const char *haystack, const char *needle)
{
    int ok = haystack != NULL && needle != NULL && strstr(haystack, needle) != NULL;
    return unit_check_at(file, line, ok, "%s is \"%s\", which does not contain \"%s\"", expr,
                         haystack ? haystack : "(null)", needle ? needle : "(null)");
}

static inline int unit_eq_int_at(const char *file, int line, const char *expr, long long actual,
                                 long long expected)
{
    return unit_check_at(file, line, actual == expected, "%s is %lld, expected %lld", expr, actual,
                         expected);
}

/* Prints the closing line and gives main() its exit status. */
static inline int unit_finish(void)
{
    printf("%s: %ld passed, %ld failed\n", unit_global.suite, unit_global.passed,
           unit_global.failed);
    fflush(stdout);
    return unit_global.failed > 0;
}

/* UNIT_CHECK(cond, fmt, ...): the message says what was wrong, in the test's words. */
#define UNIT_CHECK(cond, ...) unit_check_at(__FILE__, __LINE__, (cond) ? 1 : 0, __VA_ARGS__)
#define UNIT_EQ_STR(actual, expected)                                                          \
    unit_eq_str_at(__FILE__, __LINE__, #actual, (actual), (expected))
#define UNIT_EQ_INT(actual, expected)                                                          \
    unit_eq_int_at(__FILE__, __LINE__, #actual, (long long)(actual), (long long)(expected))
#define UNIT_CONTAINS(haystack, needle)                                                        \
    unit_contains_at(__FILE__, __LINE__, #haystack, (haystack), (needle))

/* Defines main(): UNIT_MAIN("url") { test_a(); test_b(); } */
#define UNIT_MAIN(suite)                                                                       \
    static void unit_run_all(void);                                                            \
    int main(void)                                                                             \
    {                                                                                          \
        unit_begin(suite);                                                                     \
        unit_run_all();                                                                        \
        return unit_finish();                                                                  \
    }                                                                                          \
    static void unit_run_all(void)

#endif
