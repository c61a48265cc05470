/* CSV cells for Excel (see excel.h). */
#include "nlp/excel.h"

#include <string.h>

/* The first characters of a cell that Excel runs, and the mark itself. */
static const char MARKED[] = "=+-@\t\r'";

int nlp_excel_cell(FILE *f, const char *text, int last)
{
	const char *s = text ? text : "";
	int bad = fputc('"', f) == EOF;
	if (*s && strchr(MARKED, *s))
		bad |= fputc('\'', f) == EOF;
	for (; *s; s++) {
		if (*s == '"')
			bad |= fputc('"', f) == EOF;
		bad |= fputc(*s, f) == EOF;
	}
	bad |= fputc('"', f) == EOF;
	bad |= fputs(last ? "\r\n" : ",", f) == EOF;
	return bad ? -1 : 0;
}

size_t nlp_excel_mark(const char *cell, size_t len)
{
	return len >= 2 && cell[0] == '\'' && cell[1] && strchr(MARKED, cell[1]) ? 1 : 0;
}
