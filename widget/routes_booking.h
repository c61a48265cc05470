/* The booking flow's JSON routes under /api/v1/booking/ (widget/routes_booking.c):
 * log-in with ticket number and birth date, free slots, book, change, cancel,
 * the waiting list and its offers. Two prefix lines in http_routes lead here. */
#ifndef ROUTES_BOOKING_H
#define ROUTES_BOOKING_H

#include "widget/api.h"

/* Where a new database gets its sample town from when it has no venues yet
 * (the `make run` demo); relative to the server's working directory. A town's
 * own import (madoguchi booking import-*) makes this a no-op. */
#define BOOKING_SAMPLE_DIR "reservation/data"

int booking_get(struct http_call *call, json_t **out);
int booking_post(struct http_call *call, json_t **out);

/* For the staff console's booking routes (widget/routes_ops.c): this worker
 * thread's reservation connection (NULL with call->msg set when it cannot be
 * opened), the status of a refusal with its reason as the reply's detail, and
 * a string field of the body (0, or the 400 when it is not a string or is
 * longer than max; absent or null: *out NULL). */
struct resv;
struct resv *booking_resv(struct http_call *call);
int booking_refused(struct http_call *call, struct resv *r, int rc);
int booking_body_str(struct http_call *call, const char *key, size_t max, const char **out);
/* Every route that cancels a booking says so here: the event log counts the
 * cancellation against the chat conversation that made the booking, if one
 * did (chatbot/METRICS.md). A failed log line never undoes the cancellation. */
void booking_log_cancelled(struct http_call *call, long long booking);

#endif
