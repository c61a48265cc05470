/* Curation by staff: turning a question from the review queue into an
 * alternate question of an entry (and taking it back), saving, unpublishing
 * and deleting an entry from the editor. Each change is checked against the
 * member of staff's role, passes the check an import's rows pass (the town's
 * {{keys}} included), and is written with its audit record, the entry before
 * and after, in one transaction. Part of the staff module (staff.h). */
#include "chatbot/staff.h"
#include "chatbot/chatbot_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *entry_json(const struct kb_entry *e)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			 "id", e->id, "slug", e->slug, "category", e->category, "route", e->route,
			 "status", e->status, "question", e->question, "answer", e->answer,
			 "question_en", e->question_en, "answer_en", e->answer_en,
			 "answer_easy", e->answer_easy,
			 "alt_questions", e->alt_questions, "keywords", e->keywords,
			 "valid_from", e->valid_from, "valid_to", e->valid_to, "url", e->url,
			 "source", e->source);
}

int staff_entry_get(struct chatbot *bot, const char *id, json_t **out, char *err)
{
	*out = NULL;
	struct kb_entry e;
	int rc = kb_entry_get(chatbot_kb(bot), 0, id, &e, err);
	if (rc != MG_OK)
		return rc;
	*out = entry_json(&e);
	kb_entry_clear(&e);
	return *out ? MG_OK : mg_fail(err, MG_ERR_NOMEM, "out of memory");
}

/* A question from the log may still hold a placeholder of the redaction:
 * staff rewrite it before it becomes a phrasing residents are matched on. */
static int phrasing_ok(const char *q, char *err)
{
	if (!q || !*q)
		return mg_fail(err, MG_ERR_INPUT, "the question is empty");
	if (strchr(q, '<') || strchr(q, '|') || strchr(q, '\n'))
		return mg_fail(err, MG_ERR_INPUT, "replace the <…> placeholder (and any '|') with ordinary words first");
	return MG_OK;
}

static int may_edit(const struct staff_session *who, char *err)
{
	if (who && !staff_can(who->role, STAFF_EDIT_KB))
		return mg_fail(err, MG_ERR_DENIED, "the role %s may not edit the knowledge base",
			       staff_role_name(who->role));
	return MG_OK;
}

/* The town's facts as the shared check's placeholder callback; the first
 * unknown key is kept for the console to name. */
struct fact_check {
	const struct town *town;
	char *bad_key;  /* KB_ID_LEN bytes, or NULL */
};

static int known_fact(void *ctx, const char *key, size_t len)
{
	struct fact_check *f = ctx;
	if (town_has_fact((void *)f->town, key, len))
		return 1;
	if (f->bad_key && !f->bad_key[0])
		snprintf(f->bad_key, KB_ID_LEN, "%.*s", (int)len, key);
	return 0;
}

/* Writes e (its change named action) and the audit record of it, before
 * and after, in one transaction: both or neither. */
static int put_audited(struct chatbot *bot, const struct staff_session *who, const char *action,
		       const struct kb_entry *e, json_t *before, char bad_key[KB_ID_LEN],
		       char id_out[KB_ID_LEN], char *err)
{
	struct kb *kb = chatbot_kb(bot);
	struct fact_check facts = {bot->town, bad_key};
	struct kb_import_opts check = {.placeholder = bot->town ? known_fact : NULL, .ctx = &facts};
	char id[KB_ID_LEN];
	if (bad_key)
		bad_key[0] = 0;
	/* The audit table exists before the transaction: creating it inside
	 * would be one more thing to roll back on a read-only mistake. */
	int rc = staff_init(kb_db(kb), err);
	if (rc == MG_OK)
		rc = kb_write_begin(kb, err);
	if (rc != MG_OK)
		return rc;
	rc = kb_entry_put(kb, e, &check, id, err);
	json_t *after = NULL;
	if (rc == MG_OK)
		rc = staff_entry_get(bot, id, &after, err);
	if (rc == MG_OK)
		rc = staff_audit(kb_db(kb), who, action, id, before, after, err);
	json_decref(after);
	rc = kb_write_end(kb, rc, err);
	if (rc == MG_OK && id_out)
		snprintf(id_out, KB_ID_LEN, "%s", id);
	return rc;
}

/* Where question is among the |-separated alternates: its start, or NULL. */
static const char *find_alternate(const char *alts, const char *question)
{
	size_t ql = strlen(question);
	for (const char *p = alts; *p;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (n == ql && !memcmp(p, question, n))
			return p;
		p += n + (bar ? 1 : 0);
	}
	return NULL;
}

/* Adds (add) or removes question among the entry's alternates, audited. */
static int change_alternate(struct chatbot *bot, const struct staff_session *who, const char *entry_id,
			    const char *question, int add, char *err)
{
	int rc = may_edit(who, err);
	if (rc == MG_OK)
		rc = phrasing_ok(question, err);
	if (rc != MG_OK)
		return rc;
	struct kb_entry e;
	rc = kb_entry_get(chatbot_kb(bot), 0, entry_id, &e, err);
	if (rc != MG_OK)
		return rc;
	const char *at = find_alternate(e.alt_questions, question);
	/* already there (or already gone): nothing to change, nothing to audit */
	if (add == (at != NULL)) {
		kb_entry_clear(&e);
		return MG_OK;
	}
	size_t ql = strlen(question), al = strlen(e.alt_questions);
	json_t *before = entry_json(&e);
	char *alts = malloc(al + ql + 2);
	if (!alts || !before) {
		free(alts);
		json_decref(before);
		kb_entry_clear(&e);
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	if (add) {
		sprintf(alts, "%s%s%s", e.alt_questions, *e.alt_questions ? "|" : "", question);
	} else {
		/* the text before it, then the text after it and its bar */
		size_t pre = (size_t)(at - e.alt_questions);
		const char *post = at + ql;
		if (*post == '|')
			post++;
		else if (pre > 0)
			pre--;  /* the last one: its bar goes with it */
		snprintf(alts, al + 1, "%.*s%s", (int)pre, e.alt_questions, post);
	}
	char *old = e.alt_questions;
	e.alt_questions = alts;
	rc = put_audited(bot, who, add ? "entry.add_alternate" : "entry.remove_alternate", &e, before, NULL,
			 NULL, err);
	json_decref(before);
	e.alt_questions = old;
	free(alts);
	kb_entry_clear(&e);
	return rc;
}

int staff_add_alternate(struct chatbot *bot, const struct staff_session *who, const char *entry_id,
			const char *question, char *err)
{
	return change_alternate(bot, who, entry_id, question, 1, err);
}

int staff_remove_alternate(struct chatbot *bot, const struct staff_session *who, const char *entry_id,
			   const char *question, char *err)
{
	return change_alternate(bot, who, entry_id, question, 0, err);
}

static const char *field(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : "";
}

int staff_entry_save(struct chatbot *bot, const struct staff_session *who, json_t *fields,
		     char id_out[64], char bad_key[KB_ID_LEN], char *err)
{
	int rc = may_edit(who, err);
	if (rc != MG_OK)
		return rc;
	if (!json_is_object(fields))
		return mg_fail(err, MG_ERR_INPUT, "an entry is a JSON object");
	struct kb_entry e = {
		.id = (char *)field(fields, "id"), .slug = (char *)field(fields, "slug"),
		.category = (char *)field(fields, "category"), .route = (char *)field(fields, "route"),
		.status = (char *)field(fields, "status"), .question = (char *)field(fields, "question"),
		.answer = (char *)field(fields, "answer"), .question_en = (char *)field(fields, "question_en"),
		.answer_en = (char *)field(fields, "answer_en"),
		.answer_easy = (char *)field(fields, "answer_easy"),
		.alt_questions = (char *)field(fields, "alt_questions"),
		.keywords = (char *)field(fields, "keywords"), .valid_from = (char *)field(fields, "valid_from"),
		.valid_to = (char *)field(fields, "valid_to"), .url = (char *)field(fields, "url"),
		.source = (char *)field(fields, "source"),
	};
	json_t *before = NULL;
	if (*e.id)
		staff_entry_get(bot, e.id, &before, NULL);
	rc = put_audited(bot, who, before ? "entry.update" : "entry.create", &e, before, bad_key, id_out, err);
	json_decref(before);
	return rc;
}

int staff_entry_unpublish(struct chatbot *bot, const struct staff_session *who, const char *id, char *err)
{
	int rc = may_edit(who, err);
	if (rc != MG_OK)
		return rc;
	struct kb_entry e;
	rc = kb_entry_get(chatbot_kb(bot), 0, id, &e, err);
	if (rc != MG_OK)
		return rc;
	json_t *before = entry_json(&e);
	char *old = e.status;
	e.status = "draft";
	rc = before ? put_audited(bot, who, "entry.unpublish", &e, before, NULL, NULL, err)
		    : mg_fail(err, MG_ERR_NOMEM, "out of memory");
	e.status = old;
	json_decref(before);
	kb_entry_clear(&e);
	return rc;
}

int staff_entry_delete(struct chatbot *bot, const struct staff_session *who, const char *id, char *err)
{
	int rc = may_edit(who, err);
	if (rc != MG_OK)
		return rc;
	struct kb *kb = chatbot_kb(bot);
	json_t *before = NULL;
	rc = staff_entry_get(bot, id, &before, err);
	if (rc == MG_OK)
		rc = staff_init(kb_db(kb), err);
	if (rc == MG_OK && (rc = kb_write_begin(kb, err)) == MG_OK) {
		rc = kb_entry_delete(kb, id, err);
		if (rc == MG_OK)
			rc = staff_audit(kb_db(kb), who, "entry.delete", id, before, NULL, err);
		rc = kb_write_end(kb, rc, err);
	}
	json_decref(before);
	return rc;
}
