/* units.h - sizes and CPU amounts as kiemthu-sandbox's options take them. */
#ifndef KT_UNITS_H
#define KT_UNITS_H

#include <stdint.h>

/* "256m", "4096", "1g", "1gb": digits with an optional k/m/g (binary) and an
 * optional b after it; -1 on anything else or overflow. */
int kt_parse_size(const char *s, uint64_t *out);
/* CPUs ("1", "0.5") as thousandths, > 0 and at most 1e6 CPUs; -1 otherwise. */
int kt_parse_millis(const char *s, uint64_t *out);

#endif
