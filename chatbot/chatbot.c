/* ask(): a question → ranked candidates (kb/) → one decision with a
 * calibrated confidence: answer, clarify between a few topics, or hand off to
 * booking, the nurse line or the call centre. The thresholds live in
 * chatbot/policy.h. */
#include "chatbot/chatbot_int.h"
#include "chatbot/events.h"
#include "nlp/buf.h"
#include "nlp/redact.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int chatbot_seed_sample(struct chatbot *bot, char *err)
{
	int groups = 0, imported = 0;
	int rc = kb_import_synonyms(bot->kb, kb_sample_synonyms, kb_sample_synonyms_len,
				    "synonyms.tsv", &groups, err);
	/* The sample's placeholders are the sample town's; a town with its own
	 * town.json imports its own entries, which are checked against it. */
	struct kb_import_opts opts = {0};
	if (rc == MG_OK)
		rc = kb_import(bot->kb, kb_sample_faq, kb_sample_faq_len, "faq.csv", &opts, &imported, err);
	return rc;
}

int chatbot_open(struct chatbot **out, const char *db_path, struct nlp_model *model,
		 const struct town *town, char *err)
{
	*out = NULL;
	struct chatbot *bot = calloc(1, sizeof *bot);
	if (!bot)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	bot->town = town;
	int64_t n = 0;
	int rc = kb_open(&bot->kb, db_path, model, err);
	if (rc == MG_OK)
		rc = kb_count(bot->kb, &n, err);
	/* A new database starts with the sample knowledge base, through the
	 * same import path staff use. */
	if (rc == MG_OK && n == 0)
		rc = chatbot_seed_sample(bot, err);
	/* The log's tables, once per open database rather than per request
	 * (staff's are opened by who serves staff: widget/, the commands). */
	if (rc == MG_OK)
		rc = events_init(kb_db(bot->kb), err);
	if (rc != MG_OK) {
		chatbot_close(bot);
		return rc;
	}
	*out = bot;
	return MG_OK;
}

int chatbot_warm(struct chatbot *bot, char *err)
{
	return kb_gloss_preload(bot->kb, &POLICY_WEIGHTS, err);
}

void chatbot_close(struct chatbot *bot)
{
	if (!bot)
		return;
	kb_close(bot->kb);
	chatbot_shown_clear(bot);
	json_decref(bot->ruby_cache);
	for (int i = 0; i < TOWN_NLINES; i++)
		for (int en = 0; en < 2; en++)
			free(bot->printed_lines[i][en].text);
	free(bot);
}

void chatbot_set_events(struct chatbot *bot, struct events_writer *w)
{
	bot->events = w;
}

void chatbot_set_cache(struct chatbot *bot, struct chatbot_cache *cache)
{
	bot->cache = cache;
}

struct kb *chatbot_kb(struct chatbot *bot)
{
	return bot->kb;
}

void chatbot_today(const struct chatbot *bot, char out[11])
{
	nlp_zone_day(town_zone(bot->town), time(NULL), out);
}

static const char *pick(const char *ja, const char *en, const char *lang)
{
	return (!strcmp(lang, "en") && en && *en) ? en : ja;
}

/* Sets j.ruby to {key: segments, ...} for each of the given string members
 * of j that is there (NULL-terminated list). A resident reading Japanese
 * only: English texts have no kanji to read. */
static void add_ruby(struct chatbot *bot, json_t *j, const char *const *keys)
{
	json_t *r = json_object();
	for (; r && *keys; keys++) {
		const char *s = json_string_value(json_object_get(j, *keys));
		if (s)
			json_object_set_new(r, *keys, chatbot_ruby(bot, s));
	}
	json_object_set_new(j, "ruby", r);
}

/* The entry's question and answer in the resident's language; with the
 * short answer in plain Japanese when staff wrote one; with furigana when
 * asked (ruby). */
static json_t *answer_json(struct chatbot *bot, const struct kb_entry *e, const char *lang, int ruby)
{
	json_t *j = json_pack("{s:s, s:s, s:o*, s:o*, s:s, s:s, s:s}",
			      "id", e->id, "slug", e->slug,
			      "question", town_expand(bot->town, pick(e->question, e->question_en, lang), lang),
			      "answer", town_expand(bot->town, pick(e->answer, e->answer_en, lang), lang),
			      "route", e->route[0] ? e->route : "none",
			      "category", e->category, "updated_at", e->updated_at);
	if (j && e->url[0])
		json_object_set_new(j, "url", town_expand(bot->town, e->url, lang));
	int ja = strcmp(lang, "en") != 0;
	if (j && ja && e->answer_easy && e->answer_easy[0])
		json_object_set_new(j, "answer_easy", town_expand(bot->town, e->answer_easy, lang));
	if (j && ja && ruby)
		add_ruby(bot, j, (const char *const[]){"question", "answer", "answer_easy", NULL});
	return j;
}

/* A candidate's members but its score. */
static json_t *candidate_members(struct chatbot *bot, const struct kb_entry *e, const char *lang)
{
	return json_pack("{s:s, s:s, s:s, s:o*}", "id", e->id, "slug", e->slug, "category", e->category,
			 "question", town_expand(bot->town, pick(e->question, e->question_en, lang), lang));
}

/* A candidate's score as shown. */
static double shown_score(const struct kb_candidate *c)
{
	return round(c->score * 1000) / 1000;
}

/* c as a candidate or a choice; e is its entry when the caller has read it
 * already, NULL to read it here. */
static json_t *candidate_json(struct chatbot *bot, const struct kb_candidate *c,
			      const struct kb_entry *e, const char *lang, int ruby)
{
	struct kb_entry own;
	if (!e && chatbot_shown_borrow(bot, c->entry, &own, &e, NULL) != MG_OK)
		return NULL;
	json_t *j = candidate_members(bot, e, lang);
	if (j && json_object_set_new(j, "score", json_real(shown_score(c)))) {
		json_decref(j);
		j = NULL;
	}
	if (j && ruby && strcmp(lang, "en"))
		add_ruby(bot, j, (const char *const[]){"question", NULL});
	if (e == &own)
		kb_entry_clear(&own);
	return j;
}

/* An answer about booking, a worry or a form still offers the way on: the
 * booking flow or the line that handles it (NULL when there is none). */
static const struct town_line *way_on(struct chatbot *bot, const char *route)
{
	if (!route[0] || !strcmp(route, "none"))
		return NULL;
	return town_line(bot->town, route);
}

/* 「どれでもない」: a worry about one's health (nurse: a choice is the
 * nurse line's) goes to the nurse line while it answers (24 hours in the
 * sample town), not to a call centre that is closed at night. */
static const struct town_line *none_line(struct chatbot *bot, int nurse, time_t now)
{
	const struct town_line *line = town_line(bot->town, "nurse");
	return nurse && town_phone_open_now(bot->town, line, now) ? line : town_line(bot->town, "call_center");
}

/* line as it is at now (JSON null for none). */
static json_t *line_json(struct chatbot *bot, const struct town_line *line, const char *lang, time_t now)
{
	return line ? town_line_json(bot->town, line, lang, now) : json_null();
}

/* Which lines a reply shows, whose hours are the clock's: what a printed
 * reply kept for later asks leaves to each ask (chatbot_ask_printed). */
struct live_lines {
	const struct town_line *none;     /* 「どれでもない」's line, the call centre; NULL: none shown */
	int none_nurse;                   /* ...or the nurse line while its phone is open */
	const struct town_line *handoff;  /* the line handed off to; NULL: the hand-off is as printed */
	const struct town_line *followup; /* the line to go on with; NULL: none */
};

static int same_topic(const struct kb_candidate *a, const struct kb_candidate *b)
{
	return a->slug[0] ? !strcmp(a->slug, b->slug) : a->entry == b->entry;
}

void chatbot_features(const struct kb_candidate *c, int n, const struct kb_query_stats *qs,
		      double x[POLICY_CONF_FEATURES])
{
	/* The same candidates whatever the caller asked for (the widget 6,
	 * eval 10): a topic's share of the topic model is a share of these. */
	if (n > POLICY_CONF_DEPTH)
		n = POLICY_CONF_DEPTH;
	for (int k = 0; k < POLICY_CONF_FEATURES; k++)
		x[k] = 0;
	x[3] = qs->words ? (double)qs->known_words / qs->words : 0;
	x[5] = qs->unseen;
	x[10] = 1 - qs->evidence;
	if (n == 0)
		return;
	/* the first candidate of the next topic, and the topic model's share of
	 * the first topic and of the likeliest other one */
	const struct kb_candidate *next = NULL;
	double nb = 0, nb_other = 0;
	for (int i = 0; i < n; i++) {
		if (same_topic(&c[0], &c[i])) {
			nb += c[i].nb;
			continue;
		}
		if (!next)
			next = &c[i];
		double share = 0;
		int seen = 0;
		for (int j = 1; j < i && !seen; j++)  /* counted at its first candidate */
			seen = same_topic(&c[j], &c[i]);
		for (int j = i; j < n && !seen; j++)
			if (same_topic(&c[j], &c[i]))
				share += c[j].nb;
		if (share > nb_other)
			nb_other = share;
	}
	/* the key the candidates were ordered by, and the first topic's lead in it */
	x[0] = c[0].rank;
	x[1] = c[0].rank - (next ? next->rank : 0);
	x[2] = c[0].term_query;
	x[4] = nb;
	x[6] = c[0].bm25f - (next ? next->bm25f : 0);
	x[7] = c[0].phrasing - (next ? next->phrasing : 0);
	x[8] = nb - nb_other;
	x[9] = n > 1 && same_topic(&c[0], &c[1]);
	x[11] = x[10] * x[0];
	x[12] = x[10] * x[1];
}

double chatbot_confidence(const struct kb_candidate *c, int n, const struct kb_query_stats *qs)
{
	if (n == 0)
		return 0;
	double x[POLICY_CONF_FEATURES];
	chatbot_features(c, n, qs, x);
	double z = POLICY_CONF_BIAS;
	for (int k = 0; k < POLICY_CONF_FEATURES; k++)
		z += POLICY_CONF_COEF[k] * x[k];
	return 1 / (1 + exp(-z));
}

double chatbot_answer_at(const struct kb_candidate *c, int n, const struct kb_query_stats *qs)
{
	double at = POLICY_ANSWER_MIN_CONFIDENCE - POLICY_ANSWER_PLAIN_SHIFT * (1 - qs->evidence);
	if (n > 1 && same_topic(&c[0], &c[1]))
		at -= POLICY_ANSWER_SIBLING_SHIFT * qs->evidence;
	return at;
}

/* Which entry of each topic the resident sees: the topic keeps the place of
 * its best entry in the order, but that place shows the entry of the topic
 * the topic model finds likeliest, weighed by how far the topic model
 * orders this knowledge base (qs->evidence; a FAQ as imported keeps the
 * order's own). A short question meets one of a topic's entries through a
 * single phrasing that says its word (予約したい: the walk-in entry's
 * 予約しないで reads 予約 + する), where all its phrasings say which
 * entry it asks about. Among the first POLICY_TOPIC_WINDOW candidates, so
 * that the widget and eval agree; swaps c's entries in place. */
static void topic_entries_shown(struct kb_candidate *c, int n, const struct kb_query_stats *qs)
{
	if (n > POLICY_TOPIC_WINDOW)
		n = POLICY_TOPIC_WINDOW;
	double lean = POLICY_ENTRY_NB * qs->evidence;
	for (int i = 0; i < n; i++) {
		int first = 1;
		for (int j = 0; j < i && first; j++)
			first = !same_topic(&c[j], &c[i]);
		if (!first)
			continue;
		int best = i;
		for (int j = i + 1; j < n; j++)
			if (same_topic(&c[j], &c[i]) &&
			    c[j].rank + lean * c[j].nb > c[best].rank + lean * c[best].nb)
				best = j;
		if (best != i) {
			struct kb_candidate t = c[i];
			c[i] = c[best];
			c[best] = t;
		}
	}
}

/* The topics to offer in a clarification: the best candidate of each of the
 * first two topics, and a third when it is within the band of the best.
 * Writes indexes into pick_out[], returns how many. */
static int clarify_choices(const struct kb_candidate *c, int n, int pick_out[POLICY_CLARIFY_MAX])
{
	int k = 0;
	for (int i = 0; i < n && k < POLICY_CLARIFY_MAX; i++) {
		if (k >= 2 && c[i].score < c[0].score - POLICY_CLARIFY_BAND)
			break;
		int dup = 0;
		for (int j = 0; j < k; j++)
			dup |= same_topic(&c[pick_out[j]], &c[i]);
		if (!dup)
			pick_out[k++] = i;
	}
	return k;
}

/* A printed reply's memory: the JSON text and the strings of its parts and
 * event, one after another, made into one block at the end. */
struct reply_text {
	struct mg_buf buf;
	int nparts;
	struct {
		enum chatbot_part_kind kind;
		size_t at, len;
	} part[CHATBOT_REPLY_PARTS];
};

static int add_printed(const char *buf, size_t size, void *data)
{
	return mg_buf_add(data, buf, size) == MG_OK ? 0 : -1;
}

/* Appends v printed with flags, and takes v (NULL: out of memory). */
static int print_json_as(struct mg_buf *b, json_t *v, size_t flags)
{
	int rc = v && !json_dump_callback(v, add_printed, b, flags | JSON_ENCODE_ANY) ? MG_OK : MG_ERR_NOMEM;
	json_decref(v);
	return rc;
}

/* Appends v printed as every reply is, and takes v (NULL: out of memory). */
static int print_json(struct mg_buf *b, json_t *v)
{
	return print_json_as(b, v, CHATBOT_JSON_FLAGS);
}

/* The event's candidates are printed as json_dumps(list, JSON_COMPACT) printed them. */
#define EVENT_JSON_FLAGS JSON_COMPACT

/* What a printed reply takes from the entries it shows (the candidates, the
 * choices, the answer or the office's entry handed off to), when ask() made
 * no objects of them: each entry's parts printed once while the entry is
 * kept (chatbot/shown.c) and put together here, the same bytes as the
 * objects printed (jansson prints an object's members in the order they were
 * set). Without furigana, which is printed from the objects. */
struct spliced {
	struct chatbot *bot;
	const char *lang;
	const struct kb_candidate *cand;
	int ncand;                    /* the candidates shown, cand[0..ncand) */
	const int *choices;           /* a clarification's, into cand */
	int nchoices;
	const struct kb_entry *best;  /* cand[0]'s entry; NULL when there is none */
	int answer, redirect;         /* best printed as the answer, as the hand-off */
	const char *route;            /* the event's: the answer's or the hand-off's, or NULL */
};

/* Appends entry's part of kind (a candidate's and the event's end with
 * "score":, for the caller to add the score and the brace): as kept, or
 * made, printed and kept. e is the entry when the caller has read it, NULL
 * to read it here. Nothing is appended on failure. */
static int entry_part(struct chatbot *bot, int64_t entry, const struct kb_entry *e, enum chatbot_printed kind,
		      const char *lang, struct mg_buf *b)
{
	size_t len;
	const char *kept = chatbot_shown_printed(bot, entry, kind, &len);
	if (kept)
		return mg_buf_add(b, kept, len);
	struct kb_entry own;
	if (!e && chatbot_shown_borrow(bot, entry, &own, &e, NULL) != MG_OK)
		return MG_ERR_NOT_FOUND;
	int answer = kind == CHATBOT_PRINTED_ANSWER_JA || kind == CHATBOT_PRINTED_ANSWER_EN;
	json_t *j = kind == CHATBOT_PRINTED_EVENT ? json_pack("{s:s, s:s}", "id", e->id, "slug", e->slug)
		    : answer ? answer_json(bot, e, lang, 0)
			     : candidate_members(bot, e, lang);
	if (e == &own)
		kb_entry_clear(&own);
	struct mg_buf part = MG_BUF_INIT(SIZE_MAX);
	int rc = print_json_as(&part, j, kind == CHATBOT_PRINTED_EVENT ? EVENT_JSON_FLAGS : CHATBOT_JSON_FLAGS);
	if (rc == MG_OK && !answer) {
		part.len--;  /* its closing brace: the score follows */
		rc = mg_buf_add(&part, ",\"score\":", 9);
	}
	if (rc == MG_OK) {
		chatbot_shown_keep_printed(bot, entry, kind, part.p, part.len);
		rc = mg_buf_add(b, part.p, part.len);
	}
	mg_buf_free(&part);
	return rc;
}

/* The candidates cand[at[0..n)] (at NULL: cand[0..n)) as a JSON array, as
 * ask() would print their objects, appended to b; and to event (unless
 * NULL) the event's list of the same, [{id, slug, score}]. A candidate
 * whose entry cannot be read is left out of both, as ask() leaves its
 * object out. */
static int splice_candidates(const struct spliced *sp, const int *at, int n, struct mg_buf *b,
			     struct mg_buf *event)
{
	enum chatbot_printed kind = strcmp(sp->lang, "en") ? CHATBOT_PRINTED_CANDIDATE_JA
							   : CHATBOT_PRINTED_CANDIDATE_EN;
	int rc = mg_buf_add(b, "[", 1), shown = 0;
	if (rc == MG_OK && event)
		rc = mg_buf_add(event, "[", 1);
	for (int i = 0; i < n && rc == MG_OK; i++) {
		const struct kb_candidate *c = &sp->cand[at ? at[i] : i];
		size_t b_len = b->len, event_len = event ? event->len : 0;
		int part = shown ? mg_buf_add(b, ",", 1) : MG_OK;
		if (part == MG_OK)
			part = entry_part(sp->bot, c->entry, c == sp->cand ? sp->best : NULL, kind, sp->lang, b);
		if (part == MG_OK)
			part = print_json(b, json_real(shown_score(c)));
		if (part == MG_OK)
			part = mg_buf_add(b, "}", 1);
		if (part == MG_OK && event && shown)
			part = mg_buf_add(event, ",", 1);
		if (part == MG_OK && event)
			part = entry_part(sp->bot, c->entry, c == sp->cand ? sp->best : NULL, CHATBOT_PRINTED_EVENT,
					  sp->lang, event);
		if (part == MG_OK && event)
			part = print_json_as(event, json_real(shown_score(c)), EVENT_JSON_FLAGS);
		if (part == MG_OK && event)
			part = mg_buf_add(event, "}", 1);
		if (part == MG_OK) {
			shown++;
		} else {  /* left out */
			b->len = b_len;
			b->p[b_len] = 0;
			if (event && event->p) {
				event->len = event_len;
				event->p[event_len] = 0;
			}
		}
	}
	if (rc == MG_OK && event)
		rc = mg_buf_add(event, "]", 1);
	return rc == MG_OK ? mg_buf_add(b, "]", 1) : rc;
}

/* res's member key, whose value is v, printed into b: spliced from the
 * entries' parts where ask() left a place for them (sp not NULL), the
 * event's candidates into event. */
static int print_member(const struct spliced *sp, const char *key, json_t *v, struct mg_buf *b,
			struct mg_buf *event)
{
	if (sp && !strcmp(key, "candidates"))
		return splice_candidates(sp, NULL, sp->ncand, b, event);
	if (sp && !strcmp(key, "choices"))
		return splice_candidates(sp, sp->choices, sp->nchoices, b, NULL);
	if (sp && ((!strcmp(key, "answer") && sp->answer) || (!strcmp(key, "handoff") && sp->redirect)))
		return entry_part(sp->bot, sp->cand[0].entry, sp->best,
				  strcmp(sp->lang, "en") ? CHATBOT_PRINTED_ANSWER_JA : CHATBOT_PRINTED_ANSWER_EN,
				  sp->lang, b);
	return print_json(b, json_incref(v));
}

/* A spliced reply's event (events_ask_of reads the objects it has not):
 * its strings borrowed from res and sp but the question, redacted from
 * norm, and candidates, taken from the list printed. */
static int spliced_event(const struct spliced *sp, json_t *res, const char *norm, size_t norm_len,
			 struct mg_buf *candidates, struct events_ask *out, char *err)
{
	*out = (struct events_ask){
		.lang = sp->lang,
		.decision = json_string_value(json_object_get(res, "decision")),
		.entry_id = sp->best ? sp->best->id : NULL,
		.slug = sp->best ? sp->best->slug : NULL,
		.topic = sp->best ? sp->best->category : NULL,
		.route = sp->route,
		.confidence = json_number_value(json_object_get(res, "confidence")),
	};
	int rc = nlp_redact(norm, norm_len, &out->question, NULL, err);
	if (rc == MG_OK && !(out->candidates = mg_buf_take(candidates, NULL)))
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc != MG_OK)
		events_ask_clear(out);
	return rc;
}

/* Ends t's last part when it is text: it holds what was added since. */
static void reply_text_end(struct reply_text *t)
{
	if (t->part[t->nparts - 1].kind == CHATBOT_PART_TEXT)
		t->part[t->nparts - 1].len = t->buf.len - t->part[t->nparts - 1].at;
}

/* Starts a part of kind at the end of t's text. */
static int reply_part(struct reply_text *t, enum chatbot_part_kind kind)
{
	if (t->nparts == CHATBOT_REPLY_PARTS)
		return MG_ERR_INTERNAL;
	t->part[t->nparts].kind = kind;
	t->part[t->nparts].at = t->buf.len;
	t->part[t->nparts++].len = 0;
	return MG_OK;
}

/* Appends s (NULL stays NULL: SIZE_MAX) with its NUL; where it is. */
static size_t reply_string(struct reply_text *t, const char *s, int *rc)
{
	size_t at = t->buf.len;
	if (!s)
		return SIZE_MAX;
	if (*rc == MG_OK)
		*rc = mg_buf_add(&t->buf, s, strlen(s) + 1);
	return at;
}

static const char *at_or_null(char *data, size_t at)
{
	return at == SIZE_MAX ? NULL : data + at;
}

/* res, as ask() made it, printed once with gaps for what live says is the
 * clock's and for the question, with its event (the question redacted from
 * norm), into *out (held once). Its members in the order ask() set them, as
 * json_dumps prints them (jansson keeps an object's order); the entries'
 * from their parts where sp says so (NULL: from res). */
static int reply_make(json_t *res, const struct live_lines *live, const struct spliced *sp, const char *norm,
		      size_t norm_len, struct chatbot_reply **out, char *err)
{
	*out = NULL;
	struct reply_text t = {.buf = MG_BUF_INIT(SIZE_MAX)};
	struct mg_buf event_candidates = MG_BUF_INIT(SIZE_MAX);
	int rc = reply_part(&t, CHATBOT_PART_TEXT);
	const char *key;
	json_t *v;
	json_object_foreach(res, key, v) {
		const struct town_line *line = NULL;
		enum chatbot_part_kind kind = CHATBOT_PART_TEXT;
		if (!strcmp(key, "question"))
			kind = CHATBOT_PART_QUESTION;
		else if (!strcmp(key, "none") && live->none)
			kind = live->none_nurse ? CHATBOT_PART_NONE_LINE : CHATBOT_PART_LINE, line = live->none;
		else if (!strcmp(key, "handoff") && live->handoff)
			kind = CHATBOT_PART_LINE, line = live->handoff;
		else if (!strcmp(key, "followup") && live->followup)
			kind = CHATBOT_PART_LINE, line = live->followup;
		/* The members' names are this file's own: printed as they are. */
		if (rc == MG_OK)
			rc = mg_buf_add(&t.buf, t.buf.len ? ",\"" : "{\"", 2);
		if (rc == MG_OK)
			rc = mg_buf_add(&t.buf, key, strlen(key));
		if (rc == MG_OK)
			rc = mg_buf_add(&t.buf, "\":", 2);
		if (kind == CHATBOT_PART_TEXT) {
			if (rc == MG_OK)
				rc = print_member(sp, key, v, &t.buf, &event_candidates);
			continue;
		}
		reply_text_end(&t);
		if (rc == MG_OK)
			rc = reply_part(&t, kind);
		if (rc == MG_OK && kind == CHATBOT_PART_LINE) {  /* the route, with a NUL */
			rc = mg_buf_add(&t.buf, line->key, strlen(line->key) + 1);
			t.part[t.nparts - 1].len = strlen(line->key);
		}
		if (rc == MG_OK)
			rc = reply_part(&t, CHATBOT_PART_TEXT);
	}
	if (rc == MG_OK)
		reply_text_end(&t);

	struct events_ask ev = {0};
	if (rc == MG_OK)
		rc = sp ? spliced_event(sp, res, norm, norm_len, &event_candidates, &ev, err)
			: events_ask_of(res, norm, norm_len, &ev, err);
	else
		rc = mg_fail(err, rc, rc == MG_ERR_NOMEM ? "out of memory" : "a reply of more parts than it keeps");
	size_t question = 0, candidates = 0, lang = 0, decision = 0, entry_id = 0, slug = 0, topic = 0, route = 0;
	if (rc == MG_OK) {
		question = reply_string(&t, ev.question, &rc);
		candidates = reply_string(&t, ev.candidates, &rc);
		lang = reply_string(&t, ev.lang, &rc);
		decision = reply_string(&t, ev.decision, &rc);
		entry_id = reply_string(&t, ev.entry_id, &rc);
		slug = reply_string(&t, ev.slug, &rc);
		topic = reply_string(&t, ev.topic, &rc);
		route = reply_string(&t, ev.route, &rc);
	}
	size_t bytes = sizeof **out + t.buf.len;
	struct chatbot_reply *r = rc == MG_OK ? malloc(bytes) : NULL;
	if (rc == MG_OK && !r)
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (r) {
		memcpy(r->data, t.buf.p, t.buf.len);
		atomic_init(&r->refs, 1);
		r->bytes = bytes;
		r->nparts = t.nparts;
		for (int i = 0; i < t.nparts; i++)
			r->part[i] = (struct chatbot_part){t.part[i].kind, r->data + t.part[i].at, t.part[i].len};
		r->event = (struct events_ask){
			.question = r->data + question,
			.candidates = r->data + candidates,
			.lang = at_or_null(r->data, lang),
			.decision = at_or_null(r->data, decision),
			.entry_id = at_or_null(r->data, entry_id),
			.slug = at_or_null(r->data, slug),
			.topic = at_or_null(r->data, topic),
			.route = at_or_null(r->data, route),
			.confidence = ev.confidence,
		};
		*out = r;
	}
	events_ask_clear(&ev);
	mg_buf_free(&event_candidates);
	mg_buf_free(&t.buf);
	return rc;
}

/* line as it is at now, printed, appended to b: from the thread's copy
 * when that was printed in the same minute of the town's clock (all a
 * line's JSON reads of now: town.c's hours_open and next_opening). */
static int print_line(struct chatbot *bot, const struct town_line *line, const char *lang, time_t now,
		      struct mg_buf *b)
{
	struct tm tm;
	nlp_zone_tm(town_zone(bot->town), now, &tm);
	int64_t minute = (((int64_t)tm.tm_year * 366 + tm.tm_yday) * 24 + tm.tm_hour) * 60 + tm.tm_min;
	struct printed_line *p = &bot->printed_lines[line - bot->town->line][!strcmp(lang, "en")];
	if (!p->text || p->minute != minute) {
		struct mg_buf own = MG_BUF_INIT(SIZE_MAX);
		int rc = print_json(&own, line_json(bot, line, lang, now));
		char *text = rc == MG_OK ? mg_buf_take(&own, &p->len) : NULL;
		mg_buf_free(&own);
		if (!text)
			return MG_ERR_NOMEM;
		free(p->text);
		p->text = text;
		p->minute = minute;
	}
	return mg_buf_add(b, p->text, p->len);
}

/* What a printed reply makes room for besides its kept text: each line's
 * (the sample town's longest is 366 bytes printed), and the question's
 * quotes, the conversation and the end. */
#define REPLY_ROOM_LINE 512
#define REPLY_ROOM_OWN 128

/* r filled in for this ask: the question as typed, the lines as they are at
 * now, and the conversation (NULL: none), appended to b. */
static int reply_print(struct chatbot *bot, const struct chatbot_reply *r, const char *question, size_t len,
		       time_t now, const char *conversation, struct mg_buf *b)
{
	/* Room for the kept text and what an ask adds (a line is about 400
	 * bytes): grown once, not doubled over and over. */
	size_t room = REPLY_ROOM_OWN + len;
	for (int i = 0; i < r->nparts; i++)
		room += r->part[i].kind == CHATBOT_PART_TEXT ? r->part[i].len : REPLY_ROOM_LINE;
	int rc = mg_buf_room(b, room);
	for (int i = 0; i < r->nparts && rc == MG_OK; i++) {
		const struct chatbot_part *p = &r->part[i];
		if (p->kind == CHATBOT_PART_TEXT)
			rc = mg_buf_add(b, p->text, p->len);
		else if (p->kind == CHATBOT_PART_QUESTION)  /* UTF-8, as nlp_normalise found it */
			rc = print_json(b, json_stringn_nocheck(question, len));
		else
			rc = print_line(bot, p->kind == CHATBOT_PART_NONE_LINE ? none_line(bot, 1, now)
									   : town_line(bot->town, p->text),
					r->event.lang, now, b);
	}
	if (rc == MG_OK && conversation) {
		rc = mg_buf_add(b, ",\"conversation\":", 16);
		if (rc == MG_OK)
			rc = print_json(b, json_string(conversation));
	}
	return rc == MG_OK ? mg_buf_add(b, "}", 1) : rc;
}

/* The decision cache's key: everything the ranking and the printed reply
 * depend on besides the knowledge base's generation. The ranking depends on
 * the normalised question, the day (entries' validity dates), how many
 * candidates are wanted (from top) and whether a language was asked for (a
 * question in another language is met with a topic, unless it was); the
 * reply on top, the language and furigana too. NULL without memory. */
static char *cache_key(const struct ask_opts *o, const char *today, const char *lang, const char *norm,
		       size_t norm_len, size_t *len)
{
	char head[48];
	int head_len = snprintf(head, sizeof head, "%s %d %s%s %d ", today, o->top, lang, o->lang ? "" : "?",
				o->ruby);
	char *key = malloc((size_t)head_len + norm_len);
	if (key) {
		memcpy(key, head, (size_t)head_len);
		memcpy(key + head_len, norm, norm_len);
		*len = (size_t)head_len + norm_len;
	}
	return key;
}

/* question as asked, norm as nlp_normalise gave it (not empty). Into *out
 * the reply's object; or, when printed is not NULL, into *printed the reply
 * printed with its event (held once), kept by the decision cache for the
 * next ask when the bot has one and the search is the product's own (the
 * policy's weights and thresholds, nothing left out). */
static int ask(struct chatbot *bot, const char *question, size_t len, const char *norm,
	       size_t norm_len, const struct ask_opts *opts, json_t **out, struct chatbot_reply **printed,
	       char *err)
{
	*out = NULL;
	struct ask_opts o = opts ? *opts : (struct ask_opts){0};
	if (o.top <= 0)
		o.top = POLICY_DEFAULT_TOP;
	if (o.top > POLICY_MAX_TOP)
		o.top = POLICY_MAX_TOP;
	if (!o.now)
		o.now = time(NULL);
	int rc = MG_OK;
	/* A question in a language the entries are not written in is met with
	 * the topic that says which languages the town's lines speak, in English. */
	int other_language = !o.lang && nlp_is_other_language(norm, norm_len);
	const char *lang = o.lang ? o.lang : other_language || nlp_is_english(norm, norm_len) ? "en" : "ja";
	if (strcmp(lang, "en"))
		lang = "ja";

	char today[11];
	nlp_zone_day(town_zone(bot->town), o.now, today);
	struct kb_candidate cand[POLICY_MAX_TOP];
	struct kb_query_stats qs = {0};
	int n = 0;
	int want = o.top > POLICY_TOPIC_WINDOW ? o.top : POLICY_TOPIC_WINDOW;
	struct kb_search_opts so = {o.weights ? o.weights : &POLICY_WEIGHTS, today, o.exclude};
	int64_t gen = -1;
	char *key = NULL;
	size_t key_len = 0;
	if (bot->cache && so.w == &POLICY_WEIGHTS && !so.exclude) {
		rc = kb_refresh(bot->kb, &gen, err);
		if (rc != MG_OK)
			return rc;
		key = cache_key(&o, today, lang, norm, norm_len, &key_len);
	}
	/* Thresholds of eval's own print a reply of their own. */
	int keep_printed = printed && key && !(o.answer_at > 0) && !(o.offer_at > 0);
	int kept = key && chatbot_cache_get(bot->cache, gen, key, key_len, cand, want, &n, &qs,
					    keep_printed ? printed : NULL);
	if (kept && keep_printed && *printed) {
		free(key);
		return MG_OK;
	}
	if (!kept) {
		if (other_language)
			rc = kb_topic_first(bot->kb, POLICY_OTHER_LANGUAGE_TOPIC, today, cand, &n, err);
		else
			rc = kb_search(bot->kb, norm, norm_len, &so, cand, want, &n, &qs, err);
		if (rc == MG_OK && key)
			chatbot_cache_put(bot->cache, gen, key, key_len, cand, n, &qs);
	}
	if (rc != MG_OK) {
		free(key);
		return rc;
	}

	double conf = other_language ? n : chatbot_confidence(cand, n, &qs);
	double answer_at = o.answer_at > 0 ? o.answer_at : chatbot_answer_at(cand, n, &qs);
	double offer_at = o.offer_at > 0 ? o.offer_at : POLICY_CLARIFY_MIN_CONFIDENCE;
	const char *decision = "handoff";
	int choices[POLICY_CLARIFY_MAX], nchoices = 0;
	/* A question for another town office is handed off whatever the
	 * confidence: with the office when the match is sure enough to offer a
	 * choice, otherwise to the call centre like any unclear question. */
	int elsewhere = n > 0 && !strcmp(cand[0].route, KB_ROUTE_ELSEWHERE);
	int redirect = elsewhere && conf >= offer_at;
	/* No word that could name a topic (はい, わかりました, Hello, ？？): asked
	 * to rephrase, with the popular questions, not sent to a phone line that
	 * may be closed. A word the knowledge base does not know (粗大ごみ) is a
	 * question for a person: it is handed off as before. Without a word, only
	 * a match sure enough to answer (ありがとう meets the greeting) stands:
	 * choices offered for わかりました would be random. The domain's words
	 * alone (コロナワクチン, 新型コロナワクチン) name no topic either. */
	int no_topic = qs.words == 0 || qs.domain_words == qs.words;
	if (no_topic && !other_language && conf < answer_at) {
		decision = "rephrase";
	} else if (!elsewhere && n > 0 && conf >= answer_at) {
		decision = "answer";
	} else if (!elsewhere && n > 1 && conf >= offer_at) {
		nchoices = clarify_choices(cand, n, choices);
		if (nchoices >= 2)
			decision = "clarify";
	}
	/* Decided on the engine's order; shown with each topic's entry. */
	int route_known = n > 0 && cand[0].score >= POLICY_ROUTE_MIN_SCORE;
	if (!other_language)
		topic_entries_shown(cand, n, &qs);

	json_t *res = json_object();
	json_t *list = json_array();
	if (!res || !list) {
		json_decref(res);
		json_decref(list);
		free(key);
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	/* Each entry shown is read once: the best candidate is also the answer,
	 * and the choices of a clarification are among the candidates. */
	struct kb_entry best;
	int best_rc = n > 0 ? chatbot_shown_entry(bot, cand[0].entry, &best, err) : MG_ERR_NOT_FOUND;
	int have_best = best_rc == MG_OK;
	/* An English question whose entry has no English answer reached it
	 * through the dictionary's glosses alone (a town's Japanese-only FAQ):
	 * it is offered the choices, not answered in Japanese. Answered, such
	 * questions were wrong one time in three (dev + holdout + styles'
	 * English against `eval --japanese-only`: 9 answered, 3 wrongly). */
	if (!strcmp(decision, "answer") && have_best && !strcmp(lang, "en") && !(best.answer_en && *best.answer_en) &&
	    n > 1 && conf >= offer_at && (nchoices = clarify_choices(cand, n, choices)) >= 2)
		decision = "clarify";
	json_object_set_new(res, "question", json_stringn(question, len));
	json_object_set_new(res, "lang", json_string(lang));
	json_object_set_new(res, "decision", json_string(decision));
	json_object_set_new(res, "confidence", json_real(round(conf * 1000) / 1000));
	/* A printed reply without furigana is put together from its entries'
	 * printed parts (reply_make): their objects are not made, nor the
	 * lines' whose places the printed reply leaves to each ask (null here). */
	struct spliced sp = {bot, lang, cand, n < o.top ? n : o.top, choices, 0, have_best ? &best : NULL, 0, 0, NULL};
	int splice = printed && !o.ruby && (n == 0 || have_best);
	json_t *shown[POLICY_MAX_TOP] = {0};
	for (int i = 0; i < n && i < o.top && !splice; i++) {
		shown[i] = candidate_json(bot, &cand[i], i == 0 && have_best ? &best : NULL, lang, o.ruby);
		json_array_append(list, shown[i]);
	}
	json_object_set_new(res, "candidates", splice ? json_null() : list);
	if (splice)
		json_decref(list);

	struct live_lines live = {0};
	json_t *answer = json_null(), *handoff = NULL;
	if (!strcmp(decision, "answer")) {
		if (have_best) {
			answer = splice ? json_null() : answer_json(bot, &best, lang, o.ruby);
			sp.answer = 1;
			live.followup = way_on(bot, best.route);
		} else {
			rc = best_rc;  /* err says why */
		}
	} else if (!strcmp(decision, "clarify")) {
		json_t *choices_json = splice ? json_null() : json_array();
		for (int i = 0; i < nchoices; i++) {
			int k = choices[i];
			if (!splice)
				json_array_append_new(choices_json, shown[k] ? json_incref(shown[k])
									     : candidate_json(bot, &cand[k], NULL, lang, o.ruby));
			live.none_nurse |= !strcmp(cand[k].route, "nurse");
		}
		sp.nchoices = nchoices;
		json_object_set_new(res, "choices", choices_json);
		live.none = town_line(bot->town, "call_center");
		json_object_set_new(res, "none", splice ? json_null()
							: line_json(bot, none_line(bot, live.none_nurse, o.now), lang, o.now));
		/* The choices carry the way of the likeliest with them, as an answer
		 * does (ワクチンを予約したい between how to book and privacy: the
		 * booking panel is one tap away). */
		live.followup = way_on(bot, cand[choices[0]].route);
	} else if (!strcmp(decision, "rephrase")) {
		/* the widget shows the popular questions */
	} else if (redirect) {
		/* The office's entry says where to go; the widget shows it as the
		 * hand-off card. */
		if (have_best && !splice)
			handoff = answer_json(bot, &best, lang, o.ruby);
		else if (!have_best)
			rc = best_rc;
		sp.redirect = 1;
	} else {
		const char *route = (route_known && !elsewhere)
					    ? cand[0].route : "call_center";
		live.handoff = town_line(bot->town, route);
	}
	json_object_set_new(res, "answer", answer);
	json_object_set_new(res, "handoff", live.handoff && !splice ? line_json(bot, live.handoff, lang, o.now)
					   : handoff ? handoff : json_null());
	json_object_set_new(res, "followup", splice ? json_null() : line_json(bot, live.followup, lang, o.now));
	for (int i = 0; i < n && i < o.top; i++)
		json_decref(shown[i]);
	/* The event's route (as events_ask_of reads it from the objects). */
	sp.route = (sp.answer || sp.redirect) && have_best ? (best.route[0] ? best.route : "none")
		   : live.handoff ? live.handoff->key : NULL;
	if (rc == MG_OK && printed) {
		rc = reply_make(res, &live, splice ? &sp : NULL, norm, norm_len, printed, err);
		if (rc == MG_OK && keep_printed)
			chatbot_cache_put_reply(bot->cache, gen, key, key_len, *printed);
		json_decref(res);
		res = NULL;
	}
	if (have_best)
		kb_entry_clear(&best);
	free(key);
	if (rc != MG_OK) {
		json_decref(res);
		return rc;
	}
	*out = res;
	return MG_OK;
}

/* The question normalised once (the search, the decision cache's key and
 * the log's redaction all read it) into *norm (the caller frees it). */
static int normalise(const char *question, size_t len, char **norm, size_t *norm_len, char *err)
{
	*norm = NULL;
	if (len > POLICY_MAX_QUESTION_BYTES)
		return mg_fail(err, MG_ERR_TOO_LONG, "the question is too long (at most %d bytes); "
			       "please ask one thing at a time", POLICY_MAX_QUESTION_BYTES);
	int rc = nlp_normalise(question, len, norm, norm_len, err);
	if (rc == MG_OK && *norm_len == 0) {
		free(*norm);
		*norm = NULL;
		rc = mg_fail(err, MG_ERR_EMPTY, "the question is empty");
	}
	return rc;
}

int chatbot_ask(struct chatbot *bot, const char *question, size_t len,
		const struct ask_opts *opts, json_t **out, char *err)
{
	*out = NULL;
	char *norm = NULL;
	size_t norm_len = 0;
	int rc = normalise(question, len, &norm, &norm_len, err);
	if (rc != MG_OK)
		return rc;
	int began = kb_read_begin(bot->kb);
	rc = ask(bot, question, len, norm, norm_len, opts, out, NULL, err);
	kb_read_end(bot->kb, began);
	/* Logged after the read transaction: a write inside it could not wait
	 * for another thread's write lock. A failed log line never costs the
	 * resident the answer. */
	if (rc == MG_OK && !(opts && opts->no_log)) {
		struct ask_opts o = opts ? *opts : (struct ask_opts){0};
		events_log_ask_normalised(kb_db(bot->kb), bot->events, town_zone(bot->town), &o, *out,
					  norm, norm_len, NULL);
	}
	free(norm);
	return rc;
}

int chatbot_ask_printed(struct chatbot *bot, const char *question, size_t len,
			const struct ask_opts *opts, char **text, size_t *text_len, char *err)
{
	*text = NULL;
	*text_len = 0;
	char *norm = NULL;
	size_t norm_len = 0;
	int rc = normalise(question, len, &norm, &norm_len, err);
	if (rc != MG_OK)
		return rc;
	/* One time for the lines, the day and the event. */
	struct ask_opts o = opts ? *opts : (struct ask_opts){0};
	if (!o.now)
		o.now = time(NULL);
	struct chatbot_reply *r = NULL;
	json_t *unused = NULL;
	int began = kb_read_begin(bot->kb);
	rc = ask(bot, question, len, norm, norm_len, &o, &unused, &r, err);
	kb_read_end(bot->kb, began);
	free(norm);
	if (rc != MG_OK)
		return rc;
	char made[EVENTS_ID_MAX + 1] = "";
	/* As chatbot_ask: after the read transaction, and never at the cost of
	 * the answer. */
	if (!o.no_log)
		events_log_ask_as(kb_db(bot->kb), bot->events, town_zone(bot->town), o.conversation, o.now,
				  &r->event, made, NULL);
	struct mg_buf b = MG_BUF_INIT(SIZE_MAX);
	rc = reply_print(bot, r, question, len, o.now, o.conversation ? o.conversation : made[0] ? made : NULL,
			 &b);
	chatbot_reply_drop(r);
	if (rc == MG_OK)
		*text = mg_buf_take(&b, text_len);
	mg_buf_free(&b);
	return *text ? MG_OK : mg_fail(err, MG_ERR_NOMEM, "out of memory");
}

int chatbot_suggest(struct chatbot *bot, const char *prefix, size_t len, int limit,
		    const char *lang, json_t **out, char *err)
{
	*out = NULL;
	if (limit <= 0 || limit > POLICY_MAX_TOP)
		limit = POLICY_DEFAULT_TOP;
	if (len > POLICY_MAX_QUESTION_BYTES)
		return mg_fail(err, MG_ERR_TOO_LONG, "too long");
	char today[11];
	chatbot_today(bot, today);
	struct kb_candidate cand[POLICY_MAX_TOP];
	struct kb_query_stats qs;
	int n = 0;
	struct kb_search_opts so = {&POLICY_WEIGHTS, today, NULL};
	/* One snapshot for the search and the entries shown, as an ask's. */
	int began = kb_read_begin(bot->kb);
	int rc = kb_search(bot->kb, prefix, len, &so, cand, limit, &n, &qs, err);
	if (!lang)
		lang = nlp_is_english(prefix, len) ? "en" : "ja";
	json_t *list = rc == MG_OK ? json_array() : NULL;
	for (int i = 0; list && i < n; i++)
		json_array_append_new(list, candidate_json(bot, &cand[i], NULL, lang, 0));
	kb_read_end(bot->kb, began);
	if (rc == MG_OK && !list)
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	*out = list;
	return rc;
}

int chatbot_popular(struct chatbot *bot, int limit, const char *lang, int ruby, json_t **out, char *err)
{
	*out = NULL;
	if (limit <= 0 || limit > POLICY_MAX_TOP)
		limit = POLICY_POPULAR_DEFAULT;
	if (!lang)
		lang = "ja";
	char today[11];
	chatbot_today(bot, today);
	/* Until the event log says what residents ask most, the knowledge base's
	 * own order stands: staff list the most asked entries first. */
	struct kb_candidate c[POLICY_MAX_TOP];
	int n = 0;
	/* One snapshot for the list of entries and the entries shown. */
	int began = kb_read_begin(bot->kb);
	int rc = kb_first_entries(bot->kb, today, c, limit, &n, err);
	json_t *list = rc == MG_OK ? json_array() : NULL;
	for (int i = 0; list && i < n; i++) {
		json_t *j = candidate_json(bot, &c[i], NULL, lang, ruby);
		json_object_del(j, "score");
		json_array_append_new(list, j);
	}
	kb_read_end(bot->kb, began);
	if (rc == MG_OK && !list)
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	*out = list;
	return rc;
}

int chatbot_entry(struct chatbot *bot, const char *id, const char *lang, int ruby, json_t **out, char *err)
{
	*out = NULL;
	struct kb_entry e;
	char today[11];
	chatbot_today(bot, today);
	int rc = kb_entry_get(bot->kb, 0, id, &e, err);
	if (rc != MG_OK)
		return rc;
	if (!kb_entry_live(&e, today))
		rc = mg_fail(err, MG_ERR_NOT_FOUND, "no entry %s", id);
	else if (!(*out = answer_json(bot, &e, lang ? lang : "ja", ruby)))
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	kb_entry_clear(&e);
	return rc;
}

/* An event about an entry carries its slug and category, read here: the
 * log keeps the entry's id, never the client's text, and reads no kb_ table. */
int chatbot_log_event(struct chatbot *bot, const struct events_event *ev, char *err)
{
	if (!ev->entry_id || !*ev->entry_id)
		return events_log(kb_db(bot->kb), bot->events, town_zone(bot->town), ev, err);
	struct kb_entry e;
	int rc = kb_entry_get(bot->kb, 0, ev->entry_id, &e, err);
	if (rc == MG_OK) {
		struct events_event about = *ev;
		about.slug = e.slug;
		about.topic = e.category;
		rc = events_log(kb_db(bot->kb), bot->events, town_zone(bot->town), &about, err);
		kb_entry_clear(&e);
	}
	return rc;
}

int chatbot_feedback(struct chatbot *bot, const char *conversation, const char *entry_id,
		     int helpful, char *err)
{
	struct events_event ev = {.type = EVENTS_FEEDBACK, .conversation = conversation,
				  .entry_id = entry_id, .helpful = helpful};
	int rc = chatbot_log_event(bot, &ev, err);
	/* A log too far behind drops the event (and counts it); the resident's
	 * click was still received. */
	return rc == MG_ERR_FULL ? MG_OK : rc;
}
