/* What the chatbot/ files share among themselves. */
#ifndef CHATBOT_INT_H
#define CHATBOT_INT_H

#include <stdatomic.h>

#include "chatbot/chatbot.h"
#include "chatbot/events.h"
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
	/* Each line as a printed reply last showed it, in Japanese and in
	 * English: what a line says changes with the minute of the town's clock
	 * at most (its hours are minutes of its days), so a reply printed in
	 * the same minute prints it again from here (chatbot/chatbot.c). */
	struct printed_line {
		int64_t minute;  /* of the town's clock; the text is NULL before the first */
		char *text;
		size_t len;
	} printed_lines[TOWN_NLINES][2];
};

/* A reply as chatbot_ask_printed prints it, kept beside its ranking in the
 * decision cache (chatbot/chatbot.c makes and prints it, chatbot/cache.c
 * keeps it): the JSON text printed once, in parts, with gaps where each ask
 * puts its own, and the ask's event but for its conversation and time.
 * Immutable once made; held by the cache and by the asks printing it, and
 * freed by the last to let go. */
enum chatbot_part_kind {
	CHATBOT_PART_TEXT,       /* printed JSON, as it is */
	CHATBOT_PART_QUESTION,   /* the question as the resident typed it */
	CHATBOT_PART_LINE,       /* the line whose route is text, as it is at the ask's time */
	CHATBOT_PART_NONE_LINE,  /* 「どれでもない」 after a worry: the nurse line while its phone
				  * is open, else the call centre */
};
/* At most: text, the question, text, 「どれでもない」, text, the hand-off,
 * text, the way on, text. */
#define CHATBOT_REPLY_PARTS 9
struct chatbot_reply {
	atomic_int refs;
	size_t bytes;  /* what it holds, counted in the cache's budget */
	int nparts;
	struct chatbot_part {
		enum chatbot_part_kind kind;
		const char *text;  /* in data */
		size_t len;
	} part[CHATBOT_REPLY_PARTS];
	struct events_ask event;  /* its strings in data */
	char data[];
};
void chatbot_reply_hold(struct chatbot_reply *r);
/* Accepts NULL. */
void chatbot_reply_drop(struct chatbot_reply *r);

/* The decision cache (chatbot/cache.c). key is everything the ranking and
 * the printed reply depend on besides the generation gen. get copies the
 * ranking into cand (at most max) and returns 1, or returns 0; with reply
 * not NULL it sets *reply to the printed reply kept with the ranking, held
 * for the caller (chatbot_reply_drop), and then copies no ranking, or to
 * NULL. put keeps a copy of the
 * ranking (nothing when memory is short: only the next ask is slower);
 * put_reply keeps reply (holding it) with the ranking kept under key in gen,
 * when there is one and it has none yet. */
int chatbot_cache_get(struct chatbot_cache *c, int64_t gen, const char *key, size_t len,
		      struct kb_candidate *cand, int max, int *n, struct kb_query_stats *qs,
		      struct chatbot_reply **reply);
void chatbot_cache_put(struct chatbot_cache *c, int64_t gen, const char *key, size_t len,
		       const struct kb_candidate *cand, int n, const struct kb_query_stats *qs);
void chatbot_cache_put_reply(struct chatbot_cache *c, int64_t gen, const char *key, size_t len,
			     struct chatbot_reply *reply);

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
/* An entry's parts of a printed reply, as chatbot/chatbot.c prints them,
 * kept with the entry while it is kept: a candidate's members but its score
 * and an answer, in Japanese and in English, and the event's id and slug. */
enum chatbot_printed {
	CHATBOT_PRINTED_CANDIDATE_JA,
	CHATBOT_PRINTED_CANDIDATE_EN,
	CHATBOT_PRINTED_ANSWER_JA,
	CHATBOT_PRINTED_ANSWER_EN,
	CHATBOT_PRINTED_EVENT,
	CHATBOT_PRINTED_KINDS
};
/* The part of kind kept for entry, its length in *len; NULL when the entry is
 * not kept or the part not yet printed. Valid until the next chatbot_shown_*
 * call on bot. */
const char *chatbot_shown_printed(struct chatbot *bot, int64_t entry, enum chatbot_printed kind, size_t *len);
/* Keeps a copy of text as entry's part of kind, when the entry is kept and
 * the part is not (nothing without memory). */
void chatbot_shown_keep_printed(struct chatbot *bot, int64_t entry, enum chatbot_printed kind, const char *text,
				size_t len);

/* Loads the sample synonyms and entries built into the binary. */
int chatbot_seed_sample(struct chatbot *bot, char *err);
/* The confidence's inputs (see policy.h), shared with eval --calibrate. */
void chatbot_features(const struct kb_candidate *c, int n, const struct kb_query_stats *qs,
		      double x[POLICY_CONF_FEATURES]);
/* The calibrated confidence that c[0] is the right topic (see policy.h). */
double chatbot_confidence(const struct kb_candidate *c, int n, const struct kb_query_stats *qs);
/* The confidence from which c[0] is answered: the policy's threshold,
 * lower on a FAQ as imported and where the first two candidates are
 * entries of one topic (see policy.h). */
double chatbot_answer_at(const struct kb_candidate *c, int n, const struct kb_query_stats *qs);

/* The furigana of a text as shown (nlp_ruby's segments as a JSON array,
 * the town's words read as the town reads them): a new reference, NULL
 * without memory. Kept per text for the knowledge base's generation. */
json_t *chatbot_ruby(struct chatbot *bot, const char *text);


#endif
