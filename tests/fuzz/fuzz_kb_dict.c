/* libFuzzer harness for the JMdict/EDICT reader (kb/gloss.c): any bytes,
 * taken as the dictionary's lines, are parsed without a crash, a read out of
 * bounds or a leak; a line it cannot read is skipped. */
#include "kb/kb_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	struct kb_dict *d = NULL;
	int rc = kb_dict_parse(text, size, &d);
	if (rc != MG_OK && rc != MG_ERR_NOMEM) {
		fprintf(stderr, "fuzz_kb_dict: %s\n", mg_strerror(rc));
		abort();
	}
	kb_dict_free(d);
	return 0;
}
