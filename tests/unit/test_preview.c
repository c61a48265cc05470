/* A change tried before it is published (staff_preview): the labelled set
 * shows, question by question, what the change would make better or worse,
 * while residents keep getting the published knowledge base's answers. */
#include "tests/unit/test.h"
#include "tests/unit/fixture.h"
#include "chatbot/staff.h"

#include <stdlib.h>

/* A labelled set over the test knowledge base (tests/unit/data/mini.csv). */
static const char SET[] =
	"# question<TAB>expected\n"
	"接種券をなくしました\tticket-lost\n"
	"接種券がどこかにいってしまった\tticket-lost\n"
	"接種券が届きません\tticket-not-arrived\n"
	"予約をキャンセルしたい\tbooking-cancel\n"
	"副反応にはどんなものがありますか\tside-effects-common\n"
	"粗大ごみの出し方\t-\n";

static struct chatbot *editor_fixture(const char *name, struct staff_session *hana)
{
	struct chatbot *bot = fixture_bot(name);
	sqlite3 *db = kb_db(chatbot_kb(bot));
	char err[MG_ERR_LEN], token[STAFF_TOKEN_LEN + 1];
	if (staff_user_add(db, NULL, "hana", STAFF_EDITOR, "correct horse battery", err) != MG_OK ||
	    staff_login(db, "hana", "correct horse battery", time(NULL), token, hana, err) != MG_OK)
		test_fail(__FILE__, __LINE__, err);
	return bot;
}

/* The row of the compared set for question q, or NULL. */
static json_t *row_of(json_t *r, const char *q)
{
	size_t i;
	json_t *row;
	json_array_foreach(json_object_get(r, "questions"), i, row)
		if (!strcmp(json_string_value(json_object_get(row, "question")), q))
			return row;
	return NULL;
}

static const char *side(json_t *row, const char *which, const char *key)
{
	return json_string_value(json_object_get(json_object_get(row, which), key));
}

static int changes(json_t *r, const char *kind)
{
	return (int)json_integer_value(json_object_get(json_object_get(r, "changes"), kind));
}

/* An editor gives 予約の日時を変更したい (booking-change) phrasings of another
 * topic: the preview shows the question it steals as worse, by name, and
 * residents still get the published answer; after the preview nothing of
 * the published knowledge base has moved. */
TEST(preview, a_change_that_steals_a_question_shows_it_worse_and_publishes_nothing)
{
	struct staff_session hana;
	struct chatbot *bot = editor_fixture("pv_steal.db", &hana);
	sqlite3 *db = kb_db(chatbot_kb(bot));
	char err[MG_ERR_LEN], key[KB_ID_LEN];
	const char *stolen = "接種券が届きません";
	char was[64];
	snprintf(was, sizeof was, "%s", fixture_ask(bot, stolen));
	CHECK_STR(was, "answer ticket-not-arrived");
	int audits = fixture_count(db, "SELECT count(*) FROM staff_audit");
	int generation = fixture_count(db, "SELECT value FROM kb_meta WHERE key='generation'");
	json_t *entry = NULL;
	REQUIRE(staff_entry_get(bot, "5", &entry, err) == MG_OK);
	json_t *edited = json_deep_copy(entry);
	/* Two of them were a steal no more on this knowledge base of a few
	 * phrasings an entry, whose threshold is lower (POLICY_ANSWER_PLAIN_SHIFT):
	 * the question stayed first at 0.900 and was answered; a third makes it one. */
	json_object_set_new(edited, "alt_questions",
			    json_string("別の日に変えたい|よやくのひにちをかえたい|接種券が届きません|接種券が届かない|接種券がまだ届きません"));
	struct staff_proposal change = {.entry = edited};
	json_t *r = NULL;
	REQUIRE(staff_preview(bot, fixture_model(), &hana, &change, SET, strlen(SET), &r, key, err) == MG_OK);
	CHECK_STR(json_string_value(json_object_get(r, "entry")), "5");
	json_t *row = row_of(r, stolen);
	REQUIRE(row != NULL);
	CHECK_STR(json_string_value(json_object_get(row, "change")), "worse");
	CHECK_STR(side(row, "before", "topic"), "ticket-not-arrived");
	CHECK_STR(side(row, "before", "outcome"), "right");
	CHECK(strcmp(side(row, "after", "outcome"), "right") != 0);
	CHECK(changes(r, "worse") >= 1);
	/* the other questions did not move */
	CHECK_STR(json_string_value(json_object_get(row_of(r, "予約をキャンセルしたい"), "change")), "same");
	CHECK(json_integer_value(json_object_get(json_object_get(r, "before"), "questions")) == 6);
	/* the totals say it too: fewer questions answered */
	CHECK(json_real_value(json_object_get(json_object_get(r, "after"), "answered")) <
	      json_real_value(json_object_get(json_object_get(r, "before"), "answered")));
	/* residents still get the published answer, and the published
	 * knowledge base is as it was: the entry, the index, the audit log */
	CHECK_STR(fixture_ask(bot, stolen), was);
	json_t *now = NULL;
	REQUIRE(staff_entry_get(bot, "5", &now, err) == MG_OK);
	CHECK(json_equal(now, entry));
	CHECK(fixture_count(db, "SELECT count(*) FROM staff_audit") == audits);
	CHECK(fixture_count(db, "SELECT value FROM kb_meta WHERE key='generation'") == generation);
	/* published, the change does what the preview said */
	char id[KB_ID_LEN];
	REQUIRE(staff_entry_save(bot, &hana, edited, id, NULL, err) == MG_OK);
	CHECK(strcmp(fixture_ask(bot, stolen), was) != 0);
	json_decref(now);
	json_decref(r);
	json_decref(edited);
	json_decref(entry);
	fixture_bot_close(bot);
}

/* The copy is the published knowledge base: an entry saved as it is moves
 * no question; a question of the review queue added as an alternate shows
 * as better; a refusal of the save is the preview's. */
TEST(preview, the_copy_answers_as_published_and_refuses_what_a_save_refuses)
{
	struct staff_session hana;
	struct chatbot *bot = editor_fixture("pv_same.db", &hana);
	char err[MG_ERR_LEN], key[KB_ID_LEN];
	json_t *entry = NULL, *r = NULL;
	REQUIRE(staff_entry_get(bot, "1", &entry, err) == MG_OK);
	struct staff_proposal same = {.entry = entry};
	REQUIRE(staff_preview(bot, fixture_model(), &hana, &same, SET, strlen(SET), &r, key, err) == MG_OK);
	CHECK(changes(r, "same") == 6);
	CHECK(changes(r, "better") + changes(r, "worse") + changes(r, "changed") == 0);
	json_decref(r);
	/* the queue's missed question, as an alternate of entry 1 */
	const char *missed = "接種券がどこかにいってしまった";
	CHECK(strncmp(fixture_ask(bot, missed), "answer ", 7) != 0);
	struct staff_proposal alt = {.alt_entry = "1", .alt_question = missed};
	REQUIRE(staff_preview(bot, fixture_model(), &hana, &alt, SET, strlen(SET), &r, key, err) == MG_OK);
	json_t *row = row_of(r, missed);
	REQUIRE(row != NULL);
	CHECK_STR(json_string_value(json_object_get(row, "change")), "better");
	CHECK_STR(side(row, "after", "outcome"), "right");
	CHECK(changes(r, "worse") == 0);
	CHECK(strncmp(fixture_ask(bot, missed), "answer ", 7) != 0);
	json_decref(r);
	/* what a save refuses, the preview refuses: the unknown {{key}} named */
	json_object_set_new(entry, "answer", json_string("費用は{{no_such_fact}}です。"));
	CHECK(staff_preview(bot, fixture_model(), &hana, &same, SET, strlen(SET), &r, key, err) == MG_ERR_INPUT);
	CHECK_STR(key, "no_such_fact");
	CHECK(r == NULL);
	/* a set without a labelled question is refused */
	CHECK(staff_preview(bot, fixture_model(), &hana, &alt, "# nothing\n", 10, &r, key, err) == MG_ERR_INPUT);
	CHECK(r == NULL);
	json_decref(entry);
	fixture_bot_close(bot);
}
