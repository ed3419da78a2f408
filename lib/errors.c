#include "errors.h"

#include <stdio.h>
#include <string.h>

#define TLSM_X_NAME(id, name) name,
static const char *const class_names[] = {TLSM_ERROR_CLASSES(TLSM_X_NAME)};
static const char *const stage_names[] = {TLSM_STAGES(TLSM_X_NAME)};
#undef TLSM_X_NAME

const char *tlsm_class_name(tlsm_class cls)
{
    if ((unsigned)cls >= TLSM_CLASS_COUNT)
        return "internal";
    return class_names[cls];
}

const char *tlsm_stage_name(tlsm_stage stage)
{
    if ((unsigned)stage >= TLSM_STAGE_COUNT)
        return "none";
    return stage_names[stage];
}

int tlsm_class_from_name(const char *name)
{
    for (int i = 0; i < TLSM_CLASS_COUNT; i++)
        if (strcmp(class_names[i], name) == 0)
            return i;
    return -1;
}

void tlsm_error_clear(tlsm_error *e)
{
    e->cls = TLSM_OK;
    e->stage = TLSM_STAGE_NONE;
    e->detail[0] = '\0';
}

static void set_error(tlsm_error *e, tlsm_class cls, tlsm_stage stage, const char *fmt, va_list ap)
{
    e->cls = cls;
    e->stage = stage;
    vsnprintf(e->detail, sizeof e->detail, fmt, ap);
}

int tlsm_fail(tlsm_error *e, tlsm_class cls, tlsm_stage stage, const char *fmt, ...)
{
    if (e == NULL || e->cls != TLSM_OK)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    set_error(e, cls, stage, fmt, ap);
    va_end(ap);
    return -1;
}

int tlsm_fail_replace(tlsm_error *e, tlsm_class cls, tlsm_stage stage, const char *fmt, ...)
{
    if (e == NULL)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    set_error(e, cls, stage, fmt, ap);
    va_end(ap);
    return -1;
}

void tlsm_error_append(tlsm_error *e, const char *fmt, ...)
{
    size_t used = strlen(e->detail);
    if (used + 3 >= sizeof e->detail)
        return;
    if (used > 0) {
        memcpy(e->detail + used, "; ", 3);
        used += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->detail + used, sizeof e->detail - used, fmt, ap);
    va_end(ap);
}
