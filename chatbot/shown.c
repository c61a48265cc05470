/* The entries residents are shown (the answer, the candidates, the choices),
 * kept per server thread for the knowledge base's generation: an entry is
 * read from the database the first time it is shown, not at every ask. A new
 * generation (an edit, an import) starts afresh, so an edited entry is shown
 * as edited at once. Only what is shown is kept: not the alternate questions,
 * keywords or source. */
#include "chatbot/chatbot_int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct shown_slot {
	int64_t entry;  /* rowid; 0 = empty */
	struct kb_entry e;
	/* e's parts of a printed reply (chatbot/chatbot.c), NULL until first printed */
	char *printed[CHATBOT_PRINTED_KINDS];
	size_t printed_len[CHATBOT_PRINTED_KINDS];
};

/* The fields of struct kb_entry, and whether a resident is ever shown it. */
static const struct {
	size_t at;
	int shown;
} FIELDS[] = {
	{offsetof(struct kb_entry, id), 1},          {offsetof(struct kb_entry, slug), 1},
	{offsetof(struct kb_entry, category), 1},    {offsetof(struct kb_entry, route), 1},
	{offsetof(struct kb_entry, status), 1},      {offsetof(struct kb_entry, question), 1},
	{offsetof(struct kb_entry, answer), 1},      {offsetof(struct kb_entry, question_en), 1},
	{offsetof(struct kb_entry, answer_en), 1},   {offsetof(struct kb_entry, answer_easy), 1},
	{offsetof(struct kb_entry, alt_questions), 0}, {offsetof(struct kb_entry, keywords), 0},
	{offsetof(struct kb_entry, valid_from), 1},  {offsetof(struct kb_entry, valid_to), 1},
	{offsetof(struct kb_entry, url), 1},         {offsetof(struct kb_entry, source), 0},
	{offsetof(struct kb_entry, updated_at), 1},
};

static char **field(struct kb_entry *e, size_t i)
{
	return (char **)((char *)e + FIELDS[i].at);
}

/* A copy of from's shown fields into *to (the others empty); MG_ERR_NOMEM
 * leaves *to cleared. */
static int copy_shown(const struct kb_entry *from, struct kb_entry *to, char *err)
{
	memset(to, 0, sizeof *to);
	for (size_t i = 0; i < sizeof FIELDS / sizeof *FIELDS; i++) {
		const char *v = FIELDS[i].shown ? *field((struct kb_entry *)from, i) : NULL;
		if (!(*field(to, i) = strdup(v ? v : ""))) {
			kb_entry_clear(to);
			return mg_fail(err, MG_ERR_NOMEM, "out of memory");
		}
	}
	return MG_OK;
}

/* Empties slot (its entry, its printed parts). */
static void slot_clear(struct shown_slot *slot)
{
	kb_entry_clear(&slot->e);
	for (int k = 0; k < CHATBOT_PRINTED_KINDS; k++) {
		free(slot->printed[k]);
		slot->printed[k] = NULL;
	}
	slot->entry = 0;
}

void chatbot_shown_clear(struct chatbot *bot)
{
	for (int i = 0; bot->shown && i < POLICY_SHOWN_ENTRIES; i++)
		slot_clear(&bot->shown[i]);
	free(bot->shown);
	bot->shown = NULL;
}

/* The slot entry is kept in (or would be), NULL when none is kept. */
static struct shown_slot *slot_of(struct chatbot *bot, int64_t entry)
{
	/* While the entries are newer than the model a search ranked with
	 * (kb_fresh 0), every entry is read as it is on disk now: none kept. */
	int64_t gen = kb_fresh(bot->kb) ? kb_generation(bot->kb) : -1;
	if (bot->shown && gen != bot->shown_generation)
		chatbot_shown_clear(bot);
	if (!bot->shown && gen >= 0) {
		bot->shown = calloc(POLICY_SHOWN_ENTRIES, sizeof *bot->shown);
		bot->shown_generation = gen;
	}
	return bot->shown ? &bot->shown[(uint64_t)entry % POLICY_SHOWN_ENTRIES] : NULL;
}

int chatbot_shown_borrow(struct chatbot *bot, int64_t entry, struct kb_entry *own, const struct kb_entry **e,
			 char *err)
{
	struct shown_slot *slot = slot_of(bot, entry);
	if (slot && slot->entry == entry) {
		*e = &slot->e;
		return MG_OK;
	}
	*e = own;
	return chatbot_shown_entry(bot, entry, own, err);
}

int chatbot_shown_entry(struct chatbot *bot, int64_t entry, struct kb_entry *out, char *err)
{
	struct shown_slot *slot = slot_of(bot, entry);
	if (slot && slot->entry == entry)
		return copy_shown(&slot->e, out, err);
	int rc = kb_entry_get(bot->kb, entry, NULL, out, err);
	if (rc == MG_OK && slot) {
		struct kb_entry kept;
		char why[MG_ERR_LEN];  /* short of memory: not kept, the answer still goes out */
		slot_clear(slot);
		if (copy_shown(out, &kept, why) == MG_OK) {
			slot->e = kept;
			slot->entry = entry;
		}
	}
	return rc;
}

const char *chatbot_shown_printed(struct chatbot *bot, int64_t entry, enum chatbot_printed kind, size_t *len)
{
	struct shown_slot *slot = slot_of(bot, entry);
	if (!slot || slot->entry != entry || !slot->printed[kind])
		return NULL;
	*len = slot->printed_len[kind];
	return slot->printed[kind];
}

void chatbot_shown_keep_printed(struct chatbot *bot, int64_t entry, enum chatbot_printed kind, const char *text,
				size_t len)
{
	struct shown_slot *slot = slot_of(bot, entry);
	if (!slot || slot->entry != entry || slot->printed[kind])
		return;
	char *copy = malloc(len + 1);  /* short of memory: printed again next time */
	if (copy) {
		memcpy(copy, text, len);
		copy[len] = 0;
		slot->printed[kind] = copy;
		slot->printed_len[kind] = len;
	}
}
