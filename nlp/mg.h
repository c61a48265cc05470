/* The few things every folder shares: the program's one error enum and the
 * caller-supplied error buffer convention. It lives in nlp/ because nlp/ is the
 * bottom layer that every other folder already depends on. */
#ifndef MG_H
#define MG_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MG_ERR_LEN 256

enum mg_err {
	MG_OK = 0,
	MG_ERR_NOMEM,
	MG_ERR_IO,
	MG_ERR_INPUT,     /* the caller's input is malformed: bad CSV row, bad option */
	MG_ERR_UTF8,      /* text is not valid UTF-8 */
	MG_ERR_TOO_LONG,  /* text or body over its cap */
	MG_ERR_EMPTY,     /* nothing to work on: empty or whitespace-only question */
	MG_ERR_DB,
	MG_ERR_NOT_FOUND,
	MG_ERR_CONFLICT,
	MG_ERR_FULL,
	MG_ERR_AUTH,      /* who is asking is not established: no, wrong or expired log-in */
	MG_ERR_RATE,
	MG_ERR_ANALYSER,  /* MeCab or the stemmer failed */
	MG_ERR_INTERNAL,
	MG_ERR_BUSY,      /* the work's few slots are taken: try again in a moment */
	MG_ERR_DENIED,    /* who is asking is known and may not do this (role, CSRF, disabled) */
	MG_ERR_NOSPACE,   /* the disk is full: nothing was written, try again later */
	MG_ERR_COUNT      /* not an error: the number of codes above */
};

const char *mg_strerror(int rc);

/* Formats into err (MG_ERR_LEN bytes) when err is not NULL; returns rc so that
 * `return mg_fail(err, MG_ERR_INPUT, "line %d: ...", n);` reads as one step. */
int mg_fail(char *err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Milliseconds on the monotonic clock: for waits and timings, which a clock
 * stepped back must not stretch. */
long long mg_now_ms(void);
/* The monotonic time ms milliseconds from now, for pthread_cond_timedwait
 * on a condition made with pthread_condattr_setclock(CLOCK_MONOTONIC). */
struct timespec mg_deadline_ms(long long ms);

/* Reads a whole file into a NUL-terminated malloc'd buffer (caller frees).
 * Refuses files larger than cap bytes with MG_ERR_TOO_LONG. */
int mg_read_file(const char *path, size_t cap, char **out, size_t *out_len, char *err);

/* FNV-1a (32 bits) of len bytes at p: the hash of every table keyed by
 * short strings of the program's own (the dictionary's words, the synonyms'
 * buckets, SQL texts). Not for keys an outsider picks (questions, addresses):
 * those take the keyed hash of nlp/hash.h. */
static inline uint32_t mg_hash(const void *p, size_t len)
{
	const unsigned char *s = p;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ s[i]) * 16777619u;
	return h;
}

#endif
