/* Error strings, error formatting, whole-file reading and the few-at-a-time
 * gate shared by every folder. */
#include "mg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	size_t len = 0, size = 4096;
	char *buf = malloc(size);
	int rc = buf ? MG_OK : MG_ERR_NOMEM;
	while (rc == MG_OK) {
		if (len + 1 >= size) {
			if (size > cap) {
				rc = mg_fail(err, MG_ERR_TOO_LONG, "%s: larger than %zu bytes", path, cap);
				break;
			}
			char *bigger = realloc(buf, size * 2);
			if (!bigger) {
				rc = MG_ERR_NOMEM;
				break;
			}
			buf = bigger;
			size *= 2;
		}
		size_t n = fread(buf + len, 1, size - len - 1, f);
		len += n;
		if (n == 0) {
			if (ferror(f))
				rc = mg_fail(err, MG_ERR_IO, "%s: read error", path);
			break;
		}
	}
	fclose(f);
	if (rc == MG_OK && len > cap)
		rc = mg_fail(err, MG_ERR_TOO_LONG, "%s: larger than %zu bytes", path, cap);
	if (rc != MG_OK) {
		if (rc == MG_ERR_NOMEM)
			mg_fail(err, rc, "%s: out of memory", path);
		free(buf);
		return rc;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return MG_OK;
}

int mg_slot_take(atomic_int *in, int max)
{
	if (atomic_fetch_add(in, 1) < max)
		return 1;
	atomic_fetch_sub(in, 1);
	return 0;
}

void mg_slot_give(atomic_int *in)
{
	atomic_fetch_sub(in, 1);
}
