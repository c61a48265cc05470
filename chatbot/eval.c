/* `madoguchi eval`: answer quality on a labelled question set, measured
 * through the same chatbot_ask() residents get. Also fits the confidence
 * (--calibrate) and measures the untuned floor (--floor) for comparison.
 * Lines are `question<TAB>expected`; expected is slugs or ids separated by
 * '|', or '-' for a question the knowledge base must not answer. */
#include "chatbot/chatbot_int.h"
#include "chatbot/cli.h"
#include "nlp/buf.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVAL_TOP 10  /* MRR@10 */

struct tally {
	int in, out;                     /* in-scope and out-of-scope questions */
	int top1, top3, answered, wrong, settled;
	double mrr;
	int out_handoff, out_answered;
	double conf_answered_sum;
};

static int expected_has(const char *expected, const char *slug, const char *id)
{
	const char *s = expected;
	while (*s) {
		size_t n = strcspn(s, "|");
		if ((strlen(slug) == n && !strncmp(s, slug, n)) || (strlen(id) == n && !strncmp(s, id, n)))
			return 1;
		s += n;
		if (*s)
			s++;
	}
	return 0;
}

static const char *jstr(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

/* How one question fared, worst first: a wrong answer (or an out-of-scope
 * question answered), nothing useful (in scope: no answer and no right
 * first choice; out of scope: a choice offered), the right topic first
 * among choices, the right answer (out of scope: handed off). */
enum outcome { OUTCOME_WRONG, OUTCOME_MISSED, OUTCOME_CLARIFIED, OUTCOME_RIGHT };
static const char *const OUTCOME_NAMES[] = {"wrong", "missed", "clarified", "right"};

/* Counts reply r to q into t and returns how the question fared. */
static enum outcome count(struct tally *t, const char *q, const char *expected, json_t *r, int misses)
{
	const char *decision = jstr(r, "decision");
	json_t *cands = json_object_get(r, "candidates");
	json_t *first = json_array_get(cands, 0);
	/* "!" (leave-entry-out only): out of scope, and no entry is right. */
	if (!strcmp(expected, "-") || !strcmp(expected, "!")) {
		t->out++;
		/* handed off, or asked to rephrase: not answered, not offered a choice */
		t->out_handoff += !strcmp(decision, "handoff") || !strcmp(decision, "rephrase");
		t->out_answered += !strcmp(decision, "answer");
		if (misses && strcmp(decision, "handoff") && strcmp(decision, "rephrase"))
			printf("OUT  %-8s %-24s conf %.2f  %s\n", decision, jstr(first, "slug"),
			       json_real_value(json_object_get(r, "confidence")), q);
		return !strcmp(decision, "answer") ? OUTCOME_WRONG
		     : !strcmp(decision, "clarify") ? OUTCOME_MISSED : OUTCOME_RIGHT;
	}
	t->in++;
	int rank = 0;
	size_t i;
	json_t *c;
	json_array_foreach(cands, i, c) {
		if (expected_has(expected, jstr(c, "slug"), jstr(c, "id"))) {
			rank = (int)i + 1;
			break;
		}
	}
	t->top1 += rank == 1;
	t->top3 += rank >= 1 && rank <= 3;
	t->mrr += rank ? 1.0 / rank : 0;
	int answered = !strcmp(decision, "answer");
	t->answered += answered;
	t->wrong += answered && rank != 1;
	t->settled += (answered || !strcmp(decision, "clarify")) && rank == 1;
	if (answered)
		t->conf_answered_sum += json_real_value(json_object_get(r, "confidence"));
	if (misses && !((answered || !strcmp(decision, "clarify")) && rank == 1))
		printf("%-4s %-8s got %-22s want %-22s rank %d conf %.2f  %s\n",
		       answered ? "BAD" : "MISS", decision, jstr(first, "slug"), expected, rank,
		       json_real_value(json_object_get(r, "confidence")), q);
	return answered ? (rank == 1 ? OUTCOME_RIGHT : OUTCOME_WRONG)
	     : rank == 1 && !strcmp(decision, "clarify") ? OUTCOME_CLARIFIED : OUTCOME_MISSED;
}

static double pct(int a, int b)
{
	return b ? 100.0 * a / b : 0;
}

static void print_tally(const char *name, const struct tally *t)
{
	printf("%s: %d questions (%d in scope, %d out of scope)\n", name, t->in + t->out, t->in, t->out);
	printf("  top-1 accuracy            %5.1f%%\n", pct(t->top1, t->in));
	printf("  top-3 accuracy            %5.1f%%\n", pct(t->top3, t->in));
	printf("  MRR@10                    %5.3f\n", t->in ? t->mrr / t->in : 0);
	printf("  answered                  %5.1f%%\n", pct(t->answered, t->in));
	printf("  answered wrongly          %5.1f%%\n", pct(t->wrong, t->in));
	printf("  settled right             %5.1f%%   (answered or clarified, right topic first)\n",
	       pct(t->settled, t->in));
	printf("  out of scope handed off   %5.1f%%\n", pct(t->out_handoff, t->out));
	printf("  out of scope answered     %5.1f%%\n", pct(t->out_answered, t->out));
	if (t->answered)
		printf("  mean confidence answered  %5.3f   (precision of answers %.3f)\n",
		       t->conf_answered_sum / t->answered,
		       (double)(t->answered - t->wrong) / (t->answered + t->out_answered));
}

/* Retrieval figures of the untuned floor: MeCab lemmas, FTS5 BM25, OR of terms. */
static void floor_tally(struct chatbot *bot, const char *q, const char *expected, struct tally *t)
{
	if (!strcmp(expected, "-"))
		return;
	struct kb_candidate c[EVAL_TOP];
	struct kb_query_stats qs;
	int n = 0;
	char today[11];
	chatbot_today(bot, today);
	t->in++;
	struct kb_search_opts so = {&POLICY_FLOOR_WEIGHTS, today, NULL};
	if (kb_search(chatbot_kb(bot), q, strlen(q), &so, c, EVAL_TOP, &n, &qs, NULL) != MG_OK)
		return;
	for (int i = 0; i < n; i++) {
		if (expected_has(expected, c[i].slug, c[i].id)) {
			t->top1 += i == 0;
			t->top3 += i < 3;
			t->mrr += 1.0 / (i + 1);
			break;
		}
	}
}

/* ---- the console's runs: the same tally, as JSON ---------------------------- */

/* One question's result as the console shows it: the first topic and entry
 * (empty when there is none), the decision, the confidence, the outcome. */
static json_t *result_json(int line, const char *q, const char *expected, json_t *r, enum outcome o)
{
	json_t *first = json_array_get(json_object_get(r, "candidates"), 0);
	return json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:f,s:s}", "line", line, "question", q,
			 "expected", expected, "topic", jstr(first, "slug"), "entry", jstr(first, "id"),
			 "entry_question", jstr(first, "question"), "decision", jstr(r, "decision"),
			 "confidence", json_real_value(json_object_get(r, "confidence")), "outcome",
			 OUTCOME_NAMES[o]);
}

/* Asks every labelled line of data (`question<TAB>expected`; empty lines
 * and # comments skipped) of bot, nothing logged: the totals into *t, each
 * line that is no question into bad (may be NULL) as {line, message}, and,
 * when each is not NULL, every question's result_json in file order. */
static int eval_set(struct chatbot *bot, const char *data, size_t len, struct tally *t, json_t *bad,
		    json_t *each, char *err)
{
	char *copy = malloc(len + 1);
	if (!copy)
		return mg_fail(err, MG_ERR_NOMEM, "out of memory");
	memcpy(copy, data, len);
	copy[len] = 0;
	struct ask_opts o = {.top = EVAL_TOP, .no_log = 1};
	int lineno = 0, rc = MG_OK;
	for (char *line = copy, *next; line && rc == MG_OK; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		size_t n = strlen(line);
		while (n > 0 && line[n - 1] == '\r')
			line[--n] = 0;
		if (!n || line[0] == '#')
			continue;
		char *tab = strrchr(line, '\t');
		char msg[MG_ERR_LEN];
		json_t *r = NULL;
		if (!tab) {
			snprintf(msg, sizeof msg, "no tab between question and expected");
		} else {
			*tab = 0;
			if (chatbot_ask(bot, line, strlen(line), &o, &r, msg) == MG_OK) {
				enum outcome oc = count(t, line, tab + 1, r, 0);
				if (each && json_array_append_new(each, result_json(lineno, line, tab + 1, r, oc)))
					rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
				json_decref(r);
				continue;
			}
		}
		if (bad && json_array_append_new(bad, json_pack("{s:i,s:s}", "line", lineno, "message", msg)))
			rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	free(copy);
	if (rc == MG_OK && t->in + t->out == 0)
		rc = mg_fail(err, MG_ERR_INPUT, "no labelled question (lines are question<TAB>expected)");
	return rc;
}

/* The totals of t as the console shows them; bad is borrowed. */
static json_t *tally_json(const struct tally *t, json_t *bad)
{
	return json_pack("{s:i,s:i,s:i,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:O}",
			 "questions", t->in + t->out, "in_scope", t->in, "out_of_scope", t->out,
			 "top1", pct(t->top1, t->in), "top3", pct(t->top3, t->in),
			 "mrr", t->in ? t->mrr / t->in : 0.0, "answered", pct(t->answered, t->in),
			 "answered_wrongly", pct(t->wrong, t->in), "settled", pct(t->settled, t->in),
			 "out_handed_off", pct(t->out_handoff, t->out),
			 "out_answered", pct(t->out_answered, t->out), "bad_lines", bad);
}

int chatbot_eval_run(struct chatbot *bot, const char *data, size_t len, json_t **out, char *err)
{
	*out = NULL;
	struct tally t = {0};
	json_t *bad = json_array();
	int rc = bad ? eval_set(bot, data, len, &t, bad, NULL, err) : mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc == MG_OK && !(*out = tally_json(&t, bad)))
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	json_decref(bad);
	return rc;
}

/* How a question's result moved: its outcome better or worse, or the same
 * outcome with another first topic, entry or decision (changed), or none
 * of these (same; the confidence alone moves with every change). */
static const char *movement(json_t *before, json_t *after)
{
	static const char *const SIDE[] = {"topic", "entry", "decision"};
	size_t ob = 0, oa = 0;
	while (ob < sizeof OUTCOME_NAMES / sizeof *OUTCOME_NAMES && strcmp(OUTCOME_NAMES[ob], jstr(before, "outcome")))
		ob++;
	while (oa < sizeof OUTCOME_NAMES / sizeof *OUTCOME_NAMES && strcmp(OUTCOME_NAMES[oa], jstr(after, "outcome")))
		oa++;
	if (oa != ob)
		return oa > ob ? "better" : "worse";
	for (size_t i = 0; i < sizeof SIDE / sizeof *SIDE; i++)
		if (strcmp(jstr(before, SIDE[i]), jstr(after, SIDE[i])))
			return "changed";
	return "same";
}

/* One side of a compared question: its result without what both share. */
static json_t *side_json(json_t *r)
{
	json_t *s = json_deep_copy(r);
	if (s) {
		json_object_del(s, "line");
		json_object_del(s, "question");
		json_object_del(s, "expected");
	}
	return s;
}

int chatbot_eval_compare(struct chatbot *before, struct chatbot *after, const char *data, size_t len,
			 json_t **out, char *err)
{
	*out = NULL;
	struct tally tb = {0}, ta = {0};
	json_t *bad = json_array(), *eb = json_array(), *ea = json_array(), *rows = json_array();
	json_t *counts = json_pack("{s:i,s:i,s:i,s:i}", "better", 0, "worse", 0, "changed", 0, "same", 0);
	int rc = bad && eb && ea && rows && counts ? MG_OK : mg_fail(err, MG_ERR_NOMEM, "out of memory");
	if (rc == MG_OK)
		rc = eval_set(before, data, len, &tb, bad, eb, err);
	if (rc == MG_OK)
		rc = eval_set(after, data, len, &ta, NULL, ea, err);
	/* the same lines both times: a question fails only for what it is */
	if (rc == MG_OK && json_array_size(eb) != json_array_size(ea))
		rc = mg_fail(err, MG_ERR_INTERNAL, "the two runs asked different questions");
	for (size_t i = 0; rc == MG_OK && i < json_array_size(eb); i++) {
		json_t *b = json_array_get(eb, i), *a = json_array_get(ea, i);
		if (json_integer_value(json_object_get(b, "line")) != json_integer_value(json_object_get(a, "line"))) {
			rc = mg_fail(err, MG_ERR_INTERNAL, "the two runs asked different questions");
			break;
		}
		const char *move = movement(b, a);
		json_t *row = json_pack("{s:O,s:O,s:O,s:s,s:o,s:o}", "line", json_object_get(b, "line"),
					"question", json_object_get(b, "question"), "expected",
					json_object_get(b, "expected"), "change", move, "before", side_json(b),
					"after", side_json(a));
		if (!row || json_array_append_new(rows, row) ||
		    json_object_set_new(counts, move, json_integer(json_integer_value(json_object_get(counts, move)) + 1)))
			rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	}
	if (rc == MG_OK && !(*out = json_pack("{s:o,s:o,s:O,s:O}", "before", tally_json(&tb, bad), "after",
					      tally_json(&ta, bad), "changes", counts, "questions", rows)))
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	json_decref(bad);
	json_decref(eb);
	json_decref(ea);
	json_decref(rows);
	json_decref(counts);
	return rc;
}

/* ---- calibration: logistic regression of "the first topic is right" ---------- */

#define CAL_FEATURES POLICY_CONF_FEATURES

/* The four parts of the fit: a file's questions (which bring the
 * out-of-scope ones) and the held-out alternates (thousands the ranker never
 * saw), each asked of the whole knowledge base and of the plain one. */
enum cal_part { CAL_FILE, CAL_HELD, CAL_PLAIN_FILE, CAL_PLAIN_HELD, CAL_PARTS };

struct sample {
	double x[CAL_FEATURES];
	int y;    /* the first topic is right (for an out-of-scope question: another office's entry) */
	int out;  /* the question is out of scope */
	int elsewhere;  /* the first entry points to another office: never answered */
	enum cal_part part;
	double weight;  /* in the fit: each part weighs its share (POLICY_CONF_FIT_PLAIN) */
};

static int features(struct chatbot *bot, const struct kb_weights *w, const char *q,
		    const char *expected, struct sample *s, const struct kb_exclude *ex)
{
	struct kb_candidate c[EVAL_TOP];
	struct kb_query_stats qs;
	int n = 0;
	char today[11];
	chatbot_today(bot, today);
	struct kb_search_opts so = {w, today, ex};
	if (kb_search(chatbot_kb(bot), q, strlen(q), &so, c, EVAL_TOP, &n, &qs, NULL) != MG_OK)
		return 0;
	chatbot_features(c, n, &qs, s->x);
	s->out = !strcmp(expected, "-") || !strcmp(expected, "!");
	s->elsewhere = n > 0 && !strcmp(c[0].route, KB_ROUTE_ELSEWHERE);
	s->y = !strcmp(expected, "!") ? 0
	     : s->out ? s->elsewhere : n > 0 && !s->elsewhere && expected_has(expected, c[0].slug, c[0].id);
	return 1;
}

/* Each part's weight: the whole knowledge base's two parts share 1 -
 * POLICY_CONF_FIT_PLAIN half and half, the plain one's the rest; a part
 * the run did not ask gives its share to the others. */
static void cal_weigh(struct sample *s, int n)
{
	int count[CAL_PARTS] = {0};
	for (int i = 0; i < n; i++)
		count[s[i].part]++;
	double share[CAL_PARTS], total = 0;
	for (int p = 0; p < CAL_PARTS; p++) {
		int plain = p == CAL_PLAIN_FILE || p == CAL_PLAIN_HELD;
		share[p] = count[p] ? (plain ? POLICY_CONF_FIT_PLAIN : 1 - POLICY_CONF_FIT_PLAIN) / 2 : 0;
		total += share[p];
	}
	for (int i = 0; i < n; i++)
		s[i].weight = share[s[i].part] / total * n / count[s[i].part];
}

static void calibrate(struct sample *s, int n)
{
	/* Newton's method (iteratively reweighted least squares) with a small
	 * ridge: converges in a few steps whatever the features' scales. */
	enum { K = CAL_FEATURES + 1 };
	double b[K] = {0};
	cal_weigh(s, n);
	for (int iter = 0; iter < 50; iter++) {
		double g[K] = {0}, h[K][K] = {{0}};
		for (int i = 0; i < n; i++) {
			double x[K] = {1};
			for (int k = 0; k < CAL_FEATURES; k++)
				x[k + 1] = s[i].x[k];
			double z = 0;
			for (int k = 0; k < K; k++)
				z += b[k] * x[k];
			double p = 1 / (1 + exp(-z)), wt = s[i].weight;
			for (int k = 0; k < K; k++) {
				g[k] += wt * (p - s[i].y) * x[k];
				for (int l = 0; l < K; l++)
					h[k][l] += wt * p * (1 - p) * x[k] * x[l];
			}
		}
		for (int k = 0; k < K; k++)
			h[k][k] += 1e-3 * n;
		/* Solve h d = g by Gaussian elimination (h is positive definite). */
		for (int c = 0; c < K; c++) {
			for (int r2 = c + 1; r2 < K; r2++) {
				double f = h[r2][c] / h[c][c];
				for (int l = c; l < K; l++)
					h[r2][l] -= f * h[c][l];
				g[r2] -= f * g[c];
			}
		}
		double d[K];
		for (int c = K - 1; c >= 0; c--) {
			double v = g[c];
			for (int l = c + 1; l < K; l++)
				v -= h[c][l] * d[l];
			d[c] = v / h[c][c];
		}
		double step = 0;
		for (int k = 0; k < K; k++)
			b[k] -= d[k], step += fabs(d[k]);
		if (step < 1e-9)
			break;
	}
	printf("calibration on %d questions (x = r1, r1-r2, q1, known, nb1, unseen, bm1-bm2, p1-p2, nb1-nb2, "
	       "sibling, plain, plain*r1, plain*(r1-r2)):\n", n);
	printf("  #define POLICY_CONF_BIAS (%.2f)\n  static const double POLICY_CONF_COEF[POLICY_CONF_FEATURES] = {", b[0]);
	for (int k = 1; k <= CAL_FEATURES; k++)
		printf("%.2f%s", b[k], k < CAL_FEATURES ? ", " : "};\n");
	/* Reliability: in each confidence band, how often the first topic was right. */
	int bins[10] = {0}, right[10] = {0};
	double *conf = malloc((size_t)n * sizeof *conf);
	if (!conf)
		return;
	for (int i = 0; i < n; i++) {
		double z = b[0];
		for (int k = 0; k < CAL_FEATURES; k++)
			z += b[k + 1] * s[i].x[k];
		conf[i] = 1 / (1 + exp(-z));
		int k = (int)(10 * conf[i]);
		if (k > 9)
			k = 9;
		bins[k]++;
		right[k] += s[i].y;
	}
	printf("  confidence band   questions   right\n");
	for (int k = 0; k < 10; k++)
		if (bins[k])
			printf("  %.1f–%.1f          %4d       %5.1f%%\n", k / 10.0, (k + 1) / 10.0, bins[k],
			       pct(right[k], bins[k]));
	/* What each threshold would do on the whole knowledge base and on the
	 * plain one, the file's questions and the held-out ones together. */
	int in[2] = {0}, out[2] = {0};
	for (int i = 0; i < n; i++) {
		int plain = s[i].part >= CAL_PLAIN_FILE;
		in[plain] += !s[i].out;
		out[plain] += s[i].out;
	}
	printf("  answer at    answered / wrongly (of in-scope), out of scope answered: whole   plain\n");
	for (double t = 0.80; t < 0.99; t += 0.01) {
		int ans[2] = {0}, wrong[2] = {0}, out_ans[2] = {0};
		for (int i = 0; i < n; i++) {
			int plain = s[i].part >= CAL_PLAIN_FILE;
			if (conf[i] < t || s[i].elsewhere)
				continue;
			if (s[i].out)
				out_ans[plain]++;
			else
				ans[plain]++, wrong[plain] += !s[i].y;
		}
		printf("  >= %.2f      %5.1f%% %4.1f%% %4.1f%%      %5.1f%% %4.1f%% %4.1f%%\n", t, pct(ans[0], in[0]),
		       pct(wrong[0], in[0]), pct(out_ans[0], out[0]), pct(ans[1], in[1]), pct(wrong[1], in[1]),
		       pct(out_ans[1], out[1]));
	}
	/* Below the offer threshold nothing is offered (no answer, no choice):
	 * the choice of POLICY_CLARIFY_MIN_CONFIDENCE. */
	printf("  offer at     settled right (of in-scope), out of scope handed off: whole   plain\n");
	for (double t = 0.30; t < 0.61; t += 0.05) {
		int settled[2] = {0}, out_kept[2] = {0};
		for (int i = 0; i < n; i++) {
			int plain = s[i].part >= CAL_PLAIN_FILE;
			if (s[i].out)
				out_kept[plain] += conf[i] < t || s[i].elsewhere;
			else
				settled[plain] += conf[i] >= t && s[i].y;
		}
		printf("  >= %.2f      %5.1f%% %5.1f%%      %5.1f%% %5.1f%%\n", t, pct(settled[0], in[0]),
		       pct(out_kept[0], out[0]), pct(settled[1], in[1]), pct(out_kept[1], out[1]));
	}
	free(conf);
}

/* "term_query=0.6,answer=0.2": other weights for one run, to measure a change
 * before it goes into chatbot/policy.h. */
static int parse_weights(const char *spec, struct kb_weights *w)
{
	static const struct {
		const char *name;
		size_t off;
		int integer;
	} FIELDS[] = {
		{"depth", offsetof(struct kb_weights, depth), 1},
		{"fts_answer", offsetof(struct kb_weights, fts_answer), 0},
		{"max_df_ratio", offsetof(struct kb_weights, max_df_ratio), 0},
		{"min_df_stop", offsetof(struct kb_weights, min_df_stop), 1},
		{"max_postings", offsetof(struct kb_weights, max_postings), 1},
		{"gram_max_df_ratio", offsetof(struct kb_weights, gram_max_df_ratio), 0},
		{"k1", offsetof(struct kb_weights, k1), 0},
		{"b", offsetof(struct kb_weights, b), 0},
		{"bm25_answer", offsetof(struct kb_weights, bm25_answer), 0},
		{"gram_weight", offsetof(struct kb_weights, gram_weight), 0},
		{"nb_mu", offsetof(struct kb_weights, nb_mu), 0},
		{"nb_mu_plain", offsetof(struct kb_weights, nb_mu_plain), 0},
		{"nb_answer", offsetof(struct kb_weights, nb_answer), 0},
		{"w_bm25", offsetof(struct kb_weights, w_bm25), 0},
		{"w_nb", offsetof(struct kb_weights, w_nb), 0},
		{"w_phrasing", offsetof(struct kb_weights, w_phrasing), 0},
		{"w_vocab", offsetof(struct kb_weights, w_vocab), 0},
		{"evidence_from", offsetof(struct kb_weights, evidence_from), 0},
		{"evidence_full", offsetof(struct kb_weights, evidence_full), 0},
		{"term_query", offsetof(struct kb_weights, term_query), 0},
		{"term_row", offsetof(struct kb_weights, term_row), 0},
		{"gram_share", offsetof(struct kb_weights, gram_share), 0},
		{"keyword", offsetof(struct kb_weights, keyword), 0},
		{"context", offsetof(struct kb_weights, context), 0},
		{"compound", offsetof(struct kb_weights, compound), 0},
		{"asking", offsetof(struct kb_weights, asking), 0},
		{"answer_df", offsetof(struct kb_weights, answer_df), 0},
		{"compound_cap", offsetof(struct kb_weights, compound_cap), 1},
		{"domain", offsetof(struct kb_weights, domain), 0},
		{"domain_grams", offsetof(struct kb_weights, domain_grams), 1},
		{"domain_ratio", offsetof(struct kb_weights, domain_ratio), 0},
		{"domain_whole", offsetof(struct kb_weights, domain_whole), 1},
		{"synonym", offsetof(struct kb_weights, synonym), 0},
		{"bridge", offsetof(struct kb_weights, bridge), 0},
		{"bridge_unknown", offsetof(struct kb_weights, bridge_unknown), 1},
		{"gloss_fanout", offsetof(struct kb_weights, gloss_fanout), 1},
		{"gloss_max", offsetof(struct kb_weights, gloss_max), 1},
		{"no_readings", offsetof(struct kb_weights, no_readings), 1},
	};
	while (*spec) {
		size_t n = strcspn(spec, "=");
		const char *v = spec + n;
		if (*v != '=')
			return -1;
		size_t k = 0;
		while (k < sizeof FIELDS / sizeof *FIELDS &&
		       (strlen(FIELDS[k].name) != n || strncmp(FIELDS[k].name, spec, n)))
			k++;
		if (k == sizeof FIELDS / sizeof *FIELDS)
			return -1;
		char *end;
		double value = strtod(v + 1, &end);
		if (FIELDS[k].integer)
			*(int *)((char *)w + FIELDS[k].off) = (int)value;
		else
			*(double *)((char *)w + FIELDS[k].off) = value;
		if (end == v + 1 || (*end && *end != ','))
			return -1;
		spec = *end ? end + 1 : end;
	}
	return 0;
}

/* One evaluation run: the tallies and what the options asked for. */
struct run {
	struct chatbot *bot;
	struct ask_opts o;
	int floor, misses, cal;
	enum cal_part part;  /* what the questions asked now are, in the fit */
	const char *lang;  /* --lang: only the questions the reply gives in it */
	int hiragana;      /* --hiragana-only: only the questions typed in hiragana alone */
	struct tally t, fl;
	struct sample *samples;
	int nsamples, cap;
	int entry_in, entry_top1;  /* leave-one-out: the very entry first, not only its topic */
	int bad;
	const struct kb_weights *w;
};

/* Asks q and counts the outcome against expected; want_entry (may be NULL)
 * is the id of the one entry that is right. */
static int run_one(struct run *r, const char *q, const char *expected, const char *want_entry,
		   char *err)
{
	json_t *res = NULL;
	if (r->hiragana && !nlp_is_hiragana_only(q, strlen(q)))
		return 0;
	if (chatbot_ask(r->bot, q, strlen(q), &r->o, &res, err) != MG_OK)
		return -1;
	if (r->lang && strcmp(jstr(res, "lang"), r->lang)) {
		json_decref(res);
		return 0;
	}
	count(&r->t, q, expected, res, r->misses);
	if (want_entry) {
		json_t *first = json_array_get(json_object_get(res, "candidates"), 0);
		r->entry_in++;
		r->entry_top1 += !strcmp(jstr(first, "id"), want_entry);
	}
	json_decref(res);
	if (r->floor)
		floor_tally(r->bot, q, expected, &r->fl);
	/* Leave-entry-out is reported, not fitted: its questions look like
	 * in-scope ones to every feature the confidence has (measured: it
	 * moved the fit towards answering 54% instead of 67% at 0.90 without
	 * handing off more of them). */
	if (r->cal && strcmp(expected, "!")) {
		if (r->nsamples == r->cap) {
			int cap = r->cap ? r->cap * 2 : 256;
			struct sample *smp = realloc(r->samples, (size_t)cap * sizeof *smp);
			if (!smp)
				return 0;
			r->samples = smp;
			r->cap = cap;
		}
		r->samples[r->nsamples].part = r->part;
		r->nsamples += features(r->bot, r->w, q, expected, &r->samples[r->nsamples],
					r->o.exclude);
	}
	return 0;
}

static int run_file(struct run *r, const char *file)
{
	FILE *f = fopen(file, "r");
	if (!f) {
		perror(file);
		return -1;
	}
	char *line = NULL;
	size_t lcap = 0;
	ssize_t len;
	int lineno = 0;
	while ((len = getline(&line, &lcap, f)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (!len || line[0] == '#')
			continue;
		char *tab = strrchr(line, '\t');
		if (!tab) {
			fprintf(stderr, "%s:%d: no tab between question and expected\n", file, lineno);
			r->bad++;
			continue;
		}
		*tab = 0;
		char err[MG_ERR_LEN];
		if (run_one(r, line, tab + 1, NULL, err)) {
			fprintf(stderr, "%s:%d: %s\n", file, lineno, err);
			r->bad++;
		}
	}
	free(line);
	fclose(f);
	return 0;
}

/* Leave-one-out: each alternate question, asked of the knowledge base
 * without it. */
/* Leave-entry-out: each phrasing of another office's entry asked of the
 * knowledge base without that entry, as a question about an office the
 * town's FAQ does not know: no entry is right, only a hand-off. */
static int leave_entry_out_one(void *ctx, const struct kb_phrasing_item *it)
{
	struct run *r = ctx;
	if (strcmp(it->route, KB_ROUTE_ELSEWHERE) || it->kind_keyword)
		return 0;
	struct kb_exclude ex = {it->entry, -1, NULL, 0};
	char err[MG_ERR_LEN];
	r->o.exclude = &ex;
	if (run_one(r, it->text, "!", NULL, err))
		r->bad++;
	r->o.exclude = NULL;
	return 0;
}

static int loo_one(void *ctx, const struct kb_phrasing_item *it)
{
	struct run *r = ctx;
	if (!it->alternate)
		return 0;
	struct kb_exclude ex = {it->entry, it->phrasing, it->text, it->len};
	char err[MG_ERR_LEN];
	r->o.exclude = &ex;
	/* Another office's entry is never an answer: its phrasings are
	 * questions the FAQ must hand off. */
	int elsewhere = !strcmp(it->route, KB_ROUTE_ELSEWHERE);
	if (run_one(r, it->text, elsewhere ? "-" : it->slug[0] ? it->slug : it->id, elsewhere ? NULL : it->id,
		    err))
		r->bad++;  /* an alternate too long or empty to be a question */
	r->o.exclude = NULL;
	return 0;
}

/* With --plain, leave-one-out asks every alternate question of the
 * knowledge base of the plain one, which never had them: thousands of
 * questions a town's FAQ as imported has not seen, where dev.tsv has a few
 * hundred. Kept before the alternates are stripped, each as three
 * NUL-terminated strings: the text, what is right, the entry's id ("" for
 * another office's entry, which no answer is). */
#define EVAL_UNSEEN_MAX ((size_t)64 << 20)

static int keep_alternate(void *ctx, const struct kb_phrasing_item *it)
{
	struct mg_buf *b = ctx;
	if (!it->alternate)
		return MG_OK;
	int elsewhere = !strcmp(it->route, KB_ROUTE_ELSEWHERE);
	const char *expected = elsewhere ? "-" : it->slug[0] ? it->slug : it->id;
	const char *id = elsewhere ? "" : it->id;
	int rc = mg_buf_add(b, it->text, it->len + 1);
	if (rc == MG_OK)
		rc = mg_buf_add(b, expected, strlen(expected) + 1);
	if (rc == MG_OK)
		rc = mg_buf_add(b, id, strlen(id) + 1);
	return rc;
}

static void run_unseen(struct run *r, const struct mg_buf *b)
{
	char err[MG_ERR_LEN];
	for (const char *p = b->p; p && p < b->p + b->len;) {
		const char *text = p;
		const char *expected = text + strlen(text) + 1;
		const char *id = expected + strlen(expected) + 1;
		p = id + strlen(id) + 1;
		if (run_one(r, text, expected, *id ? id : NULL, err))
			r->bad++;  /* an alternate too long or empty to be a question */
	}
}

/* The alternates kept before they were stripped, asked of the plain
 * knowledge base (plain 2: without English either), and their tally. */
static void run_plain_unseen(struct run *r, const struct mg_buf *unseen, int plain)
{
	run_unseen(r, unseen);
	print_tally(plain > 1 ? "the alternate questions asked of the knowledge base without them (Japanese only)"
			      : "the alternate questions asked of the knowledge base without them (plain)", &r->t);
	printf("  right entry first         %5.1f%%   (the very entry, not only its topic)\n",
	       pct(r->entry_top1, r->entry_in));
	r->t = (struct tally){0};
}

/* Several files are one set: their questions counted together, the tally
 * named by prefix and the files. */
static int run_files(struct run *r, const char **files, int nfiles, const char *prefix)
{
	int rc = 0;
	for (int i = 0; i < nfiles; i++)
		if (run_file(r, files[i]))
			rc = 1;
	if (!nfiles)
		return rc;
	char name[512];
	size_t at = (size_t)snprintf(name, sizeof name, "%s", prefix);
	for (int i = 0; i < nfiles && at < sizeof name; i++)
		at += (size_t)snprintf(name + at, sizeof name - at, "%s%s", i ? " + " : "", files[i]);
	if (r->lang && at < sizeof name)
		at += (size_t)snprintf(name + at, sizeof name - at, " (the questions answered in %s)",
				       !strcmp(r->lang, "en") ? "English" : "Japanese");
	if (r->hiragana && at < sizeof name)
		snprintf(name + at, sizeof name - at, " (the questions in hiragana alone)");
	print_tally(name, &r->t);
	r->t = (struct tally){0};
	return rc;
}

int chatbot_cli_eval(const struct cli_ctx *ctx, int argc, char **argv)
{
	int loo = 0, plain = 0;
	struct kb_weights weights = POLICY_WEIGHTS;
	struct run r = {.o = {.top = EVAL_TOP, .no_log = 1, .weights = &weights}, .w = &weights};
	const char **files = calloc((size_t)argc, sizeof *files);
	int nfiles = 0;
	if (!files) {
		fprintf(stderr, "eval: out of memory\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--floor"))
			r.floor = 1;
		else if (!strcmp(argv[i], "--misses"))
			r.misses = 1;
		else if (!strcmp(argv[i], "--calibrate"))
			r.cal = 1;
		else if (!strcmp(argv[i], "--loo"))
			loo = 1;
		else if (!strcmp(argv[i], "--plain"))
			plain = plain ? plain : 1;
		else if (!strcmp(argv[i], "--japanese-only"))
			plain = 2;  /* plain, and no English question or answer either */
		else if (!strcmp(argv[i], "--answer-at") && i + 1 < argc)
			r.o.answer_at = atof(argv[++i]);
		else if (!strcmp(argv[i], "--offer-at") && i + 1 < argc)
			r.o.offer_at = atof(argv[++i]);
		else if (!strcmp(argv[i], "--lang") && i + 1 < argc &&
			 (!strcmp(argv[i + 1], "en") || !strcmp(argv[i + 1], "ja")))
			r.lang = argv[++i];
		else if (!strcmp(argv[i], "--hiragana-only"))
			r.hiragana = 1;
		else if (!strcmp(argv[i], "--weights") && i + 1 < argc) {
			if (parse_weights(argv[++i], &weights)) {
				fprintf(stderr, "eval: --weights takes name=value,... (names as in struct kb_weights)\n");
				free(files);
				return 2;
			}
		}
		else if (argv[i][0] != '-')
			files[nfiles++] = argv[i];
		else
			nfiles = 0, loo = 0, i = argc;
	}
	if (!nfiles && !loo) {
		fprintf(stderr, "usage: madoguchi eval [--floor] [--misses] [--calibrate] [--plain|--japanese-only] [--weights N=V,...]\n"
				"                      [--answer-at C] [--offer-at C] [--lang en|ja] [--hiragana-only] FILE.tsv...\n"
				"       madoguchi eval [--misses] [--calibrate] [--plain|--japanese-only] --loo\n");
		free(files);
		return 2;
	}
	struct cli_env env;
	if (chatbot_cli_open(ctx, &env) != MG_OK) {
		free(files);
		return 1;
	}
	r.bot = env.bot;
	char err[MG_ERR_LEN];
	int rc = 0;
	if (chatbot_warm(env.bot, err) != MG_OK) {
		fprintf(stderr, "eval: %s\n", err);
		chatbot_cli_close(&env);
		return 1;
	}
	/* --calibrate --loo fits the whole knowledge base and the plain one
	 * together: after the whole one's questions, the same file and the
	 * alternates are asked of it without alternates, as --plain --loo does. */
	int both = r.cal && loo && !plain;
	struct mg_buf unseen = MG_BUF_INIT(EVAL_UNSEEN_MAX);
	err[0] = 0;  /* kb_each_phrasing says nothing when keep_alternate stops it */
	if ((plain || both) && loo && kb_each_phrasing(chatbot_kb(env.bot), keep_alternate, &unseen, err) != MG_OK) {
		fprintf(stderr, "eval: %s\n", err[0] ? err : "the alternate questions do not fit in memory");
		mg_buf_free(&unseen);
		chatbot_cli_close(&env);
		free(files);
		return 1;
	}
	/* The knowledge base as a town's own FAQ would be imported: no
	 * alternate questions, no keywords. Undone when the run ends. */
	if (plain && kb_without_alternates(chatbot_kb(env.bot), plain > 1, err) != MG_OK) {
		fprintf(stderr, "eval: %s\n", err);
		mg_buf_free(&unseen);
		chatbot_cli_close(&env);
		free(files);
		return 1;
	}
	if (loo && plain) {
		r.part = CAL_PLAIN_HELD;
		run_plain_unseen(&r, &unseen, plain);
	} else if (loo) {
		r.part = CAL_HELD;
		if (kb_each_phrasing(chatbot_kb(env.bot), loo_one, &r, err) != MG_OK) {
			fprintf(stderr, "eval: %s\n", err);
			rc = 1;
		}
		print_tally("leave-one-out over the alternate questions", &r.t);
		printf("  right entry first         %5.1f%%   (the very entry, not only its topic)\n",
		       pct(r.entry_top1, r.entry_in));
		r.t = (struct tally){0};
		if (kb_each_phrasing(chatbot_kb(env.bot), leave_entry_out_one, &r, err) != MG_OK) {
			fprintf(stderr, "eval: %s\n", err);
			rc = 1;
		}
		print_tally("leave-entry-out: another office's phrasings without its entry", &r.t);
		r.t = (struct tally){0};
	}
	r.part = plain ? CAL_PLAIN_FILE : CAL_FILE;
	if (run_files(&r, files, nfiles, ""))
		rc = 1;
	if (plain)
		kb_without_alternates_end(chatbot_kb(env.bot));
	if (both) {
		if (kb_without_alternates(chatbot_kb(env.bot), 0, err) != MG_OK) {
			fprintf(stderr, "eval: %s\n", err);
			rc = 1;
		} else {
			r.part = CAL_PLAIN_HELD;
			r.entry_in = r.entry_top1 = 0;
			run_plain_unseen(&r, &unseen, 1);
			r.part = CAL_PLAIN_FILE;
			if (run_files(&r, files, nfiles, "plain: "))
				rc = 1;
			kb_without_alternates_end(chatbot_kb(env.bot));
		}
	}
	if (r.floor) {
		printf("floor (MeCab lemmas + untuned FTS5 BM25, OR of terms), same questions:\n");
		printf("  top-1 accuracy            %5.1f%%\n", pct(r.fl.top1, r.fl.in));
		printf("  top-3 accuracy            %5.1f%%\n", pct(r.fl.top3, r.fl.in));
		printf("  MRR@10                    %5.3f\n", r.fl.in ? r.fl.mrr / r.fl.in : 0);
	}
	if (r.cal)
		calibrate(r.samples, r.nsamples);
	mg_buf_free(&unseen);
	free(r.samples);
	free(files);
	chatbot_cli_close(&env);
	return rc || (r.bad && !loo) ? 1 : 0;
}
