#include "tests/unit/fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct nlp_model *model;

static void close_model(void)
{
	nlp_model_close(model);
}

struct nlp_model *fixture_model(void)
{
	if (!model) {
		char err[MG_ERR_LEN];
		if (nlp_model_open(&model, err) != MG_OK) {
			fprintf(stderr, "fixture: %s\n", err);
			exit(2);
		}
		atexit(close_model);
	}
	return model;
}

struct collect {
	char buf[8192];
	size_t len;
};

static int collect(void *ctx, enum nlp_kind kind, const char *tok, int len)
{
	(void)kind;
	struct collect *c = ctx;
	if (c->len + (size_t)len + 2 < sizeof c->buf) {
		if (c->len)
			c->buf[c->len++] = ' ';
		memcpy(c->buf + c->len, tok, (size_t)len);
		c->len += (size_t)len;
		c->buf[c->len] = 0;
	}
	return 0;
}

const char *fixture_terms(const char *text, const struct nlp_synonyms *syn)
{
	static struct collect c;
	struct nlp_analyser *an = NULL;
	char err[MG_ERR_LEN];
	c.len = 0;
	c.buf[0] = 0;
	if (nlp_analyser_new(fixture_model(), &an, err) != MG_OK)
		return "(analyser failed)";
	if (nlp_analyse(an, syn, text, strlen(text), collect, &c, err) != MG_OK)
		snprintf(c.buf, sizeof c.buf, "(error: %s)", err);
	nlp_analyser_free(an);
	return c.buf;
}
