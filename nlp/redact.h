/* Redaction of personal data: what a resident typed, with e-mail addresses,
 * dates, phone, ticket and other numbers and names replaced by placeholders,
 * before anything stores it. */
#ifndef NLP_REDACT_H
#define NLP_REDACT_H

#include <stddef.h>

#include "nlp/mg.h"

/* Replaces personal data in normalised text (nlp_normalise) with <EMAIL>,
 * <DATE>, <PHONE>, <TICKET>, <NUMBER> and <NAME>. *out is malloc'd and
 * NUL-terminated, the caller frees it; *out_len (when out_len is not NULL)
 * gets its length. */
int nlp_redact(const char *text, size_t len, char **out, size_t *out_len, char *err);

#endif
