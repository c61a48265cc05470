/* The event log (tables ev_*), its retention, and the one computation of the
 * deflection figures that the report, the console and the forecast share.
 * Every figure is first counted per day into rows (day, kind, key, n): the
 * same rows retention keeps in ev_daily when it deletes the events, so a
 * report over old days and new days adds up the same way. */
#include "chatbot/events.h"
#include "chatbot/events_int.h"
#include "chatbot/ops_policy.h"
#include "kb/kb.h"
#include "nlp/date.h"
#include "nlp/redact.h"

#include <math.h>
#include <stdint.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* The log's migrations (nlp/db.h): step 1 is the schema as it shipped when
 * migrations came; a change is a step added below it, never an edit of it. */
static const char SCHEMA_1[] =
	"CREATE TABLE IF NOT EXISTS ev_conversations("
	"  id TEXT PRIMARY KEY, day TEXT NOT NULL, hour INTEGER NOT NULL,"
	"  lang TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX IF NOT EXISTS ev_conversations_day ON ev_conversations(day);"
	/* question: normalised and redacted; candidates: [{id, slug, score}];
	 * topic: the category of the answer or of the best candidate. */
	"CREATE TABLE IF NOT EXISTS ev_events("
	"  id INTEGER PRIMARY KEY,"
	"  conversation TEXT NOT NULL REFERENCES ev_conversations(id) ON DELETE CASCADE,"
	"  ts INTEGER NOT NULL, day TEXT NOT NULL, hour INTEGER NOT NULL, type TEXT NOT NULL,"
	"  question TEXT, decision TEXT, entry_id TEXT, slug TEXT, topic TEXT, route TEXT,"
	"  channel TEXT, confidence REAL, candidates TEXT, helpful INTEGER);"
	"CREATE INDEX IF NOT EXISTS ev_events_conversation ON ev_events(conversation, id);"
	"CREATE INDEX IF NOT EXISTS ev_events_day ON ev_events(day, type);"
	"CREATE TABLE IF NOT EXISTS ev_daily("
	"  day TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL,"
	"  PRIMARY KEY(day, kind, key)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS ev_dismissed(key TEXT PRIMARY KEY, at INTEGER NOT NULL);"
	/* The conversation each booking completed in the chat came from, so that
	 * its cancellation, days later or by the call centre, counts against it.
	 * Deleted with the conversation's events (retention). */
	"CREATE TABLE IF NOT EXISTS ev_bookings("
	"  booking INTEGER PRIMARY KEY, conversation TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS ev_bookings_conversation ON ev_bookings(conversation);";

static const char *const TYPE_NAMES[] = {
	[EVENTS_ASK] = "ask",
	[EVENTS_FEEDBACK] = "feedback",
	[EVENTS_CLARIFY_CHOSEN] = "clarify_chosen",
	[EVENTS_HANDOFF_SHOWN] = "handoff_shown",
	[EVENTS_HANDOFF_CLICKED] = "handoff_clicked",
	[EVENTS_BOOKING_OPENED] = "booking_opened",
	[EVENTS_BOOKING_COMPLETED] = "booking_completed",
	[EVENTS_BOOKING_CANCELLED] = "booking_cancelled",
};

static const struct mg_db_step STEPS[] = {
	{SCHEMA_1, NULL},
};
const struct mg_db_schema events_schema = {"events", STEPS, sizeof STEPS / sizeof *STEPS};

int events_init(sqlite3 *db, char *err)
{
	return mg_db_migrate(db, &events_schema, NULL, err);
}

/* Prepares sql on the log's tables, made once when the database was opened
 * (chatbot_open, the writer's own connection). */
static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, char *err)
{
	return sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK ? MG_OK : mg_db_fail(db, err, "event log");
}

/* The time first, to the 65,536th of a second, then 80 random bits
 * (unguessable): ids handed out one after another sort one after another,
 * so a new conversation's rows go at the end of the log's two indexes by
 * conversation (the id's own and ev_events_conversation), a few pages a
 * batch, not one page of each at a random place per conversation. With
 * fully random ids the writer thread wrote 3,600 events/s (88 us of CPU an
 * event, most of it the pages it wrote and read again) on a log of 200,000
 * (build/rel/bench-events). Ordered to the second only, the asks of one
 * second (18,000-23,000 under tests/bench/http.sh) still went to random
 * places among the last second's 200 or so pages of each index: a batch of
 * 256 asks wrote 210-235 pages of log, 0.83-0.92 an ask, where the rows
 * themselves fill 0.14; to the 65,536th, 0.24 an ask, and the writer's CPU
 * an event 14-17 us -> 7-9 us (the server's stop line, 6 runs each).
 * 80 random bits against 96 keep the id 32 hex digits long, as clients
 * have it. */
void events_new_id(char id[EVENTS_ID_MAX + 1])
{
	unsigned char raw[16];
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	uint32_t t = (uint32_t)now.tv_sec;
	uint32_t part = (uint32_t)(((uint64_t)now.tv_nsec << 16) / 1000000000u);  /* 0..65535 */
	for (int i = 0; i < 4; i++)
		raw[i] = (unsigned char)(t >> (24 - 8 * i));
	raw[4] = (unsigned char)(part >> 8);
	raw[5] = (unsigned char)part;
	randombytes_buf(raw + 6, sizeof raw - 6);
	sodium_bin2hex(id, EVENTS_ID_MAX + 1, raw, sizeof raw);
}

static int id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > EVENTS_ID_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_'))
			return 0;
	return 1;
}

static void day_hour(const struct nlp_zone *zone, time_t t, char day[11], int *hour)
{
	struct tm tm;
	nlp_zone_tm(zone, t, &tm);
	strftime(day, 11, "%Y-%m-%d", &tm);
	*hour = tm.tm_hour;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

int events_stmts_prepare(sqlite3 *db, struct events_stmts *s, char *err)
{
	s->conv = s->ev = s->link = NULL;
	int rc = prepare(db, "INSERT INTO ev_conversations(id, day, hour, lang) VALUES(?1, ?2, ?3, ?4) "
			     "ON CONFLICT(id) DO UPDATE SET lang=excluded.lang "
			     "WHERE ev_conversations.lang='' AND excluded.lang!=''", &s->conv, err);
	/* The topic is the entry's category when the event happened (the
	 * caller's: entries change). A row without a conversation takes its
	 * booking's, or is not written. */
	if (rc == MG_OK)
		rc = prepare(db, "INSERT INTO ev_events(conversation, ts, day, hour, type, question, decision,"
				 " entry_id, slug, topic, route, channel, confidence, candidates, helpful) "
				 "SELECT conv, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
				 " ?16, ?10, ?11, ?12, ?13, ?14"
				 " FROM (SELECT COALESCE(?1, (SELECT conversation FROM ev_bookings"
				 "  WHERE booking=?15)) AS conv) WHERE conv IS NOT NULL",
			     &s->ev, err);
	if (rc == MG_OK)
		rc = prepare(db, "INSERT OR IGNORE INTO ev_bookings(booking, conversation) VALUES(?1, ?2)",
			     &s->link, err);
	if (rc != MG_OK)
		events_stmts_finalize(s);
	return rc;
}

void events_stmts_finalize(struct events_stmts *s)
{
	sqlite3_finalize(s->conv);
	sqlite3_finalize(s->ev);
	sqlite3_finalize(s->link);
	s->conv = s->ev = s->link = NULL;
}

int events_row_write(sqlite3 *db, struct events_stmts *s, const struct events_row *r, char *err)
{
	const char *day = r->day;
	int hour = r->hour;
	sqlite3_stmt *conv = s->conv, *ev = s->ev, *link = s->link;
	int rc = MG_OK;
	if (r->conversation) {
		bind_text(conv, 1, r->conversation);
		bind_text(conv, 2, day);
		sqlite3_bind_int(conv, 3, hour);
		bind_text(conv, 4, r->lang ? r->lang : "");
		if (sqlite3_step(conv) != SQLITE_DONE)
			rc = mg_db_fail(db, err, "event log");
		sqlite3_reset(conv);
	}
	if (rc == MG_OK && r->conversation && r->booking > 0) {
		sqlite3_bind_int64(link, 1, r->booking);
		bind_text(link, 2, r->conversation);
		if (sqlite3_step(link) != SQLITE_DONE)
			rc = mg_db_fail(db, err, "event log");
		sqlite3_reset(link);
	}
	if (rc == MG_OK) {
		bind_text(ev, 1, r->conversation);
		sqlite3_bind_int64(ev, 2, (sqlite3_int64)r->now);
		bind_text(ev, 3, day);
		sqlite3_bind_int(ev, 4, hour);
		bind_text(ev, 5, r->type);
		bind_text(ev, 6, r->question);
		bind_text(ev, 7, r->decision);
		bind_text(ev, 8, r->entry_id);
		bind_text(ev, 9, r->slug);
		bind_text(ev, 10, r->route);
		bind_text(ev, 11, r->channel);
		if (isnan(r->confidence))
			sqlite3_bind_null(ev, 12);
		else
			sqlite3_bind_double(ev, 12, r->confidence);
		bind_text(ev, 13, r->candidates);
		if (r->helpful < 0)
			sqlite3_bind_null(ev, 14);
		else
			sqlite3_bind_int(ev, 14, r->helpful);
		if (r->booking > 0)
			sqlite3_bind_int64(ev, 15, r->booking);
		else
			sqlite3_bind_null(ev, 15);
		bind_text(ev, 16, r->topic);
		if (sqlite3_step(ev) != SQLITE_DONE)
			rc = mg_db_fail(db, err, "event log");
		sqlite3_reset(ev);
	}
	/* The strings are the caller's: nothing may point at them after this. */
	sqlite3_clear_bindings(conv);
	sqlite3_clear_bindings(ev);
	sqlite3_clear_bindings(link);
	return rc;
}

/* Writes r now on db, in a savepoint of its own (the caller may be inside a
 * transaction); or queues it to w. */
static int deliver(sqlite3 *db, struct events_writer *w, const struct events_row *r, char *err)
{
	if (w)
		return events_writer_push(w, r, err);
	struct events_stmts s;
	int rc = events_stmts_prepare(db, &s, err);
	if (rc == MG_OK && sqlite3_exec(db, "SAVEPOINT ev_insert", NULL, NULL, NULL) != SQLITE_OK)
		rc = mg_db_fail(db, err, "event log");
	if (rc == MG_OK)
		rc = events_row_write(db, &s, r, err);
	if (rc == MG_OK && sqlite3_exec(db, "RELEASE ev_insert", NULL, NULL, NULL) != SQLITE_OK)
		rc = mg_db_fail(db, err, "event log");
	if (rc != MG_OK && sqlite3_get_autocommit(db) == 0) {
		sqlite3_exec(db, "ROLLBACK TO ev_insert", NULL, NULL, NULL);
		sqlite3_exec(db, "RELEASE ev_insert", NULL, NULL, NULL);
	}
	events_stmts_finalize(&s);
	return rc;
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int events_ask_of(json_t *result, const char *norm, size_t norm_len, struct events_ask *out, char *err)
{
	*out = (struct events_ask){.confidence = NAN};
	if (!str(result, "question"))
		return mg_fail(err, MG_ERR_INPUT, "no question in the result");
	int rc = nlp_redact(norm, norm_len, &out->question, NULL, err);
	/* Only ids and scores of the candidates: their text is in the knowledge base. */
	json_t *list = json_array(), *c;
	size_t i;
	json_array_foreach(json_object_get(result, "candidates"), i, c)
		json_array_append_new(list, json_pack("{s:O?, s:O?, s:O?}", "id", json_object_get(c, "id"),
						      "slug", json_object_get(c, "slug"),
						      "score", json_object_get(c, "score")));
	if (rc == MG_OK && !(list && (out->candidates = json_dumps(list, JSON_COMPACT))))
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	json_decref(list);
	if (rc != MG_OK) {
		events_ask_clear(out);
		return rc;
	}
	json_t *answer = json_object_get(result, "answer");
	json_t *first = json_array_get(json_object_get(result, "candidates"), 0);
	json_t *about = json_is_object(answer) ? answer : first;
	json_t *conf = json_object_get(result, "confidence");
	out->lang = str(result, "lang");
	out->decision = str(result, "decision");
	/* The entry shown, or the one it came closest to: the topic of a miss. */
	out->entry_id = str(about, "id");
	out->slug = str(about, "slug");
	out->topic = str(about, "category");
	out->route = json_is_object(answer) ? str(answer, "route")
		     : json_is_object(json_object_get(result, "handoff"))
			     ? str(json_object_get(result, "handoff"), "route")
			     : NULL;
	out->confidence = json_is_number(conf) ? json_number_value(conf) : NAN;
	return MG_OK;
}

void events_ask_clear(struct events_ask *a)
{
	free(a->question);
	free(a->candidates);
	a->question = a->candidates = NULL;
}

int events_log_ask_as(sqlite3 *db, struct events_writer *w, const struct nlp_zone *zone,
		      const char *conversation, time_t now, const struct events_ask *a,
		      char made[EVENTS_ID_MAX + 1], char *err)
{
	made[0] = 0;
	if (!id_ok(conversation)) {
		/* A missing or malformed id starts a conversation of its own. */
		events_new_id(made);
		conversation = made;
	}
	struct events_row r = {
		.conversation = conversation,
		.type = TYPE_NAMES[EVENTS_ASK],
		.lang = a->lang,
		.question = a->question,
		.decision = a->decision,
		.entry_id = a->entry_id,
		.slug = a->slug,
		.topic = a->topic,
		.route = a->route,
		.candidates = a->candidates,
		.confidence = a->confidence,
		.helpful = -1,
		.now = now ? now : time(NULL),
	};
	day_hour(zone, r.now, r.day, &r.hour);
	return deliver(db, w, &r, err);
}

int events_log_ask_normalised(sqlite3 *db, struct events_writer *w, const struct nlp_zone *zone,
			      const struct ask_opts *opts, json_t *result, const char *norm,
			      size_t norm_len, char *err)
{
	struct events_ask a;
	int rc = events_ask_of(result, norm, norm_len, &a, err);
	if (rc != MG_OK)
		return rc;
	char made[EVENTS_ID_MAX + 1];
	rc = events_log_ask_as(db, w, zone, opts ? opts->conversation : NULL, opts ? opts->now : 0, &a,
			       made, err);
	/* The caller learns a new conversation's id from the result. */
	if (made[0])
		json_object_set_new(result, "conversation", json_string(made));
	events_ask_clear(&a);
	return rc;
}

int events_log_ask(sqlite3 *db, struct events_writer *w, const struct nlp_zone *zone,
		   const struct ask_opts *opts, json_t *result, char *err)
{
	const char *question = str(result, "question");
	if (!question)
		return mg_fail(err, MG_ERR_INPUT, "no question in the result");
	char *norm = NULL;
	size_t norm_len = 0;
	int rc = nlp_normalise(question, json_string_length(json_object_get(result, "question")), &norm,
			       &norm_len, err);
	if (rc == MG_OK)
		rc = events_log_ask_normalised(db, w, zone, opts, result, norm, norm_len, err);
	free(norm);
	return rc;
}

/* Whether s is one of the words of list (NULL-terminated): only known words
 * reach the log, these strings come from the client. */
static int one_of(const char *s, const char *const *list)
{
	for (; s && *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

int events_log(sqlite3 *db, struct events_writer *w, const struct nlp_zone *zone,
	       const struct events_event *ev, char *err)
{
	static const char *const ROUTES[] = {"call_center", "nurse", "booking", "elsewhere", NULL};
	static const char *const CHANNELS[] = {"phone", "booking", "web", NULL};
	enum events_type type = ev->type;
	if ((int)type <= EVENTS_ASK || (size_t)type >= sizeof TYPE_NAMES / sizeof *TYPE_NAMES)
		return mg_fail(err, MG_ERR_INPUT, "unknown event type");
	/* A cancellation belongs to the conversation of its booking, not to
	 * the one it happens in (if any). */
	if (type != EVENTS_BOOKING_CANCELLED && !id_ok(ev->conversation))
		return mg_fail(err, MG_ERR_INPUT, "conversation is not a conversation id");
	if (type == EVENTS_BOOKING_CANCELLED && ev->booking <= 0)
		return mg_fail(err, MG_ERR_INPUT, "booking_cancelled needs the booking");
	if ((type == EVENTS_FEEDBACK || type == EVENTS_CLARIFY_CHOSEN) && (!ev->entry_id || !*ev->entry_id))
		return mg_fail(err, MG_ERR_INPUT, "%s needs the entry", TYPE_NAMES[type]);
	if (type == EVENTS_HANDOFF_CLICKED && !one_of(ev->channel, CHANNELS))
		return mg_fail(err, MG_ERR_INPUT, "a hand-off click is by phone, booking or web");
	if ((type == EVENTS_HANDOFF_CLICKED || type == EVENTS_HANDOFF_SHOWN) && !ev->route)
		return mg_fail(err, MG_ERR_INPUT, "%s needs the route", TYPE_NAMES[type]);
	if (ev->route && !one_of(ev->route, ROUTES))
		return mg_fail(err, MG_ERR_INPUT, "unknown route");

	/* The log holds ids of entries, not client text: the caller read the
	 * entry (its slug and category) from the knowledge base. */
	if (ev->entry_id && !(ev->slug && *ev->slug && ev->topic))
		return mg_fail(err, MG_ERR_INPUT, "%s needs the entry's slug and category", TYPE_NAMES[type]);
	int booking = type == EVENTS_BOOKING_COMPLETED || type == EVENTS_BOOKING_CANCELLED;
	struct events_row r = {
		.conversation = type == EVENTS_BOOKING_CANCELLED ? NULL : ev->conversation,
		.type = TYPE_NAMES[type],
		.entry_id = ev->entry_id,
		.slug = ev->entry_id ? ev->slug : NULL,
		.topic = ev->entry_id ? ev->topic : NULL,
		.route = ev->route,
		.channel = type == EVENTS_HANDOFF_CLICKED ? ev->channel : NULL,
		.confidence = NAN,
		.helpful = type == EVENTS_FEEDBACK ? !!ev->helpful : -1,
		.now = ev->now ? ev->now : time(NULL),
		.booking = booking && ev->booking > 0 ? ev->booking : 0,
	};
	day_hour(zone, r.now, r.day, &r.hour);
	return deliver(db, w, &r, err);
}

/* ---- daily figures ----------------------------------------------------------- */

/* Counts the figures of the conversations started on days ?1..?2 that are
 * not yet folded into ev_daily, as (day, kind, key, n) rows into
 * temp.ev_fold. The definitions are those of METRICS.md. */
static const char *const FOLD[] = {
	/* One row per conversation with its outcome. A booking counts while it
	 * stands: completed in the chat more often than cancelled since. The
	 * call centre: the last question, clarification choice or line shown
	 * was the call centre, or its number was tapped at any point. */
	"INSERT INTO temp.ev_fold(day, kind, key, n) "
	"WITH conv AS (SELECT c.day AS day,"
	"  EXISTS(SELECT 1 FROM ev_events e WHERE e.conversation=c.id AND"
	"         ((e.type='ask' AND e.decision='answer') OR e.type='clarify_chosen')) AS answered,"
	"  (SELECT count(*) FROM ev_events e WHERE e.conversation=c.id"
	"   AND e.type='booking_completed') >"
	"  (SELECT count(*) FROM ev_events e WHERE e.conversation=c.id"
	"   AND e.type='booking_cancelled') AS booked,"
	"  (COALESCE((SELECT e.route='call_center' AND (e.type='handoff_shown' OR e.decision='handoff')"
	"             FROM ev_events e WHERE e.conversation=c.id"
	"             AND e.type IN ('ask','clarify_chosen','handoff_shown')"
	"             ORDER BY e.id DESC LIMIT 1), 0)"
	"   OR EXISTS(SELECT 1 FROM ev_events e WHERE e.conversation=c.id AND e.type='handoff_clicked'"
	"             AND e.channel='phone' AND e.route='call_center')) AS called,"
	"  COALESCE((SELECT e.helpful=0 FROM ev_events e WHERE e.conversation=c.id"
	"            AND e.type='feedback' ORDER BY e.id DESC LIMIT 1), 0) AS unhelpful"
	"  FROM ev_conversations c WHERE c.day BETWEEN ?1 AND ?2"
	"  AND c.day NOT IN (SELECT day FROM ev_daily)"
	"  AND EXISTS(SELECT 1 FROM ev_events e WHERE e.conversation=c.id"
	"             AND e.type IN ('ask','booking_completed','handoff_clicked'))) "
	"SELECT day, 'conversations', '', count(*) FROM conv GROUP BY day "
	"UNION ALL SELECT day, 'deflected', '', sum((answered OR booked) AND NOT called AND NOT unhelpful)"
	"  FROM conv GROUP BY day "
	"UNION ALL SELECT day, 'self_service', '', sum(booked AND NOT called AND NOT unhelpful)"
	"  FROM conv GROUP BY day "
	"UNION ALL SELECT day, 'answered_conversations', '', sum(answered) FROM conv GROUP BY day",

	/* Event counts, each under the day its conversation started. */
	"INSERT INTO temp.ev_fold(day, kind, key, n) "
	"WITH ev AS (SELECT c.day AS cday, e.* FROM ev_events e JOIN ev_conversations c"
	"  ON c.id=e.conversation WHERE c.day BETWEEN ?1 AND ?2"
	"  AND c.day NOT IN (SELECT day FROM ev_daily)) "
	"SELECT cday, 'event', type, count(*) FROM ev GROUP BY 1, 3 "
	"UNION ALL SELECT cday, 'decision', decision, count(*) FROM ev WHERE type='ask' GROUP BY 1, 3 "
	"UNION ALL SELECT cday, 'handoff', route, count(*) FROM ev"
	"  WHERE type='ask' AND decision='handoff' GROUP BY 1, 3 "
	"UNION ALL SELECT cday, 'click', channel || ':' || COALESCE(route, ''), count(*) FROM ev"
	"  WHERE type='handoff_clicked' GROUP BY 1, 3 "
	"UNION ALL SELECT cday, 'feedback', CASE helpful WHEN 1 THEN 'up' ELSE 'down' END, count(*)"
	"  FROM ev WHERE type='feedback' GROUP BY 1, 3 "
	"UNION ALL SELECT cday, 'topic', COALESCE(NULLIF(topic, ''), '-'), count(*) FROM ev"
	"  WHERE type='ask' GROUP BY 1, 3 "
	"UNION ALL SELECT cday, 'topic_answered', COALESCE(NULLIF(topic, ''), '-'), count(*) FROM ev"
	"  WHERE type='ask' AND decision='answer' GROUP BY 1, 3 "
	"UNION ALL SELECT cday, 'topic_unhelpful', COALESCE(NULLIF(topic, ''), '-'), count(*) FROM ev"
	"  WHERE type='feedback' AND helpful=0 GROUP BY 1, 3 "
	/* Topics are the entries' slugs (kb/data/topics.tsv), categories their groups. */
	"UNION ALL SELECT cday, 'slug', COALESCE(NULLIF(slug, ''), '-'), count(*) FROM ev"
	"  WHERE type='ask' GROUP BY 1, 3 "
	"UNION ALL SELECT cday, 'slug_answered', COALESCE(NULLIF(slug, ''), '-'), count(*) FROM ev"
	"  WHERE type='ask' AND decision='answer' GROUP BY 1, 3 "
	"UNION ALL SELECT cday, 'hour', printf('%02d', hour), count(*) FROM ev"
	"  WHERE type='ask' GROUP BY 1, 3 "
	"UNION ALL SELECT cday, 'unhelpful_entry', COALESCE(slug, entry_id), count(*) FROM ev"
	"  WHERE type='feedback' AND helpful=0 GROUP BY 1, 3",
};

static int fold(sqlite3 *db, const char *from, const char *to, char *err)
{
	if (sqlite3_exec(db, "CREATE TEMP TABLE IF NOT EXISTS ev_fold(day TEXT, kind TEXT, key TEXT, n INTEGER);"
			     "DELETE FROM temp.ev_fold;", NULL, NULL, NULL) != SQLITE_OK)
		return mg_db_fail(db, err, "daily figures");
	int rc = MG_OK;
	for (size_t k = 0; rc == MG_OK && k < sizeof FOLD / sizeof *FOLD; k++) {
		sqlite3_stmt *st = NULL;
		rc = prepare(db, FOLD[k], &st, err);
		if (rc == MG_OK) {
			sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = mg_db_fail(db, err, "daily figures");
		}
		sqlite3_finalize(st);
	}
	return rc;
}

static int valid_day(const char *d)
{
	return nlp_date_iso(d, NULL, NULL, NULL) == MG_OK;
}

/* n/d rounded to 4 places, or JSON null when d is 0. */
static json_t *rate(double n, double d)
{
	return d > 0 ? json_real(round(n / d * 10000) / 10000) : json_null();
}

struct figures {
	json_int_t conversations, deflected, self_service, answered_conv;
	json_int_t questions, answered, clarified, handed_off, rephrased, up, down;
	json_int_t chosen, booked, cancelled;
};

static void count_into(struct figures *f, const char *kind, const char *key, json_int_t n)
{
	if (!strcmp(kind, "conversations")) f->conversations += n;
	else if (!strcmp(kind, "deflected")) f->deflected += n;
	else if (!strcmp(kind, "self_service")) f->self_service += n;
	else if (!strcmp(kind, "answered_conversations")) f->answered_conv += n;
	else if (!strcmp(kind, "event") && !strcmp(key, "ask")) f->questions += n;
	else if (!strcmp(kind, "decision") && !strcmp(key, "answer")) f->answered += n;
	else if (!strcmp(kind, "decision") && !strcmp(key, "clarify")) f->clarified += n;
	else if (!strcmp(kind, "decision") && !strcmp(key, "handoff")) f->handed_off += n;
	else if (!strcmp(kind, "decision") && !strcmp(key, "rephrase")) f->rephrased += n;
	else if (!strcmp(kind, "feedback") && !strcmp(key, "up")) f->up += n;
	else if (!strcmp(kind, "feedback") && !strcmp(key, "down")) f->down += n;
	else if (!strcmp(kind, "event") && !strcmp(key, "clarify_chosen")) f->chosen += n;
	else if (!strcmp(kind, "event") && !strcmp(key, "booking_completed")) f->booked += n;
	else if (!strcmp(kind, "event") && !strcmp(key, "booking_cancelled")) f->cancelled += n;
}

static json_t *totals_json(const struct figures *f)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
			 " s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			 "conversations", f->conversations, "deflected", f->deflected,
			 "self_service", f->self_service, "answered_conversations", f->answered_conv,
			 "questions", f->questions, "answered", f->answered, "clarified", f->clarified,
			 "handed_off", f->handed_off, "rephrased", f->rephrased,
			 "helpful", f->up, "unhelpful", f->down,
			 "clarify_chosen", f->chosen, "bookings_completed", f->booked,
			 "bookings_cancelled", f->cancelled,
			 "deflection_rate", rate((double)f->deflected, (double)f->conversations),
			 "self_service_rate", rate((double)f->self_service, (double)f->conversations),
			 "answered_rate", rate((double)f->answered, (double)f->questions),
			 "clarify_rate", rate((double)f->clarified, (double)f->questions),
			 "handoff_rate", rate((double)f->handed_off, (double)f->questions),
			 "rephrase_rate", rate((double)f->rephrased, (double)f->questions),
			 "helpful_ratio", rate((double)f->up, (double)(f->up + f->down)));
}

/* Finds or appends the object of list whose member k is v. */
static json_t *keyed(json_t *list, const char *k, const char *v)
{
	size_t i;
	json_t *o;
	json_array_foreach(list, i, o)
		if (!strcmp(str(o, k), v))
			return o;
	o = json_pack("{s:s}", k, v);
	json_array_append_new(list, o);
	return o;
}

static void add_int(json_t *o, const char *k, json_int_t n)
{
	json_object_set_new(o, k, json_integer(json_integer_value(json_object_get(o, k)) + n));
}

/* list's elements in the order of cmp (on json_t **), as a new array; list
 * is released. NULL without memory. */
static json_t *sorted(json_t *list, int (*cmp)(const void *, const void *))
{
	size_t n = json_array_size(list);
	json_t **v = malloc((n ? n : 1) * sizeof *v);
	json_t *out = v ? json_array() : NULL;
	for (size_t i = 0; out && i < n; i++)
		v[i] = json_array_get(list, i);
	if (out)
		qsort(v, n, sizeof *v, cmp);
	for (size_t i = 0; out && i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	json_decref(list);
	return out;
}

/* Most questions first, then by name. */
static int cmp_asked(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t qx = json_integer_value(json_object_get(x, "questions"));
	json_int_t qy = json_integer_value(json_object_get(y, "questions"));
	if (qx != qy)
		return qx > qy ? -1 : 1;
	return strcmp(json_string_value(json_object_get(x, "name")),
		      json_string_value(json_object_get(y, "name")));
}

/* A topic's or category's figures made whole: the counts it has none of
 * are 0, its answered rate is computed; the list most asked first. */
static json_t *asked_list(json_t *list)
{
	size_t i;
	json_t *o;
	json_array_foreach(list, i, o) {
		add_int(o, "questions", 0);
		add_int(o, "answered", 0);
		add_int(o, "unhelpful", 0);
		json_object_set_new(o, "answered_rate",
				    rate((double)json_integer_value(json_object_get(o, "answered")),
					 (double)json_integer_value(json_object_get(o, "questions"))));
	}
	return sorted(list, cmp_asked);
}

/* Staff read a topic by its question, not its slug: that of its first
 * published entry (the one topics.tsv names), or of any entry. */
static int name_topic(void *ctx, const char *slug, const char *category, const char *question)
{
	(void)category;
	size_t i;
	json_t *o;
	json_array_foreach((json_t *)ctx, i, o)
		if (!strcmp(str(o, "name"), slug))
			json_object_set_new(o, "question", json_string(question));
	return 0;
}

static void label_topics(struct kb *kb, json_t *topics)
{
	size_t i;
	json_t *o;
	json_array_foreach(topics, i, o)
		json_object_set_new(o, "question", json_null());
	char err[MG_ERR_LEN];
	if (kb)
		kb_each_topic(kb, name_topic, topics, err);
}

int events_report(sqlite3 *db, struct kb *kb, const char *from, const char *to, json_t **out, char *err)
{
	*out = NULL;
	if (!valid_day(from) || !valid_day(to))
		return mg_fail(err, MG_ERR_INPUT, "dates are YYYY-MM-DD");
	int rc = fold(db, from, to, err);
	sqlite3_stmt *st = NULL;
	if (rc == MG_OK)
		rc = prepare(db, "SELECT day, kind, key, sum(n) FROM ("
				 " SELECT day, kind, key, n FROM ev_daily WHERE day BETWEEN ?1 AND ?2"
				 " UNION ALL SELECT day, kind, key, n FROM temp.ev_fold)"
				 " GROUP BY day, kind, key ORDER BY day", &st, err);
	if (rc == MG_OK) {
		sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
	}
	json_t *days = json_array(), *handoffs = json_array(), *clicks = json_array(),
	       *topics = json_array(), *categories = json_array(), *hours = json_array(),
	       *unhelpful = json_array();
	struct figures all = {0}, day = {0};
	char cur[11] = "";
	for (int h = 0; h < 24; h++)
		json_array_append_new(hours, json_integer(0));
	while (rc == MG_OK) {
		int step = sqlite3_step(st);
		const char *d = step == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : "";
		if (cur[0] && strcmp(cur, d)) {
			json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:o}", "day", cur,
					      "conversations", day.conversations, "deflected", day.deflected,
					      "self_service", day.self_service, "questions", day.questions,
					      "answered", day.answered, "deflection_rate",
					      rate((double)day.deflected, (double)day.conversations));
			json_array_append_new(days, o);
			memset(&day, 0, sizeof day);
		}
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			rc = mg_db_fail(db, err, "report");
			break;
		}
		snprintf(cur, sizeof cur, "%s", d);
		const char *kind = (const char *)sqlite3_column_text(st, 1);
		const char *key = (const char *)sqlite3_column_text(st, 2);
		json_int_t n = sqlite3_column_int64(st, 3);
		if (!key)
			key = "";
		count_into(&all, kind, key, n);
		count_into(&day, kind, key, n);
		if (!strcmp(kind, "handoff"))
			add_int(keyed(handoffs, "route", key), "questions", n);
		else if (!strcmp(kind, "click"))
			add_int(keyed(clicks, "click", key), "n", n);
		else if (!strcmp(kind, "slug"))
			add_int(keyed(topics, "name", key), "questions", n);
		else if (!strcmp(kind, "slug_answered"))
			add_int(keyed(topics, "name", key), "answered", n);
		else if (!strcmp(kind, "topic"))
			add_int(keyed(categories, "name", key), "questions", n);
		else if (!strcmp(kind, "topic_answered"))
			add_int(keyed(categories, "name", key), "answered", n);
		else if (!strcmp(kind, "topic_unhelpful"))
			add_int(keyed(categories, "name", key), "unhelpful", n);
		else if (!strcmp(kind, "unhelpful_entry")) {
			add_int(keyed(unhelpful, "slug", key), "n", n);
			add_int(keyed(topics, "name", key), "unhelpful", n);
		}
		else if (!strcmp(kind, "hour")) {
			int h = atoi(key);
			if (h >= 0 && h < 24)
				json_array_set_new(hours, (size_t)h,
						   json_integer(json_integer_value(json_array_get(hours, (size_t)h)) + n));
		}
	}
	sqlite3_finalize(st);
	size_t i;
	json_t *o;
	json_array_foreach(handoffs, i, o)
		json_object_set_new(o, "rate", rate((double)json_integer_value(json_object_get(o, "questions")),
						    (double)all.questions));
	topics = asked_list(topics);
	categories = asked_list(categories);
	if (rc == MG_OK)
		label_topics(kb, topics);
	if (rc == MG_OK) {
		*out = json_pack("{s:s, s:s, s:o, s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "from", from, "to", to,
				 "totals", totals_json(&all), "days", days, "handoffs", handoffs,
				 "clicks", clicks, "topics", topics, "categories", categories,
				 "hours", hours, "unhelpful_entries", unhelpful);
		if (!*out)
			rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	json_decref(days);
	json_decref(handoffs);
	json_decref(clicks);
	json_decref(topics);
	json_decref(categories);
	json_decref(hours);
	json_decref(unhelpful);
	return rc;
}

int events_first_day(sqlite3 *db, char day[11], char *err)
{
	day[0] = 0;
	sqlite3_stmt *st = NULL;
	int rc = prepare(db, "SELECT min(day) FROM (SELECT min(day) AS day FROM ev_conversations"
			     " UNION ALL SELECT min(day) FROM ev_daily)", &st, err);
	if (rc == MG_OK && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(day, 11, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc;
}

/* ---- retention ------------------------------------------------------------- */

int events_retain(sqlite3 *db, const struct nlp_zone *zone, int keep_days, time_t now, int *deleted,
		  char *err)
{
	*deleted = 0;
	if (keep_days < 1)
		return mg_fail(err, MG_ERR_INPUT, "keep at least one day of events");
	/* The last day to go: conversations started keep_days or more days ago. */
	char last[11];
	int hour;
	day_hour(zone, now - (time_t)keep_days * 86400, last, &hour);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return mg_db_fail(db, err, "retention");
	int rc = MG_OK;
	/* Folded once and for good: fold() skips days already in ev_daily. */
	if (rc == MG_OK)
		rc = fold(db, "0000-00-00", last, err);
	if (rc == MG_OK && sqlite3_exec(db, "INSERT OR REPLACE INTO ev_daily SELECT * FROM temp.ev_fold",
					NULL, NULL, NULL) != SQLITE_OK)
		rc = mg_db_fail(db, err, "retention");
	static const char *const DELETE[] = {
		"DELETE FROM ev_events WHERE conversation IN"
		" (SELECT id FROM ev_conversations WHERE day <= ?1)",
		"DELETE FROM ev_bookings WHERE conversation IN"
		" (SELECT id FROM ev_conversations WHERE day <= ?1)",
		"DELETE FROM ev_conversations WHERE day <= ?1",
	};
	for (size_t k = 0; rc == MG_OK && k < sizeof DELETE / sizeof *DELETE; k++) {
		sqlite3_stmt *st = NULL;
		rc = prepare(db, DELETE[k], &st, err);
		if (rc == MG_OK) {
			sqlite3_bind_text(st, 1, last, -1, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = mg_db_fail(db, err, "retention");
			else if (k == 0)
				*deleted = sqlite3_changes(db);
		}
		sqlite3_finalize(st);
	}
	if (rc == MG_OK && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = mg_db_fail(db, err, "retention");
	if (rc != MG_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* ---- the review queue ---------------------------------------------------------- */

struct terms {
	char *buf;
	size_t len, cap;
	int full;
};

static int collect_term(void *ctx, enum nlp_kind kind, const char *tok, int len)
{
	struct terms *t = ctx;
	if (kind == NLP_GRAM || len <= 0)
		return 0;
	if (t->len + (size_t)len + 2 > t->cap) {
		t->full = 1;
		return 0;
	}
	memcpy(t->buf + t->len, tok, (size_t)len);
	t->len += (size_t)len;
	t->buf[t->len++] = '\n';
	return 0;
}

static int cmp_cp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The group key of a question: the set of characters of its content words
 * (lemmas, katakana read as hiragana), sorted. Residents write 粗大ごみ,
 * 粗大ゴミ and ごみ 粗大 for one question, and the analyser cuts each
 * differently (a compound and its parts, or the parts only); the set of
 * characters is the same. Questions without content words are their own key. */
static char *group_key(struct nlp_analyser *an, const struct nlp_synonyms *syn, const char *q)
{
	if (!an)
		return strdup(q);
	char buf[2048];
	struct terms t = {buf, 0, sizeof buf, 0};
	char err[MG_ERR_LEN];
	if (nlp_analyse(an, syn, q, strlen(q), collect_term, &t, err) != MG_OK || t.len == 0)
		return strdup(q);
	uint32_t cps[2048];
	size_t n = 0;
	for (size_t i = 0, start = 1; i < t.len; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c == '\n') {
			start = 1;
			continue;
		}
		/* readings repeat the word in kana; placeholders are not words */
		if (start && (c == NLP_READING_PREFIX || c == NLP_GRAM_PREFIX || c == '<')) {
			while (i + 1 < t.len && buf[i + 1] != '\n')
				i++;
			continue;
		}
		start = 0;
		uint32_t cp = c;
		size_t extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
		if (extra) {
			cp = c & (0x3F >> extra);
			for (size_t k = 0; k < extra && i + 1 < t.len; k++)
				cp = (cp << 6) | ((unsigned char)buf[++i] & 0x3F);
		}
		if (cp >= 0x30A1 && cp <= 0x30F6)
			cp -= 0x60;
		if (n < sizeof cps / sizeof *cps)
			cps[n++] = cp;
	}
	if (n == 0)
		return strdup(q);
	qsort(cps, n, sizeof *cps, cmp_cp);
	char *key = malloc(n * 4 + 1);
	size_t w = 0;
	for (size_t i = 0; key && i < n; i++) {
		uint32_t cp = cps[i];
		if (i > 0 && cp == cps[i - 1])
			continue;
		if (cp < 0x80) {
			key[w++] = (char)cp;
		} else if (cp < 0x800) {
			key[w++] = (char)(0xC0 | (cp >> 6));
			key[w++] = (char)(0x80 | (cp & 0x3F));
		} else if (cp < 0x10000) {
			key[w++] = (char)(0xE0 | (cp >> 12));
			key[w++] = (char)(0x80 | ((cp >> 6) & 0x3F));
			key[w++] = (char)(0x80 | (cp & 0x3F));
		} else {
			key[w++] = (char)(0xF0 | (cp >> 18));
			key[w++] = (char)(0x80 | ((cp >> 12) & 0x3F));
			key[w++] = (char)(0x80 | ((cp >> 6) & 0x3F));
			key[w++] = (char)(0x80 | (cp & 0x3F));
		}
	}
	if (key)
		key[w] = 0;
	return key;
}

struct miss {
	char *key, *question, *day, *slug;
};

static int cmp_miss(const void *a, const void *b)
{
	const struct miss *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : strcmp(x->question, y->question);
}

static int cmp_group(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "n"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "n"));
	if (x != y)
		return x > y ? -1 : 1;
	return strcmp(json_string_value(json_object_get(*(json_t *const *)b, "last_day")),
		      json_string_value(json_object_get(*(json_t *const *)a, "last_day")));
}

int events_unanswered(sqlite3 *db, struct nlp_analyser *an, const struct nlp_synonyms *syn, const char *from,
		      const char *to, double min_confidence, int limit, json_t **out, char *err)
{
	*out = NULL;
	if (!valid_day(from) || !valid_day(to))
		return mg_fail(err, MG_ERR_INPUT, "dates are YYYY-MM-DD");
	sqlite3_stmt *st = NULL;
	int rc = prepare(db, "SELECT question, day, COALESCE(slug, '') FROM ev_events"
			     " WHERE type='ask' AND day BETWEEN ?1 AND ?2 AND question IS NOT NULL"
			     " AND (decision!='answer' OR confidence < ?3)"
			     " AND NOT (decision='handoff' AND COALESCE(route, '')='" KB_ROUTE_ELSEWHERE "')", &st, err);
	struct miss *m = NULL;
	size_t n = 0, cap = 0;
	if (rc == MG_OK) {
		sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 3, min_confidence);
	}
	while (rc == MG_OK && sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap) {
			size_t c2 = cap ? cap * 2 : 64;
			struct miss *bigger = realloc(m, c2 * sizeof *m);
			if (!bigger) {
				rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
				break;
			}
			m = bigger;
			cap = c2;
		}
		const char *q = (const char *)sqlite3_column_text(st, 0);
		m[n] = (struct miss){group_key(an, syn, q), strdup(q),
				     strdup((const char *)sqlite3_column_text(st, 1)),
				     strdup((const char *)sqlite3_column_text(st, 2))};
		if (!m[n].key || !m[n].question || !m[n].day || !m[n].slug)
			rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
		n++;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc == MG_OK)
		rc = prepare(db, "SELECT 1 FROM ev_dismissed WHERE key=?1", &st, err);
	json_t *groups = json_array();
	if (rc == MG_OK && n)
		qsort(m, n, sizeof *m, cmp_miss);
	for (size_t i = 0; rc == MG_OK && i < n;) {
		size_t j = i;
		while (j < n && !strcmp(m[j].key, m[i].key))
			j++;
		sqlite3_bind_text(st, 1, m[i].key, -1, SQLITE_STATIC);
		int dismissed = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
		if (!dismissed) {
			/* the most frequent wording names the group */
			json_t *wordings = json_array();
			const char *best = m[i].question, *last = m[i].day, *slug = m[i].slug;
			size_t best_n = 0;
			for (size_t k = i; k < j;) {
				size_t l = k;
				while (l < j && !strcmp(m[l].question, m[k].question))
					l++;
				if (l - k > best_n) {
					best_n = l - k;
					best = m[k].question;
				}
				if (json_array_size(wordings) < 5)
					json_array_append_new(wordings, json_string(m[k].question));
				for (size_t x = k; x < l; x++) {
					if (strcmp(m[x].day, last) > 0)
						last = m[x].day;
					if (!*slug)
						slug = m[x].slug;
				}
				k = l;
			}
			json_array_append_new(groups, json_pack("{s:s, s:s, s:I, s:o, s:s, s:s}", "key", m[i].key,
								"question", best, "n", (json_int_t)(j - i),
								"questions", wordings, "last_day", last,
								"top_slug", slug));
		}
		i = j;
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < n; i++) {
		free(m[i].key);
		free(m[i].question);
		free(m[i].day);
		free(m[i].slug);
	}
	free(m);
	if (rc != MG_OK || !groups) {
		json_decref(groups);
		return rc != MG_OK ? rc : mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	/* largest first, then the most recent */
	json_t *ordered = sorted(groups, cmp_group);
	if (!ordered)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	while (limit > 0 && json_array_size(ordered) > (size_t)limit)
		json_array_remove(ordered, json_array_size(ordered) - 1);
	*out = ordered;
	return MG_OK;
}

int events_undismiss(sqlite3 *db, const char *key, char *err)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare(db, "DELETE FROM ev_dismissed WHERE key = ?1", &st, err);
	if (rc == MG_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = mg_db_fail(db, err, "dismiss");
	}
	sqlite3_finalize(st);
	return rc;
}

int events_dismiss(sqlite3 *db, const char *key, char *err)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare(db, "INSERT OR REPLACE INTO ev_dismissed(key, at) VALUES(?1, ?2)", &st, err);
	if (rc == MG_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = mg_db_fail(db, err, "dismiss");
	}
	sqlite3_finalize(st);
	return rc;
}
