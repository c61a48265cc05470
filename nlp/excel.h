/* CSV cells for Excel. A cell whose text starts with = + - @ (or a tab or
 * carriage return) is one Excel runs as a formula: such a cell starts with an
 * apostrophe instead (OWASP's CSV injection advice), which Excel shows as
 * text. A text that starts with an apostrophe gets one more, so that a file
 * read back (nlp_excel_mark) gives every text exactly as it was. Files start
 * with the BOM, without which Excel reads UTF-8 as CP932. */
#ifndef NLP_EXCEL_H
#define NLP_EXCEL_H

#include <stdio.h>

#define NLP_EXCEL_BOM "\xEF\xBB\xBF"

/* Writes text as one quoted cell, neutralised, then "," or (last) CRLF.
 * Returns 0, or -1 when the write failed. */
int nlp_excel_cell(FILE *f, const char *text, int last);
/* The bytes at the start of a cell of len bytes that nlp_excel_cell added
 * (1 for its apostrophe, else 0): what an importer skips. */
size_t nlp_excel_mark(const char *cell, size_t len);

#endif
