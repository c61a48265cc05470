/* ask(): a question → ranked candidates (kb/) → one decision with a
 * calibrated confidence: answer, clarify between a few topics, or hand off to
 * booking, the nurse line or the call centre. The thresholds live in
 * chatbot/policy.h. */
#include "chatbot/chatbot_int.h"
#include "chatbot/events.h"

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

/* c as a candidate or a choice; e is its entry when the caller has read it
 * already, NULL to read it here. */
static json_t *candidate_json(struct chatbot *bot, const struct kb_candidate *c,
			      const struct kb_entry *e, const char *lang, int ruby)
{
	struct kb_entry own;
	if (!e && chatbot_shown_borrow(bot, c->entry, &own, &e, NULL) != MG_OK)
		return NULL;
	json_t *j = json_pack("{s:s, s:s, s:s, s:o*, s:f}", "id", e->id, "slug", e->slug, "category", e->category,
			      "question", town_expand(bot->town, pick(e->question, e->question_en, lang), lang),
			      "score", round(c->score * 1000) / 1000);
	if (j && ruby && strcmp(lang, "en"))
		add_ruby(bot, j, (const char *const[]){"question", NULL});
	if (e == &own)
		kb_entry_clear(&own);
	return j;
}

/* An answer about booking, a worry or a form still offers the way on: the
 * booking flow or the line that handles it (JSON null when there is none). */
static json_t *way_on(struct chatbot *bot, const char *route, const char *lang, time_t now)
{
	if (!route[0] || !strcmp(route, "none"))
		return json_null();
	return town_line_json(bot->town, town_line(bot->town, route), lang, now);
}

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

/* kb_search through the decision cache when the bot has one and the
 * search is the product's own (the policy's weights, nothing left out):
 * the ranking depends on the normalised question, the day (entries' validity
 * dates), how many candidates are wanted and the knowledge base's
 * generation, and on nothing else. */
static int rank(struct chatbot *bot, const char *norm, size_t norm_len, const struct kb_search_opts *so,
		struct kb_candidate *cand, int want, int *n, struct kb_query_stats *qs, char *err)
{
	if (!bot->cache || so->w != &POLICY_WEIGHTS || so->exclude)
		return kb_search(bot->kb, norm, norm_len, so, cand, want, n, qs, err);
	int64_t gen = -1;
	int rc = kb_refresh(bot->kb, &gen, err);
	if (rc != MG_OK)
		return rc;
	char head[32];
	int head_len = snprintf(head, sizeof head, "%s %d ", so->today, want);
	char *key = malloc((size_t)head_len + norm_len);
	if (!key)
		return kb_search(bot->kb, norm, norm_len, so, cand, want, n, qs, err);
	memcpy(key, head, (size_t)head_len);
	memcpy(key + head_len, norm, norm_len);
	size_t key_len = (size_t)head_len + norm_len;
	if (!chatbot_cache_get(bot->cache, gen, key, key_len, cand, want, n, qs)) {
		rc = kb_search(bot->kb, norm, norm_len, so, cand, want, n, qs, err);
		if (rc == MG_OK)
			chatbot_cache_put(bot->cache, gen, key, key_len, cand, *n, qs);
	}
	free(key);
	return rc;
}

/* question as asked, norm as nlp_normalise gave it (not empty). */
static int ask(struct chatbot *bot, const char *question, size_t len, const char *norm,
	       size_t norm_len, const struct ask_opts *opts, json_t **out, char *err)
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
	int want = o.top > POLICY_CLARIFY_MAX * 2 ? o.top : POLICY_CLARIFY_MAX * 2;
	struct kb_search_opts so = {o.weights ? o.weights : &POLICY_WEIGHTS, today, o.exclude};
	if (other_language)
		rc = kb_topic_first(bot->kb, POLICY_OTHER_LANGUAGE_TOPIC, today, cand, &n, err);
	else
		rc = rank(bot, norm, norm_len, &so, cand, want, &n, &qs, err);
	if (rc != MG_OK)
		return rc;

	double conf = other_language ? n : chatbot_confidence(cand, n, &qs);
	double answer_at = o.answer_at > 0 ? o.answer_at : POLICY_ANSWER_MIN_CONFIDENCE;
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

	json_t *res = json_object();
	json_t *list = json_array();
	if (!res || !list) {
		json_decref(res);
		json_decref(list);
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	json_object_set_new(res, "question", json_stringn(question, len));
	json_object_set_new(res, "lang", json_string(lang));
	json_object_set_new(res, "decision", json_string(decision));
	json_object_set_new(res, "confidence", json_real(round(conf * 1000) / 1000));
	/* Each entry shown is read once: the best candidate is also the answer,
	 * and the choices of a clarification are among the candidates. */
	struct kb_entry best;
	int best_rc = n > 0 ? chatbot_shown_entry(bot, cand[0].entry, &best, err) : MG_ERR_NOT_FOUND;
	int have_best = best_rc == MG_OK;
	json_t *shown[POLICY_MAX_TOP] = {0};
	for (int i = 0; i < n && i < o.top; i++) {
		shown[i] = candidate_json(bot, &cand[i], i == 0 && have_best ? &best : NULL, lang, o.ruby);
		json_array_append(list, shown[i]);
	}
	json_object_set_new(res, "candidates", list);

	json_t *answer = json_null(), *handoff = json_null(), *followup = json_null();
	if (!strcmp(decision, "answer")) {
		if (have_best) {
			answer = answer_json(bot, &best, lang, o.ruby);
			followup = way_on(bot, best.route, lang, o.now);
		} else {
			rc = best_rc;  /* err says why */
		}
	} else if (!strcmp(decision, "clarify")) {
		json_t *choices_json = json_array();
		for (int i = 0; i < nchoices; i++) {
			int k = choices[i];
			json_array_append_new(choices_json, shown[k] ? json_incref(shown[k])
								     : candidate_json(bot, &cand[k], NULL, lang, o.ruby));
		}
		json_object_set_new(res, "choices", choices_json);
		/* 「どれでもない」: a worry about one's health goes to the nurse
		 * line while it answers (24 hours in the sample town), not to a
		 * call centre that is closed at night. */
		const struct town_line *none = town_line(bot->town, "call_center");
		const struct town_line *nurse = town_line(bot->town, "nurse");
		for (int i = 0; i < nchoices; i++)
			if (!strcmp(cand[choices[i]].route, "nurse") && nurse &&
			    town_phone_open_now(bot->town, nurse, o.now))
				none = nurse;
		json_object_set_new(res, "none", town_line_json(bot->town, none, lang, o.now));
		/* The choices carry the way of the likeliest with them, as an answer
		 * does (ワクチンを予約したい between how to book and privacy: the
		 * booking panel is one tap away). */
		followup = way_on(bot, cand[choices[0]].route, lang, o.now);
	} else if (!strcmp(decision, "rephrase")) {
		/* the widget shows the popular questions */
	} else if (redirect) {
		/* The office's entry says where to go; the widget shows it as the
		 * hand-off card. */
		if (have_best)
			handoff = answer_json(bot, &best, lang, o.ruby);
		else
			rc = best_rc;
	} else {
		const char *route = (n > 0 && !elsewhere && cand[0].score >= POLICY_ROUTE_MIN_SCORE)
					    ? cand[0].route : "call_center";
		handoff = town_line_json(bot->town, town_line(bot->town, route), lang, o.now);
	}
	json_object_set_new(res, "answer", answer);
	json_object_set_new(res, "handoff", handoff);
	json_object_set_new(res, "followup", followup);
	for (int i = 0; i < n && i < o.top; i++)
		json_decref(shown[i]);
	if (have_best)
		kb_entry_clear(&best);
	if (rc != MG_OK) {
		json_decref(res);
		return rc;
	}
	*out = res;
	return MG_OK;
}

int chatbot_ask(struct chatbot *bot, const char *question, size_t len,
		const struct ask_opts *opts, json_t **out, char *err)
{
	*out = NULL;
	if (len > POLICY_MAX_QUESTION_BYTES)
		return mg_fail(err, MG_ERR_TOO_LONG, "the question is too long (at most %d bytes); "
			       "please ask one thing at a time", POLICY_MAX_QUESTION_BYTES);
	/* Normalised once: the search, the decision cache's key and the log's
	 * redaction all read this. */
	char *norm = NULL;
	size_t norm_len = 0;
	int rc = nlp_normalise(question, len, &norm, &norm_len, err);
	if (rc != MG_OK)
		return rc;
	if (norm_len == 0) {
		free(norm);
		return mg_fail(err, MG_ERR_EMPTY, "the question is empty");
	}
	int began = kb_read_begin(bot->kb);
	rc = ask(bot, question, len, norm, norm_len, opts, out, err);
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
