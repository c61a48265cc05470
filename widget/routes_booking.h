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

#endif
