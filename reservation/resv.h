/* Vaccination booking: venues, slots, tickets, bookings, the waiting list and
 * the dose rules, kept in the program's one SQLite file (tables resv_*). The
 * web layer, the staff console and the CLI all call these functions; every
 * rule is enforced here, inside one write transaction per operation, so no
 * caller can get round it. Knows nothing about FAQ entries or HTTP. */
#ifndef RESV_H
#define RESV_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <time.h>

#include "nlp/date.h"
#include "nlp/db.h"
#include "nlp/mg.h"
#include "nlp/zone.h"
#include "reservation/resv_rules.h"

struct resv;      /* one database connection; one per thread */

/* Opens the database at path, its resv_* tables brought up to resv_schema
 * (nlp/db.h: a file from a newer program is refused). On failure *out is
 * NULL and err says why. */
extern const struct mg_db_schema resv_schema;
int resv_open(struct resv **out, const char *path, char *err);
void resv_close(struct resv *r);

/* The caller's write around operations (each nests in it) and a record of
 * them on the same connection (the staff audit): all kept at resv_write_end
 * with rc MG_OK, all rolled back otherwise; returns the final rc. A refusal
 * inside keeps its reason (resv_refusal_json). */
int resv_write_begin(struct resv *r, char *err);
int resv_write_end(struct resv *r, int rc, char *err);
/* The connection, for a record written inside resv_write_begin. */
sqlite3 *resv_db(struct resv *r);

/* Fixes the clock the rules read (tests, the demo); 0 returns to real time. */
void resv_set_now(struct resv *r, time_t now);
/* The town's time zone, which decides what "today" and a slot's start are
 * (borrowed: it must outlive r). Until it is set, or with NULL, the process's
 * zone is used: right only on a machine that runs in the town's zone. */
void resv_set_zone(struct resv *r, const struct nlp_zone *zone);

/* ---- Town set-up ---------------------------------------------------------- */

/* One refused row of an import, for the caller to say in the staff's
 * language: line is the file's line number; reason a stable code (code, name,
 * min_interval_days, horizon_days, same_product, product, date, date_past,
 * start, minutes, capacity, unknown_venue, unknown_product, below_taken,
 * ticket, birth_date, birth_date_differs, dose_pair, dose_date, refused,
 * unknown_column, missing_column, nul_byte, too_many_columns, csv); value the
 * cell or column at fault ("" when none); lo..hi the range a number must be
 * in (for nul_byte and too_many_columns: the column, and the most columns);
 * message all of it in English. Everything is borrowed for the call. */
struct resv_bad_row {
	int line;
	const char *reason, *value;
	int lo, hi;
	const char *message;
};
typedef void (*resv_report_fn)(void *ctx, const struct resv_bad_row *bad);

enum resv_import_kind {
	RESV_IMPORT_VENUES,
	RESV_IMPORT_SLOTS,
	RESV_IMPORT_TICKETS,
	RESV_IMPORT_PRODUCTS,
};

/* Imports a CSV file with a header row (UTF-8 with or without BOM, or the
 * CP932 that Excel writes by default). All or nothing: when any row is bad,
 * report is called for each (report may be NULL), nothing is written and
 * MG_ERR_INPUT is returned. *rows (may be NULL) is the number of data rows. */
int resv_import(struct resv *r, enum resv_import_kind kind, const char *path,
		resv_report_fn report, void *report_ctx, int *rows, char *err);
/* The same import of len bytes in memory (a file uploaded to the console);
 * name stands for the file in err. */
int resv_import_data(struct resv *r, enum resv_import_kind kind, const char *data, size_t len,
		     const char *name, resv_report_fn report, void *report_ctx, int *rows,
		     char *err);

/* Personal fields asked when booking. */
enum resv_field { RESV_FIELD_NAME_KANA, RESV_FIELD_PHONE, RESV_FIELD_EMAIL, RESV_FIELD_COUNT };
enum resv_policy { RESV_OFF, RESV_OPTIONAL, RESV_REQUIRED };

int resv_field_policy(struct resv *r, enum resv_field field, enum resv_policy *out, char *err);
int resv_set_field_policy(struct resv *r, enum resv_field field, enum resv_policy policy,
			  char *err);
/* "name_kana", "phone", "email" / "off", "optional", "required"; -1 if unknown. */
int resv_field_from_name(const char *name);
int resv_policy_from_name(const char *name);
const char *resv_field_name(enum resv_field field);
const char *resv_policy_name(enum resv_policy policy);

/* The days before a slot's day after which a resident can no longer change
 * or cancel it themselves (RESV_WHY_DEADLINE); staff still can. Unset, it is
 * RESV_CHANGE_DEADLINE_DAYS; 0 lets residents change until the slot starts.
 * Read from the store once, when it is opened (and kept by the set below):
 * a change made by another process applies from its next open. */
int resv_change_deadline_days(const struct resv *r);
int resv_set_change_deadline_days(struct resv *r, int days, char *err);

/* The per-product rules (created or replaced). */
struct resv_product {
	const char *code;           /* e.g. "pfizer-xbb" */
	const char *name;           /* shown to residents */
	int min_interval_days;      /* after a dose of this product */
	int same_product;           /* 1: the next dose after this one must be the same product */
	int horizon_days;           /* slots of this product may be booked this many days ahead */
	const char *name_en;        /* shown to residents who read English; NULL or "": name */
};
/* The check every product passes, a set-up file's row or the console's
 * form alike: NULL when p may be written, else the field at fault as the
 * import's reason code (code, name, min_interval_days, horizon_days,
 * same_product) with err saying it in English. */
const char *resv_product_check(const struct resv_product *p, char *err);
/* Creates or replaces the product with p's code; a product that fails
 * resv_product_check is MG_ERR_INPUT and nothing is written. */
int resv_set_product(struct resv *r, const struct resv_product *p, char *err);

/* A venue (created or replaced by its code); NULL texts are empty. */
struct resv_venue {
	const char *code;           /* e.g. "chuo": 1..RESV_CODE_MAX bytes, no spaces */
	const char *name;           /* required */
	const char *address, *access, *accessibility, *name_en, *address_en;
};
/* The check every venue passes (an import's row, the console's form): NULL
 * when v may be written, else the reason code (code, name) with err. */
const char *resv_venue_check(const struct resv_venue *v, char *err);
/* The bounds the field named by a check's reason must keep (a code's or a
 * name's length, a number's range), for the staff's words; 0..0 for none. */
void resv_check_range(const char *reason, int *lo, int *hi);
/* Creates or replaces the venue with v's code; one failing resv_venue_check
 * is MG_ERR_INPUT and nothing is written. */
int resv_set_venue(struct resv *r, const struct resv_venue *v, char *err);

/* The settings and product rules as a new JSON object (caller decrefs). */
int resv_settings_json(struct resv *r, json_t **out, char *err);
/* The contact fields' policy, {name_kana: "off"|"optional"|"required", ...},
 * as a new JSON object (caller decrefs). */
int resv_fields_json(struct resv *r, json_t **out, char *err);

/* Imports the sample town from dir (venues.csv, products.csv, slots.csv,
 * tickets.csv; see reservation/README-booking.md). Does nothing and returns
 * MG_OK when venues already exist, unless force is set. */
int resv_seed_sample(struct resv *r, const char *dir, int force, char *err);

/* ---- Residents -------------------------------------------------------------- */

/* Logs in with the ticket number (10 digits; full-width digits, spaces and
 * hyphens are accepted) and the birth date as a person writes it (1950/4/1,
 * 19500401, 昭和25年4月1日, S25.4.1...: nlp/date.h). client is an opaque id of the caller (e.g. the IP address) for
 * rate limiting; it is stored hashed. On success token (RESV_TOKEN_LEN + 1
 * bytes) receives a new session token. Any wrong part gives MG_ERR_AUTH with
 * one message; too many wrong attempts for the ticket or the client give
 * MG_ERR_RATE, even when the next attempt would be right. */
int resv_login(struct resv *r, const char *ticket, const char *birth_date, const char *client,
	       char token[RESV_TOKEN_LEN + 1], char *err);
int resv_logout(struct resv *r, const char *token, char *err);
/* The ticket number (11 bytes) of a live session, or MG_ERR_AUTH. */
int resv_session_ticket(struct resv *r, const char *token, char ticket[RESV_TICKET_LEN + 1],
			char *err);

struct resv_contact {
	const char *name_kana;   /* each may be NULL; checked against the field policy */
	const char *phone;
	const char *email;
};

struct resv_request {
	long long slot_id;
	const char *venue;       /* optional: the venue code the resident chose; a slot
				    of another venue is refused */
	const char *idem_key;    /* optional: replaying a key returns the first result */
	struct resv_contact contact;
};

/* A booking as residents and staff see it. */
struct resv_booking {
	long long id;
	char ticket[RESV_TICKET_LEN + 1];
	long long slot_id;
	char venue[RESV_CODE_MAX + 1];
	char venue_name[RESV_TEXT_MAX + 1];
	char date[11];           /* YYYY-MM-DD */
	char start[6];           /* HH:MM, local time */
	int minutes;
	char product[RESV_CODE_MAX + 1];
	char status[16];         /* booked, checked_in, vaccinated, examined, no_show, cancelled */
	/* What the confirmation shows; the English ones are "" where the town gave none. */
	char product_name[RESV_TEXT_MAX + 1], product_name_en[RESV_TEXT_MAX + 1];
	char venue_name_en[RESV_TEXT_MAX + 1];
	char address[RESV_TEXT_MAX + 1], address_en[RESV_TEXT_MAX + 1];
	/* The last day the resident may change or cancel it themselves (the
	 * town's deadline); the slot's day when the town has none. */
	char change_until[11];
};
json_t *resv_booking_json(const struct resv_booking *b);

/* Free slots (seats left, not started, inside the product's horizon) as a
 * new JSON array (caller decrefs): what the call centre may book, the last
 * hour before a slot included (residents: resv_slots_for). venue and date may be NULL (any); when
 * date_to is NULL only date is listed. */
int resv_free_slots(struct resv *r, const char *venue, const char *date, const char *date_to,
		    json_t **out, char *err);
/* The free slots that the session's ticket may book, as resv_free_slots
 * lists them but only until the same-day cut-off: none before the day its last dose allows the next, none of
 * another product when the next dose must be the same one. *rule (may be
 * NULL) gets what filtered them, shaped as resv_refusal_json ({reason:
 * "interval", date, last_dose, days} or {reason: "same_product", product}),
 * or NULL when nothing did; the caller decrefs both. */
int resv_slots_for(struct resv *r, const char *token, const char *venue, const char *date,
		   const char *date_to, json_t **out, json_t **rule, char *err);
/* The venues as a new JSON array (caller decrefs). */
int resv_venues(struct resv *r, json_t **out, char *err);

/* The resident's operations, by session token. Each is one transaction: on any
 * error nothing has changed. out may be NULL. */
int resv_book(struct resv *r, const char *token, const struct resv_request *req,
	      struct resv_booking *out, char *err);
/* The active booking (booked or checked in); MG_ERR_NOT_FOUND if there is none. */
int resv_view(struct resv *r, const char *token, struct resv_booking *out, char *err);
/* Moves the active booking to req->slot_id (contact fields are kept when NULL). */
int resv_change(struct resv *r, const char *token, const struct resv_request *req,
		struct resv_booking *out, char *err);
int resv_cancel(struct resv *r, const char *token, const char *idem_key,
		struct resv_booking *out, char *err);
/* Waits for a seat at venue (code) and/or on date; at least one is given, and
 * only when nothing there is free. *wait_id (may be NULL) gets the entry. */
int resv_wait(struct resv *r, const char *token, const char *venue, const char *date,
	      const struct resv_contact *contact, long long *wait_id, char *err);
/* Pending offers of the resident as a new JSON array (caller decrefs). */
int resv_offers(struct resv *r, const char *token, json_t **out, char *err);
int resv_accept(struct resv *r, const char *token, long long offer_id, const char *idem_key,
		struct resv_booking *out, char *err);
int resv_decline(struct resv *r, const char *token, long long offer_id, char *err);

/* Why the last operation on r was refused, when the reason is one a
 * resident can act on: the widget says it in the resident's language, err
 * says it in English. */
enum resv_why {
	RESV_WHY_NONE,
	RESV_WHY_TICKET_NUMBER,  /* the ticket number is not 10 digits */
	RESV_WHY_BIRTH_DATE,     /* the birth date cannot be read: birth.why says how */
	RESV_WHY_STARTED,        /* the slot has already started */
	RESV_WHY_NOT_OPEN_YET,   /* bookings for the slot's day open on date */
	RESV_WHY_HAS_BOOKING,    /* the ticket already holds a booking */
	RESV_WHY_INTERVAL,       /* the next dose can be from date: days after last_dose */
	RESV_WHY_SAME_PRODUCT,   /* the next dose must be product, the same as the last */
	RESV_WHY_FULL,           /* the slot is full */
	RESV_WHY_WAITING,        /* the ticket is already on the waiting list */
	RESV_WHY_SEATS_FREE,     /* there are free seats where the resident wants to wait */
	RESV_WHY_OFFER_GONE,     /* the offer has expired or was answered */
	RESV_WHY_CLOSED,         /* the slot was closed by the town */
	RESV_WHY_DEADLINE,       /* change or cancel closed on date, days before the slot */
	RESV_WHY_CUTOFF,         /* residents' booking of the slot closed at date time */
	RESV_WHY_CONTACT,        /* a contact field (field) is missing or malformed (problem) */
	/* reception */
	RESV_WHY_NO_BOOKING_TODAY, /* the ticket has no reservation today at the desk's venues */
	RESV_WHY_NOT_TODAY,      /* the reservation is on date, not today */
	RESV_WHY_NOT_CHECKED_IN, /* a dose or 予診のみ before check-in */
	RESV_WHY_NOT_STARTED,    /* no-show before the slot (date, time) has started */
	RESV_WHY_ALREADY_DONE,   /* the reservation is already status */
	/* administrators */
	RESV_WHY_BELOW_TAKEN,    /* a capacity under the seats booked or held (seats) */
};

struct resv_refusal {
	enum resv_why why;
	char date[11];                     /* NOT_OPEN_YET, INTERVAL: the first day allowed */
	char last_dose[11];                /* INTERVAL */
	int days;                          /* INTERVAL: the interval; NOT_OPEN_YET: the horizon */
	char product[RESV_TEXT_MAX + 1];   /* SAME_PRODUCT: the product's name */
	struct nlp_date birth;             /* BIRTH_DATE */
	char time[6];                      /* NOT_STARTED: the slot's start */
	char status[16];                   /* ALREADY_DONE: the reservation's status */
	int seats;                         /* BELOW_TAKEN: seats booked or held */
	char field[16];                    /* CONTACT: name_kana, phone or email */
	char problem[16];                  /* CONTACT: required or invalid */
};

/* The refusal of the last operation on r; why is RESV_WHY_NONE when it
 * succeeded or failed for another reason. Valid until the next operation. */
const struct resv_refusal *resv_refusal(const struct resv *r);
/* The refusal as a new JSON object {reason, ...its fields} (caller decrefs),
 * or NULL when there is none: what the widget words in the resident's language. */
json_t *resv_refusal_json(const struct resv *r);

/* ---- Staff ------------------------------------------------------------------ */

/* The call centre's check of a caller on the phone: the ticket number and
 * birth date as the resident would give them at log-in (nlp/date.h reads
 * 和暦), with the same refusals (RESV_WHY_TICKET_NUMBER, RESV_WHY_BIRTH_DATE),
 * the same answer for any wrong part (MG_ERR_AUTH) and the same limits
 * (MG_ERR_RATE): per ticket, and per operator (staff, the account's name) as
 * per client. On success ticket gets the number for resv_staff_*. */
int resv_caller_check(struct resv *r, const char *ticket, const char *birth_date,
		      const char *staff, char ticket_out[RESV_TICKET_LEN + 1], char *err);
/* What the call centre sees of a ticket, as a new JSON object (caller
 * decrefs): {ticket, bookings: [every booking, newest first, with
 * cancel_reason], waiting: {venue, date, status} or null, offers: [pending]}. */
int resv_staff_history(struct resv *r, const char *ticket, json_t **out, char *err);

/* The same operations on a resident's behalf (the call centre), by ticket
 * number, under the same rules. */
int resv_staff_book(struct resv *r, const char *ticket, const struct resv_request *req,
		    struct resv_booking *out, char *err);
int resv_staff_view(struct resv *r, const char *ticket, struct resv_booking *out, char *err);
int resv_staff_change(struct resv *r, const char *ticket, const struct resv_request *req,
		      struct resv_booking *out, char *err);
int resv_staff_cancel(struct resv *r, const char *ticket, const char *idem_key,
		      struct resv_booking *out, char *err);
int resv_staff_wait(struct resv *r, const char *ticket, const char *venue, const char *date,
		    const struct resv_contact *contact, long long *wait_id, char *err);
int resv_staff_offers(struct resv *r, const char *ticket, json_t **out, char *err);
int resv_staff_accept(struct resv *r, const char *ticket, long long offer_id,
		      const char *idem_key, struct resv_booking *out, char *err);

/* Reception on the day of the slot: booked → checked_in → vaccinated (with the
 * lot number; records the dose) or examined (予診のみ: seen by the doctor, no
 * dose); booked or checked_in → no_show once the slot has started. */
int resv_checkin(struct resv *r, long long booking_id, char *err);
int resv_vaccinated(struct resv *r, long long booking_id, const char *lot, char *err);
int resv_examined(struct resv *r, long long booking_id, char *err);
int resv_no_show(struct resv *r, long long booking_id, char *err);
int resv_booking_by_id(struct resv *r, long long booking_id, struct resv_booking *out, char *err);

/* ---- Venue desks: reception sees only its own venues ---------------------------- */

/* A desk is a reception account (its name): it sees and acts on the bookings
 * of its venues only. Every function taking a desk reads NULL as "every venue"
 * (administrators, the call centre, the command line). */

/* Gives the desk exactly the venues (codes) listed, replacing what it had;
 * n == 0 leaves it none. An unknown code changes nothing (MG_ERR_NOT_FOUND). */
int resv_desk_set(struct resv *r, const char *desk, const char *const *venues, int n, char *err);
/* The desk's venues as a new JSON array of {code, name} (caller decrefs). */
int resv_desk_venues(struct resv *r, const char *desk, json_t **out, char *err);

enum resv_sort { RESV_SORT_TIME, RESV_SORT_STATUS, RESV_SORT_NAME, RESV_SORT_TICKET };

/* What reception filters a day's list by; every field may be NULL (or 0). */
struct resv_day_query {
	const char *date;      /* YYYY-MM-DD; NULL: today in the town's zone */
	const char *venue;     /* one of the desk's venues; NULL: all of them */
	const char *status;    /* booked, checked_in, vaccinated, examined, no_show,
				  cancelled, or "open" (booked or checked in);
				  NULL: all but cancelled */
	const char *find;      /* part of the ticket number as printed (full-width
				  digits, hyphens) or of the name in kana (ひらがな
				  or カタカナ) */
	const char *from, *to; /* HH:MM: slots starting from .. to */
	enum resv_sort sort;
};

/* A day's bookings at the desk's venues as a new JSON object (caller
 * decrefs): {date, venues: [{code, name}], counts: {status: n} (the whole day
 * at those venues), bookings: [{id, ticket, name_kana, venue, venue_name,
 * slot_id, start, minutes, product, product_name, status, lot}]}. A venue that
 * is not the desk's is MG_ERR_DENIED; a malformed filter MG_ERR_INPUT. */
int resv_day_list(struct resv *r, const char *desk, const struct resv_day_query *q, json_t **out,
		  char *err);

enum resv_desk_act { RESV_ACT_CHECKIN, RESV_ACT_VACCINATED, RESV_ACT_EXAMINED, RESV_ACT_NO_SHOW };

/* Reception by the ticket number printed on the 接種券: the step on the
 * ticket's reservation today at one of the desk's venues, under the rules of
 * resv_checkin and the rest (lot only for RESV_ACT_VACCINATED). A refusal
 * says why in resv_refusal: NO_BOOKING_TODAY (none here today: a reservation
 * at another venue is not shown), ALREADY_DONE, NOT_CHECKED_IN, NOT_STARTED.
 * out (may be NULL) gets the booking afterwards. */
int resv_desk_act(struct resv *r, const char *desk, const char *ticket,
		  enum resv_desk_act act, const char *lot, struct resv_booking *out, char *err);

/* ---- Administrators: slots and the booking report ------------------------------- */

/* Slots for a venue over a date range: each chosen week day from `from` to
 * `to` (inclusive) gets a slot at each time. */
struct resv_slot_plan {
	const char *venue, *product;   /* codes */
	const char *from, *to;         /* YYYY-MM-DD, from today, at most a year */
	const char *const *times;      /* HH:MM (H:MM too), 1..RESV_SLOT_TIMES_MAX */
	int ntimes;
	int minutes, capacity;
	unsigned weekdays;             /* bit 0 Sunday .. bit 6 Saturday; 0: every day */
};

/* Creates the plan's slots, all or nothing. A slot that exists already (same
 * venue, day, time and product) is left as it is and counted in *existing;
 * *created counts the new ones (both may be NULL). */
int resv_slots_create(struct resv *r, const struct resv_slot_plan *plan, int *created,
		      int *existing, char *err);
/* Slots of venue (NULL: all) from..to (inclusive), closed ones too, as a new
 * JSON array of {id, venue, venue_name, date, start, minutes, product,
 * capacity, booked, held, closed} (caller decrefs). */
int resv_slots_list(struct resv *r, const char *venue, const char *from, const char *to,
		    json_t **out, char *err);
/* A slot's capacity: never under the seats booked or held (RESV_WHY_BELOW_TAKEN);
 * seats added go first to the residents waiting (*offered, may be NULL, counts
 * the offers made). */
int resv_slot_set_capacity(struct resv *r, long long slot_id, int capacity, int *offered,
			   char *err);
/* Closes a slot that has not started (the doctor cannot come, the hall is
 * needed): it takes no more bookings; each booking in it is cancelled
 * (cancel_reason "slot_closed") with a "slot_closed" notification in the
 * outbox, and each pending offer of it is withdrawn ("offer_withdrawn"), its
 * resident back on the waiting list. *notified (may be NULL) counts them;
 * *cancelled (may be NULL) gets a new JSON array of the bookings cancelled,
 * {id} each (caller decrefs; NULL on failure), for the event log. */
int resv_slot_close(struct resv *r, long long slot_id, int *notified, json_t **cancelled, char *err);

/* The booking report per venue and day as a new JSON object (caller decrefs):
 * {from, to, rows: [{date, venue, venue_name, slots, capacity, booked,
 * fill_rate, checked_in, vaccinated, examined, no_show, cancelled}], totals:
 * {the same sums}}. booked counts every booking that holds or used a seat;
 * capacity and slots leave closed slots out; fill_rate is booked / capacity
 * (null without capacity). venue may be NULL (all). */
int resv_report(struct resv *r, const char *venue, const char *from, const char *to,
		json_t **out, char *err);
/* The report as CSV for Excel (UTF-8 with BOM, CRLF, Japanese headers, text
 * cells neutralised against formulas). */
int resv_report_csv(const json_t *report, FILE *out, char *err);

/* The national vaccination record (ワクチン接種記録システム, VRS) as CSV for
 * Excel and the upload: one row per dose given here from..to (the dates as
 * staff write them, nlp/date.h; at most RESV_REPORT_MAX_DAYS days), that is
 * per reservation recorded vaccinated (not 予診のみ, not a no-show): 券番号,
 * 自治体コード (municipality, the town's six-digit code, or NULL: empty),
 * 接種日 (YYYYMMDD), 接種回数 (the dose's place among the ticket's recorded
 * doses, imported history included), ワクチン, ロット番号, 接種会場. UTF-8
 * with BOM, CRLF, text cells neutralised against formulas (nlp/excel.h).
 * *rows (may be NULL) gets the count. */
int resv_vrs_csv(struct resv *r, const char *from, const char *to, const char *municipality,
		 FILE *out, int *rows, char *err);

/* The waiting list as administrators and the call centre see it, as a new
 * JSON array (caller decrefs), first come first: [{id, ticket, name_kana,
 * venue, venue_name, date (venue or date null: any), status (waiting or
 * offered), since (unix time it joined), offers: [{id, slot_id, date, start,
 * venue_name, status, sent (unix), expires (unix)}] (every offer made, newest
 * first)}]. venue (a code) and date (YYYY-MM-DD) narrow it to the residents
 * who would take a seat there (those waiting for any venue or any day too);
 * either may be NULL. */
int resv_waitlist(struct resv *r, const char *venue, const char *date, json_t **out, char *err);

/* Expires the offers whose time is up and passes each seat to the next
 * resident waiting (also done by every write). *expired may be NULL. */
int resv_expire_offers(struct resv *r, int *expired, char *err);

/* Notifications for a mail or LINE sender: unsent (or all) as a new JSON
 * array of {id, ticket, kind, created_at, sent_at, payload}. */
int resv_outbox(struct resv *r, int unsent_only, json_t **out, char *err);
int resv_outbox_mark_sent(struct resv *r, long long id, char *err);

/* Consistency check for tests and the bench: MG_OK when every slot's booked
 * count equals its bookings that hold a seat and held equals its pending
 * offers and nothing exceeds capacity; otherwise MG_ERR_INTERNAL and err says where. */
int resv_check(struct resv *r, char *err);

/* `madoguchi booking SUBCOMMAND ...` (argv[0] == "booking") on the database
 * at db, in the town's time zone (borrowed; NULL: the process's), with the
 * town's municipality code for the VRS file (NULL: none). Returns the exit
 * status. */
int resv_cli(const char *db, const struct nlp_zone *zone, const char *municipality, int argc,
	     char **argv);

#endif
