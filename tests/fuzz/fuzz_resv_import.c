/* libFuzzer harness for the booking set-up imports staff upload
 * (reservation/resv_import.c: venues, slots, tickets, products CSV): any
 * bytes are imported whole or refused whole with a reason, never a crash,
 * and a refused file leaves every table as it was.
 * Input: one byte choosing the kind, then the file. */
#include "reservation/resv_int.h"
#include "tests/fuzz/fuzz_file.h"

#include <string.h>

static struct resv *r;

static long long count(const char *table)
{
	char sql[64], err[MG_ERR_LEN];
	long long n = -1;
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	if (resv_x_int(r, &n, err, sql, NULL) != MG_OK)
		abort();
	return n;
}

static const char *const TABLES[] = {"resv_venues", "resv_slots", "resv_tickets", "resv_products"};
#define NTABLES (sizeof TABLES / sizeof *TABLES)

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char err[MG_ERR_LEN] = "";
	if (!r && (resv_open(&r, ":memory:", err) != MG_OK ||
		   resv_import(r, RESV_IMPORT_PRODUCTS, "reservation/data/products.csv", NULL, NULL, NULL, err) ||
		   resv_import(r, RESV_IMPORT_VENUES, "reservation/data/venues.csv", NULL, NULL, NULL, err)))
		abort();
	if (!size)
		return 0;
	enum resv_import_kind kind = (enum resv_import_kind)(data[0] % 4);
	long long before[NTABLES];
	for (size_t i = 0; i < NTABLES; i++)
		before[i] = count(TABLES[i]);
	int rows = -1;
	int rc = resv_import(r, kind, fuzz_file(data + 1, size - 1), NULL, NULL, &rows, err);
	if (rc == MG_OK) {
		if (rows < 0)
			abort();
		return 0;
	}
	if (!err[0])
		abort();
	for (size_t i = 0; i < NTABLES; i++)
		if (count(TABLES[i]) != before[i])
			abort();
	return 0;
}
