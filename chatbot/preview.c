/* Curation that cannot hurt residents: a change of the knowledge base tried
 * before it is published. The change is made by the very function that
 * publishes it, on a copy of the knowledge base in memory, and the labelled
 * set is asked of both; the published knowledge base is only read. Part of
 * the staff module (staff.h). */
#include "chatbot/staff.h"
#include "chatbot/chatbot_int.h"

#include <stdlib.h>

/* A chatbot of the same town on a copy of bot's knowledge base. */
static int open_copy(struct chatbot *bot, struct nlp_model *model, struct chatbot **out, char *err)
{
	*out = NULL;
	struct chatbot *copy = calloc(1, sizeof *copy);
	if (!copy)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	copy->town = bot->town;
	int rc = kb_open_copy(bot->kb, model, &copy->kb, err);
	/* The publishing functions write their audit record with the change:
	 * on the copy it goes into the copy's own table, and away with it. */
	if (rc == MG_OK)
		rc = staff_init(kb_db(copy->kb), err);
	if (rc != MG_OK) {
		chatbot_close(copy);
		return rc;
	}
	*out = copy;
	return MG_OK;
}

int staff_preview(struct chatbot *bot, struct nlp_model *model, const struct staff_session *who,
		  const struct staff_proposal *change, const char *data, size_t len, json_t **out,
		  char bad_key[KB_ID_LEN], char *err)
{
	*out = NULL;
	if (bad_key)
		bad_key[0] = 0;
	struct chatbot *copy = NULL;
	char id[KB_ID_LEN] = "";
	int rc = open_copy(bot, model, &copy, err);
	if (rc == MG_OK && change->entry) {
		rc = staff_entry_save(copy, who, change->entry, id, bad_key, err);
	} else if (rc == MG_OK) {
		rc = staff_add_alternate(copy, who, change->alt_entry ? change->alt_entry : "",
					 change->alt_question, err);
		snprintf(id, sizeof id, "%s", change->alt_entry ? change->alt_entry : "");
	}
	if (rc == MG_OK)
		rc = chatbot_eval_compare(bot, copy, data, len, out, err);
	chatbot_close(copy);
	if (rc == MG_OK && json_object_set_new(*out, "entry", json_string(id))) {
		json_decref(*out);
		*out = NULL;
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	return rc;
}
