/* Redaction of personal data: what a resident typed, with e-mail addresses,
 * dates, phone, ticket and other numbers, postal addresses and names replaced
 * by placeholders, before anything stores it. Linear time on any input. */
#ifndef NLP_REDACT_H
#define NLP_REDACT_H

#include <stddef.h>

#include "nlp/mg.h"

/* The placeholders. They start with '<', which no phrasing of the knowledge
 * base may hold (chatbot/curate.c refuses a logged question still holding one). */
#define NLP_REDACT_EMAIL   "<EMAIL>"
#define NLP_REDACT_DATE    "<DATE>"     /* a date with its year: birth dates */
#define NLP_REDACT_PHONE   "<PHONE>"
#define NLP_REDACT_TICKET  "<TICKET>"   /* the 10-digit number of a vaccination ticket */
#define NLP_REDACT_NUMBER  "<NUMBER>"   /* insurance symbols and numbers, other long numbers */
#define NLP_REDACT_ADDRESS "<ADDRESS>"  /* a postal code, a place with its block number */
#define NLP_REDACT_NAME    "<NAME>"

/* The output is at most this many times as long as the input (plus its NUL):
 * the longest placeholder, should it replace a single byte. */
#define NLP_REDACT_MAX_GROWTH (sizeof NLP_REDACT_ADDRESS - 1)

/* Replaces the personal data in len bytes of normalised text (nlp_normalise:
 * full-width, circled and superscript digits are ASCII by then; another
 * script's digits, ١٩٤٥ or ०९०, are read as their values) with the
 * placeholders above; everything else is kept byte for byte. Any bytes are
 * safe and take time linear in len. *out is malloc'd and NUL-terminated, the
 * caller frees it; *out_len (when out_len is not NULL) gets its length. */
int nlp_redact(const char *text, size_t len, char **out, size_t *out_len, char *err);

#endif
