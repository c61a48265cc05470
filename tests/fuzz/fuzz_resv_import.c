/* libFuzzer harness for the booking set-up files (reservation/resv_import.c),
 * which staff now upload through the console: any bytes, as any of the four
 * kinds, are imported or refused all or nothing, never a crash. A refusal
 * changes no row and names each bad row by a line inside the file and a
 * reason code of the documented list (resv.h), which the console words.
 * Input: one byte choosing the kind, then the file. */
#include "reservation/resv_int.h"

#include <stdlib.h>
#include <string.h>

static struct resv *r;

static const char *const reasons[] = {
	"code", "name", "min_interval_days", "horizon_days", "same_product", "product", "date",
	"date_past", "start", "minutes", "capacity", "unknown_venue", "unknown_product",
	"below_taken", "ticket", "birth_date", "birth_date_differs", "dose_pair", "dose_date",
	"refused", "unknown_column", "missing_column", "nul_byte", "too_many_columns", "csv", NULL};

struct seen {
	int lines;  /* of the file, at most */
	int rows;
};

static void check_row(void *ctx, const struct resv_bad_row *bad)
{
	struct seen *s = ctx;
	int known = 0;
	for (int i = 0; reasons[i]; i++)
		known |= !strcmp(bad->reason, reasons[i]);
	if (!known || !bad->value || !bad->message || !*bad->message || bad->line < 1 ||
	    bad->line > s->lines)
		abort();
	s->rows++;
}

/* The rows of the tables an import writes, summed so that an added, removed
 * or changed row moves the number. */
static long long fingerprint(void)
{
	long long n = 0;
	char err[MG_ERR_LEN];
	if (resv_x_int(r, &n, err,
		       "SELECT (SELECT count(*) * 7919 + coalesce(sum(length(code) + 3 * length(name)"
		       "  + 5 * length(address) + 7 * length(access) + 11 * length(name_en)), 0)"
		       "  FROM resv_venues)"
		       " + 31 * (SELECT count(*) * 7919 + coalesce(sum(min_interval_days + 3 * horizon_days"
		       "  + 5 * same_product + 7 * length(name)), 0) FROM resv_products)"
		       " + 961 * (SELECT count(*) * 7919 + coalesce(sum(capacity + 3 * minutes"
		       "  + 5 * length(start) + 7 * venue_id), 0) FROM resv_slots)"
		       " + 29791 * (SELECT count(*) * 7919 + coalesce(sum(length(birth_date)"
		       "  + unicode(substr(birth_date, 9))), 0) FROM resv_tickets)"
		       " + 923521 * (SELECT count(*) FROM resv_doses)", NULL) != MG_OK)
		abort();
	return n;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char err[MG_ERR_LEN];
	if (!r) {
		if (resv_open(&r, ":memory:", err) != MG_OK)
			abort();
		static const char town[] = "code,name,min_interval_days,same_product,horizon_days\n"
					   "covid,コミナティ,90,no,28\n";
		static const char venues[] = "code,name\nchuo,中央公民館\n";
		if (resv_import_data(r, RESV_IMPORT_PRODUCTS, town, sizeof town - 1, "p", NULL, NULL,
				     NULL, err) != MG_OK ||
		    resv_import_data(r, RESV_IMPORT_VENUES, venues, sizeof venues - 1, "v", NULL, NULL,
				     NULL, err) != MG_OK)
			abort();
	}
	if (!size)
		return 0;
	enum resv_import_kind kind = (enum resv_import_kind)(data[0] % 4);
	/* A copy of its own: ASan sees a read past the file's end. */
	size_t len = size - 1;
	char *file = malloc(len ? len : 1);
	if (!file)
		abort();
	memcpy(file, data + 1, len);
	struct seen s = {1, 0};
	for (size_t i = 0; i < len; i++)
		s.lines += file[i] == '\n';
	/* CP932 never makes a line end of a byte of a two-byte character: the
	 * decoded file has the lines counted here. */
	long long before = fingerprint();
	int rows = -1;
	int rc = resv_import_data(r, kind, file, len, "fuzz.csv", check_row, &s, &rows, err);
	if (rc != MG_OK) {
		if (fingerprint() != before || rows != 0 || !*err)
			abort();
	} else if (s.rows) {
		abort();  /* a bad row reported, and yet imported */
	}
	if (resv_check(r, err) != MG_OK)
		abort();
	free(file);
	return 0;
}
