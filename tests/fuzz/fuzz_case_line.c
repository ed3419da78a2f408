/* libFuzzer target: the --batch case-line reader must never crash or leak, and a parsed line
 * always has a URL argument. */
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    tlsm_case_line c;
    char err[256];
    if (tlsm_case_line_parse(text, &c, err, sizeof err) == 0) {
        if (c.n_args < 1 || c.args[0] == NULL || c.args[c.n_args] != NULL)
            abort();
    } else if (err[0] == '\0') {
        abort();
    }
    tlsm_case_line_free(&c);
    free(text);
    return 0;
}
