/* libFuzzer harness for the list of alternate questions (kb_alternates_edit,
 * kb/entry.c): the stored list (any bytes), a NUL, then the question staff
 * add or take out. Added, the question is in the list once, at the end if it
 * was not there, and every other question stays in its order; taken out, it
 * is nowhere and the others stay; changed says whether the list differs.
 * No crash, no read out of bounds, no leak. */
#include "kb/kb.h"

#include <stdlib.h>
#include <string.h>

/* The items of a list, split as the index splits them, joined by '|'. */
static char *items(const char *s, const char *skip)
{
	char *out = malloc(strlen(s) + 1);
	size_t w = 0;
	if (!out)
		return NULL;
	while (*s) {
		size_t n = strcspn(s, "|\n");
		if (n && !(skip && strlen(skip) == n && !memcmp(s, skip, n))) {
			if (w)
				out[w++] = '|';
			memcpy(out + w, s, n);
			w += n;
		}
		s += n + (s[n] != 0);
	}
	out[w] = 0;
	return out;
}

static int count(const char *list, const char *q)
{
	int k = 0;
	size_t ql = strlen(q);
	for (const char *s = list; *s;) {
		size_t n = strcspn(s, "|\n");
		k += n && n == ql && !memcmp(s, q, n);
		s += n + (s[n] != 0);
	}
	return k;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *in = malloc(size + 2);
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = in[size + 1] = 0;
	const char *alts = in, *q = in + strlen(in) + (strlen(in) < size ? 1 : 0);
	if (strchr(q, '|') || strchr(q, '\n')) {  /* staff's questions hold neither (curation refuses them) */
		free(in);
		return 0;
	}
	char *rest = items(alts, q), *was = items(alts, NULL);
	int had = count(alts, q) > 0;
	for (int add = 0; add < 2 && rest && was; add++) {
		int changed = -1;
		char *out = kb_alternates_edit(alts, q, add, &changed);
		if (!out)
			break;
		char *left = items(out, q);
		if (!left || strcmp(left, rest) || strchr(out, '\n'))
			abort();  /* the other questions, in their order */
		if (add && *q && (count(out, q) < 1 || changed != !had))
			abort();
		if (add && !had && *q && count(out, q) != 1)
			abort();
		if (!add && (count(out, q) || changed != had))
			abort();
		if (!changed && strcmp(out, was))
			abort();
		free(left);
		free(out);
	}
	free(rest);
	free(was);
	free(in);
	return 0;
}
