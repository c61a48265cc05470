/* What the event log's two files share: the row every event becomes and the
 * statements that write it, used by events.c (on the caller's connection) and
 * by the writer thread of events_writer.c (on its own connection). */
#ifndef EVENTS_INT_H
#define EVENTS_INT_H

#include <sqlite3.h>
#include <time.h>

struct events_writer;

/* One row of ev_events (and the upsert of its conversation); NULL fields are
 * stored as NULL. Strings are borrowed. A row without a conversation but
 * with a booking belongs to the conversation that completed that booking,
 * and is not written when no conversation did. */
struct events_row {
	const char *conversation, *type, *lang, *question, *decision, *entry_id, *slug, *route,
		*channel, *candidates;
	const char *topic;  /* the entry's category, read by the caller: entries change */
	double confidence;  /* NAN: none */
	int helpful;        /* -1: none */
	time_t now;
	char day[11];       /* now's date and hour in the town's zone, taken by the */
	int hour;           /* caller: the writer thread knows no town */
	long long booking;  /* 0: none; with a conversation, links the booking to it */
};

/* The statements of a row, prepared once per connection. */
struct events_stmts {
	sqlite3_stmt *conv, *ev, *link;
};

/* Prepares them, creating the ev_ tables first if this database has none. */
int events_stmts_prepare(sqlite3 *db, struct events_stmts *s, char *err);
void events_stmts_finalize(struct events_stmts *s);
/* Writes r with s inside the caller's transaction; on failure the caller
 * rolls back (the conversation may be written without its event). */
int events_row_write(sqlite3 *db, struct events_stmts *s, const struct events_row *r, char *err);

/* Hands r to the writer thread (copied, so r may go at once). MG_OK, or
 * MG_ERR_FULL when the queue was full and the event was dropped (and counted). */
int events_writer_push(struct events_writer *w, const struct events_row *r, char *err);

#endif
