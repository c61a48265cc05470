/* What the chatbot/ files share among themselves. */
#ifndef CHATBOT_INT_H
#define CHATBOT_INT_H

#include "chatbot/chatbot.h"
#include "chatbot/policy.h"
#include "chatbot/town_int.h"
#include "kb/kb.h"

struct chatbot {
	struct kb *kb;
	const struct town *town;  /* borrowed */
	struct events_writer *events;  /* borrowed; NULL: events are written at once */
	json_t *ruby_cache;  /* text shown → its furigana segments (chatbot/furigana.c) */
	int64_t ruby_generation;  /* the knowledge base's generation of ruby_cache */
	size_t ruby_bytes;  /* the memory ruby_cache holds, as counted by chatbot/furigana.c */
	struct chatbot_cache *cache;  /* borrowed, shared by threads; NULL: none */
	struct shown_slot *shown;  /* entries shown, POLICY_SHOWN_ENTRIES slots (chatbot/shown.c) */
	int64_t shown_generation;  /* the knowledge base's generation of shown */
};

/* The decision cache's two halves (chatbot/cache.c). key is everything
 * the ranking depends on besides the generation gen. get copies the
 * ranking into cand (at most max) and returns 1, or returns 0; put keeps a
 * copy (nothing when memory is short: only the next ask is slower). */
int chatbot_cache_get(struct chatbot_cache *c, int64_t gen, const char *key, size_t len,
		      struct kb_candidate *cand, int max, int *n, struct kb_query_stats *qs);
void chatbot_cache_put(struct chatbot_cache *c, int64_t gen, const char *key, size_t len,
		       const struct kb_candidate *cand, int n, const struct kb_query_stats *qs);

/* The entry with rowid entry as residents are shown it, into *out (the
 * caller clears it): from this thread's kept copy when it was shown before
 * in the knowledge base's generation this connection last read (a search
 * reads it), else from the database. Its alternate questions, keywords and
 * source are empty. chatbot_shown_clear frees the kept copies. */
int chatbot_shown_entry(struct chatbot *bot, int64_t entry, struct kb_entry *out, char *err);
/* As chatbot_shown_entry, without the copy (17 strings, 12 K instructions)
 * when the entry is kept: *e points at the kept entry, valid until the next
 * chatbot_shown_* call on bot, or at *own, filled as by chatbot_shown_entry,
 * which the caller then clears (e == own). */
int chatbot_shown_borrow(struct chatbot *bot, int64_t entry, struct kb_entry *own, const struct kb_entry **e,
			 char *err);
void chatbot_shown_clear(struct chatbot *bot);

/* Loads the sample synonyms and entries built into the binary. */
int chatbot_seed_sample(struct chatbot *bot, char *err);
/* The confidence's inputs (see policy.h), shared with eval --calibrate. */
void chatbot_features(const struct kb_candidate *c, int n, const struct kb_query_stats *qs,
		      double x[POLICY_CONF_FEATURES]);
/* The calibrated confidence that c[0] is the right topic (see policy.h). */
double chatbot_confidence(const struct kb_candidate *c, int n, const struct kb_query_stats *qs);

/* The furigana of a text as shown (nlp_ruby's segments as a JSON array,
 * the town's words read as the town reads them): a new reference, NULL
 * without memory. Kept per text for the knowledge base's generation. */
json_t *chatbot_ruby(struct chatbot *bot, const char *text);


#endif
