/* The answer engine as the rest of the program sees it: a question in, one
 * decision out (answer, clarify or hand-off), as the JSON object of the
 * contract in the README (the town's configuration: chatbot/town.h). Knows
 * nothing about HTTP. */
#ifndef CHATBOT_H
#define CHATBOT_H

#include <jansson.h>
#include <stdint.h>
#include <time.h>

#include "chatbot/town.h"
#include "kb/kb.h"
#include "nlp/nlp.h"
#include "nlp/zone.h"

struct chatbot;  /* one per thread: a database connection and an analyser */
struct events_writer;  /* chatbot/events.h */

/* Opens (creating and filling with the sample knowledge base if needed) the
 * database at db_path. Borrows model and town, which must outlive it. */
int chatbot_open(struct chatbot **out, const char *db_path, struct nlp_model *model,
		 const struct town *town, char *err);
void chatbot_close(struct chatbot *bot);
/* Reads what answering needs that is slow to read (the dictionary of
 * kb_gloss_preload, ~0.5 s and ~60 MB) so that no resident's question
 * waits for it: the server calls it before it listens. */
int chatbot_warm(struct chatbot *bot, char *err);
/* Queues this chatbot's events (asks, feedback) to the writer thread w
 * (borrowed; it must outlive bot) instead of writing each on the chatbot's
 * own connection; NULL (the default) writes them before returning. */
void chatbot_set_events(struct chatbot *bot, struct events_writer *w);
/* The decision cache (chatbot/cache.c): a question's ranking kept for the
 * knowledge base's generation, shared by every thread's chatbot (it locks),
 * bounded by max_bytes (POLICY_DECISION_CACHE_BYTES for the server). A new
 * generation (an edit, an import, a restore) empties it at the next ask
 * that reads it. The reply is built anew at every ask. */
struct chatbot_cache;
struct chatbot_cache_stats {
	uint64_t hits, misses;   /* asks that found their ranking, and not */
	uint64_t evicted;        /* rankings let go for room */
	uint64_t forgotten;      /* times a new generation emptied it */
	size_t entries, bytes;   /* now */
};
/* max_bytes 0: POLICY_DECISION_CACHE_BYTES. */
int chatbot_cache_new(size_t max_bytes, struct chatbot_cache **out, char *err);
void chatbot_cache_free(struct chatbot_cache *cache);
void chatbot_cache_stats(struct chatbot_cache *cache, struct chatbot_cache_stats *out);
/* Asks of bot look their ranking up in cache (borrowed; it must outlive
 * bot) first; NULL (the default) searches every time. Asks with other
 * weights or a phrasing left out (eval) never use it. */
void chatbot_set_cache(struct chatbot *bot, struct chatbot_cache *cache);
/* Records ev in the bot's event log (its writer, else its database), dated
 * in its town's zone: events_log() for every caller. */
struct events_event;
int chatbot_log_event(struct chatbot *bot, const struct events_event *ev, char *err);
/* The connection, for callers that run their own statements (import, export,
 * the booking and staff modules share the database file). */
struct kb *chatbot_kb(struct chatbot *bot);
/* Today's date (YYYY-MM-DD) in the bot's town's zone. */
void chatbot_today(const struct chatbot *bot, char out[11]);

struct ask_opts {
	int top;                   /* candidates to report, 1..CHATBOT_MAX_TOP; 0 = default */
	const char *lang;          /* "ja" or "en"; NULL = from the question's script */
	time_t now;                /* for opening hours and validity; 0 = time(NULL) */
	const char *conversation;  /* conversation id for the event log; may be NULL */
	int no_log;                /* 1: do not write the event log (eval, bench) */
	const struct kb_weights *weights;  /* NULL = chatbot/policy.h (eval tries others) */
	const struct kb_exclude *exclude;  /* NULL; eval's leave-one-out leaves a phrasing out */
	double answer_at, offer_at;  /* 0 = chatbot/policy.h's thresholds (eval tries others) */
	int ruby;                  /* 1: Japanese texts carry their furigana ("ruby") */
};

/* Answers one question. On success *out is a new JSON object (caller decrefs)
 * with question, lang, decision, confidence, answer, candidates, handoff.
 * Empty, over-long or invalid-UTF-8 questions fail with MG_ERR_EMPTY,
 * MG_ERR_TOO_LONG or MG_ERR_UTF8 and a message a resident can read in err. */
int chatbot_ask(struct chatbot *bot, const char *question, size_t len,
		const struct ask_opts *opts, json_t **out, char *err);

/* How every JSON reply of the program is printed: compact, and six
 * significant digits (scores and confidences, not float noise). */
#define CHATBOT_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(6))

/* chatbot_ask's reply printed with CHATBOT_JSON_FLAGS, with "conversation"
 * after the rest (opts->conversation, else the id the event log made for
 * the ask; none when there is neither), into *text (malloc'd, the caller
 * frees it; *text_len bytes and a NUL): the bytes of chatbot_ask's object
 * printed whole. Through the decision cache the printed reply is kept with
 * the ranking, for the knowledge base's generation, the day, the language,
 * top and ruby, so that a question asked again prints only what is its own
 * (the question as typed, the conversation) and what depends on the clock
 * (whether each line shown is open, when it opens). */
int chatbot_ask_printed(struct chatbot *bot, const char *question, size_t len,
			const struct ask_opts *opts, char **text, size_t *text_len, char *err);

/* Type-ahead: up to limit entries whose question matches what is typed so far,
 * as a JSON array of {id, slug, question}. */
int chatbot_suggest(struct chatbot *bot, const char *prefix, size_t len, int limit,
		    const char *lang, json_t **out, char *err);
/* The questions to show before anything is typed: JSON array of {id, slug,
 * question}, with ruby {question: segments} when ruby is set (Japanese). */
int chatbot_popular(struct chatbot *bot, int limit, const char *lang, int ruby, json_t **out, char *err);
/* One published entry by its external id: {id, slug, category, route, question,
 * answer, answer_easy (when written), url, updated_at}, and with ruby set
 * (Japanese) ruby: {question, answer, answer_easy: segments} (nlp_ruby:
 * [{"t": text, "r": reading}, {"t": text}, …]); MG_ERR_NOT_FOUND if none. */
int chatbot_entry(struct chatbot *bot, const char *id, const char *lang, int ruby, json_t **out, char *err);
/* Records 👍 (helpful=1) or 👎 (helpful=0) on an answered entry. */
int chatbot_feedback(struct chatbot *bot, const char *conversation, const char *entry_id,
		     int helpful, char *err);


/* Answer quality on a labelled set (lines `question<TAB>expected`, as
 * `madoguchi eval` reads) against the knowledge base as it is now, as a new
 * JSON object: questions, in_scope, out_of_scope, and percentages top1,
 * top3, answered, answered_wrongly, settled, out_handed_off, out_answered,
 * mrr, and bad_lines [{line, message}]. Nothing is logged. */
int chatbot_eval_run(struct chatbot *bot, const char *data, size_t len, json_t **out, char *err);
/* The same labelled set asked of two knowledge bases, before and after a
 * change (chatbot/preview.c builds the second), as a new JSON object:
 * before and after, the totals of chatbot_eval_run; changes {better,
 * worse, changed, same}, counts of questions; questions, every question in
 * file order: {line, question, expected, change, before, after}, change one
 * of "better", "worse" (its outcome moved), "changed" (the same outcome with
 * another first topic, entry or decision) or "same", and each side {topic,
 * entry, entry_question, decision, confidence, outcome}, outcome worst to
 * best "wrong" (answered wrongly; out of scope: answered), "missed",
 * "clarified" (the right topic first among choices), "right" (out of
 * scope: handed off). Nothing is logged. */
int chatbot_eval_compare(struct chatbot *before, struct chatbot *after, const char *data, size_t len,
			 json_t **out, char *err);

#endif
