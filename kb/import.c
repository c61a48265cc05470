/* Import and export of the staff's files: entries as CSV or TSV (UTF-8,
 * UTF-8 with BOM, or CP932 from Excel), the synonym list as TSV. Imports are
 * all or nothing: every row is checked before one transaction writes them. */
#include "kb/kb_int.h"
#include "nlp/buf.h"
#include "nlp/date.h"
#include "nlp/excel.h"
#include "nlp/text.h"

#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const kb_col_name[KB_NCOLS] = {
	"id", "slug", "category", "route", "status", "question", "answer", "question_en",
	"answer_en", "answer_easy", "alt_questions", "keywords", "valid_from", "valid_to", "url", "source",
	"updated_at",
};

struct row {
	char *v[KB_NCOLS];  /* NULL when the file has no such column */
	int line;
};

struct parse {
	struct csv_parser csv;
	int line;            /* physical line being fed */
	int row_line;        /* line where the current row started */
	int header_done;
	int nheader;              /* the header's columns up to its last name */
	int map[KB_MAX_COLUMNS];  /* file column → enum kb_col, -1 = ignored */
	char **fields;            /* the current row's fields, KB_MAX_COLUMNS at most */
	int nfields, cap_fields;
	int past_cap;             /* the current row's fields after KB_MAX_COLUMNS... */
	int past_cap_value;       /* ...and the column of the first one not empty, or 0 */
	int nul_column;           /* the first of its columns holding a NUL byte, or 0 */
	int rows_ended;           /* rows the parser has ended, kept or not */
	struct row *rows;
	int nrows, cap_rows;
	int errors;
	int oom;
	const struct kb_import_opts *opts;
	const char *name;
	char *err;
};

static void report(struct parse *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(struct parse *p, int line, const char *fmt, ...)
{
	char msg[MG_ERR_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!p->errors && line > 0)  /* the first bad row is also the error's detail */
		mg_fail(p->err, MG_ERR_INPUT, "%s: line %d: %s", p->name, line, msg);
	else if (!p->errors)         /* one entry from the editor: no lines */
		mg_fail(p->err, MG_ERR_INPUT, "%s", msg);
	p->errors++;
	if (p->opts && p->opts->report)
		p->opts->report(p->opts->ctx, line, msg);
}

static void on_field(void *data, size_t len, void *parse)
{
	struct parse *p = parse;
	if (p->oom)
		return;
	int column = p->nfields + p->past_cap + 1;
	if (len && memchr(data, 0, len) && !p->nul_column)
		p->nul_column = column;
	if (p->nfields == KB_MAX_COLUMNS) {
		/* Excel writes every cell of the range it thinks is used: empty
		 * cells past the last column are nothing, a value there is refused. */
		p->past_cap++;
		if (len && !p->past_cap_value)
			p->past_cap_value = column;
		return;
	}
	if (p->nfields == p->cap_fields) {
		int cap = p->cap_fields ? p->cap_fields * 2 : 16;
		char **f = realloc(p->fields, (size_t)cap * sizeof *f);
		if (!f) {
			p->oom = 1;
			return;
		}
		p->fields = f;
		p->cap_fields = cap;
	}
	char *s = malloc(len + 1);
	if (!s) {
		p->oom = 1;
		return;
	}
	/* A file exported here marks the cells Excel would run (nlp/excel.h). */
	size_t mark = nlp_excel_mark(data, len);
	memcpy(s, data ? (const char *)data + mark : "", len - mark);
	s[len - mark] = 0;
	p->fields[p->nfields++] = s;
}

static void free_fields(struct parse *p)
{
	for (int i = 0; i < p->nfields; i++)
		free(p->fields[i]);
	p->nfields = 0;
	p->past_cap = p->past_cap_value = p->nul_column = 0;
}

/* The row's columns up to its last one that is not empty. */
static int row_width(const struct parse *p)
{
	if (p->past_cap_value)
		return p->past_cap_value;
	int n = p->nfields;
	while (n > 0 && !p->fields[n - 1][0])
		n--;
	return n;
}

static void trim(char *s)
{
	size_t n = strlen(s), a = 0;
	while (a < n && isspace((unsigned char)s[a]))
		a++;
	while (n > a && isspace((unsigned char)s[n - 1]))
		n--;
	memmove(s, s + a, n - a);
	s[n - a] = 0;
}

static void header_row(struct parse *p)
{
	p->header_done = 1;
	int seen[KB_NCOLS] = {0};
	for (int i = 0; i < KB_MAX_COLUMNS; i++)
		p->map[i] = -1;
	p->nheader = row_width(p);
	if (p->past_cap_value) {
		report(p, p->row_line, "column %d has a name, but at most %d columns are read",
		       p->past_cap_value, KB_MAX_COLUMNS);
		p->nheader = KB_MAX_COLUMNS;  /* the rows are still read, for their own faults */
		return;
	}
	for (int i = 0; i < p->nheader; i++) {
		char *h = p->fields[i];
		trim(h);
		for (char *c = h; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		for (int c = 0; c < KB_NCOLS; c++) {
			if (!strcmp(h, kb_col_name[c])) {
				if (seen[c])  /* mapped once: a row's cell is kept once */
					report(p, p->row_line, "column '%s' appears twice", h);
				else
					p->map[i] = c;
				seen[c] = 1;
			}
		}
	}
	if (!seen[KB_C_QUESTION] || !seen[KB_C_ANSWER])
		report(p, p->row_line, "the header needs a 'question' and an 'answer' column");
}

static void on_row(int term, void *parse)
{
	(void)term;
	struct parse *p = parse;
	p->rows_ended++;
	if (p->oom)
		return;
	int width = row_width(p);
	if (p->nul_column)  /* the cell would end there, the rest of it lost silently */
		report(p, p->row_line, "column %d holds a NUL byte (is this a text file?)",
		       p->nul_column);
	if (!p->header_done) {
		header_row(p);
	} else if (p->nul_column || width == 0) {
		/* refused above; or an empty line, or a row of empty cells as Excel writes them */
	} else if (width > p->nheader) {
		report(p, p->row_line, "a value in column %d, but the header has %d columns", width,
		       p->nheader);
	} else if (p->nfields < p->nheader) {
		report(p, p->row_line, "%d fields, but the header has %d", p->nfields, p->nheader);
	} else if (p->nrows >= KB_MAX_ENTRIES) {
		if (p->nrows == KB_MAX_ENTRIES)
			report(p, p->row_line, "more than %d entries", KB_MAX_ENTRIES);
	} else {
		if (p->nrows == p->cap_rows) {
			int cap = p->cap_rows ? p->cap_rows * 2 : 64;
			struct row *r = realloc(p->rows, (size_t)cap * sizeof *r);
			if (!r) {
				p->oom = 1;
				free_fields(p);
				return;
			}
			p->rows = r;
			p->cap_rows = cap;
		}
		struct row *r = &p->rows[p->nrows++];
		memset(r, 0, sizeof *r);
		r->line = p->row_line;
		for (int i = 0; i < p->nheader; i++) {
			if (p->map[i] >= 0) {
				r->v[p->map[i]] = p->fields[i];
				p->fields[i] = NULL;
			}
		}
	}
	free_fields(p);
}

static int is_space_only(unsigned char c)
{
	return c == ' ';
}

/* Decodes data to UTF-8 (see nlp_text_decode); err names the file. */
static int decode(const char *data, size_t len, const char *name, char **out, size_t *out_len, char *err)
{
	char why[MG_ERR_LEN];
	int rc = nlp_text_decode(data, len, out, out_len, why);
	return rc == MG_OK ? MG_OK : mg_fail(err, rc, "%s: %s", name, why);
}

static int parse_file(struct parse *p, const char *text, size_t len)
{
	/* A header with more tabs than commas makes the file a TSV. */
	const char *eol = memchr(text, '\n', len);
	size_t hlen = eol ? (size_t)(eol - text) : len;
	int tabs = 0, commas = 0;
	for (size_t i = 0; i < hlen; i++) {
		tabs += text[i] == '\t';
		commas += text[i] == ',';
	}
	unsigned char delim = tabs > commas ? '\t' : ',';
	if (csv_init(&p->csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
		return MG_ERR_NOMEM;
	csv_set_delim(&p->csv, delim);
	csv_set_space_func(&p->csv, is_space_only);
	int rc = MG_OK;
	p->line = 1;
	p->row_line = 1;
	/* Fed a line at a time so that every row knows the line it starts on. */
	for (size_t at = 0; at < len && rc == MG_OK;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (text + at)) + 1 : len - at;
		int rows_before = p->rows_ended;
		if (csv_parse(&p->csv, text + at, n, on_field, on_row, p) != n) {
			report(p, p->row_line, "%s", csv_strerror(csv_error(&p->csv)));
			rc = MG_ERR_INPUT;
		}
		at += n;
		p->line++;
		/* When this line ended a row, the next row starts on the next line;
		 * an empty line between rows moves the start on too. */
		if (p->rows_ended != rows_before || (n <= 2 && p->nfields == 0))
			p->row_line = p->line;
	}
	if (rc == MG_OK && csv_fini(&p->csv, on_field, on_row, p) != 0) {
		report(p, p->row_line, "%s", csv_strerror(csv_error(&p->csv)));
		rc = MG_ERR_INPUT;
	}
	csv_free(&p->csv);
	free_fields(p);
	if (p->oom)
		return MG_ERR_NOMEM;
	if (!p->header_done) {
		report(p, 1, "the file is empty");
		rc = MG_ERR_INPUT;
	}
	return rc;
}

int kb_valid_date(const char *s)
{
	if (!*s)
		return 1;
	return nlp_date_iso(s, NULL, NULL, NULL) == MG_OK;
}

int kb_valid_slug(const char *s)
{
	if (!*s)
		return 1;
	if (strlen(s) >= KB_ID_LEN)
		return 0;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
			return 0;
	return 1;
}

int kb_one_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

const char *const kb_routes[] = {"", "booking", "nurse", "call_center", "none", KB_ROUTE_ELSEWHERE, NULL};
const char *const kb_statuses[] = {"", "published", "draft", NULL};

/* Checks every {{key}} of a field against the town's facts. */
static void check_placeholders(struct parse *p, const struct row *r, enum kb_col c)
{
	const char *s = r->v[c];
	for (const char *open = s ? strstr(s, "{{") : NULL; open; open = strstr(open, "{{")) {
		const char *close = strstr(open + 2, "}}");
		if (!close) {
			report(p, r->line, "%s: '{{' without '}}'", kb_col_name[c]);
			return;
		}
		size_t n = (size_t)(close - open - 2);
		if (p->opts && p->opts->placeholder && !p->opts->placeholder(p->opts->facts, open + 2, n)) {
			if (!p->errors && p->opts->bad_key)
				snprintf(p->opts->bad_key, KB_ID_LEN, "%.*s", (int)n, open + 2);
			report(p, r->line, "%s: unknown placeholder {{%.*s}} (add it to the town's facts)",
			       kb_col_name[c], (int)n, open + 2);
		}
		open = close + 2;
	}
}

static void check_row(struct parse *p, struct row *r)
{
	for (int c = 0; c < KB_NCOLS; c++)
		if (r->v[c] && c != KB_C_QUESTION && c != KB_C_ANSWER && c != KB_C_QUESTION_EN &&
		    c != KB_C_ANSWER_EN && c != KB_C_ANSWER_EASY && c != KB_C_ALT && c != KB_C_SOURCE && c != KB_C_KEYWORDS)
			trim(r->v[c]);
	const char *q = r->v[KB_C_QUESTION] ? r->v[KB_C_QUESTION] : "";
	const char *a = r->v[KB_C_ANSWER] ? r->v[KB_C_ANSWER] : "";
	int blank_q = 1, blank_a = 1;
	for (const char *c = q; *c; c++)
		blank_q &= isspace((unsigned char)*c) != 0;
	for (const char *c = a; *c; c++)
		blank_a &= isspace((unsigned char)*c) != 0;
	if (blank_q)
		report(p, r->line, "the question is empty");
	if (blank_a)
		report(p, r->line, "the answer is empty");
	for (int c = 0; c < KB_NCOLS; c++) {
		size_t cap = (c == KB_C_ANSWER || c == KB_C_ANSWER_EN || c == KB_C_ANSWER_EASY) ? KB_MAX_ANSWER_BYTES
			   : (c == KB_C_ALT || c == KB_C_KEYWORDS) ? KB_MAX_ANSWER_BYTES : KB_MAX_FIELD_BYTES;
		if (r->v[c] && strlen(r->v[c]) > cap)
			report(p, r->line, "%s is longer than %zu bytes", kb_col_name[c], cap);
	}
	if (r->v[KB_C_ID] && strlen(r->v[KB_C_ID]) >= KB_ID_LEN)
		report(p, r->line, "id is longer than %d bytes", KB_ID_LEN - 1);
	if (r->v[KB_C_SLUG] && !kb_valid_slug(r->v[KB_C_SLUG]))
		report(p, r->line, "slug '%s' may only hold a-z, 0-9 and '-'", r->v[KB_C_SLUG]);
	if (r->v[KB_C_ROUTE] && !kb_one_of(r->v[KB_C_ROUTE], kb_routes))
		report(p, r->line, "route '%s' is not booking, nurse, call_center, none or elsewhere", r->v[KB_C_ROUTE]);
	if (r->v[KB_C_STATUS] && !kb_one_of(r->v[KB_C_STATUS], kb_statuses))
		report(p, r->line, "status '%s' is not published or draft", r->v[KB_C_STATUS]);
	for (int c = KB_C_VALID_FROM; c <= KB_C_VALID_TO; c++)
		if (r->v[c] && r->v[c][0] && !kb_valid_date(r->v[c]))
			report(p, r->line, "%s '%s' is not a date (YYYY-MM-DD)", kb_col_name[c], r->v[c]);
	if (r->v[KB_C_VALID_FROM] && r->v[KB_C_VALID_TO] && r->v[KB_C_VALID_FROM][0] && r->v[KB_C_VALID_TO][0] &&
	    strcmp(r->v[KB_C_VALID_FROM], r->v[KB_C_VALID_TO]) > 0)
		report(p, r->line, "valid_to is before valid_from");
	static const enum kb_col with_placeholders[] = {KB_C_QUESTION, KB_C_ANSWER, KB_C_QUESTION_EN, KB_C_ANSWER_EN,
						       KB_C_ANSWER_EASY, KB_C_URL};
	for (size_t i = 0; i < sizeof with_placeholders / sizeof *with_placeholders; i++)
		check_placeholders(p, r, with_placeholders[i]);
}

int kb_entry_check(char *v[KB_NCOLS], const struct kb_import_opts *opts, char *err)
{
	if (opts && opts->bad_key)
		opts->bad_key[0] = 0;
	struct parse p = {.opts = opts, .name = "entry", .err = err};
	struct row r = {.line = 0};
	memcpy(r.v, v, sizeof r.v);
	check_row(&p, &r);
	return p.errors ? MG_ERR_INPUT : MG_OK;
}

struct id_line {
	const char *id;
	int line;
};

static int id_line_cmp(const void *a, const void *b)
{
	const struct id_line *x = a, *y = b;
	int c = strcmp(x->id, y->id);
	return c ? c : x->line - y->line;
}

static void check_duplicate_ids(struct parse *p)
{
	struct id_line *ids = malloc(((size_t)p->nrows + 1) * sizeof *ids);
	if (!ids) {
		p->oom = 1;
		return;
	}
	int n = 0;
	for (int i = 0; i < p->nrows; i++)
		if (p->rows[i].v[KB_C_ID] && p->rows[i].v[KB_C_ID][0])
			ids[n++] = (struct id_line){p->rows[i].v[KB_C_ID], p->rows[i].line};
	qsort(ids, (size_t)n, sizeof *ids, id_line_cmp);
	for (int i = 1; i < n; i++)
		if (!strcmp(ids[i].id, ids[i - 1].id))
			report(p, ids[i].line, "id '%s' is already used on line %d", ids[i].id, ids[i - 1].line);
	free(ids);
}

/* ---- writing entries and their index rows ------------------------------------- */

/* Placeholders are town facts, not words a resident types: blank them out of
 * the indexed text. Returns a malloc'd copy. */
static char *without_placeholders(const char *s)
{
	char *out = strdup(s);
	if (!out)
		return NULL;
	for (char *open = strstr(out, "{{"); open; open = strstr(open, "{{")) {
		char *close = strstr(open + 2, "}}");
		if (!close)
			break;
		memset(open, ' ', (size_t)(close + 2 - open));
		open = close + 2;
	}
	return out;
}

int kb_phrasings(const char *const f[KB_NCOLS], kb_phrasing_fn fn, void *ctx)
{
	static const struct {
		enum kb_col col;
		enum kb_kind kind;
		int list;  /* '|'-separated phrasings */
	} COLS[] = {
		{KB_C_QUESTION, KB_KIND_QUESTION, 0}, {KB_C_QUESTION_EN, KB_KIND_QUESTION_EN, 0},
		{KB_C_ALT, KB_KIND_ALT, 1},           {KB_C_KEYWORDS, KB_KIND_KEYWORD, 1},
	};
	int index = 0, rc = 0;
	for (size_t c = 0; c < sizeof COLS / sizeof *COLS && !rc; c++) {
		const char *s = f[COLS[c].col] ? f[COLS[c].col] : "";
		while (!rc && *s) {
			size_t n = COLS[c].list ? strcspn(s, "|\n") : strlen(s);
			if (n)
				rc = fn(ctx, index++, COLS[c].kind, s, n);
			s += n;
			if (*s)
				s++;
		}
	}
	return rc;
}

/* The q column being built: each phrasing on a line of its own (a line
 * break inside one becomes a space) and its shape. */
struct row_text {
	struct kb *kb;
	struct mg_buf q;
	struct kb_shape *shape;
	int nshape, cap_shape;
	struct kb_shape *cur;
	char *err;
};

static int count_token(void *ctx, enum nlp_kind kind, const char *tok, int len)
{
	(void)len;
	struct kb_shape *sh = ctx;
	sh->ntokens++;
	if (kind == NLP_GRAM)
		sh->ngrams++;
	else if (tok[0] != NLP_READING_PREFIX)
		sh->nwords++;
	return 0;
}

static int add_phrasing(void *ctx, int index, enum kb_kind kind, const char *text, size_t n)
{
	(void)index;
	struct row_text *r = ctx;
	char *raw = strndup(text, n);
	char *t = raw ? without_placeholders(raw) : NULL;
	free(raw);
	if (!t)
		return mg_fail(r->err, MG_ERR_NOMEM, "out of memory");
	for (char *c = t; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	size_t tl = strlen(t);
	int rc = MG_OK;
	if (r->nshape == r->cap_shape) {
		int cap = r->cap_shape ? r->cap_shape * 2 : 16;
		struct kb_shape *sh = realloc(r->shape, (size_t)cap * sizeof *sh);
		if (!sh)
			rc = mg_fail(r->err, MG_ERR_NOMEM, "out of memory");
		else
			r->shape = sh, r->cap_shape = cap;
	}
	if (rc == MG_OK) {
		struct kb_shape *sh = &r->shape[r->nshape++];
		*sh = (struct kb_shape){.kind = kind};
		rc = nlp_analyse(r->kb->an, kb_syn(r->kb), t, tl, count_token, sh, r->err);
	}
	if (rc == MG_OK && ((r->q.len && mg_buf_add(&r->q, "\n", 1)) || mg_buf_add(&r->q, t, tl)))
		rc = mg_fail(r->err, MG_ERR_NOMEM, "out of memory");
	free(t);
	return rc;
}

static const char INSERT_FTS[] = "INSERT INTO kb_fts(rowid, q, a, shape) VALUES(?1,?2,?3,?4)";

int kb_index_entry(struct kb *kb, int64_t entry, const char *const f[KB_NCOLS], char *err)
{
	struct row_text r = {.kb = kb, .q = MG_BUF_INIT(SIZE_MAX), .err = err};
	int rc = kb_phrasings(f, add_phrasing, &r);
	const char *ja = f[KB_C_ANSWER] ? f[KB_C_ANSWER] : "", *en = f[KB_C_ANSWER_EN] ? f[KB_C_ANSWER_EN] : "";
	char *answers = NULL;
	if (rc == MG_OK && asprintf(&answers, "%s\n%s", ja, en) < 0) {
		answers = NULL;
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	char *a = answers ? without_placeholders(answers) : NULL;
	if (rc == MG_OK && !a)
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	/* Prepared once per connection: an import indexes thousands of rows.
	 * SQLite prepares it again by itself after kb_fts_reset recreates the table. */
	sqlite3_stmt *ins = NULL;
	if (rc == MG_OK && mg_db_stmt_get(kb->stmts, INSERT_FTS, &ins) != SQLITE_OK)
		rc = mg_db_fail(kb->db, err, "index");
	if (rc == MG_OK) {
		sqlite3_bind_int64(ins, 1, entry);
		sqlite3_bind_text(ins, 2, r.q.p ? r.q.p : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, a, -1, SQLITE_STATIC);
		sqlite3_bind_blob(ins, 4, r.shape, r.nshape * (int)sizeof *r.shape, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE)
			rc = mg_db_fail(kb->db, err, "index");
	}
	/* put back reset, so that no open statement holds the table a re-index drops */
	mg_db_stmt_put(kb->stmts, ins);
	free(a);
	free(answers);
	mg_buf_free(&r.q);
	free(r.shape);
	return rc;
}

int kb_reindex(struct kb *kb, char *err)
{
	sqlite3_stmt *sel = NULL;
	int rc = kb_fts_reset(kb, err);
	if (rc != MG_OK)
		return rc;
	if (mg_db_stmt_get(kb->stmts, "SELECT " KB_ENTRY_COLUMNS ", id FROM kb_entries", &sel) != SQLITE_OK)
		rc = mg_db_fail(kb->db, err, "re-index");
	while (rc == MG_OK && sqlite3_step(sel) == SQLITE_ROW) {
		const char *f[KB_NCOLS];
		for (int c = 0; c < KB_NCOLS; c++)
			f[c] = (const char *)sqlite3_column_text(sel, c);
		rc = kb_index_entry(kb, sqlite3_column_int64(sel, KB_NCOLS), f, err);
	}
	mg_db_stmt_put(kb->stmts, sel);
	return rc;
}

/* Joins alternate questions with '|' whatever separated them in the file. */
static void normalise_alts(char *s)
{
	for (char *c = s; c && *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = *c == '\n' ? '|' : ' ';
}

/* The knowledge base as it is, kept before a full import replaces it; only
 * the newest keep are kept. An empty one is not worth keeping. */
static int keep_replaced(struct kb *kb, int keep, char *err)
{
	int64_t n = 0;
	int rc = kb_count(kb, &n, err);
	if (rc != MG_OK || n == 0 || keep <= 0)
		return rc;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	rc = kb_export(kb, f, err);
	if (fclose(f) != 0 && rc == MG_OK)
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	sqlite3_stmt *st = NULL;
	if (rc == MG_OK && mg_db_stmt_get(kb->stmts, "INSERT INTO kb_replaced(at, entries, csv) VALUES(?1, ?2, ?3)",
					  &st) != SQLITE_OK)
		rc = mg_db_fail(kb->db, err, "keep the replaced knowledge base");
	if (rc == MG_OK) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
		sqlite3_bind_int64(st, 2, n);
		sqlite3_bind_blob(st, 3, buf, (int)len, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = mg_db_fail(kb->db, err, "keep the replaced knowledge base");
	}
	mg_db_stmt_put(kb->stmts, st);
	st = NULL;
	free(buf);
	if (rc == MG_OK && mg_db_stmt_get(kb->stmts, "DELETE FROM kb_replaced WHERE id NOT IN"
						  " (SELECT id FROM kb_replaced ORDER BY id DESC LIMIT ?1)",
					  &st) != SQLITE_OK)
		rc = mg_db_fail(kb->db, err, "keep the replaced knowledge base");
	if (rc == MG_OK) {
		sqlite3_bind_int(st, 1, keep);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = mg_db_fail(kb->db, err, "keep the replaced knowledge base");
	}
	mg_db_stmt_put(kb->stmts, st);
	return rc;
}

int kb_replaced_list(struct kb *kb, kb_replaced_fn fn, void *ctx, char *err)
{
	sqlite3_stmt *st = NULL;
	if (mg_db_stmt_get(kb->stmts, "SELECT id, at, entries FROM kb_replaced ORDER BY id DESC", &st) != SQLITE_OK)
		return mg_db_fail(kb->db, err, "replaced knowledge bases");
	int step, stop = 0;
	while (!stop && (step = sqlite3_step(st)) == SQLITE_ROW)
		stop = fn(ctx, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int(st, 2));
	int rc = !stop && step != SQLITE_DONE ? mg_db_fail(kb->db, err, "replaced knowledge bases") : MG_OK;
	mg_db_stmt_put(kb->stmts, st);
	return rc;
}

int kb_replaced_restore(struct kb *kb, int64_t id, const struct kb_import_opts *opts, int *imported,
			char *err)
{
	*imported = 0;
	sqlite3_stmt *st = NULL;
	if (mg_db_stmt_get(kb->stmts, "SELECT csv FROM kb_replaced WHERE id = ?1", &st) != SQLITE_OK)
		return mg_db_fail(kb->db, err, "replaced knowledge bases");
	sqlite3_bind_int64(st, 1, id);
	int rc = MG_OK;
	char *csv = NULL;
	size_t len = 0;
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = mg_fail(err, MG_ERR_NOT_FOUND, "no replaced knowledge base %lld", (long long)id);
	} else {
		len = (size_t)sqlite3_column_bytes(st, 0);
		csv = malloc(len + 1);
		if (!csv)
			rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
		else
			memcpy(csv, sqlite3_column_blob(st, 0), len);
	}
	mg_db_stmt_put(kb->stmts, st);
	if (rc == MG_OK) {
		struct kb_import_opts o = opts ? *opts : (struct kb_import_opts){0};
		o.append = 0;
		char name[48];
		snprintf(name, sizeof name, "replaced-%lld.csv", (long long)id);
		rc = kb_import(kb, csv, len, name, &o, imported, err);
	}
	free(csv);
	return rc;
}

static int write_rows(struct kb *kb, struct parse *p, int append, int *imported, char *err)
{
	sqlite3_stmt *ins = NULL, *next = NULL;
	int rc = MG_OK;
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!append) {
		if (kb_exec(kb, "DELETE FROM kb_entries") != SQLITE_OK)
			return mg_db_fail(kb->db, err, "import");
		rc = kb_fts_reset(kb, err);
		if (rc != MG_OK)
			return rc;
	}
	/* Entries without an id get the next free number. */
	int64_t next_id = 1;
	if (mg_db_stmt_get(kb->stmts, KB_NEXT_ID, &next) == SQLITE_OK && sqlite3_step(next) == SQLITE_ROW)
		next_id = sqlite3_column_int64(next, 0);
	mg_db_stmt_put(kb->stmts, next);
	for (int i = 0; i < p->nrows; i++) {
		const char *id = p->rows[i].v[KB_C_ID];
		if (id && *id) {
			char *end;
			long long v = strtoll(id, &end, 10);
			if (!*end && v >= next_id)
				next_id = v + 1;
		}
	}
	if (mg_db_stmt_get(kb->stmts,
		"INSERT INTO kb_entries(" KB_ENTRY_COLUMNS ") "
		"VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &ins) != SQLITE_OK)
		rc = mg_db_fail(kb->db, err, "import");
	for (int i = 0; rc == MG_OK && i < p->nrows; i++) {
		struct row *r = &p->rows[i];
		char auto_id[32];
		if (!r->v[KB_C_ID] || !r->v[KB_C_ID][0]) {
			snprintf(auto_id, sizeof auto_id, "%lld", (long long)next_id++);
			free(r->v[KB_C_ID]);
			r->v[KB_C_ID] = strdup(auto_id);
			if (!r->v[KB_C_ID]) {
				rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
				break;
			}
		}
		normalise_alts(r->v[KB_C_ALT]);
		normalise_alts(r->v[KB_C_KEYWORDS]);
		for (int c = 0; c < KB_NCOLS; c++) {
			const char *v = r->v[c] ? r->v[c] : "";
			if (c == KB_C_STATUS && !*v)
				v = "published";
			if (c == KB_C_UPDATED_AT && !*v)
				v = now;
			sqlite3_bind_text(ins, c + 1, v, -1, SQLITE_STATIC);
		}
		int step = sqlite3_step(ins);
		sqlite3_reset(ins);
		if (step == SQLITE_CONSTRAINT) {
			rc = mg_fail(err, MG_ERR_CONFLICT, "%s: line %d: id '%s' is already in the knowledge base",
				     p->name, r->line, r->v[KB_C_ID]);
			if (p->opts && p->opts->report)
				p->opts->report(p->opts->ctx, r->line, "id is already in the knowledge base");
			break;
		}
		if (step != SQLITE_DONE) {
			rc = mg_db_fail(kb->db, err, "import");
			break;
		}
		rc = kb_index_entry(kb, sqlite3_last_insert_rowid(kb->db), (const char *const *)r->v, err);
		if (rc == MG_OK)
			(*imported)++;
	}
	mg_db_stmt_put(kb->stmts, ins);
	return rc;
}

static void parse_free(struct parse *p)
{
	for (int i = 0; i < p->nrows; i++)
		for (int c = 0; c < KB_NCOLS; c++)
			free(p->rows[i].v[c]);
	free(p->rows);
	free_fields(p);
	free(p->fields);
}

int kb_import(struct kb *kb, const char *data, size_t len, const char *name,
	      const struct kb_import_opts *opts, int *imported, char *err)
{
	*imported = 0;
	char *text = NULL;
	size_t text_len = 0;
	int rc = decode(data, len, name, &text, &text_len, err);
	if (rc != MG_OK)
		return rc;
	struct parse p = {.opts = opts, .name = name, .err = err};
	rc = parse_file(&p, text, text_len);
	free(text);
	for (int i = 0; rc == MG_OK && i < p.nrows; i++)
		check_row(&p, &p.rows[i]);
	if (rc == MG_OK)
		check_duplicate_ids(&p);
	if (p.oom)
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	else if (p.errors) {
		char first[MG_ERR_LEN];
		snprintf(first, sizeof first, "%s", err);
		rc = mg_fail(err, MG_ERR_INPUT, "%d bad row%s, nothing imported; first: %s",
			     p.errors, p.errors == 1 ? "" : "s", first);
	} else if (p.nrows == 0) {
		rc = mg_fail(err, MG_ERR_INPUT, "%s: no entries, nothing imported", name);
	}
	if (rc == MG_OK) {
		rc = kb_write_begin(kb, err);
		if (rc == MG_OK) {
			rc = kb_sync(kb, err);
			if (rc == MG_OK && opts && !opts->append)
				rc = keep_replaced(kb, opts->keep_replaced, err);
			if (rc == MG_OK)
				rc = write_rows(kb, &p, opts && opts->append, imported, err);
			if (rc == MG_OK)
				rc = kb_bump_generation(kb, err);
			rc = kb_write_end(kb, rc, err);
			if (rc != MG_OK)
				*imported = 0;
		}
	}
	parse_free(&p);
	return rc;
}

/* ---- synonyms -------------------------------------------------------------------- */

int kb_import_synonyms(struct kb *kb, const char *data, size_t len, const char *name,
		       int *groups, char *err)
{
	*groups = 0;
	char *text = NULL;
	size_t text_len = 0;
	int rc = decode(data, len, name, &text, &text_len, err);
	if (rc != MG_OK)
		return rc;
	struct nlp_synonyms *syn = nlp_synonyms_new();
	sqlite3_stmt *ins = NULL;
	if (!syn)
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc == MG_OK)
		rc = kb_write_begin(kb, err);
	if (rc != MG_OK) {
		nlp_synonyms_free(syn);
		free(text);
		return rc;
	}
	if (kb_exec(kb, "DELETE FROM kb_synonyms") != SQLITE_OK)
		rc = mg_db_fail(kb->db, err, "synonyms");
	if (rc == MG_OK && mg_db_stmt_get(kb->stmts, "INSERT OR IGNORE INTO kb_synonyms VALUES(?,?)", &ins) != SQLITE_OK)
		rc = mg_db_fail(kb->db, err, "synonyms");
	/* Split by hand, not by strtok_r: blank lines must count for the line
	 * numbers, and a NUL byte must not end the file unseen. */
	char *next = text, *end = text + text_len;
	for (int line = 1; rc == MG_OK && next < end; line++) {
		char *l = next, *nl = memchr(l, '\n', (size_t)(end - l));
		next = nl ? nl + 1 : end;
		if (memchr(l, 0, (size_t)(next - l))) {
			rc = mg_fail(err, MG_ERR_INPUT, "%s: line %d: a NUL byte (is this a text file?)",
				     name, line);
			break;
		}
		if (nl)
			*nl = 0;
		l[strcspn(l, "\r")] = 0;
		if (!*l || *l == '#')
			continue;
		char *fsave = NULL, *canonical = strtok_r(l, "\t", &fsave);
		int variants = 0;
		for (char *v = strtok_r(NULL, "\t", &fsave); v && rc == MG_OK; v = strtok_r(NULL, "\t", &fsave)) {
			trim(v);
			if (!*v)
				continue;
			rc = nlp_synonyms_add(syn, canonical, v, err);
			sqlite3_bind_text(ins, 1, v, -1, SQLITE_STATIC);
			sqlite3_bind_text(ins, 2, canonical, -1, SQLITE_STATIC);
			if (rc == MG_OK && sqlite3_step(ins) != SQLITE_DONE)
				rc = mg_db_fail(kb->db, err, "synonyms");
			sqlite3_reset(ins);
			variants++;
		}
		if (rc == MG_OK && !variants)
			rc = mg_fail(err, MG_ERR_INPUT, "%s: line %d: a canonical word without variants", name, line);
		else if (rc != MG_OK && rc != MG_ERR_DB)
			rc = mg_fail(err, rc, "%s: line %d: bad synonym", name, line);
		(*groups)++;
	}
	/* An empty list would unlink every word from its synonyms at once: a
	 * file without any is a mistake (a wrong or truncated upload). */
	if (rc == MG_OK && !*groups)
		rc = mg_fail(err, MG_ERR_INPUT, "%s: no synonyms in the file, the list is unchanged", name);
	mg_db_stmt_put(kb->stmts, ins);
	free(text);
	/* The index is re-analysed with the new list inside the same transaction. */
	struct nlp_synonyms *old = kb->syn_own;
	if (rc == MG_OK)
		rc = nlp_synonyms_lemmatise(syn, kb->an, err);
	if (rc == MG_OK) {
		kb->syn_own = syn;
		rc = kb_reindex(kb, err);
	}
	if (rc == MG_OK)
		rc = kb_bump_generation(kb, err);
	rc = kb_write_end(kb, rc, err);
	if (rc == MG_OK) {
		nlp_synonyms_free(old);
		kb->generation = -1;  /* the next search reloads the statistics */
		return MG_OK;
	}
	if (kb->syn_own == syn)
		kb->syn_own = old;
	nlp_synonyms_free(syn);
	*groups = 0;
	return rc;
}

/* ---- export ------------------------------------------------------------------------ */

int kb_export(struct kb *kb, FILE *out, char *err)
{
	sqlite3_stmt *st = NULL;
	static const char sql[] = "SELECT " KB_ENTRY_COLUMNS " FROM kb_entries ORDER BY id";
	if (mg_db_stmt_get(kb->stmts, sql, &st) != SQLITE_OK)
		return mg_db_fail(kb->db, err, "export");
	fputs("\xef\xbb\xbf", out);  /* Excel needs the BOM to read UTF-8 */
	for (int c = 0; c < KB_NCOLS; c++)
		fprintf(out, "%s%s", kb_col_name[c], c + 1 < KB_NCOLS ? "," : "\r\n");
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		for (int c = 0; c < KB_NCOLS; c++)
			nlp_excel_cell(out, (const char *)sqlite3_column_text(st, c), c + 1 == KB_NCOLS);
	mg_db_stmt_put(kb->stmts, st);
	if (step != SQLITE_DONE)
		return mg_db_fail(kb->db, err, "export");
	if (fflush(out) != 0 || ferror(out))
		return mg_fail(err, MG_ERR_IO, "cannot write the export: %s", strerror(errno));
	return MG_OK;
}
