/* CSV cells for Excel (see excel.h). */
#include "nlp/excel.h"

#include <string.h>

int nlp_excel_cell(FILE *f, const char *text, int last)
{
	const char *s = text ? text : "";
	int bad = fputc('"', f) == EOF;
	if (*s && strchr("=+-@\t\r", *s))
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
