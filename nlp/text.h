/* The files staff keep in Excel, read as text: the encoding they were saved
 * in is found and turned into UTF-8 before any parser sees them. Shared by
 * every importer (the knowledge base, the booking set-up files). */
#ifndef NLP_TEXT_H
#define NLP_TEXT_H

#include <stddef.h>

#include "nlp/mg.h"

/* The bytes of a file staff saved as text, as UTF-8: a UTF-8 BOM is dropped,
 * valid UTF-8 is taken as it is, anything else is read as CP932 (what Excel
 * saves as "CSV" on a Japanese Windows). *out is malloc'd and NUL-terminated
 * (the caller frees it); it is NULL on failure. Bytes that are neither give
 * MG_ERR_UTF8 and err names the line of the first one. */
/* Whether len bytes of s are valid UTF-8 (NUL bytes included). */
int nlp_is_utf8(const char *s, size_t len);

int nlp_text_decode(const char *data, size_t len, char **out, size_t *out_len, char *err);

#endif
