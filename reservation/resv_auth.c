/* Residents' log-in: ticket number + birth date → a session token. Wrong
 * attempts are counted per ticket and per client and refused over a limit,
 * the birth date is compared in constant time, and every wrong answer gets the
 * same message. Tokens are random and stored only as their hash. */
#include "reservation/resv_int.h"

#include <sodium.h>
#include <string.h>

static const char wrong_msg[] =
	"the ticket number and birth date do not match; please check both";

static void hash_text(const char *s, unsigned char out[crypto_generichash_BYTES])
{
	crypto_generichash(out, crypto_generichash_BYTES, (const unsigned char *)s, strlen(s),
			   NULL, 0);
}

static int failures(struct resv *r, const char *kind, const void *key, int keylen,
		    long long since, long long *n, char *err)
{
	sqlite3_stmt *st;
	int rc = resv_x_prep(r, &st, err, "SELECT count(*) FROM resv_login_failures"
			     " WHERE kind = ? AND key = ? AND at > ?", "t", kind);
	if (rc == MG_OK && (sqlite3_bind_blob(st, 2, key, keylen, SQLITE_TRANSIENT) != SQLITE_OK ||
			    sqlite3_bind_int64(st, 3, since) != SQLITE_OK ||
			    sqlite3_step(st) != SQLITE_ROW))
		rc = resv_x_dberr(r, err, "login");
	if (rc == MG_OK)
		*n = sqlite3_column_int64(st, 0);
	resv_x_done(r, st);
	return rc;
}

static int record_failure(struct resv *r, const char *kind, const void *key, int keylen,
			  long long at, char *err)
{
	sqlite3_stmt *st;
	int rc = resv_x_prep(r, &st, err, "INSERT INTO resv_login_failures(kind, key, at)"
			     " VALUES(?, ?, ?)", "t", kind);
	if (rc == MG_OK && (sqlite3_bind_blob(st, 2, key, keylen, SQLITE_TRANSIENT) != SQLITE_OK ||
			    sqlite3_bind_int64(st, 3, at) != SQLITE_OK ||
			    sqlite3_step(st) != SQLITE_DONE))
		rc = resv_x_dberr(r, err, "login");
	resv_x_done(r, st);
	return rc;
}

/* The ticket number and birth date checked with the log-in's limits, into
 * ticket; with token (NULL: none) a new session. */
static int identify(struct resv *r, const char *ticket_in, const char *birth_in, const char *client,
		    char ticket[RESV_TICKET_LEN + 1], char *token, char *err)
{
	char birth[NLP_DATE_LEN + 1] = "", stored[11];
	struct nlp_date date;
	char date_err[MG_ERR_LEN];
	unsigned char client_key[crypto_generichash_BYTES];
	long long now = resv_x_now(r), since = now - RESV_LOGIN_WINDOW_S, n = 0;
	int wrong = 0, found = 0;
	ticket[0] = '\0';
	if (token)
		token[0] = '\0';
	resv_x_refuse(r, RESV_WHY_NONE);
	/* The client id (an IP address) is kept only as a hash. */
	hash_text(client ? client : "", client_key);
	/* A malformed number or date is not a guess at a real ticket, but it
	 * still counts against the client so the form cannot be probed freely. */
	int bad_ticket = resv_x_ticket_norm(ticket_in, ticket, NULL) != MG_OK;
	int bad_date = nlp_date_parse(birth_in, birth_in ? strlen(birth_in) : 0, &date, date_err) != MG_OK;
	int malformed = bad_ticket || bad_date;
	if (!bad_date)
		memcpy(birth, date.iso, sizeof birth);
	int rc = resv_x_begin(r, err), began = rc == MG_OK;
	if (rc == MG_OK)
		rc = resv_x_run(r, NULL, err, "DELETE FROM resv_login_failures WHERE at <= ?", "i",
				since);
	if (rc == MG_OK)
		rc = failures(r, "client", client_key, sizeof client_key, since, &n, err);
	if (rc == MG_OK && n >= RESV_LOGIN_MAX_FAIL_CLIENT)
		rc = mg_fail(err, MG_ERR_RATE, "too many attempts; please wait %d minutes or call us",
			     RESV_LOGIN_WINDOW_S / 60);
	if (rc == MG_OK && !malformed) {
		rc = failures(r, "ticket", ticket, RESV_TICKET_LEN, since, &n, err);
		if (rc == MG_OK && n >= RESV_LOGIN_MAX_FAIL_TICKET)
			rc = mg_fail(err, MG_ERR_RATE,
				     "too many attempts; please wait %d minutes or call us",
				     RESV_LOGIN_WINDOW_S / 60);
	}
	if (rc == MG_OK && !malformed) {
		sqlite3_stmt *st;
		rc = resv_x_prep(r, &st, err, "SELECT birth_date FROM resv_tickets WHERE number = ?",
				 "t", ticket);
		int s = rc == MG_OK ? sqlite3_step(st) : SQLITE_ERROR;
		if (s == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 10) {
			memcpy(stored, sqlite3_column_text(st, 0), 11);
			found = 1;
		} else if (rc == MG_OK && s != SQLITE_DONE && s != SQLITE_ROW) {
			rc = resv_x_dberr(r, err, "login");
		}
		resv_x_done(r, st);
	}
	if (rc == MG_OK) {
		/* The same constant-time comparison whether or not the ticket exists. */
		if (!found)
			memcpy(stored, "0000-00-00", 11);
		wrong = malformed | (sodium_memcmp(stored, birth, 10) != 0) | !found;
	}
	if (rc == MG_OK && wrong) {
		rc = record_failure(r, "client", client_key, sizeof client_key, now, err);
		if (rc == MG_OK && !malformed)
			rc = record_failure(r, "ticket", ticket, RESV_TICKET_LEN, now, err);
	}
	if (rc == MG_OK && !wrong)
		rc = resv_x_run(r, NULL, err, "DELETE FROM resv_login_failures"
				" WHERE kind = 'ticket' AND key = CAST(? AS BLOB)", "t", ticket);
	if (rc == MG_OK && !wrong && token) {
		unsigned char raw[RESV_TOKEN_BYTES], hash[crypto_generichash_BYTES];
		randombytes_buf(raw, sizeof raw);
		sodium_bin2hex(token, RESV_TOKEN_LEN + 1, raw, sizeof raw);
		hash_text(token, hash);
		sqlite3_stmt *st;
		rc = resv_x_run(r, NULL, err, "DELETE FROM resv_sessions WHERE expires_at <= ?", "i",
				now);
		if (rc == MG_OK)
			rc = resv_x_prep(r, &st, err, "INSERT INTO resv_sessions(token_hash, ticket,"
					 " expires_at) VALUES(?, ?, ?)", NULL);
		if (rc == MG_OK) {
			if (sqlite3_bind_blob(st, 1, hash, sizeof hash, SQLITE_TRANSIENT) != SQLITE_OK ||
			    sqlite3_bind_text(st, 2, ticket, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
			    sqlite3_bind_int64(st, 3, now + RESV_SESSION_TTL_S) != SQLITE_OK ||
			    sqlite3_step(st) != SQLITE_DONE)
				rc = resv_x_dberr(r, err, "login");
			resv_x_done(r, st);
		}
		sodium_memzero(raw, sizeof raw);
	}
	/* A wrong attempt is committed (it must count) and then refused. */
	if (began)
		rc = resv_x_end(r, rc, err);
	if (rc == MG_OK && bad_ticket) {
		resv_x_refuse(r, RESV_WHY_TICKET_NUMBER);
		rc = mg_fail(err, MG_ERR_INPUT, "the ticket number is 10 digits");
	} else if (rc == MG_OK && bad_date) {
		resv_x_refuse(r, RESV_WHY_BIRTH_DATE)->birth = date;
		rc = mg_fail(err, MG_ERR_INPUT, "the birth date: %s", date_err);
	}
	else if (rc == MG_OK && wrong)
		rc = mg_fail(err, MG_ERR_AUTH, "%s", wrong_msg);
	if (rc != MG_OK && token)
		sodium_memzero(token, RESV_TOKEN_LEN + 1);
	if (rc != MG_OK)
		ticket[0] = '\0';
	return rc;
}

int resv_login(struct resv *r, const char *ticket_in, const char *birth_in, const char *client,
	       char token[RESV_TOKEN_LEN + 1], char *err)
{
	char ticket[RESV_TICKET_LEN + 1];
	return identify(r, ticket_in, birth_in, client, ticket, token, err);
}

int resv_caller_check(struct resv *r, const char *ticket_in, const char *birth_in,
		      const char *staff, char ticket[RESV_TICKET_LEN + 1], char *err)
{
	/* Each operator counts as one client: one account cannot sweep birth dates. */
	char client[RESV_CODE_MAX * 2 + 8];
	snprintf(client, sizeof client, "staff:%s", staff ? staff : "");
	return identify(r, ticket_in, birth_in, client, ticket, NULL, err);
}

static int token_hash(const char *token, unsigned char hash[crypto_generichash_BYTES], char *err)
{
	if (!token || strlen(token) != RESV_TOKEN_LEN)
		return mg_fail(err, MG_ERR_AUTH, "please log in again");
	hash_text(token, hash);
	return MG_OK;
}

int resv_session_ticket(struct resv *r, const char *token, char ticket[RESV_TICKET_LEN + 1],
			char *err)
{
	unsigned char hash[crypto_generichash_BYTES];
	ticket[0] = '\0';
	int rc = token_hash(token, hash, err);
	sqlite3_stmt *st = NULL;
	if (rc == MG_OK)
		rc = resv_x_prep(r, &st, err, "SELECT ticket FROM resv_sessions"
				 " WHERE token_hash = ? AND expires_at > ?", NULL);
	if (rc == MG_OK && (sqlite3_bind_blob(st, 1, hash, sizeof hash, SQLITE_TRANSIENT) ||
			    sqlite3_bind_int64(st, 2, resv_x_now(r))))
		rc = resv_x_dberr(r, err, "session");
	if (rc == MG_OK) {
		int s = sqlite3_step(st);
		if (s == SQLITE_ROW && sqlite3_column_bytes(st, 0) == RESV_TICKET_LEN)
			memcpy(ticket, sqlite3_column_text(st, 0), RESV_TICKET_LEN + 1);
		else if (s == SQLITE_ROW || s == SQLITE_DONE)
			rc = mg_fail(err, MG_ERR_AUTH, "your session has ended; please log in again");
		else
			rc = resv_x_dberr(r, err, "session");
	}
	resv_x_done(r, st);
	return rc;
}

int resv_logout(struct resv *r, const char *token, char *err)
{
	unsigned char hash[crypto_generichash_BYTES];
	int rc = token_hash(token, hash, err);
	sqlite3_stmt *st = NULL;
	if (rc == MG_OK)
		rc = resv_x_prep(r, &st, err, "DELETE FROM resv_sessions WHERE token_hash = ?", NULL);
	if (rc == MG_OK && (sqlite3_bind_blob(st, 1, hash, sizeof hash, SQLITE_TRANSIENT) ||
			    sqlite3_step(st) != SQLITE_DONE))
		rc = resv_x_dberr(r, err, "logout");
	resv_x_done(r, st);
	return rc;
}
