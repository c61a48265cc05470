/* Shared fixtures: one MeCab model for the whole test run. */
#ifndef FIXTURE_H
#define FIXTURE_H

#include "nlp/nlp.h"

struct nlp_model *fixture_model(void);
/* The terms of text, space-separated, in a static buffer. */
const char *fixture_terms(const char *text, const struct nlp_synonyms *syn);


#include "chatbot/chatbot.h"
#include "kb/kb.h"

/* A chatbot on a new database in the test directory, holding the small test
 * knowledge base tests/unit/data/mini.csv and its synonyms; the town is
 * tests/unit/data/town.json. Close with fixture_bot_close(). */
struct chatbot *fixture_bot(const char *name);
/* A new database named name in the test directory, filled with the sample
 * knowledge base of the binary, for the sample town (built in). Close with
 * fixture_sample_bot_close(), which puts the test town's zone back. */
struct chatbot *fixture_sample_bot(const char *name);
void fixture_sample_bot_close(struct chatbot *bot);
void fixture_bot_close(struct chatbot *bot);
const struct town *fixture_town(void);
/* A local time, and today's date, in the test town's zone (Asia/Tokyo),
 * whatever the process's zone is (the runner sets one far from it). */
time_t fixture_local(int y, int mo, int d, int h, int mi);
void fixture_today(char out[11]);
/* A path in the test directory. */
const char *fixture_path(const char *name);
/* The knowledge base's export (kb_export) written to the file name in the
 * test directory and read back, NUL-terminated (caller frees); NULL if it fails. */
char *fixture_export(struct chatbot *bot, const char *name, size_t *len);
/* Reads a file of the source tree, NUL-terminated (caller frees). */
char *fixture_read(const char *path, size_t *len);
/* Asks and returns the decision and first candidate's slug as "decision slug". */
const char *fixture_ask(struct chatbot *bot, const char *question);
/* The first column of the first row of sql, an integer; -1 when it fails. */
int fixture_count(sqlite3 *db, const char *sql);

#endif
