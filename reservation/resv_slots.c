/* The administrators' side of slots: creating a venue's slots for a date
 * range at once, changing a slot's capacity, closing a slot (its bookings are
 * cancelled and notified through the outbox), and the booking report per
 * venue and day with its CSV for Excel. Each change is one transaction. */
#include "reservation/resv_int.h"

#include <string.h>

#include "nlp/excel.h"

/* ---- creating slots ---------------------------------------------------------- */

/* "9:00" as Excel and people write it, or "09:00", into out as HH:MM. */
static int start_time(const char *s, char out[6])
{
	if (s && strlen(s) == 4 && s[1] == ':')
		snprintf(out, 6, "0%s", s);
	else
		snprintf(out, 6, "%s", s ? s : "");
	return s && strlen(out) == 5 && resv_x_time_parse(out) >= 0 ? 0 : -1;
}

static int week_day(long days)
{
	return (int)(((days + 4) % 7 + 7) % 7);  /* 1970-01-01 was a Thursday */
}

static int check_plan(struct resv *r, const struct resv_slot_plan *p, long *d1, long *d2,
		      char starts[][6], char *err)
{
	if (!p || !p->venue || !p->product)
		return mg_fail(err, MG_ERR_INPUT, "choose a venue and a product");
	if (resv_x_date_parse(p->from, d1) || resv_x_date_parse(p->to, d2))
		return mg_fail(err, MG_ERR_INPUT, "the dates are written YYYY-MM-DD");
	if (*d1 < resv_x_today(r))
		return mg_fail(err, MG_ERR_INPUT, "%s is in the past", p->from);
	if (*d2 < *d1 || *d2 - *d1 >= RESV_MAX_HORIZON_DAYS)
		return mg_fail(err, MG_ERR_INPUT, "the last day is from the first to %d days after it",
			       RESV_MAX_HORIZON_DAYS - 1);
	if (p->ntimes < 1 || p->ntimes > RESV_SLOT_TIMES_MAX || !p->times)
		return mg_fail(err, MG_ERR_INPUT, "give 1 to %d start times", RESV_SLOT_TIMES_MAX);
	for (int i = 0; i < p->ntimes; i++)
		if (start_time(p->times[i], starts[i]))
			return mg_fail(err, MG_ERR_INPUT, "\"%s\" is not a time (HH:MM)",
				       p->times[i] ? p->times[i] : "");
	if (p->minutes < RESV_SLOT_MIN_MINUTES || p->minutes > RESV_SLOT_MAX_MINUTES)
		return mg_fail(err, MG_ERR_INPUT, "a slot lasts %d..%d minutes", RESV_SLOT_MIN_MINUTES,
			       RESV_SLOT_MAX_MINUTES);
	if (p->capacity < 0 || p->capacity > RESV_SLOT_MAX_CAPACITY)
		return mg_fail(err, MG_ERR_INPUT, "capacity must be 0..%d", RESV_SLOT_MAX_CAPACITY);
	if (p->weekdays > 0x7F)
		return mg_fail(err, MG_ERR_INPUT, "unknown week days");
	long n = 0;
	for (long d = *d1; d <= *d2; d++)
		n += !p->weekdays || (p->weekdays & (1u << week_day(d)));
	if (n * p->ntimes > RESV_SLOT_BATCH_MAX)
		return mg_fail(err, MG_ERR_INPUT, "that is %ld slots; at most %d at once",
			       n * p->ntimes, RESV_SLOT_BATCH_MAX);
	if (!n)
		return mg_fail(err, MG_ERR_INPUT, "none of those days is a chosen week day");
	return MG_OK;
}

int resv_slots_create(struct resv *r, const struct resv_slot_plan *p, int *created,
		      int *existing, char *err)
{
	int began = 0;
	char starts[RESV_SLOT_TIMES_MAX][6];
	long d1 = 0, d2 = 0;
	long long venue_id = 0, product = 0;
	int made = 0, kept = 0;
	int rc = check_plan(r, p, &d1, &d2, starts, err);
	if (rc == MG_OK)
		began = (rc = resv_x_begin(r, err)) == MG_OK;
	if (rc == MG_OK) {
		rc = resv_x_int(r, &venue_id, err, "SELECT id FROM resv_venues WHERE code = ?", "t",
				p->venue);
		if (rc == MG_ERR_NOT_FOUND)
			rc = mg_fail(err, rc, "there is no venue %s", p->venue);
	}
	if (rc == MG_OK)
		rc = resv_x_int(r, &product, err, "SELECT count(*) FROM resv_products WHERE code = ?",
				"t", p->product);
	if (rc == MG_OK && !product)
		rc = mg_fail(err, MG_ERR_NOT_FOUND, "there is no product %s", p->product);
	for (long d = d1; rc == MG_OK && d <= d2; d++) {
		if (p->weekdays && !(p->weekdays & (1u << week_day(d))))
			continue;
		char day[11];
		resv_x_date_format(d, day);
		for (int i = 0; rc == MG_OK && i < p->ntimes; i++) {
			int changed = 0;
			rc = resv_x_run(r, &changed, err, "INSERT OR IGNORE INTO resv_slots(venue_id, date,"
					" start, minutes, product, capacity) VALUES(?, ?, ?, ?, ?, ?)",
					"ittdtd", venue_id, day, starts[i], p->minutes, p->product,
					p->capacity);
			made += changed;
			kept += !changed;
		}
	}
	if (began)
		rc = resv_x_end(r, rc, err);
	if (created)
		*created = rc == MG_OK ? made : 0;
	if (existing)
		*existing = rc == MG_OK ? kept : 0;
	return rc;
}

/* from..to of a list or the report: dates, in order, at most a year. */
static int day_range(const char *from, const char *to, char *err)
{
	long d1, d2;
	if (resv_x_date_parse(from, &d1) || resv_x_date_parse(to, &d2) || d2 < d1)
		return mg_fail(err, MG_ERR_INPUT, "from and to are dates YYYY-MM-DD, from first");
	if (d2 - d1 >= RESV_REPORT_MAX_DAYS)
		return mg_fail(err, MG_ERR_INPUT, "at most %d days at once", RESV_REPORT_MAX_DAYS);
	return MG_OK;
}

int resv_slots_list(struct resv *r, const char *venue, const char *from, const char *to,
		    json_t **out, char *err)
{
	*out = NULL;
	int rc = day_range(from, to, err);
	if (rc != MG_OK)
		return rc;
	static const char *const keys[] = {"id", "venue", "venue_name", "date", "start", "minutes",
					   "product", "capacity", "booked", "held", "?closed", NULL};
	json_t *a = json_array();
	rc = a ? resv_x_rows(r, a, err, keys,
				 "SELECT s.id, v.code, v.name, s.date, s.start, s.minutes, s.product,"
				 " s.capacity, s.booked, s.held, s.closed FROM resv_slots s"
				 " JOIN resv_venues v ON v.id = s.venue_id WHERE s.date BETWEEN ?1 AND ?2"
				 " AND (?3 IS NULL OR v.code = ?3) ORDER BY s.date, s.start, v.code",
				 "ttt", from, to, venue)
		   : mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc == MG_OK)
		*out = a;
	else
		json_decref(a);
	return rc;
}

/* ---- capacity and closing ------------------------------------------------------ */

/* The slot for a change by an administrator: it exists and is not closed. */
static int open_slot(struct resv *r, long long slot_id, struct resv_x_slot *slot, char *err)
{
	int rc = resv_x_slot(r, slot_id, slot, err);
	if (rc == MG_OK && slot->closed) {
		resv_x_refuse(r, RESV_WHY_CLOSED);
		rc = mg_fail(err, MG_ERR_CONFLICT, "the slot of %s %s is closed", slot->date,
			     slot->start);
	}
	return rc;
}

int resv_slot_set_capacity(struct resv *r, long long slot_id, int capacity, int *offered,
			   char *err)
{
	struct resv_x_slot slot;
	long long taken = 0, held = 0, before = 0;
	int n = 0;
	resv_x_refuse(r, RESV_WHY_NONE);
	if (capacity < 0 || capacity > RESV_SLOT_MAX_CAPACITY)
		return mg_fail(err, MG_ERR_INPUT, "capacity must be 0..%d", RESV_SLOT_MAX_CAPACITY);
	int rc = resv_x_begin(r, err);
	if (rc == MG_OK)
		rc = resv_x_expire(r, NULL, err);
	if (rc == MG_OK)
		rc = open_slot(r, slot_id, &slot, err);
	if (rc == MG_OK)
		rc = resv_x_int(r, &taken, err, "SELECT booked + held FROM resv_slots WHERE id = ?", "i",
				slot_id);
	if (rc == MG_OK && capacity < taken) {
		resv_x_refuse(r, RESV_WHY_BELOW_TAKEN)->seats = (int)taken;
		rc = mg_fail(err, MG_ERR_CONFLICT, "%lld seats are booked or offered; the capacity"
			     " cannot be less", taken);
	}
	if (rc == MG_OK)
		rc = resv_x_run(r, NULL, err, "UPDATE resv_slots SET capacity = ? WHERE id = ?", "di",
				capacity, slot_id);
	/* Each new seat goes to the next resident waiting, as a freed one does,
	 * until nobody waiting may have it. */
	for (long long i = taken; rc == MG_OK && i < capacity; i++) {
		rc = resv_x_int(r, &before, err, "SELECT held FROM resv_slots WHERE id = ?", "i", slot_id);
		if (rc == MG_OK)
			rc = resv_x_offer_freed_seat(r, slot_id, err);
		if (rc == MG_OK)
			rc = resv_x_int(r, &held, err, "SELECT held FROM resv_slots WHERE id = ?", "i",
					slot_id);
		if (rc == MG_OK && held == before)
			break;
		n++;
	}
	rc = resv_x_end(r, rc, err);
	if (offered)
		*offered = rc == MG_OK ? n : 0;
	return rc;
}

/* Queues a notification of kind for the resident of the row that sql
 * (bound to id) selects: its columns, named by keys, are the payload;
 * the first is the ticket. NULL columns (contact not left) are left out. */
static int tell(struct resv *r, const char *kind, const char *const *keys, const char *sql,
		long long id, char *err)
{
	sqlite3_stmt *st = NULL;
	json_t *payload = NULL;
	int rc = resv_x_prep(r, &st, err, sql, "i", id);
	if (rc == MG_OK && sqlite3_step(st) != SQLITE_ROW)
		rc = resv_x_dberr(r, err, kind);
	if (rc == MG_OK && !(payload = resv_x_row_json(st, keys, 1)))
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc == MG_OK)
		rc = resv_x_outbox(r, (const char *)sqlite3_column_text(st, 0), kind, payload, err);
	json_decref(payload);
	resv_x_done(r, st);
	return rc;
}

/* Cancels booking id of a closing slot and tells its resident. */
static int close_booking(struct resv *r, long long id, char *err)
{
	static const char *const keys[] = {"ticket", "booking_id", "venue", "venue_name", "date",
					   "start", "product", "name_kana", "phone", "email", NULL};
	int rc = tell(r, "slot_closed", keys,
		      "SELECT b.ticket, b.id, v.code, v.name, s.date, s.start, s.product, b.name_kana,"
		      " b.phone, b.email FROM resv_bookings b JOIN resv_slots s ON s.id = b.slot_id"
		      " JOIN resv_venues v ON v.id = s.venue_id WHERE b.id = ?", id, err);
	if (rc == MG_OK)
		rc = resv_x_run(r, NULL, err, "UPDATE resv_bookings SET status = 'cancelled',"
				" cancel_reason = 'slot_closed', updated_at = ? WHERE id = ?", "ii",
				(long long)resv_x_now(r), id);
	if (rc == MG_OK)
		rc = resv_x_run(r, NULL, err, "UPDATE resv_slots SET booked = booked - 1"
				" WHERE id = (SELECT slot_id FROM resv_bookings WHERE id = ?)", "i", id);
	return rc;
}

/* Withdraws pending offer id of a closing slot: its resident waits again. */
static int withdraw_offer(struct resv *r, long long id, char *err)
{
	static const char *const keys[] = {"ticket", "offer_id", "venue", "venue_name", "date",
					   "start", "name_kana", "phone", "email", NULL};
	int rc = tell(r, "offer_withdrawn", keys,
		      "SELECT o.ticket, o.id, v.code, v.name, s.date, s.start, w.name_kana, w.phone,"
		      " w.email FROM resv_offers o JOIN resv_slots s ON s.id = o.slot_id"
		      " JOIN resv_venues v ON v.id = s.venue_id"
		      " JOIN resv_waitlist w ON w.id = o.waitlist_id WHERE o.id = ?", id, err);
	if (rc == MG_OK)
		rc = resv_x_run(r, NULL, err, "UPDATE resv_waitlist SET status = 'waiting' WHERE id ="
				" (SELECT waitlist_id FROM resv_offers WHERE id = ?)", "i", id);
	if (rc == MG_OK)
		rc = resv_x_run(r, NULL, err, "UPDATE resv_offers SET status = 'expired' WHERE id = ?",
				"i", id);
	if (rc == MG_OK)
		rc = resv_x_run(r, NULL, err, "UPDATE resv_slots SET held = held - 1"
				" WHERE id = (SELECT slot_id FROM resv_offers WHERE id = ?)", "i", id);
	return rc;
}

/* fn on the row that sql (bound to slot_id) finds, until it finds none: one
 * at a time, since each fn changes what the next query finds. *n counts them. */
static int each(struct resv *r, const char *sql, long long slot_id,
		int (*fn)(struct resv *r, long long id, char *err), int *n, char *err)
{
	for (;;) {
		long long id = 0;
		int rc = resv_x_int(r, &id, err, sql, "i", slot_id);
		if (rc == MG_ERR_NOT_FOUND)
			return MG_OK;
		if (rc == MG_OK)
			rc = fn(r, id, err);
		if (rc != MG_OK)
			return rc;
		(*n)++;
	}
}

int resv_slot_close(struct resv *r, long long slot_id, int *notified, json_t **cancelled, char *err)
{
	static const char *const keys[] = {"id", NULL};
	struct resv_x_slot slot;
	int n = 0;
	json_t *ids = json_array();
	if (cancelled)
		*cancelled = NULL;
	resv_x_refuse(r, RESV_WHY_NONE);
	int rc = resv_x_begin(r, err);
	if (rc == MG_OK)
		rc = resv_x_expire(r, NULL, err);
	if (rc == MG_OK)
		rc = open_slot(r, slot_id, &slot, err);
	if (rc == MG_OK && slot.started) {
		resv_x_refuse(r, RESV_WHY_STARTED);
		rc = mg_fail(err, MG_ERR_CONFLICT, "the slot of %s %s has already started", slot.date,
			     slot.start);
	}
	if (rc == MG_OK)
		rc = resv_x_run(r, NULL, err, "UPDATE resv_slots SET closed = 1 WHERE id = ?", "i",
				slot_id);
	/* The slot's bookings, read under the write lock, each cancelled. */
	if (rc == MG_OK && !ids)
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc == MG_OK)
		rc = resv_x_rows(r, ids, err, keys, "SELECT id FROM resv_bookings WHERE slot_id = ? AND"
				 " status IN ('booked', 'checked_in') ORDER BY id", "i", slot_id);
	size_t i;
	json_t *b;
	json_array_foreach(ids, i, b) {
		if (rc == MG_OK)
			rc = close_booking(r, json_integer_value(json_object_get(b, "id")), err);
		n += rc == MG_OK;
	}
	if (rc == MG_OK)
		rc = each(r, "SELECT id FROM resv_offers WHERE slot_id = ? AND status = 'pending'"
			  " ORDER BY id LIMIT 1", slot_id, withdraw_offer, &n, err);
	rc = resv_x_end(r, rc, err);
	if (notified)
		*notified = rc == MG_OK ? n : 0;
	if (rc == MG_OK && cancelled)
		*cancelled = json_incref(ids);
	json_decref(ids);
	return rc;
}

/* ---- the booking report --------------------------------------------------------- */

static const char *const report_counts[] = {"slots", "capacity", "booked", "checked_in",
					    "vaccinated", "examined", "no_show", "cancelled"};
#define NCOUNTS (sizeof report_counts / sizeof *report_counts)

static void set_fill_rate(json_t *o)
{
	json_int_t cap = json_integer_value(json_object_get(o, "capacity"));
	json_int_t booked = json_integer_value(json_object_get(o, "booked"));
	json_object_set_new(o, "fill_rate", cap ? json_real((double)booked / (double)cap) : json_null());
}

int resv_report(struct resv *r, const char *venue, const char *from, const char *to,
		json_t **out, char *err)
{
	*out = NULL;
	int rc = day_range(from, to, err);
	if (rc != MG_OK)
		return rc;
	json_t *o = json_pack("{s:s, s:s, s:o, s:o}", "from", from, "to", to, "rows", json_array(),
			      "totals", json_object());
	json_t *rows = json_object_get(o, "rows"), *totals = json_object_get(o, "totals");
	long long sum[NCOUNTS] = {0};
	sqlite3_stmt *st = NULL;
	rc = o ? MG_OK : mg_fail(err, MG_ERR_NOMEM, "out of memory");
	/* A slot's bookings counted once per slot, then summed per venue and day:
	 * a join of slots and bookings would count a slot's capacity per booking. */
	if (rc == MG_OK)
		rc = resv_x_prep(r, &st, err,
				 "WITH b AS (SELECT slot_id,"
				 "  count(*) FILTER (WHERE status != 'cancelled') AS booked,"
				 "  count(*) FILTER (WHERE status = 'checked_in') AS checked_in,"
				 "  count(*) FILTER (WHERE status = 'vaccinated') AS vaccinated,"
				 "  count(*) FILTER (WHERE status = 'examined') AS examined,"
				 "  count(*) FILTER (WHERE status = 'no_show') AS no_show,"
				 "  count(*) FILTER (WHERE status = 'cancelled') AS cancelled"
				 "  FROM resv_bookings GROUP BY slot_id)"
				 " SELECT s.date, v.code, v.name, sum(s.closed = 0),"
				 "  sum(CASE WHEN s.closed = 0 THEN s.capacity ELSE 0 END),"
				 "  sum(coalesce(b.booked, 0)), sum(coalesce(b.checked_in, 0)),"
				 "  sum(coalesce(b.vaccinated, 0)), sum(coalesce(b.examined, 0)),"
				 "  sum(coalesce(b.no_show, 0)), sum(coalesce(b.cancelled, 0))"
				 " FROM resv_slots s JOIN resv_venues v ON v.id = s.venue_id"
				 " LEFT JOIN b ON b.slot_id = s.id"
				 " WHERE s.date BETWEEN ?1 AND ?2 AND (?3 IS NULL OR v.code = ?3)"
				 " GROUP BY s.date, v.id ORDER BY s.date, v.code", "ttt", from, to, venue);
	int s = SQLITE_DONE;
	while (rc == MG_OK && (s = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = json_pack("{s:s, s:s, s:s}", "date", (const char *)sqlite3_column_text(st, 0),
					"venue", (const char *)sqlite3_column_text(st, 1),
					"venue_name", (const char *)sqlite3_column_text(st, 2));
		for (size_t i = 0; row && i < NCOUNTS; i++) {
			long long v = sqlite3_column_int64(st, 3 + (int)i);
			sum[i] += v;
			json_object_set_new(row, report_counts[i], json_integer(v));
		}
		set_fill_rate(row);
		json_array_append_new(rows, row);
	}
	if (rc == MG_OK && s != SQLITE_DONE)
		rc = resv_x_dberr(r, err, "report");
	resv_x_done(r, st);
	for (size_t i = 0; rc == MG_OK && i < NCOUNTS; i++)
		json_object_set_new(totals, report_counts[i], json_integer(sum[i]));
	if (rc == MG_OK)
		set_fill_rate(totals);
	if (rc == MG_OK)
		*out = o;
	else
		json_decref(o);
	return rc;
}

static int csv_counts(FILE *f, const json_t *o)
{
	int bad = 0;
	for (size_t i = 0; i < NCOUNTS; i++)
		bad |= fprintf(f, "%lld,", (long long)json_integer_value(json_object_get(o, report_counts[i]))) < 0;
	json_t *rate = json_object_get(o, "fill_rate");
	bad |= (json_is_number(rate) ? fprintf(f, "%.1f%%\r\n", 100 * json_number_value(rate))
				     : fprintf(f, "\r\n")) < 0;
	return bad;
}

int resv_report_csv(const json_t *report, FILE *out, char *err)
{
	size_t i;
	json_t *row;
	int bad = fputs(NLP_EXCEL_BOM "日付,会場コード,会場,枠数,定員,予約,受付済,接種済,予診のみ,"
			"来場なし,取消,充足率\r\n", out) == EOF;
	json_array_foreach(json_object_get(report, "rows"), i, row) {
		bad |= nlp_excel_cell(out, json_string_value(json_object_get(row, "date")), 0);
		bad |= nlp_excel_cell(out, json_string_value(json_object_get(row, "venue")), 0);
		bad |= nlp_excel_cell(out, json_string_value(json_object_get(row, "venue_name")), 0);
		bad |= csv_counts(out, row);
	}
	bad |= nlp_excel_cell(out, "合計", 0) | nlp_excel_cell(out, "", 0) | nlp_excel_cell(out, "", 0);
	bad |= csv_counts(out, json_object_get(report, "totals"));
	if (bad || fflush(out) != 0)
		return mg_fail(err, MG_ERR_IO, "the report could not be written");
	return MG_OK;
}

/* ---- the waiting list ------------------------------------------------------------ */

int resv_waitlist(struct resv *r, const char *venue, const char *date, json_t **out, char *err)
{
	static const char *const keys[] = {"id", "ticket", "name_kana", "venue", "venue_name", "date",
					   "status", "since", NULL};
	static const char *const offer_keys[] = {"id", "slot_id", "date", "start", "venue_name",
						 "status", "sent", "expires", NULL};
	long days;
	*out = NULL;
	if (date && resv_x_date_parse(date, &days))
		return mg_fail(err, MG_ERR_INPUT, "date \"%s\" is not a date (YYYY-MM-DD)", date);
	/* An offer whose time is up is shown passed on, as the next write would. */
	int rc = resv_expire_offers(r, NULL, err);
	json_t *a = json_array();
	if (rc == MG_OK && !a)
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc == MG_OK)
		rc = resv_x_rows(r, a, err, keys,
				 "SELECT w.id, w.ticket, w.name_kana, v.code, v.name, w.date, w.status,"
				 " w.created_at FROM resv_waitlist w LEFT JOIN resv_venues v ON v.id = w.venue_id"
				 " WHERE w.status IN ('waiting', 'offered')"
				 " AND (?1 IS NULL OR w.venue_id IS NULL OR v.code = ?1)"
				 " AND (?2 IS NULL OR w.date IS NULL OR w.date = ?2)"
				 " ORDER BY w.created_at, w.id", "tt", venue, date);
	size_t i;
	json_t *e;
	json_array_foreach(a, i, e) {
		if (rc != MG_OK)
			break;
		json_t *offers = json_array();
		/* json_object_set_new frees offers when it fails */
		if (!offers || json_object_set_new(e, "offers", offers))
			rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
		else
			rc = resv_x_rows(r, offers, err, offer_keys,
					 "SELECT o.id, o.slot_id, s.date, s.start, v.name, o.status,"
					 " o.created_at, o.expires_at FROM resv_offers o"
					 " JOIN resv_slots s ON s.id = o.slot_id"
					 " JOIN resv_venues v ON v.id = s.venue_id"
					 " WHERE o.waitlist_id = ? ORDER BY o.id DESC", "i",
					 (long long)json_integer_value(json_object_get(e, "id")));
	}
	if (rc == MG_OK)
		*out = a;
	else
		json_decref(a);
	return rc;
}
