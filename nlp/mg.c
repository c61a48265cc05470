/* Error strings, error formatting, whole-file reading and the few-at-a-time
 * gate shared by every folder. */
#include "mg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nlp/buf.h"

/* Bytes asked of fread at a time when a file is read whole. */
#define MG_READ_CHUNK (64 * 1024)

const char *mg_strerror(int rc)
{
	switch (rc) {
	case MG_OK: return "ok";
	case MG_ERR_NOMEM: return "out of memory";
	case MG_ERR_IO: return "input/output error";
	case MG_ERR_INPUT: return "invalid input";
	case MG_ERR_UTF8: return "text is not valid UTF-8";
	case MG_ERR_TOO_LONG: return "too long";
	case MG_ERR_EMPTY: return "empty";
	case MG_ERR_DB: return "database error";
	case MG_ERR_NOT_FOUND: return "not found";
	case MG_ERR_CONFLICT: return "conflict";
	case MG_ERR_FULL: return "full";
	case MG_ERR_AUTH: return "not logged in";
	case MG_ERR_RATE: return "too many requests";
	case MG_ERR_ANALYSER: return "text analyser failed";
	case MG_ERR_BUSY: return "busy";
	case MG_ERR_DENIED: return "not allowed";
	case MG_ERR_NOSPACE: return "the disk is full";
	default: return "internal error";
	}
}

int mg_fail(char *err, int rc, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, MG_ERR_LEN, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int mg_read_file(const char *path, size_t cap, char **out, size_t *out_len, char *err)
{
	*out = NULL;
	*out_len = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return mg_fail(err, MG_ERR_IO, "%s: %s", path, strerror(errno));
	/* One byte over the cap is how a file too large shows. */
	if (cap >= SIZE_MAX - 1)
		cap = SIZE_MAX - 2;
	struct mg_buf b = MG_BUF_INIT(cap + 1);
	int rc = MG_OK;
	while (b.len <= cap) {
		size_t want = b.max - b.len < MG_READ_CHUNK ? b.max - b.len : MG_READ_CHUNK;
		if ((rc = mg_buf_room(&b, want)) != MG_OK)
			break;
		size_t n = fread(b.p + b.len, 1, want, f);
		mg_buf_grew(&b, n);
		if (n < want) {
			if (ferror(f))
				rc = MG_ERR_IO;
			break;
		}
	}
	fclose(f);
	if (rc == MG_OK && b.len > cap)
		rc = MG_ERR_TOO_LONG;
	*out = rc == MG_OK ? mg_buf_take(&b, out_len) : NULL;
	mg_buf_free(&b);
	if (rc == MG_OK && !*out)
		rc = MG_ERR_NOMEM;
	if (rc == MG_ERR_TOO_LONG)
		return mg_fail(err, rc, "%s: larger than %zu bytes", path, cap);
	if (rc != MG_OK)
		return mg_fail(err, rc, "%s: %s", path, rc == MG_ERR_IO ? "read error" : "out of memory");
	return MG_OK;
}

long long mg_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct timespec mg_deadline_ms(long long ms)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (ms % 1000) * 1000000L;
	t.tv_sec += t.tv_nsec / 1000000000L;
	t.tv_nsec %= 1000000000L;
	return t;
}
