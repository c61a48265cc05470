/* Staff accounts as a member of staff meets them: a wrong password, a locked
 * account, an expired session, a forged form and a role without the right
 * are each refused, and nothing is changed when they are. */
#include "tests/unit/test.h"
#include "tests/unit/fixture.h"
#include "chatbot/ops_policy.h"
#include "chatbot/staff.h"
#include "chatbot/town_int.h"

#include <sodium.h>

static const time_t T0 = 1795000000;  /* a fixed "now" */

static int count(sqlite3 *db, const char *table)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	return fixture_count(db, sql);
}

/* A database with an editor "hana" and a receptionist "ken". */
static struct chatbot *staff_fixture(const char *name)
{
	struct chatbot *bot = fixture_bot(name);
	sqlite3 *db = kb_db(chatbot_kb(bot));
	char err[MG_ERR_LEN];
	if (staff_user_add(db, NULL, "hana", STAFF_EDITOR, "correct horse battery", err) != MG_OK ||
	    staff_user_add(db, NULL, "ken", STAFF_RECEPTION, "reception desk 2026", err) != MG_OK)
		test_fail(__FILE__, __LINE__, err);
	return bot;
}

TEST(staff, accounts_are_created_with_a_hashed_password_and_audited)
{
	struct chatbot *bot = staff_fixture("st_add.db");
	sqlite3 *db = kb_db(chatbot_kb(bot));
	char err[MG_ERR_LEN];
	CHECK(count(db, "staff_users") == 2);
	CHECK(staff_user_add(db, NULL, "hana", STAFF_ADMIN, "another long one", err) == MG_ERR_CONFLICT);
	CHECK(staff_user_add(db, NULL, "yui", STAFF_ADMIN, "short", err) == MG_ERR_INPUT);
	CHECK(staff_user_add(db, NULL, "a b", STAFF_ADMIN, "long enough pw", err) == MG_ERR_INPUT);
	CHECK(count(db, "staff_users") == 2);
	sqlite3_stmt *st = NULL;
	REQUIRE(sqlite3_prepare_v2(db, "SELECT pwhash FROM staff_users WHERE name='hana'", -1, &st, NULL) == SQLITE_OK);
	REQUIRE(sqlite3_step(st) == SQLITE_ROW);
	const char *hash = (const char *)sqlite3_column_text(st, 0);
	CHECK(strncmp(hash, "$argon2id$", 10) == 0);
	CHECK(strstr(hash, "correct horse") == NULL);
	sqlite3_finalize(st);
	json_t *audit = NULL;
	REQUIRE(staff_audit_list(db, NULL, NULL, 10, &audit, err) == MG_OK);
	CHECK(json_array_size(audit) == 2);
	json_t *last = json_array_get(audit, 0);
	CHECK_STR(json_string_value(json_object_get(last, "action")), "user.add");
	CHECK_STR(json_string_value(json_object_get(last, "who")), "(command line)");
	CHECK_STR(json_string_value(json_object_get(json_object_get(last, "after"), "role")), "reception");
	json_decref(audit);
	fixture_bot_close(bot);
}

TEST(staff, a_login_gives_a_session_whose_token_is_not_stored)
{
	struct chatbot *bot = staff_fixture("st_login.db");
	sqlite3 *db = kb_db(chatbot_kb(bot));
	char err[MG_ERR_LEN], token[STAFF_TOKEN_LEN + 1];
	struct staff_session s, again;
	REQUIRE(staff_login(db, "hana", "correct horse battery", T0, token, &s, err) == MG_OK);
	CHECK(strlen(token) == STAFF_TOKEN_LEN);
	CHECK(s.role == STAFF_EDITOR);
	CHECK(strlen(s.csrf) == STAFF_TOKEN_LEN && strcmp(s.csrf, token));
	REQUIRE(staff_session_get(db, token, T0 + 60, &again, err) == MG_OK);
	CHECK_STR(again.name, "hana");
	CHECK_STR(again.csrf, s.csrf);
	sqlite3_stmt *st = NULL;
	REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM staff_sessions WHERE token_hash=?1", -1, &st, NULL) == SQLITE_OK);
	sqlite3_bind_text(st, 1, token, -1, SQLITE_STATIC);
	REQUIRE(sqlite3_step(st) == SQLITE_ROW);
	CHECK(sqlite3_column_int(st, 0) == 0);
	sqlite3_finalize(st);
	/* logging out ends it */
	CHECK(staff_logout(db, token, err) == MG_OK);
	CHECK(staff_session_get(db, token, T0 + 60, &again, err) == MG_ERR_AUTH);
	fixture_bot_close(bot);
}

TEST(staff, a_wrong_password_or_name_is_refused_and_opens_nothing)
{
	struct chatbot *bot = staff_fixture("st_wrong.db");
	sqlite3 *db = kb_db(chatbot_kb(bot));
	char err[MG_ERR_LEN], token[STAFF_TOKEN_LEN + 1];
	struct staff_session s;
	CHECK(staff_login(db, "hana", "correct horse battery!", T0, token, &s, err) == MG_ERR_AUTH);
	CHECK(token[0] == 0 && s.user == 0);
	char err2[MG_ERR_LEN];
	CHECK(staff_login(db, "nobody", "correct horse battery", T0, token, &s, err2) == MG_ERR_AUTH);
	/* the same words either way: names are not revealed */
	CHECK_STR(err, err2);
	CHECK(count(db, "staff_sessions") == 0);
	fixture_bot_close(bot);
}

TEST(staff, an_account_backs_off_after_repeated_failures_and_never_for_long)
{
	struct chatbot *bot = staff_fixture("st_lock.db");
	sqlite3 *db = kb_db(chatbot_kb(bot));
	char err[MG_ERR_LEN], unknown[MG_ERR_LEN], token[STAFF_TOKEN_LEN + 1];
	struct staff_session s;
	for (int i = 0; i < OPS_LOGIN_FREE_FAILURES; i++)
		CHECK(staff_login(db, "hana", "guess", T0, token, &s, err) == MG_ERR_AUTH);
	/* backing off: even the right password is refused, in the words an
	 * unknown name gets, and no session is made */
	CHECK(staff_login(db, "hana", "correct horse battery", T0, token, &s, err) == MG_ERR_AUTH);
	CHECK(staff_login(db, "nobody", "correct horse battery", T0, token, &s, unknown) == MG_ERR_AUTH);
	CHECK_STR(err, unknown);
	CHECK(count(db, "staff_sessions") == 0);
	/* the other accounts are not affected */
	CHECK(staff_login(db, "ken", "reception desk 2026", T0, token, &s, err) == MG_OK);
	/* the first back-off is short */
	CHECK(staff_login(db, "hana", "correct horse battery", T0 + OPS_LOGIN_BACKOFF_FIRST_S, token, &s,
			  err) == MG_OK);
	/* a stranger who keeps trying at every allowed moment never keeps the
	 * owner out for longer than the cap */
	time_t t = T0 + 100;
	for (int i = 0; i < 40; i++, t += OPS_LOGIN_BACKOFF_MAX_S)
		CHECK(staff_login(db, "hana", "guess", t, token, &s, err) == MG_ERR_AUTH);
	CHECK(staff_login(db, "hana", "correct horse battery", t, token, &s, err) == MG_OK);
	fixture_bot_close(bot);
}

TEST(staff, a_session_expires)
{
	struct chatbot *bot = staff_fixture("st_expire.db");
	sqlite3 *db = kb_db(chatbot_kb(bot));
	char err[MG_ERR_LEN], token[STAFF_TOKEN_LEN + 1];
	struct staff_session s;
	REQUIRE(staff_login(db, "hana", "correct horse battery", T0, token, &s, err) == MG_OK);
	CHECK(staff_session_get(db, token, T0 + OPS_SESSION_SECONDS - 1, &s, err) == MG_OK);
	CHECK(staff_session_get(db, token, T0 + OPS_SESSION_SECONDS, &s, err) == MG_ERR_AUTH);
	CHECK(strstr(err, "expired") != NULL);
	CHECK(staff_guard(db, token, s.csrf, STAFF_EDIT_KB, T0 + OPS_SESSION_SECONDS, &s, err) == MG_ERR_AUTH);
	CHECK(staff_session_get(db, "not a token", T0, &s, err) == MG_ERR_AUTH);
	fixture_bot_close(bot);
}

TEST(staff, changes_need_the_csrf_token_and_the_right)
{
	struct chatbot *bot = staff_fixture("st_guard.db");
	sqlite3 *db = kb_db(chatbot_kb(bot));
	char err[MG_ERR_LEN], hana[STAFF_TOKEN_LEN + 1], ken[STAFF_TOKEN_LEN + 1];
	struct staff_session hs, ks, s;
	REQUIRE(staff_login(db, "hana", "correct horse battery", T0, hana, &hs, err) == MG_OK);
	REQUIRE(staff_login(db, "ken", "reception desk 2026", T0, ken, &ks, err) == MG_OK);
	CHECK(staff_guard(db, hana, hs.csrf, STAFF_EDIT_KB, T0, &s, err) == MG_OK);
	CHECK(staff_guard(db, hana, NULL, STAFF_EDIT_KB, T0, &s, err) == MG_ERR_DENIED);
	CHECK(staff_guard(db, hana, ks.csrf, STAFF_EDIT_KB, T0, &s, err) == MG_ERR_DENIED);
	CHECK(strstr(err, "CSRF") != NULL);
	/* reception may not edit the knowledge base nor add accounts */
	CHECK(staff_guard(db, ken, ks.csrf, STAFF_EDIT_KB, T0, &s, err) == MG_ERR_DENIED);
	CHECK(strstr(err, "reception") != NULL);
	CHECK(staff_guard(db, ken, ks.csrf, STAFF_RECEPTION_OPS, T0, &s, err) == MG_OK);
	int users = count(db, "staff_users"), audit = count(db, "staff_audit");
	CHECK(staff_user_add(db, &ks, "mallory", STAFF_ADMIN, "i am the admin now", err) == MG_ERR_DENIED);
	CHECK(staff_user_add(db, &hs, "mallory", STAFF_ADMIN, "i am the admin now", err) == MG_ERR_DENIED);
	CHECK(count(db, "staff_users") == users);
	CHECK(count(db, "staff_audit") == audit);
	fixture_bot_close(bot);
}

TEST(staff, roles_have_the_rights_of_the_issue)
{
	CHECK(staff_can(STAFF_ADMIN, STAFF_MANAGE_USERS));
	CHECK(!staff_can(STAFF_EDITOR, STAFF_MANAGE_USERS));
	CHECK(staff_can(STAFF_EDITOR, STAFF_EDIT_KB));
	CHECK(!staff_can(STAFF_CALL_CENTER, STAFF_EDIT_KB));
	CHECK(staff_can(STAFF_CALL_CENTER, STAFF_VIEW_FORECAST));
	CHECK(!staff_can(STAFF_RECEPTION, STAFF_VIEW_REPORTS));
	CHECK(staff_can(STAFF_RECEPTION, STAFF_RECEPTION_OPS));
	CHECK(!staff_can(STAFF_RECEPTION, STAFF_CALL_CENTER_OPS));
	CHECK(staff_can(STAFF_CALL_CENTER, STAFF_CALL_CENTER_OPS));
	CHECK(!staff_can(STAFF_CALL_CENTER, STAFF_RECEPTION_OPS));
	CHECK(!staff_can(STAFF_CALL_CENTER, STAFF_MANAGE_SLOTS));
	CHECK(!staff_can(STAFF_EDITOR, STAFF_MANAGE_SLOTS));
	CHECK(staff_can(STAFF_ADMIN, STAFF_MANAGE_SLOTS));
	enum staff_role r;
	CHECK(staff_role_parse("call_center", &r) == MG_OK && r == STAFF_CALL_CENTER);
	CHECK(staff_role_parse("root", &r) == MG_ERR_INPUT);
}

/* ---- curation: from the review queue to an answer ------------------------------- */

#include "chatbot/events.h"

static const char *decision_of(struct chatbot *bot, const char *q, char slug[64])
{
	static char d[32];
	char err[MG_ERR_LEN];
	json_t *r = NULL;
	struct ask_opts o = {.conversation = "curation"};
	slug[0] = 0;
	if (chatbot_ask(bot, q, strlen(q), &o, &r, err) != MG_OK)
		return "error";
	snprintf(d, sizeof d, "%s", json_string_value(json_object_get(r, "decision")));
	json_t *a = json_object_get(r, "answer");
	if (json_is_object(a))
		snprintf(slug, 64, "%s", json_string_value(json_object_get(a, "slug")));
	json_decref(r);
	return d;
}

TEST(staff, a_missed_question_becomes_an_alternate_and_is_answered)
{
	struct chatbot *bot = staff_fixture("st_curate.db");
	sqlite3 *db = kb_db(chatbot_kb(bot));
	char err[MG_ERR_LEN], token[STAFF_TOKEN_LEN + 1], slug[64];
	struct staff_session hana, ken, s;
	REQUIRE(staff_login(db, "hana", "correct horse battery", time(NULL), token, &hana, err) == MG_OK);
	const char *miss = "接種券がどこかにいってしまった";
	CHECK(strcmp(decision_of(bot, miss, slug), "answer") != 0);
	/* the review queue has it */
	char today[11];
	fixture_today(today);
	json_t *queue = NULL;
	REQUIRE(events_unanswered(db, NULL, NULL, today, today, 0.75, 10, &queue, err) == MG_OK);
	REQUIRE(json_array_size(queue) == 1);
	const char *q = json_string_value(json_object_get(json_array_get(queue, 0), "question"));
	CHECK_STR(q, miss);
	/* the gate passes hana's form; reception is refused and nothing changes */
	REQUIRE(staff_guard(db, token, hana.csrf, STAFF_EDIT_KB, time(NULL), &s, err) == MG_OK);
	char kt[STAFF_TOKEN_LEN + 1];
	REQUIRE(staff_login(db, "ken", "reception desk 2026", time(NULL), kt, &ken, err) == MG_OK);
	CHECK(staff_add_alternate(bot, &ken, "1", q, err) == MG_ERR_DENIED);
	CHECK(strcmp(decision_of(bot, miss, slug), "answer") != 0);
	/* one click: an alternate question of entry 1, answered at once */
	REQUIRE(staff_add_alternate(bot, &s, "1", q, err) == MG_OK);
	CHECK_STR(decision_of(bot, miss, slug), "answer");
	CHECK_STR(slug, "ticket-lost");
	/* the audit log says who did it, with the alternates before and after */
	json_t *audit = NULL;
	REQUIRE(staff_audit_list(db, NULL, NULL, 1, &audit, err) == MG_OK);
	json_t *last = json_array_get(audit, 0);
	CHECK_STR(json_string_value(json_object_get(last, "who")), "hana");
	CHECK_STR(json_string_value(json_object_get(last, "action")), "entry.add_alternate");
	CHECK(strstr(json_string_value(json_object_get(json_object_get(last, "after"), "alt_questions")), miss) != NULL);
	CHECK(strstr(json_string_value(json_object_get(json_object_get(last, "before"), "alt_questions")), miss) == NULL);
	/* a placeholder left in the question is refused */
	CHECK(staff_add_alternate(bot, &s, "1", "<NAME>さんの接種券", err) == MG_ERR_INPUT);
	json_decref(audit);
	json_decref(queue);
	fixture_bot_close(bot);
}

TEST(staff, a_draft_is_not_shown_until_it_is_published)
{
	struct chatbot *bot = staff_fixture("st_draft.db");
	sqlite3 *db = kb_db(chatbot_kb(bot));
	char err[MG_ERR_LEN], token[STAFF_TOKEN_LEN + 1], slug[64], id[64];
	struct staff_session hana;
	REQUIRE(staff_login(db, "hana", "correct horse battery", time(NULL), token, &hana, err) == MG_OK);
	const char *q = "接種会場に駐車場はありますか";
	json_t *fields = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "slug", "venue-parking", "category", "venue",
				   "route", "none", "status", "draft", "question", q, "answer",
				   "会場の駐車場は50台です。");
	REQUIRE(staff_entry_save(bot, &hana, fields, id, NULL, err) == MG_OK);
	CHECK_STR(id, "7");
	decision_of(bot, q, slug);
	CHECK(strcmp(slug, "venue-parking") != 0);  /* a draft is never an answer */
	json_object_set_new(fields, "id", json_string(id));
	json_object_set_new(fields, "status", json_string("published"));
	REQUIRE(staff_entry_save(bot, &hana, fields, id, NULL, err) == MG_OK);
	CHECK_STR(decision_of(bot, q, slug), "answer");
	CHECK_STR(slug, "venue-parking");
	/* the editor's やさしい日本語 box is kept with the entry and reopens with it */
	json_object_set_new(fields, "answer_easy", json_string("車を 止める ところが あります。"));
	REQUIRE(staff_entry_save(bot, &hana, fields, id, NULL, err) == MG_OK);
	json_t *got = NULL;
	REQUIRE(staff_entry_get(bot, id, &got, err) == MG_OK);
	CHECK_STR(json_string_value(json_object_get(got, "answer_easy")), "車を 止める ところが あります。");
	json_decref(got);
	/* bad fields change nothing */
	json_object_set_new(fields, "route", json_string("fax"));
	CHECK(staff_entry_save(bot, &hana, fields, id, NULL, err) == MG_ERR_INPUT);
	CHECK_STR(decision_of(bot, q, slug), "answer");
	json_decref(fields);
	fixture_bot_close(bot);
}

/* The answer text a resident gets for q ("" when none). */
static const char *answer_of(struct chatbot *bot, const char *q)
{
	static char text[2048];
	char err[MG_ERR_LEN];
	json_t *r = NULL;
	struct ask_opts o = {.no_log = 1};
	text[0] = 0;
	if (chatbot_ask(bot, q, strlen(q), &o, &r, err) != MG_OK)
		return text;
	json_t *a = json_object_get(r, "answer");
	if (!strcmp(json_string_value(json_object_get(r, "decision")), "answer") && json_is_object(a))
		snprintf(text, sizeof text, "%s", json_string_value(json_object_get(a, "answer")));
	json_decref(r);
	return text;
}

/* hana's session on the fixture's database. */
static struct staff_session hana_in(struct chatbot *bot)
{
	struct staff_session s;
	char err[MG_ERR_LEN], token[STAFF_TOKEN_LEN + 1];
	if (staff_login(kb_db(chatbot_kb(bot)), "hana", "correct horse battery", time(NULL), token, &s, err) != MG_OK)
		test_fail(__FILE__, __LINE__, err);
	return s;
}

TEST(staff, the_editor_refuses_an_unknown_placeholder_as_import_does_and_names_it)
{
	struct chatbot *bot = staff_fixture("st_keys.db");
	sqlite3 *db = kb_db(chatbot_kb(bot));
	char err[MG_ERR_LEN], id[64], key[KB_ID_LEN];
	struct staff_session hana = hana_in(bot);
	int entries = count(db, "kb_entries"), audits = count(db, "staff_audit");
	const char *q = "接種の費用はいくらですか";
	json_t *fields = json_pack("{s:s, s:s, s:s, s:s, s:s}", "slug", "cost", "category", "cost", "status",
				   "published", "question", q, "answer", "接種費用は{{cost_amount}}です。");
	CHECK(staff_entry_save(bot, &hana, fields, id, key, err) == MG_ERR_INPUT);
	CHECK_STR(key, "cost_amount");
	CHECK(strstr(err, "{{cost_amount}}") != NULL);
	/* nothing published, nothing audited: no resident reads {{cost_amount}} */
	CHECK(count(db, "kb_entries") == entries);
	CHECK(count(db, "staff_audit") == audits);
	CHECK(strstr(answer_of(bot, q), "{{") == NULL);
	/* import says the same of the same row: one check */
	char import_err[MG_ERR_LEN];
	const char csv[] = "slug,question,answer\ncost,接種の費用はいくらですか,接種費用は{{cost_amount}}です。\n";
	struct kb_import_opts o = {.placeholder = town_has_fact, .facts = (void *)fixture_town(), .append = 1};
	int n;
	CHECK(kb_import(chatbot_kb(bot), csv, sizeof csv - 1, "faq.csv", &o, &n, import_err) == MG_ERR_INPUT);
	CHECK(strstr(import_err, err) != NULL);
	/* a key the town has is filled in for residents */
	json_object_set_new(fields, "answer", json_string("接種は無料です。{{call_center_phone}}までどうぞ。"));
	REQUIRE(staff_entry_save(bot, &hana, fields, id, key, err) == MG_OK);
	CHECK_STR(key, "");
	CHECK(strstr(answer_of(bot, q), "0120-111-111") != NULL);
	json_decref(fields);
	fixture_bot_close(bot);
}

/* An audit log that cannot be written (a full disk, a broken table) leaves
 * the knowledge base as it was: no change goes unaudited. */
TEST(staff, an_entry_change_and_its_audit_record_are_one_transaction)
{
	struct chatbot *bot = staff_fixture("st_tx.db");
	sqlite3 *db = kb_db(chatbot_kb(bot));
	char err[MG_ERR_LEN], id[64], slug[64];
	struct staff_session hana = hana_in(bot);
	const char *q = "接種券をなくしました";
	REQUIRE(strstr(answer_of(bot, q), "再発行") != NULL);
	int entries = count(db, "kb_entries");
	REQUIRE(sqlite3_exec(db, "CREATE TRIGGER audit_down BEFORE INSERT ON staff_audit"
				 " BEGIN SELECT RAISE(FAIL, 'disk full'); END", NULL, NULL, NULL) == SQLITE_OK);
	json_t *fields = NULL;
	REQUIRE(staff_entry_get(bot, "1", &fields, err) == MG_OK);
	json_object_set_new(fields, "answer", json_string("窓口は閉鎖しました。"));
	CHECK(staff_entry_save(bot, &hana, fields, id, NULL, err) == MG_ERR_DB);
	CHECK(strstr(answer_of(bot, q), "再発行") != NULL);
	CHECK(staff_entry_unpublish(bot, &hana, "1", err) == MG_ERR_DB);
	CHECK(staff_entry_delete(bot, &hana, "1", err) == MG_ERR_DB);
	CHECK(staff_add_alternate(bot, &hana, "1", "券を落とした", err) == MG_ERR_DB);
	CHECK_STR(decision_of(bot, q, slug), "answer");
	CHECK(strstr(answer_of(bot, q), "再発行") != NULL);
	CHECK(count(db, "kb_entries") == entries);
	/* with the log back, the same save goes through, audited */
	REQUIRE(sqlite3_exec(db, "DROP TRIGGER audit_down", NULL, NULL, NULL) == SQLITE_OK);
	REQUIRE(staff_entry_save(bot, &hana, fields, id, NULL, err) == MG_OK);
	CHECK(strstr(answer_of(bot, q), "閉鎖") != NULL);
	CHECK(fixture_count(db, "SELECT count(*) FROM staff_audit WHERE action = 'entry.update' AND target = '1'") == 1);
	json_decref(fields);
	fixture_bot_close(bot);
}

TEST(staff, unpublished_and_deleted_entries_stop_answering_and_are_audited)
{
	struct chatbot *bot = staff_fixture("st_unpub.db");
	sqlite3 *db = kb_db(chatbot_kb(bot));
	char err[MG_ERR_LEN], slug[64];
	struct staff_session hana, ken;
	char token[STAFF_TOKEN_LEN + 1];
	REQUIRE(staff_login(db, "hana", "correct horse battery", time(NULL), token, &hana, err) == MG_OK);
	REQUIRE(staff_login(db, "ken", "reception desk 2026", time(NULL), token, &ken, err) == MG_OK);
	const char *q = "接種券が届きません";
	REQUIRE(strcmp(answer_of(bot, q), "") != 0);
	decision_of(bot, q, slug);
	REQUIRE(!strcmp(slug, "ticket-not-arrived"));
	CHECK(staff_entry_unpublish(bot, &ken, "2", err) == MG_ERR_DENIED);
	CHECK(staff_entry_delete(bot, &ken, "2", err) == MG_ERR_DENIED);
	REQUIRE(staff_entry_unpublish(bot, &hana, "2", err) == MG_OK);
	decision_of(bot, q, slug);
	CHECK(strcmp(slug, "ticket-not-arrived") != 0);
	CHECK(fixture_count(db, "SELECT count(*) FROM kb_entries WHERE ext_id = '2' AND status = 'draft'") == 1);
	REQUIRE(staff_entry_delete(bot, &hana, "2", err) == MG_OK);
	CHECK(fixture_count(db, "SELECT count(*) FROM kb_entries WHERE ext_id = '2'") == 0);
	CHECK(staff_entry_delete(bot, &hana, "2", err) == MG_ERR_NOT_FOUND);
	/* the log keeps the deleted entry whole, and who did each */
	json_t *audit = NULL;
	struct staff_audit_filter f = {.who = "hana"};
	REQUIRE(staff_audit_list(db, &f, NULL, 10, &audit, err) == MG_OK);
	REQUIRE(json_array_size(audit) == 2);
	json_t *del = json_array_get(audit, 0), *unpub = json_array_get(audit, 1);
	CHECK_STR(json_string_value(json_object_get(del, "action")), "entry.delete");
	CHECK_STR(json_string_value(json_object_get(json_object_get(del, "before"), "question")), q);
	CHECK(json_object_get(del, "after") == NULL);
	CHECK_STR(json_string_value(json_object_get(unpub, "action")), "entry.unpublish");
	CHECK_STR(json_string_value(json_object_get(json_object_get(unpub, "before"), "status")), "published");
	CHECK_STR(json_string_value(json_object_get(json_object_get(unpub, "after"), "status")), "draft");
	json_decref(audit);
	fixture_bot_close(bot);
}

/* A town drops a fact that a published entry still names: staff can still
 * take the entry down and take back an alternate they added to it (the
 * narrow writes do not check the answer again); only a full save asks for
 * the key to be fixed. */
TEST(staff, an_entry_whose_fact_the_town_dropped_can_still_be_unpublished)
{
	struct chatbot *bot = staff_fixture("st_dropped.db");
	sqlite3 *db = kb_db(chatbot_kb(bot));
	char err[MG_ERR_LEN], slug[64], id[KB_ID_LEN], key[KB_ID_LEN];
	struct staff_session hana = hana_in(bot);
	/* written when the town still had the fact: no check */
	struct kb_entry e = {.slug = "bus-to-venue", .category = "venue", .status = "published",
			     .question = "会場行きの臨時バスはありますか",
			     .answer = "臨時バスは{{shuttle_bus_stop}}から出ます。"};
	REQUIRE(kb_entry_put(chatbot_kb(bot), &e, NULL, id, err) == MG_OK);
	const char *q = "会場行きの臨時バスはありますか";
	decision_of(bot, q, slug);
	REQUIRE(!strcmp(slug, "bus-to-venue"));
	REQUIRE(staff_add_alternate(bot, &hana, id, "シャトルバスはありますか", err) == MG_OK);
	CHECK(staff_remove_alternate(bot, &hana, id, "シャトルバスはありますか", err) == MG_OK);
	CHECK(fixture_count(db, "SELECT count(*) FROM staff_audit WHERE action = 'entry.remove_alternate'") == 1);
	CHECK(staff_entry_unpublish(bot, &hana, id, err) == MG_OK);
	decision_of(bot, q, slug);
	CHECK(strcmp(slug, "bus-to-venue") != 0);  /* residents no longer read {{shuttle_bus_stop}} */
	/* the answer itself was left as it was, and a full save names the key */
	json_t *fields = NULL;
	REQUIRE(staff_entry_get(bot, id, &fields, err) == MG_OK);
	CHECK_STR(json_string_value(json_object_get(fields, "status")), "draft");
	CHECK_STR(json_string_value(json_object_get(fields, "answer")), "臨時バスは{{shuttle_bus_stop}}から出ます。");
	CHECK(staff_entry_save(bot, &hana, fields, id, key, err) == MG_ERR_INPUT);
	CHECK_STR(key, "shuttle_bus_stop");
	/* a refusal of another field first: err names it, and no key contradicts it */
	json_object_set_new(fields, "route", json_string("helicopter"));
	CHECK(staff_entry_save(bot, &hana, fields, id, key, err) == MG_ERR_INPUT);
	CHECK(strstr(err, "helicopter") != NULL);
	CHECK_STR(key, "");
	json_decref(fields);
	fixture_bot_close(bot);
}

TEST(staff, an_alternate_added_from_the_queue_can_be_taken_back)
{
	struct chatbot *bot = staff_fixture("st_undo.db");
	sqlite3 *db = kb_db(chatbot_kb(bot));
	char err[MG_ERR_LEN], slug[64];
	struct staff_session hana = hana_in(bot);
	const char *miss = "接種券がどこかにいってしまった";
	json_t *e = NULL;
	REQUIRE(staff_entry_get(bot, "1", &e, err) == MG_OK);
	char *alts = strdup(json_string_value(json_object_get(e, "alt_questions")));
	json_decref(e);
	REQUIRE(staff_add_alternate(bot, &hana, "1", miss, err) == MG_OK);
	CHECK_STR(decision_of(bot, miss, slug), "answer");
	REQUIRE(staff_remove_alternate(bot, &hana, "1", miss, err) == MG_OK);
	CHECK(strcmp(decision_of(bot, miss, slug), "answer") != 0);
	REQUIRE(staff_entry_get(bot, "1", &e, err) == MG_OK);
	CHECK_STR(json_string_value(json_object_get(e, "alt_questions")), alts);  /* as it was, bars included */
	json_decref(e);
	/* taking back one in the middle keeps the others */
	const char *first = "せっしゅけんをなくした";
	REQUIRE(staff_remove_alternate(bot, &hana, "1", first, err) == MG_OK);
	REQUIRE(staff_entry_get(bot, "1", &e, err) == MG_OK);
	CHECK_STR(json_string_value(json_object_get(e, "alt_questions")), "クーポンを紛失した");
	json_decref(e);
	CHECK(fixture_count(db, "SELECT count(*) FROM staff_audit WHERE action = 'entry.remove_alternate'") == 2);
	free(alts);
	fixture_bot_close(bot);
}

TEST(staff, the_audit_log_filters_by_account_kind_and_day_and_its_csv_runs_no_formula)
{
	struct chatbot *bot = staff_fixture("st_auditlog.db");
	sqlite3 *db = kb_db(chatbot_kb(bot));
	char err[MG_ERR_LEN], token[STAFF_TOKEN_LEN + 1];
	struct staff_session s;
	/* someone tries a name that is a formula; the failure is logged in it */
	CHECK(staff_login(db, "=HYPERLINK(\"http://evil.example\")", "guess guess guess", time(NULL), token, &s,
			  err) == MG_ERR_AUTH);
	CHECK(staff_login(db, "hana", "not hana's password", time(NULL), token, &s, err) == MG_ERR_AUTH);
	/* a record of yesterday (Tokyo), as the log has it after a day */
	REQUIRE(sqlite3_exec(db, "INSERT INTO staff_audit(ts, who, action, target) VALUES(1795000000, 'ken', 'desk.checkin', '1234567890')",
			     NULL, NULL, NULL) == SQLITE_OK);
	json_t *list = NULL;
	struct staff_audit_filter f = {.action = "login.failed"};
	REQUIRE(staff_audit_list(db, &f, NULL, 50, &list, err) == MG_OK);
	CHECK(json_array_size(list) == 2);
	json_decref(list);
	f = (struct staff_audit_filter){.who = "ken"};
	REQUIRE(staff_audit_list(db, &f, NULL, 50, &list, err) == MG_OK);
	CHECK(json_array_size(list) == 1);
	json_decref(list);
	/* 1795000000 is 2026-11-18 11:06:40 UTC, 20:06:40 in Tokyo: that day in Tokyo */
	f = (struct staff_audit_filter){.from = 1794960000 - 9 * 3600, .to = 1794960000 + 15 * 3600};
	REQUIRE(staff_audit_list(db, &f, NULL, 50, &list, err) == MG_OK);
	REQUIRE(json_array_size(list) == 1);
	CHECK_STR(json_string_value(json_object_get(json_array_get(list, 0), "who")), "ken");
	json_decref(list);
	json_t *facets = NULL;
	REQUIRE(staff_audit_facets(db, &facets, err) == MG_OK);
	CHECK(json_array_size(json_object_get(facets, "kinds")) == 3);  /* user.add, login.failed, desk.checkin */
	json_decref(facets);
	char *csv = NULL;
	size_t len = 0;
	int cut = 1;
	FILE *out = open_memstream(&csv, &len);
	REQUIRE(out != NULL);
	CHECK(staff_audit_csv(db, NULL, NULL, out, &cut, err) == MG_OK);
	CHECK(cut == 0);
	fclose(out);
	CHECK(!memcmp(csv, "\xEF\xBB\xBF" "日時,アカウント,種類,対象", 3 + strlen("日時,アカウント,種類,対象")));
	CHECK(strstr(csv, "\"'=HYPERLINK(") != NULL);
	CHECK(strstr(csv, ",\"=HYPERLINK") == NULL);
	CHECK(strstr(csv, "\"login.failed\"") != NULL);
	free(csv);
	fixture_bot_close(bot);
}
