/* libFuzzer target: option assignments ("name=value") must never crash or leak, and a rejected
 * one is always config.bad_option with a message. Byte 0 picks the side. */
#include <stdlib.h>
#include <string.h>

#include "options.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1)
        return 0;
    char *text = malloc(size);
    if (text == NULL)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    tlsm_options o;
    tlsm_options_init(&o);
    tlsm_error e;
    tlsm_error_clear(&e);
    if (tlsm_options_set(&o, (data[0] & 1) ? TLSM_SERVER : TLSM_CLIENT, text, &e) != 0 &&
        (e.cls != TLSM_E_CONFIG_BAD_OPTION || e.detail[0] == '\0'))
        abort();
    tlsm_options_free(&o);
    free(text);
    return 0;
}
