/* The staff-work pool (see pool.h): one FIFO of jobs under one mutex, a
 * count of waiting jobs per lane, and a few threads taking jobs in the order
 * they came. The shape of redis's bio.c, with a cap on what may wait. */
#include "widget/pool.h"

#include <pthread.h>
#include <stdlib.h>

struct http_pool {
	pthread_mutex_t lock;
	pthread_cond_t work;              /* a job is queued, or the pool stops */
	struct http_pool_job *head, *tail;  /* waiting, oldest first */
	int stopping, joined;
	int nthreads, nlanes;
	int *waiting, *max;               /* per lane: jobs queued now, and the cap */
	pthread_t *threads;
};

/* The oldest job, or NULL when stopping with none left; under p->lock. */
static struct http_pool_job *next_job(struct http_pool *p)
{
	while (!p->head && !p->stopping)
		pthread_cond_wait(&p->work, &p->lock);
	struct http_pool_job *job = p->head;
	if (job) {
		p->head = job->next;
		if (!p->head)
			p->tail = NULL;
		p->waiting[job->lane]--;
	}
	return job;
}

static void *pool_run(void *arg)
{
	struct http_pool *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		/* Once stopping, what is still queued is refused by http_pool_stop. */
		struct http_pool_job *job = p->stopping ? NULL : next_job(p);
		pthread_mutex_unlock(&p->lock);
		if (!job)
			return NULL;
		job->fn(job, HTTP_POOL_RUN);
	}
}

struct http_pool *http_pool_new(int threads, int lanes, const int waiting[])
{
	if (threads <= 0 || lanes <= 0)
		return NULL;
	struct http_pool *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->waiting = calloc((size_t)lanes, sizeof *p->waiting);
	p->max = calloc((size_t)lanes, sizeof *p->max);
	p->threads = calloc((size_t)threads, sizeof *p->threads);
	if (!p->waiting || !p->max || !p->threads || pthread_mutex_init(&p->lock, NULL)) {
		free(p->waiting);
		free(p->max);
		free(p->threads);
		free(p);
		return NULL;
	}
	pthread_cond_init(&p->work, NULL);
	p->nlanes = lanes;
	for (int i = 0; i < lanes; i++)
		p->max[i] = waiting[i];
	for (; p->nthreads < threads; p->nthreads++)
		if (pthread_create(&p->threads[p->nthreads], NULL, pool_run, p))
			break;
	if (p->nthreads < threads) {
		http_pool_free(p);
		return NULL;
	}
	return p;
}

void http_pool_submit(struct http_pool *p, struct http_pool_job *job, int lane)
{
	pthread_mutex_lock(&p->lock);
	enum http_pool_fate fate = p->stopping ? HTTP_POOL_STOPPING
			       : lane >= 0 && lane < p->nlanes && p->waiting[lane] < p->max[lane] ? HTTP_POOL_RUN
			       : HTTP_POOL_FULL;
	if (fate == HTTP_POOL_RUN) {
		job->lane = lane;
		job->next = NULL;
		if (p->tail)
			p->tail->next = job;
		else
			p->head = job;
		p->tail = job;
		p->waiting[lane]++;
		pthread_cond_signal(&p->work);
	}
	pthread_mutex_unlock(&p->lock);
	if (fate != HTTP_POOL_RUN)
		job->fn(job, fate);
}

void http_pool_refuse(struct http_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	struct http_pool_job *queued = p->head;
	p->head = p->tail = NULL;
	for (int i = 0; i < p->nlanes; i++)
		p->waiting[i] = 0;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	while (queued) {
		struct http_pool_job *job = queued;
		queued = job->next;
		job->fn(job, HTTP_POOL_STOPPING);
	}
}

void http_pool_stop(struct http_pool *p)
{
	if (!p)
		return;
	http_pool_refuse(p);
	pthread_mutex_lock(&p->lock);
	int join = !p->joined;
	p->joined = 1;
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; join && i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
}

void http_pool_free(struct http_pool *p)
{
	if (!p)
		return;
	http_pool_stop(p);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	free(p->waiting);
	free(p->max);
	free(p->threads);
	free(p);
}
