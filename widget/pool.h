/* The staff-work pool: a few threads of their own for slow staff work (a
 * password's hash, a whole import, a re-index, an eval run), so that the
 * HTTP workers that answer residents never run it. Jobs wait in lanes, each
 * with its own cap, so that one kind of work (log-ins anyone may send) cannot
 * take the places of another (an editor's import). Knows nothing about HTTP:
 * widget/http.c suspends a connection, submits its job, and the job resumes
 * the connection when it has run or been refused. */
#ifndef HTTP_POOL_H
#define HTTP_POOL_H

struct http_pool;

/* What becomes of a job: run, or refused because its lane is full or the
 * pool is stopping. */
enum http_pool_fate { HTTP_POOL_RUN, HTTP_POOL_FULL, HTTP_POOL_STOPPING };

/* A job, the first member of the caller's own struct. fn is called exactly
 * once: on a pool thread with HTTP_POOL_RUN, or with a refusal (see
 * http_pool_submit and http_pool_stop); fn then owns the job and frees or
 * hands it on. Until then the pool owns it. */
struct http_pool_job {
	void (*fn)(struct http_pool_job *job, enum http_pool_fate fate);
	struct http_pool_job *next;  /* the pool's */
	int lane;                    /* the pool's */
};

/* threads pool threads; lanes lanes, lane i holding at most waiting[i] jobs
 * beside those running. NULL when out of memory or a thread cannot start
 * (nothing is left running). */
struct http_pool *http_pool_new(int threads, int lanes, const int waiting[]);
/* Queues job in lane (fn set by the caller). When the lane is full or the
 * pool is stopping, fn gets that at once, on the caller's thread. */
void http_pool_submit(struct http_pool *p, struct http_pool_job *job, int lane);
/* Takes no more jobs: each job still waiting gets HTTP_POOL_STOPPING on the
 * calling thread, jobs running are waited for (an import is all-or-nothing: it is
 * never cut), and the threads end. The pool stays valid for submits (each
 * refused at once) until http_pool_free. Accepts NULL. */
void http_pool_stop(struct http_pool *p);
/* The first half of http_pool_stop: no job starts any more and each one
 * waiting is refused, without waiting for the running ones. A server with
 * two pools refuses both before it waits for either, so that no queued job
 * of one starts while the other's running job is waited for. Accepts NULL. */
void http_pool_refuse(struct http_pool *p);
/* Stops the pool if it is not, and frees it. Accepts NULL. */
void http_pool_free(struct http_pool *p);

#endif
