/* One hexadecimal digit's value: shared by the JSON reader (\u escapes), the peer_fingerprint
 * parser and the URL grammar (IPv6 and percent-escapes). */
#ifndef TLSM_HEX_H
#define TLSM_HEX_H

/* 0-15, or -1 when ch is not a hex digit (either case). */
static inline int tlsm_hex_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

#endif
