/* What the redaction of personal data costs (nlp_redact, before a question
 * reaches the event log), and that the cost grows with the text and no
 * faster: each kind of text at half the size and at the size, its CPU time
 * and the ratio of the two (2 when linear).
 * usage: bench-redact [BYTES [KIND]]   (BYTES default 100000)
 * With KIND, that text alone, redacted once: for an instruction count,
 *   valgrind --tool=callgrind --toggle-collect=nlp_redact bench-redact 100000 dev
 * whose total divided by BYTES is instructions a byte. Run from the
 * repository's top folder (it reads the labelled questions and the
 * redaction corpus). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nlp/nlp.h"
#include "nlp/redact.h"

#define ROUNDS 3  /* the best of: the machine may be busy */

/* The kinds of text: questions as residents type them, questions full of
 * personal data, and runs that would make a finder go back over the text. */
static const struct kind {
	const char *name, *file, *unit;
} KINDS[] = {
	{"dev", "tests/eval/dev.tsv", NULL},
	{"pii", "tests/unit/data/redact_cases.tsv", NULL},
	{"digits", NULL, "7"},
	{"sama", NULL, "様"},
	{"dots", NULL, "1.2."},
	{"kanji-digits", NULL, "七"},
	{"email", NULL, "a@"},
};

/* The first column of every line of file that is not a comment, one after
 * another with a space between, normalised as the log does (malloc'd). */
static char *read_questions(const char *file, size_t *len)
{
	FILE *f = fopen(file, "r");
	if (!f) {
		perror(file);
		return NULL;
	}
	char *all = NULL, *line = NULL;
	size_t n = 0, cap = 0;
	ssize_t got;
	while ((got = getline(&line, &cap, f)) >= 0) {
		size_t q = strcspn(line, "\t\r\n");
		if (!q || line[0] == '#')
			continue;
		char *grown = realloc(all, n + q + 2);
		if (!grown) {
			free(all);
			all = NULL;
			break;
		}
		all = grown;
		memcpy(all + n, line, q);
		n += q;
		all[n++] = ' ';
		all[n] = 0;
	}
	free(line);
	fclose(f);
	if (!all)
		return NULL;
	char err[MG_ERR_LEN], *norm = NULL;
	if (nlp_normalise(all, n, &norm, len, err) != MG_OK)
		fprintf(stderr, "%s: %s\n", file, err);
	free(all);
	return norm;
}

/* unit over and over up to bytes, the last copy cut where a character
 * starts (malloc'd). */
static char *repeat(const char *unit, size_t ulen, size_t bytes, size_t *len)
{
	char *s = malloc(bytes + 1);
	size_t n = 0;
	if (!s)
		return NULL;
	while (n < bytes) {
		size_t take = ulen < bytes - n ? ulen : bytes - n;
		memcpy(s + n, unit, take);
		n += take;
	}
	while (n % ulen && ((unsigned char)unit[n % ulen] & 0xC0) == 0x80)
		n--;
	s[n] = 0;
	*len = n;
	return s;
}

/* CPU milliseconds of this thread for one redaction of len bytes, the best of rounds. */
static double redact_ms(const char *text, size_t len, int rounds)
{
	double best = -1;
	for (int r = 0; r < rounds; r++) {
		char err[MG_ERR_LEN], *out = NULL;
		struct timespec t0, t1;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
		int rc = nlp_redact(text, len, &out, NULL, err);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
		free(out);
		if (rc != MG_OK) {
			fprintf(stderr, "redact: %s\n", err);
			return -1;
		}
		double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		if (best < 0 || ms < best)
			best = ms;
	}
	return best;
}

int main(int argc, char **argv)
{
	size_t bytes = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	const char *only = argc > 2 ? argv[2] : NULL;
	if (bytes < 2 || argc > 3) {
		fprintf(stderr, "usage: bench-redact [BYTES [KIND]]\n");
		return 2;
	}
	if (!only)
		printf("%-13s %9s %12s %12s %10s %7s\n", "text", "bytes", "ms at half", "ms", "ns a byte",
		       "ratio");
	int found = 0, failed = 0;
	for (size_t k = 0; k < sizeof KINDS / sizeof *KINDS; k++) {
		const struct kind *kd = &KINDS[k];
		if (only && strcmp(only, kd->name))
			continue;
		found = 1;
		size_t ulen = 0, len = 0, half = 0;
		char *unit = kd->file ? read_questions(kd->file, &ulen) : strdup(kd->unit);
		if (!unit) {
			failed = 1;
			continue;
		}
		if (!kd->file)
			ulen = strlen(unit);
		char *text = repeat(unit, ulen, bytes, &len);
		char *halftext = repeat(unit, ulen, bytes / 2, &half);
		free(unit);
		if (!text || !halftext || !len || !half) {
			fprintf(stderr, "%s: no text of %zu bytes\n", kd->name, bytes);
			failed = 1;
		} else if (only) {
			failed |= redact_ms(text, len, 1) < 0;
		} else {
			double mh = redact_ms(halftext, half, ROUNDS), m = redact_ms(text, len, ROUNDS);
			if (mh < 0 || m < 0)
				failed = 1;
			else
				printf("%-13s %9zu %12.2f %12.2f %10.1f %7.2f\n", kd->name, len, mh, m,
				       m * 1e6 / (double)len, mh > 0 ? m / mh : 0);
		}
		free(text);
		free(halftext);
	}
	if (!found) {
		fprintf(stderr, "bench-redact: no text called %s\n", only);
		return 2;
	}
	return failed;
}
