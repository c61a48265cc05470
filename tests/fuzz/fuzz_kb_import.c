/* libFuzzer harness for the knowledge-base import: any bytes as a staff's CSV
 * or TSV file, on a fresh in-memory database each time, must be imported
 * whole or refused whole, never crash or leak; what was imported must come
 * back unchanged through export and import. */
#include "kb/kb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct nlp_model *model;

static void fail(const char *what, const char *err)
{
	fprintf(stderr, "fuzz_kb_import: %s: %s\n", what, err);
	abort();
}

static int64_t entries(struct kb *kb)
{
	char err[MG_ERR_LEN];
	int64_t n = -1;
	if (kb_count(kb, &n, err) != MG_OK)
		fail("count", err);
	return n;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char err[MG_ERR_LEN] = "";
	if (!model && nlp_model_open(&model, err) != MG_OK)
		fail("model", err);
	struct kb *kb = NULL;
	if (kb_open(&kb, ":memory:", model, err) != MG_OK)
		fail("open", err);
	struct kb_import_opts o = {0};
	int n = -1;
	int rc = kb_import(kb, (const char *)data, size, "fuzz.csv", &o, &n, err);
	if (rc != MG_OK) {
		/* all or nothing, and staff are told why */
		if (n != 0 || entries(kb) != 0 || !err[0])
			fail("a refused file left entries or no reason", err);
	} else {
		if (n <= 0 || entries(kb) != n)
			fail("imported count", "differs from the entries");
		char *csv = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&csv, &len);
		if (!f || kb_export(kb, f, err) != MG_OK || fclose(f))
			fail("export", err);
		int again = -1;
		if (kb_import(kb, csv, len, "export.csv", &o, &again, err) != MG_OK || again != n)
			fail("the export does not import back", err);
		free(csv);
	}
	kb_close(kb);
	return 0;
}
