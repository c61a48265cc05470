/* Booking throughput: THREADS clients, each with its own connection, book a
 * day's slots until the day is full, as the call centre and the web would at
 * 09:00 on the day bookings open. Prints bookings per second and fails if any
 * slot ends over capacity or a seat count disagrees with the bookings.
 * usage: bench-booking DIR [THREADS] */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reservation/resv.h"

/* The bench day: a large town's busiest day, 4 venues with 16 slots of 10. */
#define VENUES 4
#define SLOTS_PER_VENUE 16
#define SEATS_PER_SLOT 10
#define SEATS (VENUES * SLOTS_PER_VENUE * SEATS_PER_SLOT)
/* More residents than seats, so the end of the day is reached and refused. */
#define RESIDENTS (SEATS + SEATS / 4)
#define MAX_THREADS 64

struct client {
	const char *db;
	int booked, full, failed;
	struct timespec last;  /* when this client's last booking was confirmed */
	char err[MG_ERR_LEN];
};

static atomic_int next_resident;
static long long first_slot;

static void *client(void *arg)
{
	struct client *c = arg;
	struct resv *r = NULL;
	if (resv_open(&r, c->db, c->err) != MG_OK) {
		c->failed++;
		return NULL;
	}
	for (;;) {
		int i = atomic_fetch_add(&next_resident, 1);
		if (i >= RESIDENTS)
			break;
		char ticket[24];
		snprintf(ticket, sizeof ticket, "50000%05d", i);
		/* A resident tries the slot they like, then the next ones, until one
		 * has a seat or all are full. */
		int done = 0;
		for (int k = 0; k < VENUES * SLOTS_PER_VENUE && !done; k++) {
			struct resv_request q = {0};
			q.slot_id = first_slot + (i + k) % (VENUES * SLOTS_PER_VENUE);
			int rc = resv_staff_book(r, ticket, &q, NULL, c->err);
			if (rc == MG_OK) {
				c->booked++;
				clock_gettime(CLOCK_MONOTONIC, &c->last);
				done = 1;
			} else if (rc == MG_ERR_FULL) {
				c->full++;
			} else {
				c->failed++;
				done = 1;
			}
		}
	}
	resv_close(r);
	return NULL;
}

static int write_csv(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench-booking DIR [THREADS]\n");
		return 2;
	}
	int threads = argc > 2 ? atoi(argv[2]) : 4;
	if (threads < 1 || threads > MAX_THREADS)
		threads = 4;
	char db[4096], path[4096], err[MG_ERR_LEN];
	snprintf(db, sizeof db, "%s/bench-booking.db", argv[1]);
	remove(db);
	struct resv *r = NULL;
	int rc = resv_open(&r, db, err);
	size_t cap = (size_t)RESIDENTS * 32 + 4096;
	char *csv = malloc(cap);
	if (!csv)
		return 1;
	static const struct {
		const char *file;
		enum resv_import_kind kind;
	} files[] = {{"products.csv", RESV_IMPORT_PRODUCTS}, {"venues.csv", RESV_IMPORT_VENUES},
		     {"slots.csv", RESV_IMPORT_SLOTS}, {"tickets.csv", RESV_IMPORT_TICKETS}};
	for (size_t f = 0; rc == MG_OK && f < sizeof files / sizeof files[0]; f++) {
		size_t len = 0;
		if (files[f].kind == RESV_IMPORT_PRODUCTS) {
			len += (size_t)snprintf(csv, cap, "code,name,min_interval_days,same_product,"
						"horizon_days\ncovid,covid,90,no,28\n");
		} else if (files[f].kind == RESV_IMPORT_VENUES) {
			len += (size_t)snprintf(csv, cap, "code,name\n");
			for (int v = 0; v < VENUES; v++)
				len += (size_t)snprintf(csv + len, cap - len, "v%d,venue %d\n", v, v);
		} else if (files[f].kind == RESV_IMPORT_SLOTS) {
			len += (size_t)snprintf(csv, cap, "venue,date,start,minutes,capacity,product\n");
			for (int v = 0; v < VENUES; v++)
				for (int s = 0; s < SLOTS_PER_VENUE; s++)
					len += (size_t)snprintf(csv + len, cap - len,
								"v%d,today+1,%02d:%02d,15,%d,covid\n", v,
								9 + s / 4, s % 4 * 15, SEATS_PER_SLOT);
		} else {
			len += (size_t)snprintf(csv, cap, "ticket,birth_date\n");
			for (int i = 0; i < RESIDENTS; i++)
				len += (size_t)snprintf(csv + len, cap - len, "50000%05d,1950-01-01\n", i);
		}
		snprintf(path, sizeof path, "%s/%s", argv[1], files[f].file);
		if (write_csv(path, csv))
			rc = mg_fail(err, MG_ERR_IO, "%s: cannot write", path);
		if (rc == MG_OK)
			rc = resv_import(r, files[f].kind, path, NULL, NULL, NULL, err);
	}
	free(csv);
	json_t *slots = NULL;
	if (rc == MG_OK)
		rc = resv_free_slots(r, NULL, NULL, NULL, &slots, err);
	if (rc == MG_OK)
		first_slot = json_integer_value(json_object_get(json_array_get(slots, 0), "id"));
	json_decref(slots);
	if (rc != MG_OK) {
		fprintf(stderr, "bench-booking: %s\n", err);
		resv_close(r);
		return 1;
	}

	struct client c[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < threads; i++) {
		c[i] = (struct client){.db = db};
		pthread_create(&th[i], NULL, client, &c[i]);
	}
	int booked = 0, full = 0, failed = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		booked += c[i].booked;
		full += c[i].full;
		failed += c[i].failed;
		if (c[i].failed)
			fprintf(stderr, "client %d: %s\n", i, c[i].err);
	}
	/* The day is full at the last confirmed booking; the refusals after it
	 * (each resident left over tries every slot) are not part of the figure. */
	t1 = t0;
	for (int i = 0; i < threads; i++)
		if (c[i].booked && (c[i].last.tv_sec > t1.tv_sec ||
				    (c[i].last.tv_sec == t1.tv_sec && c[i].last.tv_nsec > t1.tv_nsec)))
			t1 = c[i].last;
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

	rc = resv_check(r, err);
	resv_close(r);
	int over = booked - SEATS;
	printf("booking: %d threads, %d seats in %d slots: %d booked in %.2f s = %.0f bookings/s"
	       " (%d \"full\" answers, %d errors), overbooked: %d, seat counts: %s\n",
	       threads, SEATS, VENUES * SLOTS_PER_VENUE, booked, s, booked / s, full, failed,
	       over > 0 ? over : 0, rc == MG_OK ? "consistent" : err);
	return rc == MG_OK && booked == SEATS && !failed ? 0 : 1;
}
