/* Staff accounts, sessions and the audit log (see staff.h). Passwords are
 * Argon2id strings from libsodium; session tokens are random and only their
 * BLAKE2b hash is stored, so a copy of the database opens no session. */
#include "chatbot/staff.h"
#include "kb/kb.h"
#include "chatbot/ops_policy.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* Staff's migrations (nlp/db.h): step 1 is the schema as it shipped when
 * migrations came; a change is a step added below it, never an edit of it. */
static const char SCHEMA_1[] =
	"CREATE TABLE IF NOT EXISTS staff_users("
	"  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL,"
	"  pwhash TEXT NOT NULL, failures INTEGER NOT NULL DEFAULT 0,"
	"  locked_until INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS staff_sessions("
	"  token_hash TEXT PRIMARY KEY,"
	"  user INTEGER NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,"
	"  csrf TEXT NOT NULL, created INTEGER NOT NULL, expires INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS staff_audit("
	"  id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL,"
	"  target TEXT NOT NULL DEFAULT '', before TEXT, after TEXT);";

/* Files made before accounts could be disabled gain the column. */
static int adopt_1(sqlite3 *db, void *ctx, char *err)
{
	(void)ctx;
	return mg_db_add_column(db, "staff_users", "disabled", "INTEGER NOT NULL DEFAULT 0", err);
}

static const struct mg_db_step STEPS[] = {
	{SCHEMA_1, adopt_1},
};
const struct mg_db_schema staff_schema = {"staff", STEPS, sizeof STEPS / sizeof *STEPS};

static const char *const ROLE_NAMES[STAFF_NROLES] = {
	[STAFF_ADMIN] = "admin",
	[STAFF_EDITOR] = "editor",
	[STAFF_CALL_CENTER] = "call_center",
	[STAFF_RECEPTION] = "reception",
};

int staff_init(sqlite3 *db, char *err)
{
	if (sodium_init() < 0)
		return mg_fail(err, MG_ERR_INTERNAL, "libsodium failed to start");
	return mg_db_migrate(db, &staff_schema, NULL, err);
}

int staff_open(const char *path, sqlite3 **out, char *err)
{
	int rc = mg_db_open(path, 0, MG_DB_SYNC_NORMAL, out, err);
	if (rc == MG_OK && (rc = staff_init(*out, err)) != MG_OK) {
		sqlite3_close(*out);
		*out = NULL;
	}
	return rc;
}

int staff_role_parse(const char *name, enum staff_role *out)
{
	for (int r = 0; r < STAFF_NROLES; r++) {
		if (name && !strcmp(name, ROLE_NAMES[r])) {
			*out = (enum staff_role)r;
			return MG_OK;
		}
	}
	return MG_ERR_INPUT;
}

const char *staff_role_name(enum staff_role role)
{
	return role < STAFF_NROLES ? ROLE_NAMES[role] : "?";
}

/* Who may do what: the four roles. Editors see the figures because
 * the figures tell them what to fix; the call centre plans with them. */
int staff_can(enum staff_role role, enum staff_right right)
{
	switch (right) {
	case STAFF_VIEW_REPORTS:
		return role == STAFF_ADMIN || role == STAFF_EDITOR || role == STAFF_CALL_CENTER;
	case STAFF_EDIT_KB:
		return role == STAFF_ADMIN || role == STAFF_EDITOR;
	case STAFF_MANAGE_USERS:
		return role == STAFF_ADMIN;
	case STAFF_VIEW_FORECAST:
		return role == STAFF_ADMIN || role == STAFF_CALL_CENTER;
	case STAFF_RECEPTION_OPS:
		return role == STAFF_ADMIN || role == STAFF_RECEPTION;
	case STAFF_CALL_CENTER_OPS:
		return role == STAFF_ADMIN || role == STAFF_CALL_CENTER;
	case STAFF_MANAGE_SLOTS:
		return role == STAFF_ADMIN;
	}
	return 0;
}

static int name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > STAFF_NAME_MAX)
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

int staff_audit(sqlite3 *db, const struct staff_session *who, const char *action, const char *target,
		json_t *before, json_t *after, char *err)
{
	char *b = before ? json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	char *a = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	sqlite3_stmt *st = NULL;
	int rc = MG_OK;
	if (sqlite3_prepare_v2(db, "INSERT INTO staff_audit(ts, who, action, target, before, after)"
				   " VALUES(?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL) != SQLITE_OK)
		rc = mg_db_fail(db, err, "audit");
	if (rc == MG_OK) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
		sqlite3_bind_text(st, 2, who ? who->name : "(command line)", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, target ? target : "", -1, SQLITE_STATIC);
		if (b)
			sqlite3_bind_text(st, 5, b, -1, SQLITE_STATIC);
		if (a)
			sqlite3_bind_text(st, 6, a, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = mg_db_fail(db, err, "audit");
	}
	sqlite3_finalize(st);
	free(b);
	free(a);
	return rc;
}

int staff_kb_write(struct kb *kb, const struct staff_session *who, struct staff_kb_change *ch, char *err)
{
	ch->after = NULL;
	int rc = kb_write_begin(kb, err);
	if (rc != MG_OK)
		return rc;
	rc = ch->apply(ch, kb, err);
	if (rc == MG_OK)
		rc = staff_audit(kb_db(kb), who, ch->action, ch->target, ch->before, ch->after, err);
	json_decref(ch->after);
	ch->after = NULL;
	return kb_write_end(kb, rc, err);
}

/* Ends SAVEPOINT name: released when rc is MG_OK, else rolled back (the
 * change and its audit record go together). Returns the final rc. */
static int savepoint_end(sqlite3 *db, const char *name, int rc, char *err)
{
	char sql[64];
	snprintf(sql, sizeof sql, "RELEASE %s", name);
	if (rc == MG_OK && sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		rc = mg_db_fail(db, err, name);
	if (rc != MG_OK && !sqlite3_get_autocommit(db)) {
		char back[64];
		snprintf(back, sizeof back, "ROLLBACK TO %s", name);
		sqlite3_exec(db, back, NULL, NULL, NULL);
		sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	return rc;
}

static int password_ok(const char *password, char *err)
{
	if (!password || strlen(password) < OPS_PASSWORD_MIN)
		return mg_fail(err, MG_ERR_INPUT, "the password must have at least %d characters",
			       OPS_PASSWORD_MIN);
	return MG_OK;
}

int staff_user_add(sqlite3 *db, const struct staff_session *actor, const char *name,
		   enum staff_role role, const char *password, char *err)
{
	if (actor && !staff_can(actor->role, STAFF_MANAGE_USERS))
		return mg_fail(err, MG_ERR_DENIED, "only an administrator can add accounts");
	if (!name_ok(name))
		return mg_fail(err, MG_ERR_INPUT, "a name is 1 to %d letters, digits, '.', '_' or '-'",
			       STAFF_NAME_MAX);
	if (role >= STAFF_NROLES)
		return mg_fail(err, MG_ERR_INPUT, "unknown role");
	int rc = password_ok(password, err);
	if (rc != MG_OK)
		return rc;
	char hash[crypto_pwhash_STRBYTES];
	if (crypto_pwhash_str(hash, password, strlen(password), OPS_PWHASH_OPS, OPS_PWHASH_MEM) != 0)
		rc = mg_fail(err, MG_ERR_NOMEM, "not enough memory to hash the password");
	sqlite3_stmt *st = NULL;
	if (rc == MG_OK && sqlite3_exec(db, "SAVEPOINT staff_add", NULL, NULL, NULL) != SQLITE_OK)
		rc = mg_db_fail(db, err, "add account");
	if (rc == MG_OK && sqlite3_prepare_v2(db, "INSERT INTO staff_users(name, role, pwhash, created)"
						  " VALUES(?1, ?2, ?3, ?4)", -1, &st, NULL) != SQLITE_OK)
		rc = mg_db_fail(db, err, "add account");
	if (rc == MG_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, ROLE_NAMES[role], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
		int step = sqlite3_step(st);
		if (step == SQLITE_CONSTRAINT)
			rc = mg_fail(err, MG_ERR_CONFLICT, "there is already an account %s", name);
		else if (step != SQLITE_DONE)
			rc = mg_db_fail(db, err, "add account");
	}
	sqlite3_finalize(st);
	json_t *after = json_pack("{s:s, s:s}", "name", name, "role", ROLE_NAMES[role]);
	if (rc == MG_OK)
		rc = staff_audit(db, actor, "user.add", name, NULL, after, err);
	json_decref(after);
	rc = savepoint_end(db, "staff_add", rc, err);
	sodium_memzero(hash, sizeof hash);
	return rc;
}

/* ---- sessions ---------------------------------------------------------------- */

static void token_hash(const char *token, char out[2 * crypto_generichash_BYTES + 1])
{
	unsigned char h[crypto_generichash_BYTES];
	crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token), NULL, 0);
	sodium_bin2hex(out, 2 * crypto_generichash_BYTES + 1, h, sizeof h);
}

static void random_hex(char out[STAFF_TOKEN_LEN + 1])
{
	unsigned char raw[STAFF_TOKEN_LEN / 2];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(out, STAFF_TOKEN_LEN + 1, raw, sizeof raw);
}

/* A hash to verify against when the name is unknown, so that a wrong name
 * takes as long as a wrong password and does not reveal which names exist. */
static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
	if (crypto_pwhash_str(dummy_hash, "not a password", 14, OPS_PWHASH_OPS, OPS_PWHASH_MEM) != 0)
		dummy_hash[0] = 0;
}

/* The one reply to a refused login, whatever the reason. */
#define LOGIN_REFUSED "wrong name or password (after several wrong tries, wait a minute before the next)"

/* Claims one try at name's password at now, in one statement so that
 * parallel tries cannot read the same count: the try counts as a failure
 * (login clears it on success) and, from the OPS_LOGIN_FREE_FAILURES-th on,
 * puts the next try off by the doubling back-off. No row when the name is
 * unknown or its back-off runs: *claimed is 0. hash gets the stored hash;
 * *disabled says whether the account is disabled (told only to the holder
 * of the right password). */
static int claim_try(sqlite3 *db, const char *name, time_t now, int *claimed, int64_t *user,
		     enum staff_role *role, char hash[crypto_pwhash_STRBYTES], int *failures, int *disabled,
		     char *err)
{
	sqlite3_stmt *st = NULL;
	*claimed = 0;
	if (sqlite3_prepare_v2(db, "UPDATE staff_users SET failures = failures + 1,"
				   " locked_until = CASE WHEN failures + 1 < ?3 THEN 0"
				   "  ELSE ?2 + min(?5, ?4 << min(failures + 1 - ?3, 30)) END"
				   " WHERE name = ?1 AND locked_until <= ?2"
				   " RETURNING id, role, pwhash, failures, disabled", -1, &st, NULL) != SQLITE_OK)
		return mg_db_fail(db, err, "login");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	sqlite3_bind_int(st, 3, OPS_LOGIN_FREE_FAILURES);
	sqlite3_bind_int(st, 4, OPS_LOGIN_BACKOFF_FIRST_S);
	sqlite3_bind_int(st, 5, OPS_LOGIN_BACKOFF_MAX_S);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*claimed = 1;
		*user = sqlite3_column_int64(st, 0);
		if (staff_role_parse((const char *)sqlite3_column_text(st, 1), role) != MG_OK)
			*role = STAFF_NROLES;
		snprintf(hash, crypto_pwhash_STRBYTES, "%s", (const char *)sqlite3_column_text(st, 2));
		*failures = sqlite3_column_int(st, 3);
		*disabled = sqlite3_column_int(st, 4);
		step = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	return step == SQLITE_DONE ? MG_OK : mg_db_fail(db, err, "login");
}

static int clear_failures(sqlite3 *db, int64_t user, char *err)
{
	sqlite3_stmt *st = NULL;
	int rc = MG_OK;
	if (sqlite3_prepare_v2(db, "UPDATE staff_users SET failures = 0, locked_until = 0 WHERE id = ?1", -1,
			       &st, NULL) != SQLITE_OK)
		return mg_db_fail(db, err, "login");
	sqlite3_bind_int64(st, 1, user);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = mg_db_fail(db, err, "login");
	sqlite3_finalize(st);
	return rc;
}

/* A failed log-in in the audit log, in the name that was tried: who tried is
 * not known, which name was tried is what an administrator looks for. */
static void audit_login_failure(sqlite3 *db, const char *name)
{
	struct staff_session who = {0};
	snprintf(who.name, sizeof who.name, "%s", name);
	staff_audit(db, &who, "login.failed", name, NULL, NULL, NULL);
}

/* The work of a verify against a hash nobody's password matches: an unknown
 * name or a try during back-off costs what a wrong password does. */
static void verify_nothing(const char *password)
{
	pthread_once(&dummy_once, make_dummy);
	int never = crypto_pwhash_str_verify(dummy_hash, password, strlen(password));
	(void)never;
}

static int login(sqlite3 *db, const char *name, const char *password, time_t now,
		 char token[STAFF_TOKEN_LEN + 1], struct staff_session *s, char *err);

int staff_login(sqlite3 *db, const char *name, const char *password, time_t now,
		char token[STAFF_TOKEN_LEN + 1], struct staff_session *s, char *err)
{
	token[0] = 0;
	memset(s, 0, sizeof *s);
	return login(db, name, password, now, token, s, err);
}

static int login(sqlite3 *db, const char *name, const char *password, time_t now,
		 char token[STAFF_TOKEN_LEN + 1], struct staff_session *s, char *err)
{
	int rc = MG_OK;
	if (!name || !password)
		return mg_fail(err, MG_ERR_AUTH, LOGIN_REFUSED);
	int claimed = 0, failures = 0;
	int64_t user = 0;
	enum staff_role role = STAFF_NROLES;
	char hash[crypto_pwhash_STRBYTES] = "";
	int disabled = 0;
	rc = claim_try(db, name, now, &claimed, &user, &role, hash, &failures, &disabled, err);
	if (rc != MG_OK)
		return rc;
	if (!claimed) {
		verify_nothing(password);
		audit_login_failure(db, name);
		return mg_fail(err, MG_ERR_AUTH, LOGIN_REFUSED);
	}
	if (crypto_pwhash_str_verify(hash, password, strlen(password)) != 0) {
		audit_login_failure(db, name);
		if (failures == OPS_LOGIN_FREE_FAILURES) {
			struct staff_session who = {.user = user};
			snprintf(who.name, sizeof who.name, "%s", name);
			staff_audit(db, &who, "user.backoff", name, NULL, NULL, NULL);
		}
		return mg_fail(err, MG_ERR_AUTH, LOGIN_REFUSED);
	}
	if (role >= STAFF_NROLES)
		return mg_fail(err, MG_ERR_AUTH, "the account has no valid role");
	if (disabled)
		return mg_fail(err, MG_ERR_DENIED, "the account %s is disabled", name);

	sqlite3_stmt *st = NULL;
	char th[2 * crypto_generichash_BYTES + 1];
	random_hex(token);
	token_hash(token, th);
	random_hex(s->csrf);
	s->user = user;
	s->role = role;
	s->expires = now + OPS_SESSION_SECONDS;
	snprintf(s->name, sizeof s->name, "%s", name);
	rc = clear_failures(db, user, err);
	if (rc == MG_OK && sqlite3_prepare_v2(db, "INSERT INTO staff_sessions(token_hash, user, csrf, created, expires)"
						  " VALUES(?1, ?2, ?3, ?4, ?5)", -1, &st, NULL) != SQLITE_OK)
		rc = mg_db_fail(db, err, "login");
	if (rc == MG_OK) {
		sqlite3_bind_text(st, 1, th, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, user);
		sqlite3_bind_text(st, 3, s->csrf, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)now);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)s->expires);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = mg_db_fail(db, err, "login");
		sqlite3_finalize(st);
	}
	/* Expired sessions of anyone go at each login: the table stays small. */
	if (rc == MG_OK && sqlite3_prepare_v2(db, "DELETE FROM staff_sessions WHERE expires <= ?1", -1, &st,
					      NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	if (rc != MG_OK) {
		token[0] = 0;
		memset(s, 0, sizeof *s);
	}
	return rc;
}

int staff_session_get(sqlite3 *db, const char *token, time_t now, struct staff_session *s, char *err)
{
	memset(s, 0, sizeof *s);
	if (!token || strlen(token) != STAFF_TOKEN_LEN)
		return mg_fail(err, MG_ERR_AUTH, "please log in");
	int rc = MG_OK;
	char th[2 * crypto_generichash_BYTES + 1];
	token_hash(token, th);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT s.user, u.name, u.role, s.csrf, s.expires FROM staff_sessions s"
				   " JOIN staff_users u ON u.id=s.user WHERE s.token_hash=?1 AND u.disabled=0", -1, &st,
			       NULL) != SQLITE_OK)
		return mg_db_fail(db, err, "session");
	sqlite3_bind_text(st, 1, th, -1, SQLITE_STATIC);
	rc = mg_fail(err, MG_ERR_AUTH, "please log in");
	if (sqlite3_step(st) == SQLITE_ROW) {
		time_t expires = (time_t)sqlite3_column_int64(st, 4);
		if (expires <= now) {
			rc = mg_fail(err, MG_ERR_AUTH, "the session has expired: please log in again");
		} else if (staff_role_parse((const char *)sqlite3_column_text(st, 2), &s->role) == MG_OK) {
			s->user = sqlite3_column_int64(st, 0);
			snprintf(s->name, sizeof s->name, "%s", (const char *)sqlite3_column_text(st, 1));
			snprintf(s->csrf, sizeof s->csrf, "%s", (const char *)sqlite3_column_text(st, 3));
			s->expires = expires;
			rc = MG_OK;
		}
	}
	sqlite3_finalize(st);
	if (rc != MG_OK)
		memset(s, 0, sizeof *s);
	return rc;
}

int staff_logout(sqlite3 *db, const char *token, char *err)
{
	if (!token)
		return MG_OK;
	char th[2 * crypto_generichash_BYTES + 1];
	token_hash(token, th);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "DELETE FROM staff_sessions WHERE token_hash=?1", -1, &st, NULL) != SQLITE_OK)
		return mg_db_fail(db, err, "logout");
	sqlite3_bind_text(st, 1, th, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st) == SQLITE_DONE ? MG_OK : mg_db_fail(db, err, "logout");
	sqlite3_finalize(st);
	return rc;
}

int staff_guard(sqlite3 *db, const char *token, const char *csrf, enum staff_right right,
		time_t now, struct staff_session *s, char *err)
{
	int rc = staff_session_get(db, token, now, s, err);
	if (rc != MG_OK)
		return rc;
	if (!csrf || strlen(csrf) != STAFF_TOKEN_LEN || sodium_memcmp(csrf, s->csrf, STAFF_TOKEN_LEN) != 0)
		rc = mg_fail(err, MG_ERR_DENIED, "the form is stale or forged (CSRF token): reload the page");
	else if (!staff_can(s->role, right))
		rc = mg_fail(err, MG_ERR_DENIED, "the role %s may not do this", staff_role_name(s->role));
	if (rc != MG_OK)
		memset(s, 0, sizeof *s);
	return rc;
}

/* ---- accounts -------------------------------------------------------------------- */

int staff_user_list(sqlite3 *db, time_t now, json_t **out, char *err)
{
	*out = NULL;
	int rc = MG_OK;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT name, role, disabled, locked_until, created"
						  " FROM staff_users ORDER BY name", -1, &st, NULL) != SQLITE_OK)
		rc = mg_db_fail(db, err, "accounts");
	json_t *list = rc == MG_OK ? json_array() : NULL;
	while (list && sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(list, json_pack("{s:s, s:s, s:b, s:b, s:I}",
						      "name", (const char *)sqlite3_column_text(st, 0),
						      "role", (const char *)sqlite3_column_text(st, 1),
						      "disabled", sqlite3_column_int(st, 2),
						      "locked", sqlite3_column_int64(st, 3) > now,
						      "created", (json_int_t)sqlite3_column_int64(st, 4)));
	sqlite3_finalize(st);
	if (rc == MG_OK && !list)
		rc = mg_fail(err, MG_ERR_NOMEM, "out of memory");
	*out = list;
	return rc;
}

/* The account as the audit log shows it before and after a change. */
static json_t *account_json(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st = NULL;
	json_t *o = NULL;
	if (sqlite3_prepare_v2(db, "SELECT role, disabled, locked_until > ?2 FROM staff_users WHERE name=?1", -1,
			       &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) == SQLITE_ROW)
		o = json_pack("{s:s, s:b, s:b}", "role", (const char *)sqlite3_column_text(st, 0),
			      "disabled", sqlite3_column_int(st, 1), "locked", sqlite3_column_int(st, 2));
	sqlite3_finalize(st);
	return o;
}

static int active_admins(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int n = 0;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM staff_users WHERE role='admin' AND disabled=0", -1, &st,
			       NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static const char *const CHANGE_NAMES[] = {
	[STAFF_DISABLE] = "disable", [STAFF_ENABLE] = "enable", [STAFF_UNLOCK] = "unlock",
	[STAFF_SET_PASSWORD] = "password", [STAFF_SET_ROLE] = "role",
};

int staff_change_parse(const char *name, enum staff_change *out)
{
	for (size_t i = 0; i < sizeof CHANGE_NAMES / sizeof CHANGE_NAMES[0]; i++) {
		if (name && !strcmp(name, CHANGE_NAMES[i])) {
			*out = (enum staff_change)i;
			return MG_OK;
		}
	}
	return MG_ERR_INPUT;
}

const char *staff_change_name(enum staff_change c)
{
	return c < STAFF_NCHANGES ? CHANGE_NAMES[c] : "";
}

static const char *const CHANGE_ACTIONS[] = {
	[STAFF_DISABLE] = "user.disable", [STAFF_ENABLE] = "user.enable", [STAFF_UNLOCK] = "user.unlock",
	[STAFF_SET_PASSWORD] = "user.password", [STAFF_SET_ROLE] = "user.role",
};

int staff_user_change(sqlite3 *db, const struct staff_session *actor, const char *name,
		      enum staff_change change, enum staff_role role, const char *password, char *err)
{
	if (actor && !staff_can(actor->role, STAFF_MANAGE_USERS))
		return mg_fail(err, MG_ERR_DENIED, "only an administrator can change accounts");
	int rc = MG_OK;
	if (change == STAFF_SET_PASSWORD)
		rc = password_ok(password, err);
	if (rc == MG_OK && change == STAFF_SET_ROLE && role >= STAFF_NROLES)
		rc = mg_fail(err, MG_ERR_INPUT, "unknown role");
	char hash[crypto_pwhash_STRBYTES] = "";
	if (rc == MG_OK && change == STAFF_SET_PASSWORD &&
	    crypto_pwhash_str(hash, password, strlen(password), OPS_PWHASH_OPS, OPS_PWHASH_MEM) != 0)
		rc = mg_fail(err, MG_ERR_NOMEM, "not enough memory to hash the password");
	if (rc == MG_OK && sqlite3_exec(db, "SAVEPOINT staff_change", NULL, NULL, NULL) != SQLITE_OK)
		rc = mg_db_fail(db, err, "change account");
	json_t *before = rc == MG_OK ? account_json(db, name) : NULL;
	if (rc == MG_OK && !before)
		rc = mg_fail(err, MG_ERR_NOT_FOUND, "there is no account %s", name ? name : "");
	/* The last administrator stays: without one nobody can manage accounts
	 * from the console. */
	int was_admin = before && !strcmp(json_string_value(json_object_get(before, "role")), "admin") &&
			!json_is_true(json_object_get(before, "disabled"));
	if (rc == MG_OK && was_admin && active_admins(db) <= 1 &&
	    (change == STAFF_DISABLE || (change == STAFF_SET_ROLE && role != STAFF_ADMIN)))
		rc = mg_fail(err, MG_ERR_CONFLICT, "%s is the last administrator", name);
	static const char *const SQL[] = {
		[STAFF_DISABLE] = "UPDATE staff_users SET disabled=1 WHERE name=?1",
		[STAFF_ENABLE] = "UPDATE staff_users SET disabled=0 WHERE name=?1",
		[STAFF_UNLOCK] = "UPDATE staff_users SET failures=0, locked_until=0 WHERE name=?1",
		[STAFF_SET_PASSWORD] = "UPDATE staff_users SET pwhash=?2, failures=0, locked_until=0 WHERE name=?1",
		[STAFF_SET_ROLE] = "UPDATE staff_users SET role=?2 WHERE name=?1",
	};
	sqlite3_stmt *st = NULL;
	if (rc == MG_OK && sqlite3_prepare_v2(db, SQL[change], -1, &st, NULL) != SQLITE_OK)
		rc = mg_db_fail(db, err, "change account");
	if (rc == MG_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		if (change == STAFF_SET_PASSWORD)
			sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
		else if (change == STAFF_SET_ROLE)
			sqlite3_bind_text(st, 2, ROLE_NAMES[role], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = mg_db_fail(db, err, "change account");
	}
	sqlite3_finalize(st);
	st = NULL;
	/* A disabled account, a new password or a new role: the open sessions
	 * end now, not when they expire. */
	if (rc == MG_OK && (change == STAFF_DISABLE || change == STAFF_SET_PASSWORD || change == STAFF_SET_ROLE)) {
		if (sqlite3_prepare_v2(db, "DELETE FROM staff_sessions WHERE user=(SELECT id FROM staff_users WHERE name=?1)",
				       -1, &st, NULL) != SQLITE_OK)
			rc = mg_db_fail(db, err, "change account");
		if (rc == MG_OK) {
			sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = mg_db_fail(db, err, "change account");
		}
		sqlite3_finalize(st);
	}
	json_t *after = rc == MG_OK ? account_json(db, name) : NULL;
	if (rc == MG_OK)
		rc = staff_audit(db, actor, CHANGE_ACTIONS[change], name, before, after, err);
	json_decref(before);
	json_decref(after);
	rc = savepoint_end(db, "staff_change", rc, err);
	sodium_memzero(hash, sizeof hash);
	return rc;
}
