/* libFuzzer harness for the redaction of personal data (nlp/redact.c): on any
 * bytes it returns, its output is at most NLP_REDACT_MAX_GROWTH times as
 * long, its time grows in proportion to the input, and no run of ASCII digits
 * as long as a ticket or phone number survives: neither in the bytes as they
 * came nor once they are normalised (NFKC) as the event log does it. */
#include "nlp/nlp.h"
#include "nlp/redact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A ticket number has 10 digits, a phone number 10 or 11. */
#define DIGIT_RUN_MAX 9
/* Every 16th input is also redacted repeated to TILED_BYTES: linear, that
 * takes about 40 ms in this build (sanitizers and the fuzzer's comparison
 * tracing); a pass that went back over the text would take a thousand
 * times as long. (tests/unit/test_redact.c holds 100,000 characters of
 * each hard shape to 500 ms.) */
#define TILED_EVERY  16
#define TILED_BYTES  8192
#define TILED_MAX_MS 500

static void fail(const char *what, const unsigned char *data, size_t size)
{
	fprintf(stderr, "fuzz-redact: %s (input of %zu bytes)\n", what, size);
	(void)data;
	abort();
}

static double cpu_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Redacts len bytes and checks the output's length; with digits set, that
 * no run of more than DIGIT_RUN_MAX ASCII digits is left. */
static void redact(const char *text, size_t len, int digits, const unsigned char *data, size_t size)
{
	char err[MG_ERR_LEN], *out = NULL;
	size_t out_len = 0;
	int rc = nlp_redact(text, len, &out, &out_len, err);
	if (rc != MG_OK) {
		if (rc != MG_ERR_NOMEM && rc != MG_ERR_TOO_LONG)
			fail(err, data, size);
		return;
	}
	if (out_len > len * NLP_REDACT_MAX_GROWTH || out[out_len] != 0)
		fail("the output is longer than the input allows", data, size);
	size_t run = 0;
	for (size_t i = 0; digits && i < out_len; i++)
		if ((run = out[i] >= '0' && out[i] <= '9' ? run + 1 : 0) > DIGIT_RUN_MAX)
			fail("a run of digits survived the redaction", data, size);
	free(out);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	/* any bytes, as they came: the digits are ASCII bytes whatever is around them */
	redact((const char *)data, size, 1, data, size);
	/* as the event log stores a question: normalised first */
	char err[MG_ERR_LEN], *norm = NULL;
	size_t norm_len = 0;
	if (nlp_normalise((const char *)data, size, &norm, &norm_len, err) == MG_OK)
		redact(norm, norm_len, 1, data, size);
	if (norm && norm_len > 0 && data[0] % TILED_EVERY == 0) {
		size_t reps = TILED_BYTES / norm_len + 1;
		char *tiled = malloc(reps * norm_len);
		if (tiled) {
			for (size_t i = 0; i < reps; i++)
				memcpy(tiled + i * norm_len, norm, norm_len);
			double t0 = cpu_ms();
			redact(tiled, reps * norm_len, 1, data, size);
			if (cpu_ms() - t0 > TILED_MAX_MS)
				fail("the input repeated takes far longer than its length", data, size);
			free(tiled);
		}
	}
	free(norm);
	return 0;
}
