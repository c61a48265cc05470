/* Curation by staff: turning a question from the review queue into an
 * alternate question of an entry (and taking it back), saving, unpublishing
 * and deleting an entry from the editor. Each change is checked against the
 * member of staff's role and written with its audit record, the entry before
 * and after, in one transaction (staff_kb_write). A saved entry passes the
 * check an import's rows pass (the town's {{keys}} included); unpublishing
 * and the alternates are narrow writes that leave the answer unchecked.
 * Part of the staff module (staff.h). */
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

/* An entry saved from the editor, as a staff_kb_change. */
struct entry_save {
	const struct kb_entry *e;
	struct kb_import_opts check;
	struct chatbot *bot;
};

static int apply_save(struct staff_kb_change *ch, struct kb *kb, char *err)
{
	struct entry_save *s = ch->ctx;
	int rc = kb_entry_put(kb, s->e, &s->check, ch->target, err);
	return rc == MG_OK ? staff_entry_get(s->bot, ch->target, &ch->after, err) : rc;
}

/* A narrow write of one field: the status, or the list of alternates. */
struct entry_field {
	int (*set)(struct kb *kb, const char *id, const char *value, char *err);
	const char *value;
	struct chatbot *bot;
};

static int apply_field(struct staff_kb_change *ch, struct kb *kb, char *err)
{
	struct entry_field *f = ch->ctx;
	int rc = f->set(kb, ch->target, f->value, err);
	return rc == MG_OK ? staff_entry_get(f->bot, ch->target, &ch->after, err) : rc;
}

/* Sets one field of entry id through set, audited as action. */
static int set_field(struct chatbot *bot, const struct staff_session *who, const char *action, const char *id,
		     json_t *before, int (*set)(struct kb *, const char *, const char *, char *),
		     const char *value, char *err)
{
	struct entry_field f = {set, value, bot};
	struct staff_kb_change ch = {.action = action, .before = before, .apply = apply_field, .ctx = &f};
	snprintf(ch.target, sizeof ch.target, "%s", id);
	return staff_kb_write(chatbot_kb(bot), who, &ch, err);
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
	int changed = 0;
	char *alts = kb_alternates_edit(e.alt_questions, question, add, &changed);
	/* already there (or already gone): nothing to change, nothing to audit */
	if (alts && !changed) {
		free(alts);
		kb_entry_clear(&e);
		return MG_OK;
	}
	json_t *before = alts ? entry_json(&e) : NULL;
	if (!before) {
		free(alts);
		kb_entry_clear(&e);
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	rc = set_field(bot, who, add ? "entry.add_alternate" : "entry.remove_alternate", e.id, before,
		       kb_entry_set_alternates, alts, err);
	json_decref(before);
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
	struct entry_save save = {&e, {.placeholder = bot->town ? town_has_fact : NULL, .facts = (void *)bot->town,
				       .bad_key = bad_key}, bot};
	struct staff_kb_change ch = {.action = before ? "entry.update" : "entry.create", .before = before,
				     .apply = apply_save, .ctx = &save};
	if (bad_key)
		bad_key[0] = 0;
	rc = staff_kb_write(chatbot_kb(bot), who, &ch, err);
	if (rc == MG_OK && id_out)
		snprintf(id_out, KB_ID_LEN, "%s", ch.target);
	json_decref(before);
	return rc;
}

int staff_entry_unpublish(struct chatbot *bot, const struct staff_session *who, const char *id, char *err)
{
	int rc = may_edit(who, err);
	json_t *before = NULL;
	if (rc == MG_OK)
		rc = staff_entry_get(bot, id, &before, err);
	if (rc == MG_OK)
		rc = set_field(bot, who, "entry.unpublish", id, before, kb_entry_set_status, "draft", err);
	json_decref(before);
	return rc;
}

static int apply_delete(struct staff_kb_change *ch, struct kb *kb, char *err)
{
	return kb_entry_delete(kb, ch->target, err);
}

int staff_entry_delete(struct chatbot *bot, const struct staff_session *who, const char *id, char *err)
{
	int rc = may_edit(who, err);
	struct staff_kb_change ch = {.action = "entry.delete", .apply = apply_delete};
	snprintf(ch.target, sizeof ch.target, "%s", id);
	if (rc == MG_OK)
		rc = staff_entry_get(bot, id, &ch.before, err);
	if (rc == MG_OK)
		rc = staff_kb_write(chatbot_kb(bot), who, &ch, err);
	json_decref(ch.before);
	return rc;
}
