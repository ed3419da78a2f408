/* Names the backend this binary is built for; compiled once per library with -DTLSM_BACKEND. */
#include "backend.h"

const tlsm_backend *const tlsm_selected_backend = &TLSM_BACKEND;
