/* libFuzzer harness for the knowledge-base import: any bytes as a staff's CSV
 * or TSV file, on a fresh in-memory database each time, must be imported
 * whole or refused whole, never crash or leak; what was imported must come
 * back unchanged through export and import. The same bytes, cut at 0x1F
 * into the fields of one entry, go through the console editor's save
 * (kb_entry_put, the same check with a town that knows one {{key}}): saved
 * whole, readable and exported back, or refused with a reason and nothing
 * written. */
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

static int known(void *ctx, const char *key, size_t len)
{
	(void)ctx;
	return len == 4 && !memcmp(key, "town", 4);
}

/* The bytes as one entry from the editor. */
static void editor_save(struct kb *kb, const unsigned char *data, size_t size)
{
	char *copy = malloc(size + 1), *field[15] = {0}, err[MG_ERR_LEN] = "";
	if (!copy)
		return;
	memcpy(copy, data, size);
	copy[size] = 0;
	char *p = copy;
	for (int i = 0; i < 15 && p; i++) {
		field[i] = p;
		p = strchr(p, 0x1F);
		if (p)
			*p++ = 0;
	}
	struct kb_entry e = {field[0], field[1], field[2], field[3], field[4], field[5], field[6], field[7],
			     field[8], field[9], field[10], field[11], field[12], field[13], field[14], NULL};
	struct kb_import_opts check = {.placeholder = known};
	int64_t before = entries(kb);
	char id[KB_ID_LEN];
	if (kb_entry_put(kb, &e, &check, id, err) != MG_OK) {
		if (entries(kb) != before || !err[0])
			fail("a refused entry was written or had no reason", err);
	} else {
		struct kb_entry got;
		if (kb_entry_get(kb, 0, id, &got, err) != MG_OK)
			fail("a saved entry cannot be read", err);
		kb_entry_clear(&got);
		/* the narrow writes take the same outside text, checked their way;
		 * whatever they let in must still export and import back */
		const char *alts = field[9] ? field[9] : "", *status = field[4] ? field[4] : "";
		err[0] = 0;
		if (kb_entry_set_alternates(kb, id, alts, err) != MG_OK && !err[0])
			fail("refused alternates without a reason", "");
		err[0] = 0;
		if (kb_entry_set_status(kb, id, status, err) != MG_OK && !err[0])
			fail("refused status without a reason", "");
		char *csv = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&csv, &len);
		int again = -1;
		struct kb_import_opts o = {0};  /* the file's rows were imported unchecked */
		if (!f || kb_export(kb, f, err) != MG_OK || fclose(f))
			fail("export", err);
		if (kb_import(kb, csv, len, "export.csv", &o, &again, err) != MG_OK || again != entries(kb))
			fail("the editor's entry does not import back", err);
		free(csv);
	}
	free(copy);
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
	editor_save(kb, data, size);
	kb_close(kb);
	return 0;
}
