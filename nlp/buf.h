/* A growing byte string with a ceiling, the shape of curl's dynbuf: every
 * piece of the program that builds text or receives bytes of unknown length
 * (a request's body, a file read whole, a text with its facts filled in)
 * grows one of these instead of its own realloc loop. It doubles, so adding
 * n bytes in any number of pieces copies O(n) bytes (a body grown by exactly
 * each piece's size was copied whole at every piece: quadratic, and an
 * upload of 4 MB in 16 KB pieces under the address sanitizer took longer
 * than the request deadline). The text is kept NUL-terminated. */
#ifndef MG_BUF_H
#define MG_BUF_H

#include <stddef.h>

struct mg_buf {
	char *p;     /* NULL until the first byte; then NUL-terminated */
	size_t len;  /* bytes held, the terminator not counted */
	size_t cap;  /* bytes allocated */
	size_t max;  /* most bytes it may hold (the terminator not counted) */
};

#define MG_BUF_INIT(most) ((struct mg_buf){.max = (most)})

/* Makes room for n more bytes (and the terminator) without adding them:
 * the caller writes at p + len and then calls mg_buf_grew. MG_OK,
 * MG_ERR_TOO_LONG when len + n would pass max (nothing changes), or
 * MG_ERR_NOMEM (nothing changes). */
int mg_buf_room(struct mg_buf *b, size_t n);
/* Counts n bytes written into the room mg_buf_room made. */
void mg_buf_grew(struct mg_buf *b, size_t n);
/* Appends n bytes of data; the same results as mg_buf_room. */
int mg_buf_add(struct mg_buf *b, const void *data, size_t n);
/* Empties b and keeps its memory for what comes next. */
void mg_buf_clear(struct mg_buf *b);
/* Hands the text over (the caller frees it; "" when nothing was added, NULL
 * without memory for that) and leaves b empty, max kept. */
char *mg_buf_take(struct mg_buf *b, size_t *len);
/* Frees what b holds and leaves it empty, max kept. */
void mg_buf_free(struct mg_buf *b);

#endif
