/* The growing byte string every body, file and filled-in text is built in:
 * it holds what was added, NUL-terminated, refuses what passes its ceiling
 * without losing what it holds, and grows by doubling (a 4 MB upload in
 * 16 KB pieces is not copied whole at every piece). */
#include "tests/unit/test.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nlp/buf.h"
#include "nlp/mg.h"

TEST(buf, holds_what_was_added_and_hands_it_over)
{
	struct mg_buf b = MG_BUF_INIT(64);
	CHECK(mg_buf_add(&b, "接種券", strlen("接種券")) == MG_OK);
	CHECK(mg_buf_add(&b, "", 0) == MG_OK);
	CHECK(mg_buf_add(&b, "を", strlen("を")) == MG_OK);
	CHECK_STR(b.p, "接種券を");
	size_t len = 0;
	char *t = mg_buf_take(&b, &len);
	CHECK_STR(t, "接種券を");
	CHECK(len == strlen("接種券を"));
	CHECK(b.p == NULL && b.len == 0 && b.max == 64);
	free(t);
	/* Nothing added: an empty string, not NULL. */
	t = mg_buf_take(&b, &len);
	CHECK(t && !*t && len == 0);
	free(t);
}

TEST(buf, refuses_past_its_ceiling_and_keeps_what_it_holds)
{
	struct mg_buf b = MG_BUF_INIT(10);
	CHECK(mg_buf_add(&b, "0123456789", 10) == MG_OK);
	CHECK(mg_buf_add(&b, "x", 1) == MG_ERR_TOO_LONG);
	CHECK(mg_buf_room(&b, (size_t)-1) == MG_ERR_TOO_LONG);
	CHECK(b.len == 10);
	CHECK_STR(b.p, "0123456789");
	CHECK(b.cap == 11);  /* never more than the ceiling and its terminator */
	mg_buf_clear(&b);
	CHECK(b.len == 0 && !*b.p && b.cap == 11);
	CHECK(mg_buf_add(&b, "x", 1) == MG_OK);
	CHECK_STR(b.p, "x");
	mg_buf_free(&b);
	CHECK(b.p == NULL && b.max == 10);
	/* No ceiling at all still leaves room for the terminator. */
	struct mg_buf u = MG_BUF_INIT(SIZE_MAX);
	CHECK(mg_buf_room(&u, SIZE_MAX) == MG_ERR_TOO_LONG);
	CHECK(u.p == NULL);
}

TEST(buf, grows_by_doubling)
{
	enum { PIECE = 16 * 1024, TOTAL = 4 * 1024 * 1024 };
	static char piece[PIECE];
	memset(piece, 'a', sizeof piece);
	struct mg_buf b = MG_BUF_INIT(TOTAL);
	int grew = 0;
	size_t cap = 0;
	for (size_t at = 0; at < TOTAL; at += PIECE) {
		REQUIRE(mg_buf_add(&b, piece, PIECE) == MG_OK);
		grew += b.cap != cap;
		cap = b.cap;
	}
	CHECK(b.len == TOTAL && b.p[TOTAL] == '\0');
	/* 256 B to 4 MB by doubling is 15 allocations; growing by each piece
	 * would be 256. */
	CHECK(grew <= 16);
	mg_buf_free(&b);
}
