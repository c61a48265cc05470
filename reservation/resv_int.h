/* What the files of reservation/ share and nobody else sees: the handle, the
 * statement helpers and the date arithmetic. Everything here is resv_x_. */
#ifndef RESV_INT_H
#define RESV_INT_H

#include <sqlite3.h>

#include "nlp/db.h"
#include "reservation/resv.h"

struct resv {
	sqlite3 *db;
	time_t fixed_now;  /* 0: the real clock */
	const struct nlp_zone *zone;  /* the town's; NULL: the process's */
	struct resv_refusal refusal;  /* of the operation under way or last done */
	int change_deadline_days;     /* the town's setting, read once when opened */
	struct mg_db_write write;     /* resv_x_begin's levels (resv_write_begin's outermost) */
	struct mg_db_stmts *stmts;    /* every statement, prepared once (resv_x_prep) */
};

/* Starts recording a refusal of kind why (clearing the last one) and
 * returns it for its fields; RESV_WHY_NONE just clears it. */
struct resv_refusal *resv_x_refuse(struct resv *r, enum resv_why why);

time_t resv_x_now(const struct resv *r);
/* Today in the town's time zone, as days since 1970-01-01. */
long resv_x_today(const struct resv *r);
/* The town's local time now as "YYYY-MM-DD HH:MM" (17 bytes with NUL). */
void resv_x_now_text(const struct resv *r, char out[17]);
/* The town's local time at t, the same way. */
void resv_x_time_text(const struct resv *r, time_t t, char out[17]);

/* Strict YYYY-MM-DD (a real date: 2026-02-30 is refused) → days since epoch.
 * Returns 0 on success, -1 if malformed. */
int resv_x_date_parse(const char *s, long *days);
void resv_x_date_format(long days, char out[11]);
/* Strict HH:MM, 00:00..23:59. Returns minutes since midnight or -1. */
int resv_x_time_parse(const char *s);

/* Statements bound from a format: 'i' long long, 't' text (NULL binds NULL),
 * 'd' int. The statement is the connection's, prepared once: the caller
 * gives it back with resv_x_done (never sqlite3_finalize). */
int resv_x_prep(struct resv *r, sqlite3_stmt **st, char *err, const char *sql,
		const char *fmt, ...);
void resv_x_done(struct resv *r, sqlite3_stmt *st);
/* Runs a statement that returns no rows; *changes (may be NULL) gets sqlite3_changes. */
int resv_x_run(struct resv *r, int *changes, char *err, const char *sql, const char *fmt, ...);
/* One integer from the first row; MG_ERR_NOT_FOUND when there is no row. */
int resv_x_int(struct resv *r, long long *out, char *err, const char *sql, const char *fmt, ...);
int resv_x_dberr(struct resv *r, char *err, const char *what);
/* The current row of st as a new JSON object: keys[i] (NULL-ended) names
 * column i, whose integer, text or NULL keeps its type; "?name" makes a 0/1
 * column a boolean. skip_null leaves NULL columns out. */
json_t *resv_x_row_json(sqlite3_stmt *st, const char *const *keys, int skip_null);
/* Appends to the array into one object per row of sql (resv_x_row_json). */
int resv_x_rows(struct resv *r, json_t *into, char *err, const char *const *keys, const char *sql,
		const char *fmt, ...);

/* BEGIN IMMEDIATE: the write lock is taken before the first read, so the
 * reads a rule depends on cannot go stale before the write; inside the
 * caller's resv_write_begin, a savepoint of it. */
int resv_x_begin(struct resv *r, char *err);
/* Commits (releases) when rc is MG_OK, otherwise rolls back; returns the
 * final rc. Called only after a resv_x_begin that succeeded: inside a
 * caller's resv_write_begin, ending a level never opened would end (and roll
 * back) the caller's. */
int resv_x_end(struct resv *r, int rc, char *err);

/* Normalises a ticket number (full-width digits, spaces and hyphens allowed)
 * into out; MG_ERR_INPUT if it is not 10 digits. */
int resv_x_ticket_norm(const char *in, char out[RESV_TICKET_LEN + 1], char *err);
/* The digits of in as resv_x_ticket_norm reads them, however many (part of a
 * number, for a search): their count, or -1 when in holds anything else or
 * more digits than a ticket has. */
int resv_x_ticket_digits(const char *in, char out[RESV_TICKET_LEN + 1]);

/* s with hiragana made katakana (to_katakana) or the other way round, into
 * out (cap bytes), so that ミドリ finds and sorts with みどり: staff type
 * either, residents wrote either. In SQL as resv_kana(text), to katakana. */
void resv_x_kana_fold(const char *s, int to_katakana, char *out, size_t cap);

/* SQL: the slot s is at one of the venues of the desk bound as ?n (NULL: any
 * venue). A desk is a reception account: it sees only its venues. */
#define RESV_X_IN_DESK(n) \
	"(?" #n " IS NULL OR s.venue_id IN (SELECT venue_id FROM resv_desks WHERE staff = ?" #n "))"

/* Queues a notification of kind for the mail or LINE sender (payload is
 * borrowed); inside the caller's transaction. */
int resv_x_outbox(struct resv *r, const char *ticket, const char *kind, json_t *payload, char *err);
/* Adds name_kana, phone and email (columns col..col+2 of st, where not NULL)
 * to o: the contact a resident left, for the sender. */
void resv_x_contact_json(json_t *o, sqlite3_stmt *st, int col);

/* Copies the booking with this id into out. */
int resv_x_load_booking(struct resv *r, long long id, struct resv_booking *out, char *err);

/* The waiting list step after a seat is freed in slot_id: offers it to the
 * first eligible resident waiting. Inside the caller's transaction. */
int resv_x_offer_freed_seat(struct resv *r, long long slot_id, char *err);
/* Expires due offers; inside the caller's transaction. */
int resv_x_expire(struct resv *r, int *expired, char *err);

struct resv_x_slot {
	long long id, venue_id;
	char venue[RESV_CODE_MAX + 1];
	char date[11];
	char start[6];
	char product[RESV_CODE_MAX + 1];
	int started;   /* the slot's start time has passed */
	int closed;    /* closed by the town: takes no booking */
	int cut_off;   /* residents can no longer book it (RESV_SAME_DAY_CUTOFF_MIN) */
	char cut_off_at[17];  /* when that happens, "YYYY-MM-DD HH:MM" (RESV_X_CUTOFF_SQL) */
};
/* The local time ("YYYY-MM-DD HH:MM") at which residents' booking of slot s
 * closes, as an SQL expression to compare with resv_x_now_text. */
#define RESV_X_CUTOFF_SQL_(m) "strftime('%Y-%m-%d %H:%M', s.date || ' ' || s.start, '-" #m " minutes')"
#define RESV_X_CUTOFF_SQL_M(m) RESV_X_CUTOFF_SQL_(m)
#define RESV_X_CUTOFF_SQL RESV_X_CUTOFF_SQL_M(RESV_SAME_DAY_CUTOFF_MIN)
/* The slot with this id (MG_ERR_NOT_FOUND if none). */
int resv_x_slot(struct resv *r, long long slot_id, struct resv_x_slot *out, char *err);

/* Whether ticket may take a seat in slot_id now (every rule but capacity).
 * exclude_booking: the booking being changed, which does not count as the
 * ticket's other active booking (0: none). slot (may be NULL) gets the slot. */
int resv_x_eligible(struct resv *r, const char *ticket, long long slot_id,
		    long long exclude_booking, struct resv_x_slot *slot, char *err);

/* The contact fields a resident typed, checked against the town's policy as
 * booking and the waiting list check them (RESV_WHY_CONTACT on refusal);
 * for the fuzz harness. */
int resv_x_contact_check(struct resv *r, const struct resv_contact *in, char *err);

#endif
