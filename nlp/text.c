/* Decoding of staff's text files: BOM, UTF-8 as it is, CP932 by iconv into
 * a buffer that grows on E2BIG. */
#include "nlp/text.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

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
	size_t cap = len + len / 2 + 16, most = 3 * len + 16, in_left = len, out_left = cap;
	char *buf = malloc(cap + 1), *in = (char *)data, *o = buf;
	int rc = buf ? MG_OK : MG_ERR_NOMEM;
	while (rc == MG_OK && iconv(cd, &in, &in_left, &o, &out_left) == (size_t)-1) {
		if (errno != E2BIG || cap >= most) {
			int line = 1;
			for (const char *c = data; c < in; c++)
				line += *c == '\n';
			rc = mg_fail(err, MG_ERR_UTF8, "line %d: the file is neither UTF-8 nor CP932 "
				     "(save it as \"CSV UTF-8\")", line);
			break;
		}
		size_t used = (size_t)(o - buf), bigger = cap * 2 < most ? cap * 2 : most;
		char *grown = realloc(buf, bigger + 1);
		if (!grown) {
			rc = MG_ERR_NOMEM;
			break;
		}
		buf = grown;
		cap = bigger;
		o = buf + used;
		out_left = cap - used;
	}
	iconv_close(cd);
	if (rc != MG_OK) {
		free(buf);
		return rc == MG_ERR_NOMEM ? mg_fail(err, rc, "out of memory") : rc;
	}
	*out_len = (size_t)(o - buf);
	buf[*out_len] = 0;
	*out = buf;
	return MG_OK;
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
