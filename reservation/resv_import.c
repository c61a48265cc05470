/* The town's set-up files: venues, product rules, slots and tickets as CSV
 * that staff keep in Excel (parsed by libcsv), imported all or nothing; the
 * doses given exported as CSV for the national record system (VRS); and the
 * sample town for the demo. */
#include "reservation/resv_int.h"
#include "nlp/excel.h"
#include "nlp/text.h"

#include <csv.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* No set-up file has more columns than this; a row with more is not ours. */
#define IMPORT_MAX_COLUMNS 16

struct column {
	const char *name;
	int required;
};

static const struct column venue_cols[] = {
	{"code", 1}, {"name", 1}, {"address", 0}, {"access", 0}, {"accessibility", 0},
	{"name_en", 0}, {"address_en", 0}, {NULL, 0}};
static const struct column product_cols[] = {
	{"code", 1}, {"name", 1}, {"min_interval_days", 1}, {"same_product", 1},
	{"horizon_days", 1}, {"name_en", 0}, {NULL, 0}};
static const struct column slot_cols[] = {
	{"venue", 1}, {"date", 1}, {"start", 1}, {"minutes", 1}, {"capacity", 1},
	{"product", 1}, {NULL, 0}};
static const struct column ticket_cols[] = {
	{"ticket", 1}, {"birth_date", 1}, {"dose_date", 0}, {"dose_product", 0}, {NULL, 0}};

struct import {
	struct resv *r;
	enum resv_import_kind kind;
	const struct column *cols;
	int map[IMPORT_MAX_COLUMNS];   /* file column → index in cols, -1 ignored */
	char *cell[IMPORT_MAX_COLUMNS];
	int ncell;
	int past_cap_value;            /* the row's first column past the cap holding a value, or 0 */
	int past_cap;                  /* the row's cells past the cap */
	int nul_column;                /* the row's first column holding a NUL byte, or 0 */
	int line, row_line;            /* line being fed; line the current row started on */
	int header_done, header_bad, rows, bad, fatal;
	long today;
	resv_report_fn report;
	void *report_ctx;
	char err[MG_ERR_LEN];
};

/* A refused row: reason is its stable code (resv.h), value the cell or
 * column at fault, lo..hi a number's range; fmt says it all in English. */
static int bad_row(struct import *im, int line, const char *reason, const char *value, int lo,
		   int hi, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static int bad_row(struct import *im, int line, const char *reason, const char *value, int lo,
		   int hi, const char *fmt, ...)
{
	im->bad++;
	if (!im->report || im->bad > RESV_IMPORT_MAX_REPORTED)
		return 0;
	char msg[MG_ERR_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	struct resv_bad_row row = {line, reason, value ? value : "", lo, hi, msg};
	im->report(im->report_ctx, &row);
	return 0;
}

/* The cell of column name in the current row ("" if the file has no such column). */
static const char *cell(const struct import *im, const char *name)
{
	for (int i = 0; i < im->ncell && i < IMPORT_MAX_COLUMNS; i++)
		if (im->map[i] >= 0 && !strcmp(im->cols[im->map[i]].name, name))
			return im->cell[i] ? im->cell[i] : "";
	return "";
}

static int int_cell(const char *s, int lo, int hi, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

/* Dates as staff write them: 2026-03-01, or 2026/3/1 as Excel saves them, or
 * today+N / today-N for templates and the sample town. */
static int date_cell(const struct import *im, const char *s, long *days)
{
	if (!strncmp(s, "today", 5)) {
		int n;
		if (!s[5])
			n = 0;
		else if ((s[5] != '+' && s[5] != '-') ||
			 int_cell(s + 6, 0, RESV_MAX_INTERVAL_DAYS, &n))  /* older: write the date */
			return -1;
		*days = im->today + (s[5] == '-' ? -n : n);
		return 0;
	}
	char copy[16], norm[16];
	int y, m, d, len = 0;
	size_t n = strlen(s);
	if (n >= sizeof copy)
		return -1;
	memcpy(copy, s, n + 1);
	/* One separator throughout: 2026-3-1 or 2026/3/1. */
	char *a = strpbrk(copy, "-/"), *b = a ? strpbrk(a + 1, "-/") : NULL;
	if (!a || !b || *a != *b)
		return -1;
	*a = *b = '-';
	if (sscanf(copy, "%4d-%2d-%2d%n", &y, &m, &d, &len) != 3 || copy[len] || y < 0 || m < 0 ||
	    d < 0)
		return -1;
	snprintf(norm, sizeof norm, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
		 (unsigned)d % 100u);
	return resv_x_date_parse(norm, days);
}

/* 9:00 or 09:00. */
static int time_cell(const char *s, char out[6])
{
	int h, m, len = 0;
	if (sscanf(s, "%2d:%2d%n", &h, &m, &len) != 2 || s[len] || len < 4 || h < 0 || m < 0)
		return -1;
	snprintf(out, 6, "%02u:%02u", (unsigned)h % 100u, (unsigned)m % 100u);
	return resv_x_time_parse(out) < 0 ? -1 : 0;
}

static int yes_no(const char *s)
{
	if (!strcmp(s, "yes") || !strcmp(s, "1") || !strcmp(s, "true") || !strcmp(s, "はい"))
		return 1;
	if (!strcmp(s, "no") || !strcmp(s, "0") || !strcmp(s, "false") || !strcmp(s, "いいえ"))
		return 0;
	return -1;
}

/* One write of a row; a constraint refusal is the row's fault, anything else ends the import. */
static int row_write(struct import *im, int rc, const char *reason, const char *what)
{
	if (rc == MG_ERR_CONFLICT)
		bad_row(im, im->row_line, reason, NULL, 0, 0, "%s", what);
	else if (rc != MG_OK && !im->fatal)
		im->fatal = rc;
	return 0;
}

/* A row refused by the shared check (reason why, its column's cell, the
 * bounds the staff's words quote). */
static int check_refused(struct import *im, const char *why, const char *msg)
{
	int lo, hi;
	resv_check_range(why, &lo, &hi);
	return bad_row(im, im->row_line, why, cell(im, why), lo, hi, "%s", msg);
}

static int import_venue(struct import *im)
{
	struct resv_venue v = {cell(im, "code"), cell(im, "name"), cell(im, "address"), cell(im, "access"),
			       cell(im, "accessibility"), cell(im, "name_en"), cell(im, "address_en")};
	char msg[MG_ERR_LEN];
	const char *why = resv_venue_check(&v, msg);
	if (why)
		return check_refused(im, why, msg);
	return row_write(im, resv_set_venue(im->r, &v, im->err), "refused", "venue refused");
}

/* A number cell of a product: whether it is in range is the shared check's to say. */
static int product_int(const char *s, int *out)
{
	return int_cell(s, INT_MIN, INT_MAX, out);
}

static int import_product(struct import *im)
{
	struct resv_product p = {cell(im, "code"), cell(im, "name"), 0, 0, 0, cell(im, "name_en")};
	char msg[MG_ERR_LEN];
	p.same_product = yes_no(cell(im, "same_product"));
	if (product_int(cell(im, "min_interval_days"), &p.min_interval_days))
		p.min_interval_days = -1;
	if (product_int(cell(im, "horizon_days"), &p.horizon_days))
		p.horizon_days = 0;
	const char *why = resv_product_check(&p, msg);
	if (why)
		return check_refused(im, why, msg);
	int rc = resv_set_product(im->r, &p, msg);
	if (rc != MG_OK && !im->fatal) {
		im->fatal = rc;
		snprintf(im->err, sizeof im->err, "%s", msg);
	}
	return 0;
}

static int import_slot(struct import *im)
{
	long date;
	char start[6], day[11];
	int minutes, capacity;
	long long venue_id = 0, exists = 0;
	if (date_cell(im, cell(im, "date"), &date))
		return bad_row(im, im->row_line, "date", cell(im, "date"), 0, 0,
			       "date \"%s\" is not a date (YYYY-MM-DD)", cell(im, "date"));
	if (date < im->today)
		return bad_row(im, im->row_line, "date_past", cell(im, "date"), 0, 0,
			       "date %s is in the past", cell(im, "date"));
	if (time_cell(cell(im, "start"), start))
		return bad_row(im, im->row_line, "start", cell(im, "start"), 0, 0,
			       "start \"%s\" is not a time (HH:MM)", cell(im, "start"));
	if (int_cell(cell(im, "minutes"), RESV_SLOT_MIN_MINUTES, RESV_SLOT_MAX_MINUTES, &minutes))
		return bad_row(im, im->row_line, "minutes", cell(im, "minutes"), RESV_SLOT_MIN_MINUTES,
			       RESV_SLOT_MAX_MINUTES, "minutes must be %d..%d", RESV_SLOT_MIN_MINUTES,
			       RESV_SLOT_MAX_MINUTES);
	if (int_cell(cell(im, "capacity"), 0, RESV_SLOT_MAX_CAPACITY, &capacity))
		return bad_row(im, im->row_line, "capacity", cell(im, "capacity"), 0,
			       RESV_SLOT_MAX_CAPACITY, "capacity must be 0..%d", RESV_SLOT_MAX_CAPACITY);
	int rc = resv_x_int(im->r, &venue_id, im->err, "SELECT id FROM resv_venues WHERE code = ?",
			    "t", cell(im, "venue"));
	if (rc == MG_ERR_NOT_FOUND)
		return bad_row(im, im->row_line, "unknown_venue", cell(im, "venue"), 0, 0,
			       "unknown venue \"%s\" (import venues first)", cell(im, "venue"));
	if (rc == MG_OK) {
		rc = resv_x_int(im->r, &exists, im->err,
				"SELECT count(*) FROM resv_products WHERE code = ?", "t",
				cell(im, "product"));
		if (rc == MG_OK && !exists)
			return bad_row(im, im->row_line, "unknown_product", cell(im, "product"), 0, 0,
				       "unknown product \"%s\" (set products first)", cell(im, "product"));
	}
	resv_x_date_format(date, day);
	if (rc == MG_OK)
		rc = resv_x_run(im->r, NULL, im->err,
				"INSERT INTO resv_slots(venue_id, date, start, minutes, product, capacity)"
				" VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(venue_id, date, start, product)"
				" DO UPDATE SET minutes = excluded.minutes, capacity = excluded.capacity",
				"ittdtd", venue_id, day, start, minutes, cell(im, "product"), capacity);
	return row_write(im, rc, "below_taken", "capacity is below the seats already booked");
}

static int import_ticket(struct import *im)
{
	char ticket[RESV_TICKET_LEN + 1], birth[11], dose[11];
	long bdays, ddays;
	char err[MG_ERR_LEN];
	if (resv_x_ticket_norm(cell(im, "ticket"), ticket, err))
		return bad_row(im, im->row_line, "ticket", cell(im, "ticket"), 0, 0,
			       "ticket \"%s\" is not 10 digits", cell(im, "ticket"));
	if (date_cell(im, cell(im, "birth_date"), &bdays) || bdays > im->today)
		return bad_row(im, im->row_line, "birth_date", cell(im, "birth_date"), 0, 0,
			       "birth_date \"%s\" is not a past date", cell(im, "birth_date"));
	resv_x_date_format(bdays, birth);
	const char *dd = cell(im, "dose_date"), *dp = cell(im, "dose_product");
	if (!*dd != !*dp)
		return bad_row(im, im->row_line, "dose_pair", NULL, 0, 0,
			       "dose_date and dose_product go together");
	if (*dd && (date_cell(im, dd, &ddays) || ddays > im->today || ddays < bdays))
		return bad_row(im, im->row_line, "dose_date", dd, 0, 0,
			       "dose_date \"%s\" is not a date between birth and today", dd);
	/* A ticket may appear on several rows (one per past dose); its birth
	 * date must agree between them. */
	long long seen = 0;
	int rc = resv_x_int(im->r, &seen, im->err,
			    "SELECT count(*) FROM temp.resv_import_seen WHERE number = ? AND"
			    " birth_date != ?", "tt", ticket, birth);
	if (rc == MG_OK && seen)
		return bad_row(im, im->row_line, "birth_date_differs", ticket, 0, 0,
			       "ticket %s has another birth date on an earlier row", ticket);
	if (rc == MG_OK)
		rc = resv_x_run(im->r, NULL, im->err,
				"INSERT OR IGNORE INTO temp.resv_import_seen(number, birth_date)"
				" VALUES(?, ?)", "tt", ticket, birth);
	if (rc == MG_OK)
		rc = resv_x_run(im->r, NULL, im->err,
				"INSERT INTO resv_tickets(number, birth_date) VALUES(?, ?)"
				" ON CONFLICT(number) DO UPDATE SET birth_date = excluded.birth_date",
				"tt", ticket, birth);
	if (rc == MG_OK && *dd) {
		long long known = 0;
		rc = resv_x_int(im->r, &known, im->err,
				"SELECT count(*) FROM resv_products WHERE code = ?", "t", dp);
		if (rc == MG_OK && !known)
			return bad_row(im, im->row_line, "unknown_product", dp, 0, 0,
				       "unknown product \"%s\" (list it in the products file with its rules)",
				       dp);
		resv_x_date_format(ddays, dose);
		if (rc == MG_OK)
			rc = resv_x_run(im->r, NULL, im->err,
					"INSERT INTO resv_doses(ticket, date, product) VALUES(?, ?, ?)"
					" ON CONFLICT(ticket, date) DO UPDATE SET product = excluded.product",
					"ttt", ticket, dose, dp);
	}
	return row_write(im, rc, "refused", "ticket refused");
}

static void on_header(struct import *im)
{
	for (int i = 0; i < IMPORT_MAX_COLUMNS; i++)
		im->map[i] = -1;
	for (int i = 0; i < im->ncell && i < IMPORT_MAX_COLUMNS; i++) {
		const char *h = im->cell[i] ? im->cell[i] : "";
		int found = 0;
		for (int c = 0; im->cols[c].name; c++)
			if (!strcmp(h, im->cols[c].name)) {
				im->map[i] = c;
				found = 1;
			}
		if (!found && *h) {
			bad_row(im, im->row_line, "unknown_column", h, 0, 0, "unknown column \"%s\"", h);
			im->header_bad = 1;
		}
	}
	for (int c = 0; im->cols[c].name; c++) {
		int found = 0;
		for (int i = 0; i < im->ncell && i < IMPORT_MAX_COLUMNS; i++)
			found |= im->map[i] == c;
		if (im->cols[c].required && !found) {
			bad_row(im, im->row_line, "missing_column", im->cols[c].name, 0, 0,
				"missing column \"%s\"", im->cols[c].name);
			im->header_bad = 1;
		}
	}
	im->header_done = 1;
}

static void on_field(void *data, size_t len, void *ctx)
{
	struct import *im = ctx;
	if (im->ncell == 0)
		im->row_line = im->line;
	if (len && memchr(data, 0, len) && !im->nul_column)
		im->nul_column = im->ncell + im->past_cap + 1;
	if (im->ncell == IMPORT_MAX_COLUMNS) {
		/* Excel writes every cell of the range it thinks is used: empty
		 * cells past the last column are nothing, a value there is refused. */
		im->past_cap++;
		if (len && !im->past_cap_value)
			im->past_cap_value = IMPORT_MAX_COLUMNS + im->past_cap;
		return;
	}
	char *s = malloc(len + 1);
	if (!s) {
		im->fatal = MG_ERR_NOMEM;
		return;
	}
	memcpy(s, data ? data : "", len);
	s[len] = '\0';
	im->cell[im->ncell++] = s;
}

static int blank_row(const struct import *im)
{
	for (int i = 0; i < im->ncell; i++)
		if (im->cell[i] && *im->cell[i])
			return 0;
	return 1;
}

static void on_row(int term, void *ctx)
{
	struct import *im = ctx;
	(void)term;
	if (im->ncell == 0)
		im->row_line = im->line;
	if (im->fatal) {
		/* nothing more is written once the database failed */
	} else if (im->nul_column || im->past_cap_value) {
		if (im->nul_column)  /* the cell would end there, the rest of it lost silently */
			bad_row(im, im->row_line, "nul_byte", NULL, im->nul_column, im->nul_column,
				"column %d holds a NUL byte (is this a text file?)", im->nul_column);
		else
			bad_row(im, im->row_line, "too_many_columns", NULL, im->past_cap_value,
				IMPORT_MAX_COLUMNS,
				"a value in column %d, but a set-up file has at most %d columns",
				im->past_cap_value, IMPORT_MAX_COLUMNS);
		if (!im->header_done)  /* the rows under a bad header mean nothing */
			im->header_done = im->header_bad = 1;
	} else if (!im->header_done) {
		on_header(im);
	} else if (!blank_row(im) && !im->header_bad) {  /* rows under a bad header mean nothing */
		im->rows++;
		switch (im->kind) {
		case RESV_IMPORT_VENUES: import_venue(im); break;
		case RESV_IMPORT_PRODUCTS: import_product(im); break;
		case RESV_IMPORT_SLOTS: import_slot(im); break;
		case RESV_IMPORT_TICKETS: import_ticket(im); break;
		}
	}
	for (int i = 0; i < im->ncell; i++)
		free(im->cell[i]);
	im->ncell = 0;
	im->past_cap = im->past_cap_value = im->nul_column = 0;
}

/* The import of len bytes of a file (name: for messages); see resv_import. */
static int import_data(struct resv *r, enum resv_import_kind kind, const char *raw, size_t len,
		       const char *name, resv_report_fn report, void *report_ctx, int *rows,
		       char *err)
{
	int began = 0;
	static const struct column *const cols[] = {
		[RESV_IMPORT_VENUES] = venue_cols, [RESV_IMPORT_SLOTS] = slot_cols,
		[RESV_IMPORT_TICKETS] = ticket_cols, [RESV_IMPORT_PRODUCTS] = product_cols};
	struct import im = {.r = r, .kind = kind, .cols = cols[kind], .report = report,
			    .report_ctx = report_ctx, .today = resv_x_today(r)};
	char *conv = NULL;
	struct csv_parser p;
	int parser = 0;
	if (rows)
		*rows = 0;
	int rc = MG_OK;
	const char *text = NULL;
	if (len > RESV_IMPORT_MAX_BYTES)
		rc = mg_fail(err, MG_ERR_INPUT, "%s: larger than %d bytes", name, RESV_IMPORT_MAX_BYTES);
	if (rc == MG_OK) {
		char why[MG_ERR_LEN];
		rc = nlp_text_decode(raw, len, &conv, &len, why);
		if (rc != MG_OK)
			mg_fail(err, rc, "%s: %s", name, why);
		text = conv;
	}
	if (rc == MG_OK && csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	else if (rc == MG_OK)
		parser = 1;
	if (rc == MG_OK)
		rc = resv_x_run(r, NULL, err,
				"CREATE TEMP TABLE IF NOT EXISTS resv_import_seen("
				" number TEXT PRIMARY KEY, birth_date TEXT)", NULL);
	if (rc == MG_OK)
		began = (rc = resv_x_begin(r, err)) == MG_OK;
	if (rc == MG_OK)
		rc = resv_x_run(r, NULL, err, "DELETE FROM temp.resv_import_seen", NULL);
	/* Fed a line at a time so that every row knows the line it started on. */
	for (size_t off = 0; rc == MG_OK && off < len && !im.fatal;) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) + 1 : len - off;
		im.line++;
		if (csv_parse(&p, text + off, n, on_field, on_row, &im) != n) {
			bad_row(&im, im.line, "csv", NULL, 0, 0, "%s", csv_strerror(csv_error(&p)));
			break;
		}
		off += n;
	}
	if (rc == MG_OK && !im.fatal && !im.bad && csv_fini(&p, on_field, on_row, &im) != 0)
		bad_row(&im, im.line, "csv", NULL, 0, 0, "%s", csv_strerror(csv_error(&p)));
	if (rc == MG_OK && im.fatal)
		rc = im.err[0] ? mg_fail(err, im.fatal, "%s", im.err)
			       : mg_fail(err, im.fatal, "%s", mg_strerror(im.fatal));
	if (rc == MG_OK && !im.header_done)
		rc = mg_fail(err, MG_ERR_INPUT, "%s: empty file (a header row is needed)", name);
	if (rc == MG_OK && im.bad)
		rc = mg_fail(err, MG_ERR_INPUT, "%s: %d bad row%s; nothing was imported", name, im.bad,
			     im.bad == 1 ? "" : "s");
	if (began)
		rc = resv_x_end(r, rc, err);
	if (parser)
		csv_free(&p);
	for (int i = 0; i < im.ncell; i++)
		free(im.cell[i]);
	free(conv);
	if (rc == MG_OK && rows)
		*rows = im.rows;
	return rc;
}

int resv_import_data(struct resv *r, enum resv_import_kind kind, const char *data, size_t len,
		     const char *name, resv_report_fn report, void *report_ctx, int *rows,
		     char *err)
{
	if (rows)
		*rows = 0;
	if ((unsigned)kind > RESV_IMPORT_PRODUCTS)
		return mg_fail(err, MG_ERR_INPUT, "unknown import");
	return import_data(r, kind, data, len, name, report, report_ctx, rows, err);
}

int resv_import(struct resv *r, enum resv_import_kind kind, const char *path,
		resv_report_fn report, void *report_ctx, int *rows, char *err)
{
	char *raw = NULL;
	size_t len = 0;
	if (rows)
		*rows = 0;
	int rc = mg_read_file(path, RESV_IMPORT_MAX_BYTES, &raw, &len, err);
	if (rc == MG_OK)
		rc = resv_import_data(r, kind, raw, len, path, report, report_ctx, rows, err);
	free(raw);
	return rc;
}

int resv_seed_sample(struct resv *r, const char *dir, int force, char *err)
{
	static const struct {
		const char *file;
		enum resv_import_kind kind;
	} files[] = {
		{"products.csv", RESV_IMPORT_PRODUCTS}, {"venues.csv", RESV_IMPORT_VENUES},
		{"slots.csv", RESV_IMPORT_SLOTS}, {"tickets.csv", RESV_IMPORT_TICKETS},
	};
	long long venues = 0;
	int rc = resv_x_int(r, &venues, err, "SELECT count(*) FROM resv_venues", NULL);
	if (rc != MG_OK || (venues && !force))
		return rc;
	for (size_t i = 0; rc == MG_OK && i < sizeof files / sizeof files[0]; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, files[i].file);
		rc = resv_import(r, files[i].kind, path, NULL, NULL, NULL, err);
	}
	/* The sample town asks for every personal field but insists on none. */
	for (int f = 0; rc == MG_OK && f < RESV_FIELD_COUNT; f++)
		rc = resv_set_field_policy(r, (enum resv_field)f, RESV_OPTIONAL, err);
	return rc;
}

/* A date of the VRS export's range, as staff write it (nlp/date.h), into iso. */
static int vrs_day(const char *text, const char *which, char iso[NLP_DATE_LEN + 1], long *days,
		   char *err)
{
	struct nlp_date d;
	if (!text || nlp_date_parse(text, strlen(text), &d, NULL) != MG_OK ||
	    resv_x_date_parse(d.iso, days))
		return mg_fail(err, MG_ERR_INPUT, "%s \"%s\" is not a date (2026-12-01, 2026/12/1,"
			       " 令和8年12月1日)", which, text ? text : "");
	memcpy(iso, d.iso, NLP_DATE_LEN + 1);
	return MG_OK;
}

int resv_vrs_csv(struct resv *r, const char *from, const char *to, const char *municipality,
		 FILE *out, int *rows, char *err)
{
	char d1[NLP_DATE_LEN + 1], d2[NLP_DATE_LEN + 1];
	long from_days = 0, to_days = 0;
	if (rows)
		*rows = 0;
	int rc = vrs_day(from, "from", d1, &from_days, err);
	if (rc == MG_OK)
		rc = vrs_day(to ? to : from, "to", d2, &to_days, err);
	if (rc == MG_OK && to_days < from_days)
		rc = mg_fail(err, MG_ERR_INPUT, "from %s is after to %s", d1, d2);
	if (rc == MG_OK && to_days - from_days >= RESV_REPORT_MAX_DAYS)
		rc = mg_fail(err, MG_ERR_INPUT, "at most %d days at once", RESV_REPORT_MAX_DAYS);
	if (rc != MG_OK)
		return rc;
	int bad = fputs(NLP_EXCEL_BOM "券番号,自治体コード,接種日,接種回数,ワクチン,ロット番号,"
			"接種会場\r\n", out) == EOF;
	sqlite3_stmt *st = NULL;
	/* A dose given here has its booking (vaccinated); imported history has
	 * none, and counts only in the dose's number. */
	rc = resv_x_prep(r, &st, err,
			 "SELECT d.ticket, replace(d.date, '-', ''),"
			 " (SELECT count(*) FROM resv_doses e WHERE e.ticket = d.ticket"
			 "  AND e.date <= d.date),"
			 " coalesce(p.name, d.product), coalesce(d.lot, ''), coalesce(v.name, '')"
			 " FROM resv_doses d JOIN resv_bookings b ON b.id = d.booking_id"
			 " LEFT JOIN resv_products p ON p.code = d.product"
			 " LEFT JOIN resv_venues v ON v.id = d.venue_id"
			 " WHERE d.date BETWEEN ? AND ? AND b.status = 'vaccinated'"
			 " ORDER BY d.date, v.code, d.ticket", "tt", d1, d2);
	int s = SQLITE_DONE, n = 0;
	while (rc == MG_OK && !bad && (s = sqlite3_step(st)) == SQLITE_ROW) {
		char dose[24];
		snprintf(dose, sizeof dose, "%lld", (long long)sqlite3_column_int64(st, 2));
		bad |= nlp_excel_cell(out, (const char *)sqlite3_column_text(st, 0), 0);
		bad |= nlp_excel_cell(out, municipality ? municipality : "", 0);
		bad |= nlp_excel_cell(out, (const char *)sqlite3_column_text(st, 1), 0);
		bad |= nlp_excel_cell(out, dose, 0);
		for (int c = 3; c < 6; c++)
			bad |= nlp_excel_cell(out, (const char *)sqlite3_column_text(st, c), c == 5);
		n++;
	}
	if (rc == MG_OK && !bad && s != SQLITE_DONE)
		rc = resv_x_dberr(r, err, "vrs");
	resv_x_done(r, st);
	if (rc == MG_OK && (bad || fflush(out) != 0))
		rc = mg_fail(err, MG_ERR_IO, "the VRS file could not be written");
	if (rc == MG_OK && rows)
		*rows = n;
	return rc;
}
