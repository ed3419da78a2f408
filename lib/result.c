#include "result.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "version.h"

void tlsm_record_init(tlsm_record *r, const char *side, const char *impl, const char *lib_version)
{
    memset(r, 0, sizeof *r);
    r->side = side;
    snprintf(r->impl, sizeof r->impl, "%s", impl);
    r->lib_version = lib_version;
    r->close_notify = -1;
    r->proto = TLSM_PROTO_ECHO;
    tlsm_mail_outcome_init(&r->mail);
    tlsm_error_clear(&r->err);
}

void tlsm_record_clear(tlsm_record *r)
{
    tlsm_session_info_clear(&r->session);
}

static void put_string_or_null(tlsm_jw *w, const char *key, const char *value, int applies)
{
    tlsm_jw_key(w, key);
    if (applies && value != NULL && value[0] != '\0')
        tlsm_jw_string(w, value);
    else
        tlsm_jw_null(w);
}

static void put_transcript(tlsm_jw *w, const tlsm_record *r)
{
    tlsm_jw_key(w, "transcript");
    if (!r->tls) {
        tlsm_jw_null(w);
        return;
    }
    tlsm_jw_begin_array(w);
    for (int i = 0; i < r->transcript.n; i++) {
        char unnamed[32];
        const tlsm_hs_msg *m = &r->transcript.msgs[i];
        tlsm_jw_begin_object(w);
        tlsm_jw_key(w, "from");
        tlsm_jw_string(w, m->from_server ? "server" : "client");
        tlsm_jw_key(w, "msg");
        tlsm_jw_string(w, tlsm_hs_name(m->type, unnamed, sizeof unnamed));
        tlsm_jw_end_object(w);
    }
    tlsm_jw_end_array(w);
}

static void put_peer(tlsm_jw *w, const tlsm_record *r)
{
    const tlsm_session_info *s = &r->session;
    put_string_or_null(w, "peer_subject", s->peer_subject, r->tls);
    tlsm_jw_key(w, "peer_sans");
    if (r->tls && s->peer_subject[0] != '\0') {
        tlsm_jw_begin_array(w);
        for (int i = 0; i < s->n_peer_sans; i++)
            tlsm_jw_string(w, s->peer_sans[i]);
        tlsm_jw_end_array(w);
    } else {
        tlsm_jw_null(w);
    }
    put_string_or_null(w, "alpn", s->alpn, r->tls);
    put_string_or_null(w, "sni", s->sni, r->tls);
    put_string_or_null(w, "peer_cert", s->peer_cert_pem, r->tls);
}

static void put_close_notify(tlsm_jw *w, int close_notify)
{
    tlsm_jw_key(w, "close_notify");
    if (close_notify < 0)
        tlsm_jw_null(w);
    else
        tlsm_jw_bool(w, close_notify);
}

static void put_starttls(tlsm_jw *w, const tlsm_record *r)
{
    tlsm_jw_key(w, "proto");
    tlsm_jw_string(w, tlsm_proto_name(r->proto));
    tlsm_jw_key(w, "starttls");
    if (!r->starttls) {
        tlsm_jw_null(w);
        return;
    }
    tlsm_jw_begin_object(w);
    tlsm_jw_key(w, "offered");
    if (r->mail.offered < 0)
        tlsm_jw_null(w);
    else
        tlsm_jw_bool(w, r->mail.offered);
    tlsm_jw_key(w, "upgraded");
    tlsm_jw_bool(w, r->mail.upgraded);
    tlsm_jw_key(w, "discarded");
    if (r->mail.discarded < 0)
        tlsm_jw_null(w);
    else
        tlsm_jw_int(w, r->mail.discarded);
    tlsm_jw_end_object(w);
}

static void put_port(tlsm_jw *w, const char *key, int port)
{
    tlsm_jw_key(w, key);
    if (port > 0)
        tlsm_jw_int(w, port);
    else
        tlsm_jw_null(w);
}

void tlsm_record_write(const tlsm_record *r, FILE *out)
{
    int ok = r->err.cls == TLSM_OK;
    tlsm_jw w;
    tlsm_jw_init(&w);
    tlsm_jw_begin_object(&w);
    put_string_or_null(&w, "side", r->side, 1);
    put_string_or_null(&w, "impl", r->impl, 1);
    put_string_or_null(&w, "lib_version", r->lib_version, 1);
    put_string_or_null(&w, "id", r->id, 1);
    put_string_or_null(&w, "url", r->url, 1);
    put_string_or_null(&w, "transport", r->transport, 1);
    tlsm_jw_key(&w, "ok");
    tlsm_jw_bool(&w, ok);
    tlsm_jw_key(&w, "stage");
    tlsm_jw_string(&w, tlsm_stage_name(r->err.stage));
    put_string_or_null(&w, "error", tlsm_class_name(r->err.cls), !ok);
    put_string_or_null(&w, "detail", r->err.detail, 1);
    put_string_or_null(&w, "version", tlsm_version_name(r->session.version), r->tls);
    put_string_or_null(&w, "cipher", r->session.cipher, r->tls);
    put_peer(&w, r);
    put_transcript(&w, r);
    put_close_notify(&w, r->close_notify);
    put_starttls(&w, r);
    put_port(&w, "local_port", r->local_port);
    put_port(&w, "peer_port", r->peer_port);
    tlsm_jw_key(&w, "ms");
    tlsm_jw_double(&w, r->ms);
    tlsm_jw_end_object(&w);

    flockfile(out);
    fwrite(w.buf, 1, w.len, out);
    fputc('\n', out);
    fflush(out);
    funlockfile(out);
    tlsm_jw_free(&w);
}
