/* What every backend shares that is not a library call: session info and declared capabilities. */
#include "backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

void tlsm_session_info_clear(tlsm_session_info *s)
{
    free(s->peer_cert_pem);
    memset(s, 0, sizeof *s);
}

void tlsm_backend_print_caps(const tlsm_backend *b, void *file)
{
    static const struct {
        unsigned cap;
        tlsm_version version;
    } versions[] = {
        {TLSM_CAP_SSL2, TLSM_VER_SSL2},     {TLSM_CAP_SSL3, TLSM_VER_SSL3},
        {TLSM_CAP_TLS1_0, TLSM_VER_TLS1_0}, {TLSM_CAP_TLS1_1, TLSM_VER_TLS1_1},
        {TLSM_CAP_TLS1_2, TLSM_VER_TLS1_2}, {TLSM_CAP_TLS1_3, TLSM_VER_TLS1_3},
    };
    static const struct {
        unsigned cap;
        const char *name;
    } features[] = {{TLSM_CAP_ED25519, "ed25519"}, {TLSM_CAP_DER, "der"}, {TLSM_CAP_CAPATH, "capath"}};
    char impl[64];
    snprintf(impl, sizeof impl, "reference-%s", b->name);
    tlsm_jw w;
    tlsm_jw_init(&w);
    tlsm_jw_begin_object(&w);
    tlsm_jw_key(&w, "impl");
    tlsm_jw_string(&w, impl);
    tlsm_jw_key(&w, "lib_version");
    tlsm_jw_string(&w, b->lib_version());
    tlsm_jw_key(&w, "versions");
    tlsm_jw_begin_array(&w);
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++)
        if (b->caps & versions[i].cap)
            tlsm_jw_string(&w, tlsm_version_name(versions[i].version));
    tlsm_jw_end_array(&w);
    for (size_t i = 0; i < sizeof features / sizeof features[0]; i++) {
        tlsm_jw_key(&w, features[i].name);
        tlsm_jw_bool(&w, (b->caps & features[i].cap) != 0);
    }
    tlsm_jw_end_object(&w);
    fprintf(file, "%s\n", w.buf);
    tlsm_jw_free(&w);
}
