/* libFuzzer harness for the date parsers (nlp/date.c): any bytes give a real
 * day or a refusal with its reason, never a crash or a read past the input;
 * a date it returns reads back as itself. A machine date (nlp_date_iso) is
 * only ever one the people's parser reads as the same day. */
#include "nlp/date.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char err[MG_ERR_LEN];
	struct nlp_date d, again;
	/* A copy of exactly size bytes: ASan sees any read past the end. */
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	int rc = nlp_date_parse(text, size, &d, err);
	free(text);
	/* the machine reader reads a NUL-terminated string */
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	int y, m, dd;
	if (nlp_date_iso(s, &y, &m, &dd) == MG_OK && strlen(s) == size &&  /* no NUL inside */
	    (size != NLP_DATE_LEN || rc != MG_OK || strcmp(d.iso, s) || y != d.year || m != d.month || dd != d.day))
		abort();
	free(s);
	if (rc == MG_OK) {
		if (d.why != NLP_DATE_OK || strlen(d.iso) != NLP_DATE_LEN ||
		    nlp_date_parse(d.iso, NLP_DATE_LEN, &again, err) != MG_OK || strcmp(again.iso, d.iso))
			abort();
	} else if (rc != MG_ERR_INPUT || d.why == NLP_DATE_OK || d.iso[0]) {
		abort();
	}
	return 0;
}
