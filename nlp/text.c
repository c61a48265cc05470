/* Decoding of staff's text files: BOM, UTF-8 as it is, CP932 by iconv into
 * a buffer that grows on E2BIG. */
#include "nlp/text.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "nlp/buf.h"

int nlp_is_utf8(const char *s, size_t len)
{
	for (utf8proc_ssize_t i = 0, n = (utf8proc_ssize_t)len; i < n;) {
		int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const uint8_t *)s + i, n - i, &cp);
		if (k <= 0)
			return 0;
		i += k;
	}
	return 1;
}

/* Converts CP932 to UTF-8 into a buffer that doubles on E2BIG: a kanji takes
 * 2 bytes in and 3 out, a half-width katakana 1 in and 3 out, so no first
 * guess fits every file; 3 bytes out per byte in is the most it can need. */
static int from_cp932(const char *data, size_t len, char **out, size_t *out_len, char *err)
{
	iconv_t cd = iconv_open("UTF-8", "CP932");
	if (cd == (iconv_t)-1)
		return mg_fail(err, MG_ERR_INTERNAL, "no CP932 converter");
	/* 3 bytes out per byte in is the most it can need: the ceiling */
	struct mg_buf b = MG_BUF_INIT(3 * len + 16);
	char *in = (char *)data;
	size_t in_left = len;
	int rc = mg_buf_room(&b, len + len / 2 + 16);
	while (rc == MG_OK) {
		char *o = b.p + b.len;
		size_t room = b.cap - b.len - 1, out_left = room;
		size_t done = iconv(cd, &in, &in_left, &o, &out_left);
		mg_buf_grew(&b, room - out_left);
		if (done != (size_t)-1)
			break;
		/* E2BIG: twice the room, up to the ceiling */
		if (errno != E2BIG || (rc = mg_buf_room(&b, b.cap - b.len)) == MG_ERR_TOO_LONG) {
			int line = 1;
			for (const char *c = data; c < in; c++)
				line += *c == '\n';
			rc = mg_fail(err, MG_ERR_UTF8, "line %d: the file is neither UTF-8 nor CP932 "
				     "(save it as \"CSV UTF-8\")", line);
		}
	}
	iconv_close(cd);
	if (rc == MG_OK)
		*out = mg_buf_take(&b, out_len);
	mg_buf_free(&b);
	if (rc == MG_OK && !*out)
		rc = MG_ERR_NOMEM;
	return rc == MG_ERR_NOMEM ? mg_fail(err, rc, "out of memory") : rc;
}

int nlp_text_decode(const char *data, size_t len, char **out, size_t *out_len, char *err)
{
	*out = NULL;
	*out_len = 0;
	if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3)) {
		data += 3;
		len -= 3;
	}
	if (!nlp_is_utf8(data, len))
		return from_cp932(data, len, out, out_len, err);
	*out = malloc(len + 1);
	if (!*out)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (len)  /* data may be NULL for an empty file */
		memcpy(*out, data, len);
	(*out)[len] = 0;
	*out_len = len;
	return MG_OK;
}
