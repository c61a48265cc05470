/* The growing byte string (see buf.h). */
#include "nlp/buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nlp/mg.h"

/* The first allocation: most texts built this way (a reply, a question with
 * its facts) fit. */
#define MG_BUF_FIRST 256

int mg_buf_room(struct mg_buf *b, size_t n)
{
	/* len + n stays at most max, and below SIZE_MAX for the terminator,
	 * whatever max says */
	if (n > b->max || b->len > b->max - n || b->len + n == SIZE_MAX)
		return MG_ERR_TOO_LONG;
	size_t need = b->len + n + 1;
	if (need <= b->cap)
		return MG_OK;
	size_t cap = b->cap ? b->cap : MG_BUF_FIRST;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (b->max < SIZE_MAX && cap > b->max + 1)
		cap = b->max + 1;  /* need <= max + 1, so still enough */
	char *p = realloc(b->p, cap);
	if (!p)
		return MG_ERR_NOMEM;
	if (!b->p)
		p[0] = '\0';
	b->p = p;
	b->cap = cap;
	return MG_OK;
}

void mg_buf_grew(struct mg_buf *b, size_t n)
{
	b->len += n;
	b->p[b->len] = '\0';
}

int mg_buf_add(struct mg_buf *b, const void *data, size_t n)
{
	int rc = mg_buf_room(b, n);
	if (rc != MG_OK)
		return rc;
	if (n)
		memcpy(b->p + b->len, data, n);
	mg_buf_grew(b, n);
	return MG_OK;
}

void mg_buf_clear(struct mg_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

char *mg_buf_take(struct mg_buf *b, size_t *len)
{
	char *p = b->p ? b->p : calloc(1, 1);
	if (len)
		*len = b->p ? b->len : 0;
	*b = MG_BUF_INIT(b->max);
	return p;
}

void mg_buf_free(struct mg_buf *b)
{
	free(b->p);
	*b = MG_BUF_INIT(b->max);
}
