/* The conversation event log and the figures computed from it: what residents
 * asked (with personal data removed), what the engine decided, what they
 * clicked, and from that the deflection rate and its companions, per day,
 * route, topic and hour. Lives in the knowledge base's SQLite file (tables
 * ev_*). The definitions are in chatbot/METRICS.md. No IP address, no raw
 * question and no client-chosen text other than the conversation id is stored. */
#ifndef EVENTS_H
#define EVENTS_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <time.h>

#include "chatbot/chatbot.h"
#include "nlp/db.h"

/* A conversation id is the token the web layer hands out (32 hex digits: the
 * time it was made to the 65,536th of a second, then 10 random bytes:
 * events_new_id); ids outside [A-Za-z0-9_-]{1,64}
 * are refused. */
#define EVENTS_ID_MAX 64

struct events_writer;  /* the writer thread of a server, see below */

enum events_type {
	EVENTS_ASK,                /* written by chatbot_ask() */
	EVENTS_FEEDBACK,           /* 👍/👎 on an answer: entry_id, helpful */
	EVENTS_CLARIFY_CHOSEN,     /* the resident picked entry_id from "did you mean" */
	EVENTS_HANDOFF_SHOWN,      /* a line was shown outside an ask ("none of these"): route */
	EVENTS_HANDOFF_CLICKED,    /* a tap on a way out of the chat: route, channel */
	EVENTS_BOOKING_OPENED,
	EVENTS_BOOKING_COMPLETED,  /* booking: the booking's id, to count its cancellation */
	EVENTS_BOOKING_CANCELLED,  /* booking: a booking completed in the chat, cancelled */
};

struct events_event {
	enum events_type type;
	const char *conversation;  /* required, except for booking_cancelled (see below) */
	const char *entry_id;      /* feedback, clarify_chosen; else NULL */
	const char *route;         /* handoff_*: "call_center", "nurse", "booking" or
				      "elsewhere" (another office, a number that is no line's) */
	const char *channel;       /* handoff_clicked: "phone" (a tel: link), "booking" (the
				      booking flow) or "web" (a page outside the chat) */
	int helpful;               /* feedback: 1 👍, 0 👎 */
	time_t now;                /* 0 = time(NULL) */
	/* booking_completed: the booking's id (0 = none). booking_cancelled: the
	 * booking cancelled, by whoever; the event is logged under the
	 * conversation that completed it, and not at all for a booking that was
	 * not made in the chat. */
	long long booking;
	const char *slug, *topic;  /* with entry_id: the entry's slug and category, as the
				      knowledge base has them (chatbot_log_event reads them) */
};

/* The ev_ tables' migrations (nlp/db.h), run by events_init: chatbot_open
 * on its connection, the writer on its own. */
extern const struct mg_db_schema events_schema;
int events_init(sqlite3 *db, char *err);

/* Records one ask from chatbot_ask()'s result (borrowed, not changed except
 * that a "conversation" member is added when opts has none and a new id was
 * made). The question is normalised and redacted before it is written or
 * queued. Its day and hour are those of the town's zone (NULL: the
 * process's). With a writer w the event is queued to its thread (see below) and
 * db is not written; without one (NULL) it is written on db before the call
 * returns. MG_ERR_FULL: the writer's queue was full, the event was dropped. */
int events_log_ask(sqlite3 *db, struct events_writer *w, const struct nlp_zone *zone,
		   const struct ask_opts *opts, json_t *result, char *err);
/* The same with the question as nlp_normalise gave it (norm, norm_len
 * bytes), for a caller that normalised it already: once per ask. */
int events_log_ask_normalised(sqlite3 *db, struct events_writer *w, const struct nlp_zone *zone,
			      const struct ask_opts *opts, json_t *result, const char *norm,
			      size_t norm_len, char *err);
/* One ask's event as chatbot_ask() decided it, without its conversation and
 * time: the same for every ask of the same question in one knowledge base's
 * generation, so the decision cache keeps it beside the printed reply. */
struct events_ask {
	char *question;    /* normalised and redacted (owned) */
	char *candidates;  /* JSON [{id, slug, score}] (owned) */
	const char *lang, *decision;
	const char *entry_id, *slug, *topic;  /* the entry shown, or the closest; may be NULL */
	const char *route;                    /* the answer's or the hand-off's; may be NULL */
	double confidence;                    /* NAN: none */
};
/* Fills *out from chatbot_ask()'s result (its strings borrowed from result)
 * and the question as nlp_normalise gave it (redacted here, the one costly
 * step). events_ask_clear frees what *out owns; on failure nothing is held. */
int events_ask_of(json_t *result, const char *norm, size_t norm_len, struct events_ask *out, char *err);
void events_ask_clear(struct events_ask *a);
/* Records a under conversation at now (0: the clock), dated in the town's
 * zone, written or queued as for events_log_ask. A missing or malformed
 * conversation id starts a conversation of its own, whose new id goes into
 * made ("" otherwise). */
int events_log_ask_as(sqlite3 *db, struct events_writer *w, const struct nlp_zone *zone,
		      const char *conversation, time_t now, const struct events_ask *a,
		      char made[EVENTS_ID_MAX + 1], char *err);
/* Records an event of any other type; the conversation is created if new.
 * The event is checked on db (the entry must exist) and then written or
 * queued as for events_log_ask. */
int events_log(sqlite3 *db, struct events_writer *w, const struct nlp_zone *zone,
	       const struct events_event *ev, char *err);

/* ---- the writer thread ---------------------------------------------------- */

/* A server's events are written by one thread on its own connection, so that
 * a resident's answer never waits for SQLite's write lock: the workers queue
 * each event (already redacted) and the thread writes what has queued up in
 * one transaction, at most OPS_EVENTS_BATCH_MS after the first event or when
 * OPS_EVENTS_BATCH_MAX are waiting, with its statements prepared once. The
 * queue holds OPS_EVENTS_QUEUE_MAX events; when it is full an event is
 * dropped and counted, never waited for (chatbot/ops_policy.h says why).
 * Events are written in the order they were queued. */
struct events_writer_stats {
	long long queued;   /* accepted into the queue */
	long long written;  /* in the database */
	long long dropped;  /* refused: the queue was full */
	long long failed;   /* the database refused them (reported on stderr) */
	int failing;        /* 1 while the latest batch could not be written all */
	char last_error[MG_ERR_LEN];  /* the latest refusal ("database or disk is full"), or "" */
	/* Events that found the queue full and waited for the writer's next
	 * batch (OPS_EVENTS_ROOM_WAIT_MS at most; an answer waits with them):
	 * how many, the milliseconds in all and the longest. */
	long long waited, waited_ms, waited_max_ms;
	/* The transactions written and the pages of log (4 KB each: the WAL,
	 * which the file's checkpointer copies again) they wrote; their time on
	 * the clock in ms, in all and the longest (how long the write lock was
	 * held, and a booking may wait behind it). */
	long long batches, pages, batch_ms, batch_max_ms;
};

/* Starts the thread on the database at db_path, which must already hold the
 * knowledge base's tables (the ev_ tables are created if missing). quiet: no
 * lines on stderr (tests). On failure *out is NULL and err says why. */
int events_writer_start(const char *db_path, int quiet, struct events_writer **out, char *err);
/* Returns once every event queued before the call is written (or has failed):
 * where the log is read back (the staff console, tests). Waits at most
 * MG_DB_BUSY_MS, as a read waits for a locked database; returns 1 when
 * everything was written, 0 when it stopped waiting. Accepts NULL (1). */
int events_writer_flush(struct events_writer *w);
/* Writes everything still queued, ends the thread, reports dropped or failed
 * events on stderr unless quiet, and frees w. Accepts NULL. */
void events_writer_stop(struct events_writer *w);
/* The counts so far (w not NULL). */
void events_writer_stats(struct events_writer *w, struct events_writer_stats *out);

/* Writes a new conversation id into id (EVENTS_ID_MAX + 1 bytes, 32 hex
 * digits): the time to the 65,536th of a second, so that ids sort in the
 * order they were made, then 80 random bits. */
void events_new_id(char id[EVENTS_ID_MAX + 1]);

/* The figures of METRICS.md for conversations started on days from..to
 * (YYYY-MM-DD, inclusive), as a new JSON object (caller decrefs):
 *   totals {conversations, deflected, self_service, answered_conversations,
 *           questions, answered, clarified, clarify_chosen, handed_off, helpful,
 *           unhelpful, bookings_completed, bookings_cancelled, deflection_rate,
 *           self_service_rate, answered_rate, clarify_rate, handoff_rate,
 *           helpful_ratio}
 *   days [{day, conversations, deflected, self_service, questions, answered,
 *          deflection_rate}]
 *   handoffs [{route, questions, rate}]   clicks [{click ("channel:route"), n}]
 *   topics [{name (the slug), question (its first published entry's, from kb; null
 *            without kb), questions, answered,
 *            answered_rate, unhelpful}], most asked first
 *   categories [{name, questions, answered, answered_rate, unhelpful}]
 *   hours [24 counts of questions by hour of day]
 *   unhelpful_entries [{slug, n}]
 * Days whose events were removed by retention come from ev_daily. Rates are
 * null when their denominator is 0. This is the only place they are computed. */
int events_report(sqlite3 *db, struct kb *kb, const char *from, const char *to, json_t **out, char *err);

/* The day the log's first conversation started (kept figures included), as
 * YYYY-MM-DD into day; "" when the log is empty. */
int events_first_day(sqlite3 *db, char day[11], char *err);

/* Writes a report of events_report as CSV for Excel (UTF-8 with BOM,
 * CRLF), one table per section. */
void events_report_csv(json_t *report, FILE *f);
/* The same as text for a terminal (`madoguchi report`). */
void events_report_text(json_t *report, FILE *f);

/* Folds the days of conversations older than keep_days before now (days of
 * zone) into ev_daily and deletes their events. *deleted gets the events
 * removed. */
int events_retain(sqlite3 *db, const struct nlp_zone *zone, int keep_days, time_t now, int *deleted,
		  char *err);

/* Questions the knowledge base did not answer confidently (hand-offs,
 * clarifications, answers below min_confidence) on days from..to, grouped by
 * meaning: the same content words in any order and form, a synonym of syn
 * (may be NULL) read as its canonical word (an is given), or the same
 * normalised text (an is NULL). A question sent to another town office (a
 * hand-off of route elsewhere) was handled, and is left out. Largest group first, dismissed groups
 * left out; a JSON array of {key, question (the most frequent wording), n,
 * questions [up to 5 wordings], last_day, top_slug}. */
int events_unanswered(sqlite3 *db, struct nlp_analyser *an, const struct nlp_synonyms *syn, const char *from,
		      const char *to, double min_confidence, int limit, json_t **out, char *err);
/* Hides the group with this key from the review queue. */
int events_dismiss(sqlite3 *db, const char *key, char *err);
/* Puts the group back in the review queue (the undo of an alternate). */
int events_undismiss(sqlite3 *db, const char *key, char *err);

#endif
