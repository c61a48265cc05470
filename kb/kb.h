/* The knowledge base: the SQLite schema of entries and synonyms, the FTS5
 * tokenizer backed by nlp/, import and export of the staff's CSV, and search
 * returning ranked candidates with the features a decision needs. It never
 * decides what a resident is told. */
#ifndef KB_H
#define KB_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

#include "nlp/db.h"
#include "nlp/nlp.h"

struct kb;

/* Opens or creates the database at path (WAL, busy timeout), its kb_ tables
 * brought up to kb_schema (nlp/db.h: a file from a newer program is
 * refused). Borrows model, which must outlive the kb. One kb per thread.
 * When another connection of the process holds a model of the file, the kb
 * starts with the newest of them, without loading or waiting for one, even
 * when the entries are newer (kb_fresh 0): its first search then meets the
 * new generation as kb_set_loader says, so that a loader set right after
 * the open takes that load. */
extern const struct mg_db_schema kb_schema;
int kb_open(struct kb **out, const char *path, struct nlp_model *model, char *err);
void kb_close(struct kb *kb);
/* A private copy of src's knowledge base in memory (its entries and
 * synonyms, indexed as an import indexes them; none of the file's other
 * tables), to try a change on before it is published: src is only read, in
 * one read transaction, and no other connection ever sees the copy (its
 * model is its own). A kb like any other, for this thread; kb_close frees
 * it. On failure *out is NULL. */
int kb_open_copy(struct kb *src, struct nlp_model *model, struct kb **out, char *err);
sqlite3 *kb_db(struct kb *kb);
/* One read transaction around several reads: one snapshot, and one lock
 * instead of one per statement. kb_read_begin returns whether it began one
 * (not when a transaction is already open); pass that to kb_read_end. */
int kb_read_begin(struct kb *kb);
void kb_read_end(struct kb *kb, int began);
/* One write transaction around several changes (an entry and the staff's
 * audit record of it): BEGIN IMMEDIATE, or a savepoint inside a transaction
 * already open, so kb's own writes nest in the caller's. kb_write_end
 * commits (releases) when rc is MG_OK, else rolls back, and returns the
 * final rc. Every kb_write_begin that succeeded needs one kb_write_end. */
int kb_write_begin(struct kb *kb, char *err);
int kb_write_end(struct kb *kb, int rc, char *err);
/* The synonym list the searches of this kb use: its model's, read once per
 * generation with the model by whoever loads it (kb_set_loader), or, inside
 * a write that changed it, the write's own; loaded (kb_sync) if need be.
 * Valid until this kb's next search or change. NULL if it cannot load. */
const struct nlp_synonyms *kb_synonyms(struct kb *kb);
/* This kb's analyser (one per thread, as the kb), for other analyses of the
 * same thread's text (furigana); valid until kb_close. */
struct nlp_analyser *kb_analyser(struct kb *kb);
/* The knowledge base's generation as this connection last read it (-1
 * before): a new one with every edit, import and restore, so what is worked
 * out from the entries' texts (their furigana) can be kept per generation.
 * It is the generation of the model searches rank with; while kb_fresh says
 * 0 the entries on disk are newer (kb_set_loader). */
int64_t kb_generation(const struct kb *kb);
/* 1 when the last search ranked with the generation the entries on disk
 * have; 0 while a newer one's model was still being loaded elsewhere: what
 * is kept from such an answer (a cache of decisions) must not outlive it. */
int kb_fresh(const struct kb *kb);
/* Who loads the model of a new generation (the in-memory index, 0.9-1.4 s
 * for 2,600 entries) when this connection meets one. By default (fn NULL)
 * the connection itself, at once, in the search that met it: the command
 * line and staff work do. With fn, a search that meets a newer generation
 * whose model no connection of the process has loaded yet goes on ranking
 * with the model it has, calls fn(ctx) once for that generation (and again
 * every KB_LOADER_AGAIN_S seconds while the load has not come), and takes
 * the new model at the first search after another connection of the process
 * has loaded it (kb_synonyms or chatbot_warm there): the server's workers
 * hand the load to its staff-work pool this way, so that no resident waits
 * for it. Meanwhile every entry a search hands on is the entry as it is on
 * disk now (its text, status, dates): one deleted or unpublished since is
 * never handed on, one re-imported under another row is found by its id,
 * and entries added since are not found until the new model is in. A
 * connection inside a write, or opened when the process held no model of
 * the file, loads at once. */
void kb_set_loader(struct kb *kb, void (*fn)(void *ctx), void *ctx);
/* Reads the knowledge base's generation now, as a search does first (and
 * loads its model when it changed), into *generation: what is kept from
 * the searches of one generation (chatbot/cache.c) is checked against it;
 * -1 while the model searches rank with is older than the entries on disk
 * (kb_fresh 0): nothing ranked then may be kept. */
int kb_refresh(struct kb *kb, int64_t *generation, char *err);
/* Number of entries (published or not). */
int kb_count(struct kb *kb, int64_t *n, char *err);

/* ---- import and export -------------------------------------------------- */

/* Called for each bad row of an import, with the file's line number. */
typedef void (*kb_report_fn)(void *ctx, int line, const char *message);
/* Called for each {{key}} in an entry; returns 1 if the town defines key. */
typedef int (*kb_placeholder_fn)(void *ctx, const char *key, size_t len);

struct kb_import_opts {
	int append;                   /* 0: the file replaces the whole knowledge base */
	int keep_replaced;            /* a replacing import keeps the knowledge base it replaces,
				       * and the last keep_replaced such (0: none) */
	kb_report_fn report;          /* may be NULL */
	kb_placeholder_fn placeholder;/* may be NULL: every key is accepted */
	void *ctx;                    /* passed to report */
	void *facts;                  /* passed to placeholder (the town, for town_has_fact) */
	char *bad_key;                /* KB_ID_LEN bytes, or NULL: the unknown {{key}} when the
				       * first refusal (the one err says) is one, else "" */
};

/* Imports entries from a CSV or TSV file's bytes (UTF-8, UTF-8 with BOM, or
 * CP932), named name in messages. All or nothing: on any bad row nothing is
 * changed, every bad row is reported and err says how many. *imported gets
 * the number of entries written. */
int kb_import(struct kb *kb, const char *data, size_t len, const char *name,
	      const struct kb_import_opts *opts, int *imported, char *err);
/* The knowledge bases full imports replaced (keep_replaced), newest first:
 * fn gets each one's id, when it was replaced and its number of entries. */
typedef int (*kb_replaced_fn)(void *ctx, int64_t id, int64_t at, int entries);
int kb_replaced_list(struct kb *kb, kb_replaced_fn fn, void *ctx, char *err);
/* Puts the replaced knowledge base id back: a full import of its export with
 * opts (its append is ignored), so what it replaces is kept in its turn.
 * MG_ERR_NOT_FOUND for no such id. */
int kb_replaced_restore(struct kb *kb, int64_t id, const struct kb_import_opts *opts, int *imported,
			char *err);
/* Replaces the synonym list with a synonyms.tsv file's bytes and re-indexes. */
int kb_import_synonyms(struct kb *kb, const char *data, size_t len, const char *name,
		       int *groups, char *err);
/* Writes every entry as CSV (UTF-8 with BOM, CRLF, every column) that
 * kb_import reads back unchanged. */
int kb_export(struct kb *kb, FILE *out, char *err);

/* ---- search --------------------------------------------------------------- */

/* How entries are ranked; the values are the caller's product decisions
 * (see chatbot/policy.h). An entry is one index row: its phrasings (the
 * question, the alternate questions, the English question, the keywords)
 * and its answers. The first stage is one FTS5 query ranked by bm25; the
 * second scores only its candidates, in memory, on every phrasing at once. */
struct kb_weights {
	int depth;            /* first stage: candidates handed to the second stage */
	double fts_answer;    /* first stage: bm25 weight of the answers next to the phrasings (1) */
	double max_df_ratio;  /* words in more than this share of entries are left out of the
			       * first stage's query... */
	int min_df_stop;      /* ...if they are also in more than this many entries */
	double gram_max_df_ratio;  /* bigrams in more than this share of entries are left out too */
	int max_postings;     /* and any term in more entries than this: the first stage's cost
			       * then stays bounded however large the knowledge base grows */
	double k1, b;         /* BM25F: saturation, and length normalisation of the phrasings */
	double bm25_answer;   /* BM25F: an answer's occurrence next to a phrasing's */
	double gram_weight;   /* the share of reading bigrams in BM25F and the topic model (0..1);
			       * words have the rest */
	double nb_mu;         /* the topic model's Dirichlet prior (in tokens) */
	double nb_mu_plain;   /* ...on a FAQ as imported (one question an entry), moving to nb_mu
			       * as the order moves to the sum (evidence_from); 0: nb_mu always */
	double nb_answer;     /* the topic model: an answer's token next to a phrasing's */
	double w_bm25, w_nb, w_phrasing, w_vocab;  /* the second stage's sum of features */
	double evidence_from; /* the candidates' order: BM25F alone while the knowledge base has
			       * this many phrasings an entry or fewer, the sum from evidence_full,
			       * the closest phrasing and the topic model weighed in between
			       * (0, 0: the sum always) */
	double evidence_full;
	double term_query;    /* closest phrasing: share of the question's words it holds... */
	double term_row;      /* ...and share of its own words the question holds */
	double gram_share;    /* closest phrasing: reading bigrams next to words (0..1) */
	double keyword;       /* a keyword counts this share of a phrasing */
	double context;       /* words of a long question's other sentences count this share */
	double compound;      /* a compound of the question (コロナ+ワクチン) next to its parts */
	double asking;        /* a question word (いくら, 何歳) next to another word */
	double answer_df;     /* a term's entry frequency counts its answers' at this share (idf) */
	int compound_cap;     /* a compound's idf at most its most telling part's */
	double domain;        /* a word of the domain (コロナ, ワクチン: said by most entries'
			       * answers, few phrasings) weighs its ratio (idf over every field /
			       * idf over the phrasings, over the knowledge base's usual ratio)
			       * to this power in every second-stage signal; 0: off */
	double domain_ratio;  /* a word whose ratio is under this is the domain's */
	int domain_grams;     /* reading bigrams too, each by its own ratio */
	int domain_whole;     /* a perfect match counts the domain's words at their idf over
			       * every field, so that a match of them alone is a partial one */
	double synonym;       /* a word sharing an English gloss with the question's (JMdict) */
	double bridge;        /* a Japanese word an English question's words gloss (JMdict) */
	int bridge_unknown;   /* only from English words the knowledge base never uses */
	int gloss_fanout;     /* glosses said of more headwords than this name nothing */
	int gloss_max;        /* at most this many such words per word of the question */
	int no_readings;      /* measure: the question's kana readings and bigrams left out */
	int bm25_only;        /* the floor: the first stage alone, lemmas only, untuned bm25 */
	int first_only;       /* the first stage alone, as the engine asks it (benchmarks) */
	int fts_rank;         /* measure: the first stage ranked by FTS5's own bm25 function, which
			       * the engine's in-memory bm25 reproduces (benchmarks, tests) */
};

#define KB_ID_LEN 64

/* The route of an entry that answers for another town office (粗大ごみ,
 * 住民票, ...): the resident is pointed there instead of being answered. */
#define KB_ROUTE_ELSEWHERE "elsewhere"

struct kb_candidate {
	int64_t entry;            /* rowid in entries */
	char id[KB_ID_LEN];       /* external id */
	char slug[KB_ID_LEN];
	char route[16];
	double score;             /* the second stage's sum */
	double rank;              /* what the candidates are ordered by (kb_weights.evidence_from),
				   * which the confidence reads */
	double bm25f;             /* BM25F over phrasings and answers, 0..1 of what the question allows */
	double nb;                /* the topic model's probability among the candidates */
	double phrasing;          /* the closest phrasing's score */
	double term_query;        /* the share of the question's words the closest phrasing holds */
	double vocabulary;        /* the share of the question's words anywhere in the phrasings */
};

struct kb_query_stats {
	int words;         /* content words in the question */
	int known_words;   /* of those, words that occur in the knowledge base */
	int domain_words;  /* of those, words of the domain (kb_weights.domain): コロナワクチン
			    * alone names no topic */
	int grams;         /* reading bigrams in the question */
	double unseen;     /* the share of the question's words (idf-weighted) the knowledge base
			    * never uses: high for a question about something else */
	double evidence;   /* how far the closest phrasing and the topic model ordered the
			    * candidates (kb_weights.evidence_from): 0 on a FAQ as imported, 1 on one
			    * with many phrasings an entry */
	int first_stage;   /* candidates the first stage returned */
	int fts_postings;  /* entries in the posting lists of the phrases of its FTS5 query
			    * (what FTS5 reads), by the model */
};

/* A phrasing left out of the model for one search: leave-one-out asks each
 * alternate question of the knowledge base as if its entry never had it. */
struct kb_exclude {
	int64_t entry;            /* rowid */
	int phrasing;             /* its number, as kb_each_phrasing gives it; -1: the whole
				   * entry, as if the knowledge base never had it */
	const char *text;
	size_t len;
};

struct kb_search_opts {
	const struct kb_weights *w;
	const char *today;        /* YYYY-MM-DD: entries valid on this day */
	const struct kb_exclude *exclude;  /* NULL: none */
};

/* The first published, currently valid entry of a topic (lowest id) into
 * *out, with score 1; *found is 1, or 0 when the topic has none. */
int kb_topic_first(struct kb *kb, const char *slug, const char *today, struct kb_candidate *out,
		   int *found, char *err);

/* The first max published entries valid on today, in the knowledge base's
 * own order (the order of the staff's file), into out[0..*n). */
int kb_first_entries(struct kb *kb, const char *today, struct kb_candidate *out, int max, int *n,
		     char *err);

/* Reads the dictionary the weights w use (JMdict/EDICT: w->bridge or
 * w->synonym above 0) and builds the current model's side of it, so that no
 * question pays for it: the server calls it before it listens, the
 * commands that ask before their first question. Without the dictionary
 * file the engine works without it (MG_OK). */
int kb_gloss_preload(struct kb *kb, const struct kb_weights *w, char *err);

/* Finds up to max published entries valid on o->today for the question,
 * best first, into out[0..*n). A question without any searchable term
 * gives *n = 0. */
int kb_search(struct kb *kb, const char *question, size_t len, const struct kb_search_opts *o,
	      struct kb_candidate *out, int max, int *n, struct kb_query_stats *stats, char *err);

/* Plain mode: empties every entry's alternate questions and keywords (and
 * with japanese_only its English question and answer too) and re-indexes,
 * inside a transaction that kb_without_alternates_end rolls back: the
 * knowledge base as a town's own FAQ would be imported. */
int kb_without_alternates(struct kb *kb, int japanese_only, char *err);
void kb_without_alternates_end(struct kb *kb);

/* One phrasing of a published entry, for leave-one-out. */
struct kb_phrasing_item {
	int64_t entry;
	const char *id, *slug, *route;
	int phrasing;
	int alternate;            /* an alternate question (not the entry's own question or a keyword) */
	int kind_keyword;         /* a keyword, not a question */
	const char *text;         /* NUL-terminated */
	size_t len;
};
typedef int (*kb_each_fn)(void *ctx, const struct kb_phrasing_item *item);
/* Calls fn for every phrasing of every published entry; stops at fn's
 * non-zero return. */
int kb_each_phrasing(struct kb *kb, kb_each_fn fn, void *ctx, char *err);

/* One entry's fields as NUL-terminated strings owned by the entry. */
struct kb_entry {
	char *id, *slug, *category, *route, *status, *question, *answer, *question_en,
	     *answer_en, *answer_easy, *alt_questions, *keywords, *valid_from, *valid_to, *url, *source, *updated_at;
};
/* Loads the entry with rowid (entry > 0) or external id; MG_ERR_NOT_FOUND if none. */
int kb_entry_get(struct kb *kb, int64_t entry, const char *id, struct kb_entry *out, char *err);
void kb_entry_clear(struct kb_entry *e);
/* Creates the entry (e->id empty: the next free number) or replaces the one
 * with its id, every field at once, and re-indexes; searches see it at once.
 * NULL fields are empty; an empty status is "published". The fields pass
 * the check an import's rows pass, with check's placeholder callback (check
 * may be NULL: every {{key}} accepted). id_out (may be NULL) gets the id.
 * Bad fields: MG_ERR_INPUT, err says the first, and nothing is written.
 * Inside a kb_write_begin, part of the caller's transaction. */
int kb_entry_put(struct kb *kb, const struct kb_entry *e, const struct kb_import_opts *check,
		 char id_out[KB_ID_LEN], char *err);
/* The narrow writes of an entry, neither of which touches its question or
 * answer, so the text is not checked again (an entry whose {{key}} the town
 * has since dropped can still be unpublished, and its alternates taken
 * back): the status ("published" | "draft"), or the whole |-separated list
 * of alternate questions. MG_ERR_NOT_FOUND for an unknown id, MG_ERR_INPUT
 * for a bad value. Inside a kb_write_begin, part of the caller's transaction. */
int kb_entry_set_status(struct kb *kb, const char *id, const char *status, char *err);
int kb_entry_set_alternates(struct kb *kb, const char *id, const char *alternates, char *err);
/* The list of alternate questions alts (as the alt_questions column holds
 * it: separated by '|' or line breaks) with question added at its end
 * (add) or taken out wherever it is: a new '|'-separated string (caller
 * frees), NULL without memory. *changed is 0 when question was there
 * already (add) or was not (remove), or is empty: the list is then the same. */
char *kb_alternates_edit(const char *alts, const char *question, int add, int *changed);
/* Deletes the entry with external id and re-indexes; MG_ERR_NOT_FOUND if
 * none. Inside a kb_write_begin, part of the caller's transaction. */
int kb_entry_delete(struct kb *kb, const char *id, char *err);
/* The topics the knowledge base holds: each slug once, with the category
 * and question of its first published entry (its first, when none is
 * published), by category and slug. Stops at fn's
 * non-zero return. */
typedef int (*kb_topic_fn)(void *ctx, const char *slug, const char *category, const char *question);
int kb_each_topic(struct kb *kb, kb_topic_fn fn, void *ctx, char *err);
/* The entries whose id is text, or whose slug or questions (Japanese,
 * alternate, English) hold it, drafts included, in id order (every entry
 * when text is empty): each to fn with its id, slug, question and status,
 * until fn returns non-zero or max were given. */
typedef int (*kb_found_fn)(void *ctx, const char *id, const char *slug, const char *question, const char *status);
int kb_entries_find(struct kb *kb, const char *text, int max, kb_found_fn fn, void *ctx, char *err);
/* Whether the entry may be shown to residents on date today. */
int kb_entry_live(const struct kb_entry *e, const char *today);

/* ---- the sample knowledge base built into the binary ----------------------- */
extern const char kb_sample_faq[], kb_sample_synonyms[], kb_sample_town[];
extern const unsigned kb_sample_faq_len, kb_sample_synonyms_len, kb_sample_town_len;

#endif
