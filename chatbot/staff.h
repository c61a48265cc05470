/* Staff accounts for the console: roles and what each may do, Argon2id
 * password hashes, login with a back-off, sessions whose tokens are stored
 * hashed, a CSRF token per session, and the audit log of every change.
 * Tables staff_* in the knowledge base's SQLite file. Knows nothing about
 * HTTP: the web layer carries the token in a cookie and the CSRF token in a
 * header, and maps the codes (MG_ERR_AUTH: not logged in, MG_ERR_DENIED: not
 * allowed, MG_ERR_BUSY) to its status codes. */
#ifndef STAFF_H
#define STAFF_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "kb/kb.h"
#include "nlp/db.h"
#include "nlp/mg.h"
#include "nlp/zone.h"

enum staff_role {
	STAFF_ADMIN,        /* everything, including accounts */
	STAFF_EDITOR,       /* the knowledge base and the review queue */
	STAFF_CALL_CENTER,  /* figures and the forecast */
	STAFF_RECEPTION,    /* venue reception screens */
	STAFF_NROLES
};

enum staff_right {
	STAFF_VIEW_REPORTS,
	STAFF_EDIT_KB,
	STAFF_MANAGE_USERS,
	STAFF_VIEW_FORECAST,
	STAFF_RECEPTION_OPS,    /* a venue's day: check-in, dose, 予診のみ, no-show */
	STAFF_CALL_CENTER_OPS,  /* book, change, cancel, wait on a caller's behalf */
	STAFF_MANAGE_SLOTS,     /* make, resize and close slots; the booking report */
};

#define STAFF_NAME_MAX   64
#define STAFF_TOKEN_LEN  64  /* hex of 32 random bytes */

struct staff_session {
	int64_t user;
	char name[STAFF_NAME_MAX + 1];
	enum staff_role role;
	char csrf[STAFF_TOKEN_LEN + 1];
	time_t expires;
};

/* The staff_ tables' migrations (nlp/db.h), run by staff_init: chatbot_open
 * runs it once for its connection, so nothing below runs it per request. */
extern const struct mg_db_schema staff_schema;
int staff_init(sqlite3 *db, char *err);
/* A connection to the database at path (nlp/db.h's open; the file must
 * exist) with the staff tables brought up to date and nothing else: no
 * knowledge base, no model, for work that touches only accounts and
 * sessions (the server's hashing thread). The caller closes it
 * (sqlite3_close); on failure *out is NULL. */
int staff_open(const char *path, sqlite3 **out, char *err);

/* "admin", "editor", "call_center", "reception" ↔ the enum. */
int staff_role_parse(const char *name, enum staff_role *out);
const char *staff_role_name(enum staff_role role);
int staff_can(enum staff_role role, enum staff_right right);

/* Creates an account. actor is the session making the change (it needs
 * STAFF_MANAGE_USERS) or NULL for the command line, which has the database
 * file and so every right. Refuses an existing name (MG_ERR_CONFLICT), a bad
 * name or a password shorter than OPS_PASSWORD_MIN (MG_ERR_INPUT). Its hash
 * takes OPS_PWHASH_MEM: the server runs it, as every hash, on its one
 * hashing thread (widget/limits.h HTTP_HASH_THREADS), one at a time. */
int staff_user_add(sqlite3 *db, const struct staff_session *actor, const char *name,
		   enum staff_role role, const char *password, char *err);

/* Every account as {name, role, disabled, locked, created}, by name. */
int staff_user_list(sqlite3 *db, time_t now, json_t **out, char *err);

enum staff_change {
	STAFF_DISABLE,       /* no log-in, and its open sessions end at once */
	STAFF_ENABLE,
	STAFF_UNLOCK,        /* forgets the wrong passwords and the lock */
	STAFF_SET_PASSWORD,  /* at least OPS_PASSWORD_MIN; ends the open sessions */
	STAFF_SET_ROLE,      /* ends the open sessions: the rights change now */
	STAFF_NCHANGES       /* not a change: how many there are */
};
/* "disable", "enable", "unlock", "password", "role" ↔ the enum. */
int staff_change_parse(const char *name, enum staff_change *out);
const char *staff_change_name(enum staff_change c);
/* Changes the account name: actor needs STAFF_MANAGE_USERS (NULL: the
 * command line). role is read for STAFF_SET_ROLE, password for
 * STAFF_SET_PASSWORD. Unknown name: MG_ERR_NOT_FOUND; disabling or demoting
 * the last active administrator: MG_ERR_CONFLICT; a short password:
 * MG_ERR_INPUT. The change and its audit record (before, after) are one
 * transaction. */
int staff_user_change(sqlite3 *db, const struct staff_session *actor, const char *name,
		      enum staff_change change, enum staff_role role, const char *password, char *err);

/* Checks name and password. On success writes a new session's token (to be
 * given to the browser, never stored) into token and the session into *s.
 * Wrong name, wrong password, or a try during the account's back-off (after
 * OPS_LOGIN_FREE_FAILURES failures in a row, even with the right password):
 * MG_ERR_AUTH with the same words and after the same work, so that a reply
 * never tells which names exist. Each try is claimed atomically: parallel
 * tries never get more guesses than the policy. The hash runs on the
 * caller's thread: the server's one hashing thread, one at a time. A
 * disabled account, with the right password: MG_ERR_DENIED. Every failure
 * is in the audit log (login.failed). */
int staff_login(sqlite3 *db, const char *name, const char *password, time_t now,
		char token[STAFF_TOKEN_LEN + 1], struct staff_session *s, char *err);
/* The session of token at now; MG_ERR_AUTH if unknown or expired. */
int staff_session_get(sqlite3 *db, const char *token, time_t now, struct staff_session *s, char *err);
int staff_logout(sqlite3 *db, const char *token, char *err);

/* The gate in front of every change: a live session, the CSRF token it was
 * given (compared in constant time) and the right. MG_ERR_AUTH when the
 * session is unknown or expired, MG_ERR_DENIED for a wrong CSRF token or a
 * role without the right. */
int staff_guard(sqlite3 *db, const char *token, const char *csrf, enum staff_right right,
		time_t now, struct staff_session *s, char *err);

/* Appends to the audit log: who (NULL = command line), what, on which
 * object, and its JSON before and after (either may be NULL). */
int staff_audit(sqlite3 *db, const struct staff_session *who, const char *action, const char *target,
		json_t *before, json_t *after, char *err);
/* One change of the knowledge base, written with its audit record in one
 * transaction (staff_kb_write): both or neither. apply makes the change
 * (kb's own writes nest in the transaction); it may name the target (a new
 * entry's id) and set after, which staff_kb_write frees. */
struct staff_kb_change {
	const char *action;       /* the audit record's kind, e.g. entry.update */
	char target[KB_ID_LEN];   /* what was changed: an entry's id, "entries" */
	json_t *before;           /* borrowed; NULL: nothing before */
	json_t *after;            /* set by apply, or NULL */
	int (*apply)(struct staff_kb_change *ch, struct kb *kb, char *err);
	void *ctx;                /* apply's */
};
/* Runs ch->apply and appends the audit record (who: NULL = the command
 * line) inside one write of kb; either failing rolls both back. Returns
 * apply's or the audit's code. */
int staff_kb_write(struct kb *kb, const struct staff_session *who, struct staff_kb_change *ch, char *err);
/* Which audit records to list (chatbot/audit.c): empty or NULL strings
 * and a zero to match everything. */
struct staff_audit_filter {
	const char *who;     /* the account (for login.failed: the name tried) */
	const char *action;  /* the kind, e.g. entry.update */
	time_t from, to;     /* ts in [from, to); to 0: no end */
};
/* The newest limit audit records matching f (NULL: all) as a JSON array of
 * {ts, time, who, action, target, before, after}; time is ts as
 * "YYYY-MM-DD HH:MM:SS" in zone (NULL: the process's). */
int staff_audit_list(sqlite3 *db, const struct staff_audit_filter *f, const struct nlp_zone *zone,
		     int limit, json_t **out, char *err);
/* {who: [...], kinds: [...]}: every account and kind the log holds, for
 * the filters. */
int staff_audit_facets(sqlite3 *db, json_t **out, char *err);
/* The records matching filter (NULL: all), newest first, as CSV for Excel
 * (BOM, CRLF, formula cells neutralised): time in zone, account, kind,
 * target, before, after (the JSON as recorded). At most OPS_AUDIT_CSV_ROWS
 * (chatbot/ops_policy.h): when more match, a last line says the file was
 * cut and how to narrow it, and *cut is 1. */
int staff_audit_csv(sqlite3 *db, const struct staff_audit_filter *filter, const struct nlp_zone *zone, FILE *f,
		    int *cut, char *err);

/* ---- curation (chatbot/curate.c) ------------------------------------------------ */

struct chatbot;

/* One entry with every field as the editor shows it (drafts too). */
int staff_entry_get(struct chatbot *bot, const char *id, json_t **out, char *err);
/* Adds question to the entry's alternate questions (no change if it is
 * there already); residents asking it get the entry from the next search.
 * who needs STAFF_EDIT_KB (NULL: the command line). A question still holding
 * a redaction placeholder is refused (MG_ERR_INPUT). The change and its
 * audit record are one transaction, as for every change below. */
int staff_add_alternate(struct chatbot *bot, const struct staff_session *who, const char *entry_id,
			const char *question, char *err);
/* Takes question out of the entry's alternates again (the undo of the
 * above; no change if it is not there). Audited. Both write the alternates
 * only (kb_entry_set_alternates): the answer is not checked again. */
int staff_remove_alternate(struct chatbot *bot, const struct staff_session *who, const char *entry_id,
			   const char *question, char *err);
/* Creates (no "id") or replaces an entry from the editor's JSON object of
 * string fields (id, slug, category, route, status "draft"|"published",
 * question, answer, question_en, answer_en, alt_questions, keywords,
 * valid_from, valid_to, url, source). The fields pass the check an import's
 * rows pass: a {{key}} the town's facts lack is MG_ERR_INPUT, and bad_key
 * (may be NULL) gets the first such key ("" for other refusals). id_out gets
 * the id. Audited (entry.create, entry.update). */
int staff_entry_save(struct chatbot *bot, const struct staff_session *who, json_t *fields,
		     char id_out[64], char bad_key[KB_ID_LEN], char *err);
/* Makes the entry a draft: residents no longer get it. Audited. Writes the
 * status only (kb_entry_set_status), so an entry whose {{key}} the town
 * has since dropped can still be taken down. */
int staff_entry_unpublish(struct chatbot *bot, const struct staff_session *who, const char *id, char *err);
/* Deletes the entry; the audit record keeps it whole (before). */
int staff_entry_delete(struct chatbot *bot, const struct staff_session *who, const char *id, char *err);

/* A change of the knowledge base proposed in the console, not yet made: an
 * entry as the editor saves it, or an alternate question from the review
 * queue. */
struct staff_proposal {
	json_t *entry;               /* staff_entry_save's fields; NULL: the alternate */
	const char *alt_entry;       /* staff_add_alternate's entry id and question */
	const char *alt_question;
};
/* What change would do to answers before it is published (chatbot/preview.c):
 * the labelled set data (eval's lines) asked of the knowledge base as it is
 * and as it would be after change, as chatbot_eval_compare's JSON with
 * entry, the id of the entry changed (a new entry's as it would get). The
 * change is made by the function that publishes it (staff_entry_save,
 * staff_add_alternate: the same checks, the same refusals, bad_key as
 * staff_entry_save's) on a copy of the knowledge base in memory
 * (kb_open_copy): the published one is only read, residents never get the
 * change, nothing is audited. model: the analyser's, for the copy. */
int staff_preview(struct chatbot *bot, struct nlp_model *model, const struct staff_session *who,
		  const struct staff_proposal *change, const char *data, size_t len, json_t **out,
		  char bad_key[KB_ID_LEN], char *err);

#endif
