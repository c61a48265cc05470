/* The booking-operations town of tests/unit/test_resv_ops.c, shared with the
 * server tests (test_http_ops.c). */
#ifndef RESV_TOWN_H
#define RESV_TOWN_H

#include <time.h>

#include "reservation/resv.h"

/* 2026-11-30 23:00 UTC: 08:00 on 1 December at a town hall in Japan, still
 * 30 November on the machine when it runs in UTC. */
#define T0 ((time_t)1796079600)
#define OPS_TODAY "2026-12-01"

/* A new database in the test folder (db gets its path, 512 bytes) with the
 * clock at T0 and the zone (borrowed) set; name_kana optional. Venues chuo
 * (中央公民館) and kita (北センター); product covid (90 days, 28 ahead);
 * slots 1 chuo 09:00, 2 chuo 10:00, 3 kita 09:00 today (3 seats each), 4 chuo
 * tomorrow 10:00 (1 seat), 5 kita the day after 10:00 (2 seats); tickets
 * 2000000001 (born 1950-04-01), ...02 (1948-11-23), ...03 (1955-07-07), ...04
 * (1960-01-15, a dose 30 days ago), ...05 (1961-02-02), ...06 (1962-03-03),
 * ...07 (1963-04-04). */
struct resv *ops_town(const struct nlp_zone *zone, char db[512]);

#endif
