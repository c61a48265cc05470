/* The FAQ routes of the JSON API under /api/v1: ask, feedback, the widget's
 * events, type-ahead, popular questions, one entry, the town's public
 * configuration, health.
 * Validates what the client sent, calls the engine, shapes the reply; holds
 * no business rule. */
#include "widget/api.h"

#include <string.h>
#include <time.h>

#include "chatbot/events.h"
#include "widget/limits.h"
#include "widget/routes_booking.h"

/* "ja" or "en" from the body or the query string; absent is NULL. */
static int read_lang(struct http_call *c, const char *lang, const char **out)
{
	*out = NULL;
	if (!lang)
		return 0;
	if (strcmp(lang, "ja") && strcmp(lang, "en"))
		return http_fail(c, 400, "lang must be \"ja\" or \"en\"");
	*out = lang;
	return 0;
}

/* ?ruby=1 asks for the furigana of the Japanese texts, ?ruby=0 (or none) not. */
static int read_ruby(struct http_call *c, int *out)
{
	const char *v = http_call_arg(c, "ruby");
	*out = v && !strcmp(v, "1");
	if (v && strcmp(v, "1") && strcmp(v, "0"))
		return http_fail(c, 400, "ruby must be 1 or 0");
	return 0;
}

/* Lists and the town's configuration need a language; Japanese is the town's. */
static const char *lang_or_ja(const char *lang)
{
	return lang ? lang : "ja";
}

static int token_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return 0;
	for (const char *p = s; *p; p++) {
		char ch = *p;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return 0;
	}
	return 1;
}

/* A body string field: absent is NULL, present must be a string. */
static int body_string(struct http_call *c, const char *key, const char **out)
{
	json_t *v = json_object_get(c->body, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return http_fail(c, 400, "%s must be a string", key);
	*out = json_string_value(v);
	return 0;
}

static int h_ask(struct http_call *c, json_t **out)
{
	const char *question = NULL, *conversation = NULL, *lang = NULL;
	int status = body_string(c, "question", &question);
	if (!status)
		status = body_string(c, "conversation", &conversation);
	if (!status)
		status = body_string(c, "lang", &lang);
	if (!status)
		status = read_lang(c, lang, &lang);
	if (status)
		return status;
	if (!question)
		return http_fail(c, 400, "question is required");
	size_t qlen = json_string_length(json_object_get(c->body, "question"));
	if (qlen > HTTP_QUESTION_MAX_BYTES)
		return http_fail(c, 400, "the question is longer than %d bytes",
				 HTTP_QUESTION_MAX_BYTES);
	if (conversation && !token_ok(conversation, HTTP_CONVERSATION_MAX))
		return http_fail(c, 400, "conversation is not a conversation id");

	struct ask_opts opts = {.lang = lang, .now = http_call_now(c)};
	json_t *top = json_object_get(c->body, "top");
	if (top) {
		if (!json_is_integer(top) || json_integer_value(top) < 1 ||
		    json_integer_value(top) > HTTP_TOP_MAX)
			return http_fail(c, 400, "top must be an integer from 1 to %d", HTTP_TOP_MAX);
		opts.top = (int)json_integer_value(top);
	}
	json_t *ruby = json_object_get(c->body, "ruby");
	if (ruby && !json_is_boolean(ruby))
		return http_fail(c, 400, "ruby must be true or false");
	opts.ruby = json_is_true(ruby);

	/* A new conversation's id is the event log's (events_new_id): it starts
	 * with its second, so its rows go at the end of the log's indexes. */
	char fresh[EVENTS_ID_MAX + 1];
	if (!conversation) {
		events_new_id(fresh);
		conversation = fresh;
	}
	opts.conversation = conversation;

	struct chatbot *bot = http_call_bot(c);
	if (!bot)
		return 500;
	/* Printed by the engine with the conversation, instead of an object
	 * in *out: a question asked before prints only what is its own
	 * (chatbot_ask_printed). */
	(void)out;
	int rc = chatbot_ask_printed(bot, question, qlen, &opts, &c->raw, &c->raw_len, c->msg);
	if (rc != MG_OK)
		return http_fail_rc(c, rc, c->msg);
	c->raw_type = "application/json; charset=utf-8";
	return 200;
}

static int h_feedback(struct http_call *c, json_t **out)
{
	const char *conversation = NULL, *entry = NULL;
	int status = body_string(c, "conversation", &conversation);
	if (!status)
		status = body_string(c, "entry", &entry);
	if (status)
		return status;
	json_t *helpful = json_object_get(c->body, "helpful");
	if (!conversation || !token_ok(conversation, HTTP_CONVERSATION_MAX))
		return http_fail(c, 400, "conversation is required");
	if (!entry || !*entry || strlen(entry) > HTTP_ENTRY_ID_MAX)
		return http_fail(c, 400, "entry is required");
	if (!json_is_boolean(helpful))
		return http_fail(c, 400, "helpful must be true or false");

	struct chatbot *bot = http_call_bot(c);
	if (!bot)
		return 500;
	int rc = chatbot_feedback(bot, conversation, entry, json_is_true(helpful), c->msg);
	if (rc != MG_OK)
		return http_fail_rc(c, rc, c->msg);
	*out = json_pack("{s:b}", "ok", 1);
	return *out ? 200 : http_fail(c, 500, "out of memory");
}

/* What the resident did in the widget that the server would not see: picked
 * a choice of a clarification (clarify_chosen, entry), chose none of them and
 * was shown the call centre (handoff_shown, route), tapped a phone number, the
 * booking button or another office's page (handoff_clicked, route, channel).
 * The event log checks every word (chatbot/events.h). A tap before the first
 * question starts a conversation; the reply says which. */
static int h_event(struct http_call *c, json_t **out)
{
	static const struct {
		const char *name;
		enum events_type type;
	} TYPES[] = {
		{"clarify_chosen", EVENTS_CLARIFY_CHOSEN},
		{"handoff_shown", EVENTS_HANDOFF_SHOWN},
		{"handoff_clicked", EVENTS_HANDOFF_CLICKED},
	};
	const char *type = NULL;
	struct events_event ev = {.now = http_call_now(c)};
	int status = body_string(c, "type", &type);
	if (!status)
		status = body_string(c, "conversation", &ev.conversation);
	if (!status)
		status = body_string(c, "entry", &ev.entry_id);
	if (!status)
		status = body_string(c, "route", &ev.route);
	if (!status)
		status = body_string(c, "channel", &ev.channel);
	if (status)
		return status;
	size_t k = 0;
	while (k < sizeof TYPES / sizeof *TYPES && !(type && !strcmp(type, TYPES[k].name)))
		k++;
	if (k == sizeof TYPES / sizeof *TYPES)
		return http_fail(c, 400, "type must be clarify_chosen, handoff_shown or handoff_clicked");
	ev.type = TYPES[k].type;
	if (ev.conversation && !token_ok(ev.conversation, HTTP_CONVERSATION_MAX))
		return http_fail(c, 400, "conversation is not a conversation id");
	if (ev.entry_id && strlen(ev.entry_id) > HTTP_ENTRY_ID_MAX)
		return http_fail(c, 400, "entry is not an entry id");
	char fresh[EVENTS_ID_MAX + 1];
	if (!ev.conversation) {
		events_new_id(fresh);
		ev.conversation = fresh;
	}

	struct chatbot *bot = http_call_bot(c);
	if (!bot)
		return 500;
	int rc = chatbot_log_event(bot, &ev, c->msg);
	/* A log too far behind drops the event (and counts it); the tap was
	 * still received. */
	if (rc != MG_OK && rc != MG_ERR_FULL)
		return http_fail_rc(c, rc, c->msg);
	*out = json_pack("{s:b, s:s}", "ok", 1, "conversation", ev.conversation);
	return *out ? 200 : http_fail(c, 500, "out of memory");
}

/* Wraps a list from the engine as {key: [...]}: an object leaves room for
 * fields added later without breaking the widget. */
static int list_reply(struct http_call *c, const char *key, int rc, json_t *list, json_t **out)
{
	if (rc != MG_OK)
		return http_fail_rc(c, rc, c->msg);
	*out = json_pack("{s:o}", key, list);
	return *out ? 200 : http_fail(c, 500, "out of memory");
}

static int h_suggest(struct http_call *c, json_t **out)
{
	const char *q = http_call_arg(c, "q"), *lang = NULL;
	int status = read_lang(c, http_call_arg(c, "lang"), &lang);
	if (status)
		return status;
	if (!q)
		return http_fail(c, 400, "q is required");
	size_t len = strlen(q);
	if (len > HTTP_SUGGEST_MAX_BYTES)
		return http_fail(c, 400, "q is longer than %d bytes", HTTP_SUGGEST_MAX_BYTES);
	struct chatbot *bot = http_call_bot(c);
	if (!bot)
		return 500;
	json_t *list = NULL;
	int rc = chatbot_suggest(bot, q, len, HTTP_SUGGEST_LIMIT, lang_or_ja(lang), &list, c->msg);
	return list_reply(c, "suggestions", rc, list, out);
}

static int h_popular(struct http_call *c, json_t **out)
{
	const char *lang = NULL;
	int ruby = 0;
	int status = read_lang(c, http_call_arg(c, "lang"), &lang);
	if (!status)
		status = read_ruby(c, &ruby);
	if (status)
		return status;
	struct chatbot *bot = http_call_bot(c);
	if (!bot)
		return 500;
	json_t *list = NULL;
	int rc = chatbot_popular(bot, HTTP_POPULAR_LIMIT, lang_or_ja(lang), ruby, &list, c->msg);
	return list_reply(c, "popular", rc, list, out);
}

static int h_entry(struct http_call *c, json_t **out)
{
	const char *lang = NULL;
	int ruby = 0;
	int status = read_lang(c, http_call_arg(c, "lang"), &lang);
	if (!status)
		status = read_ruby(c, &ruby);
	if (status)
		return status;
	if (!*c->rest || strlen(c->rest) > HTTP_ENTRY_ID_MAX || strchr(c->rest, '/'))
		return http_fail(c, 404, "no such entry");
	struct chatbot *bot = http_call_bot(c);
	if (!bot)
		return 500;
	int rc = chatbot_entry(bot, c->rest, lang_or_ja(lang), ruby, out, c->msg);
	if (rc == MG_ERR_NOT_FOUND)
		return http_fail(c, 404, "no such entry");
	return rc == MG_OK ? 200 : http_fail_rc(c, rc, c->msg);
}

static int h_config(struct http_call *c, json_t **out)
{
	const char *lang = NULL;
	int status = read_lang(c, http_call_arg(c, "lang"), &lang);
	if (status)
		return status;
	*out = town_public_json(http_call_town(c), lang_or_ja(lang), http_call_now(c));
	return *out ? 200 : http_fail(c, 500, "out of memory");
}

/* Healthy means this worker can answer: its database and analyser open
 * (503 when they cannot). "ok", or "degraded" while the event log cannot keep what residents ask
 * (its latest write failed: a full disk, a database it cannot write to),
 * with the counts of events written, refused and dropped since the start:
 * answers still go out, the figures and the review queue miss them. 200
 * either way, so that a load balancer does not take the answers away too;
 * monitors read status. */
static int h_health(struct http_call *c, json_t **out)
{
	if (!http_call_bot(c))
		return 503;
	struct events_writer_stats s;
	events_writer_stats(http_call_events(c), &s);
	*out = json_pack("{s:s, s:{s:s, s:I, s:I, s:I, s:s}}", "status", s.failing ? "degraded" : "ok",
			 "event_log", "state", s.failing ? "failing" : "writing", "written",
			 (json_int_t)s.written, "failed", (json_int_t)s.failed, "dropped",
			 (json_int_t)s.dropped, "last_error", s.last_error);
	return *out ? 200 : http_fail(c, 500, "out of memory");
}

const struct http_route http_routes[] = {
	{"POST", "/api/v1/ask", h_ask, 0},
	{"POST", "/api/v1/feedback", h_feedback, 0},
	{"POST", "/api/v1/event", h_event, 0},
	{"GET", "/api/v1/suggest", h_suggest, 0},
	{"GET", "/api/v1/popular", h_popular, 0},
	{"GET", "/api/v1/entries/", h_entry, 0},
	{"GET", "/api/v1/config", h_config, 0},
	{"GET", "/healthz", h_health, 0},
	{"GET", "/api/v1/booking/", booking_get, 0},    /* widget/routes_booking.c */
	{"POST", "/api/v1/booking/", booking_post, 0},
	{NULL, NULL, NULL, 0},
};
