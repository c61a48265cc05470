/* Curation by staff: turning a question from the review queue into an
 * alternate question of an entry or a new draft, and saving an entry from the
 * editor. Each change is checked against the member of staff's role and
 * written to the audit log with the entry before and after. Part of the staff
 * module (staff.h). */
#include "chatbot/staff.h"
#include "chatbot/chatbot_int.h"

#include <stdlib.h>
#include <string.h>

static json_t *entry_json(const struct kb_entry *e)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			 "id", e->id, "slug", e->slug, "category", e->category, "route", e->route,
			 "status", e->status, "question", e->question, "answer", e->answer,
			 "question_en", e->question_en, "answer_en", e->answer_en,
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

int staff_add_alternate(struct chatbot *bot, const struct staff_session *who, const char *entry_id,
			const char *question, char *err)
{
	if (who && !staff_can(who->role, STAFF_EDIT_KB))
		return mg_fail(err, MG_ERR_DENIED, "the role %s may not edit the knowledge base",
			       staff_role_name(who->role));
	int rc = phrasing_ok(question, err);
	/* The audit table exists before the entry changes: the two are separate
	 * transactions, and a change must not go unaudited for want of a table. */
	if (rc == MG_OK)
		rc = staff_init(kb_db(chatbot_kb(bot)), err);
	if (rc != MG_OK)
		return rc;
	struct kb_entry e;
	rc = kb_entry_get(chatbot_kb(bot), 0, entry_id, &e, err);
	if (rc != MG_OK)
		return rc;
	/* already there: nothing to change, nothing to audit */
	size_t ql = strlen(question);
	for (const char *p = e.alt_questions; *p;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (n == ql && !memcmp(p, question, n)) {
			kb_entry_clear(&e);
			return MG_OK;
		}
		p += n + (bar ? 1 : 0);
	}
	json_t *before = entry_json(&e);
	char *alts = malloc(strlen(e.alt_questions) + ql + 2);
	if (!alts || !before) {
		free(alts);
		json_decref(before);
		kb_entry_clear(&e);
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	sprintf(alts, "%s%s%s", e.alt_questions, *e.alt_questions ? "|" : "", question);
	char *old = e.alt_questions;
	e.alt_questions = alts;
	rc = kb_entry_put(chatbot_kb(bot), &e, NULL, err);
	json_t *after = entry_json(&e);
	if (rc == MG_OK)
		rc = staff_audit(kb_db(chatbot_kb(bot)), who, "entry.add_alternate", e.id, before, after, err);
	json_decref(before);
	json_decref(after);
	e.alt_questions = old;
	free(alts);
	kb_entry_clear(&e);
	return rc;
}

static const char *field(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : "";
}

int staff_entry_save(struct chatbot *bot, const struct staff_session *who, json_t *fields,
		     char id_out[64], char *err)
{
	if (who && !staff_can(who->role, STAFF_EDIT_KB))
		return mg_fail(err, MG_ERR_DENIED, "the role %s may not edit the knowledge base",
			       staff_role_name(who->role));
	if (!json_is_object(fields))
		return mg_fail(err, MG_ERR_INPUT, "an entry is a JSON object");
	struct kb_entry e = {
		.id = (char *)field(fields, "id"), .slug = (char *)field(fields, "slug"),
		.category = (char *)field(fields, "category"), .route = (char *)field(fields, "route"),
		.status = (char *)field(fields, "status"), .question = (char *)field(fields, "question"),
		.answer = (char *)field(fields, "answer"), .question_en = (char *)field(fields, "question_en"),
		.answer_en = (char *)field(fields, "answer_en"),
		.alt_questions = (char *)field(fields, "alt_questions"),
		.keywords = (char *)field(fields, "keywords"), .valid_from = (char *)field(fields, "valid_from"),
		.valid_to = (char *)field(fields, "valid_to"), .url = (char *)field(fields, "url"),
		.source = (char *)field(fields, "source"),
	};
	int rc = staff_init(kb_db(chatbot_kb(bot)), err);
	if (rc != MG_OK)
		return rc;
	json_t *before = NULL;
	if (*e.id)
		staff_entry_get(bot, e.id, &before, NULL);
	char id[KB_ID_LEN];
	rc = kb_entry_put(chatbot_kb(bot), &e, id, err);
	json_t *after = NULL;
	if (rc == MG_OK)
		rc = staff_entry_get(bot, id, &after, err);
	if (rc == MG_OK)
		rc = staff_audit(kb_db(chatbot_kb(bot)), who, before ? "entry.update" : "entry.create", id, before,
				 after, err);
	if (rc == MG_OK && id_out)
		snprintf(id_out, 64, "%s", id);
	json_decref(before);
	json_decref(after);
	return rc;
}
