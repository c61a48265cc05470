/* What the analyser must get right for residents: the same entry is found
 * whether a word is typed in kanji, hiragana, full-width or English. */
#include "tests/unit/test.h"
#include "tests/unit/fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlp/hash.h"

static int has_term(const char *terms, const char *t)
{
	size_t n = strlen(t);
	for (const char *p = terms; (p = strstr(p, t)); p += n)
		if ((p == terms || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0))
			return 1;
	return 0;
}

TEST(nlp, lemmas_of_content_words)
{
	const char *t = fixture_terms("接種券が届かないのですが", NULL);
	CHECK(has_term(t, "接種"));
	CHECK(has_term(t, "券"));
	CHECK(has_term(t, "届く"));
	CHECK(!has_term(t, "が"));   /* particles carry no topic */
	CHECK(!has_term(t, "です"));
}

TEST(nlp, hiragana_reading_meets_kanji)
{
	/* A resident typing only hiragana shares reading bigrams with the kanji form. */
	char kanji[8192];
	snprintf(kanji, sizeof kanji, "%s", fixture_terms("副反応が心配", NULL));
	const char *kana = fixture_terms("ふくはんのうがしんぱい", NULL);
	CHECK(has_term(kanji, "~フク") && has_term(kana, "~フク"));
	CHECK(has_term(kanji, "~ハン") && has_term(kana, "~ハン"));
	CHECK(has_term(kanji, "~パイ") && has_term(kana, "~パイ"));
}

TEST(nlp, fullwidth_and_halfwidth_fold)
{
	char a[8192];
	snprintf(a, sizeof a, "%s", fixture_terms("ＰＣＲ　ｾｯｼｭｹﾝ", NULL));
	const char *b = fixture_terms("pcr セッシュケン", NULL);
	CHECK_STR(a, b);
}

TEST(nlp, english_is_stemmed_without_stop_words)
{
	const char *t = fixture_terms("Can I book vaccinations for my mother?", NULL);
	CHECK(has_term(t, "book"));
	CHECK(has_term(t, "vaccin"));
	CHECK(has_term(t, "mother"));
	CHECK(!has_term(t, "can"));
	CHECK(!has_term(t, "my"));
}

TEST(nlp, synonyms_rewrite_longest_variant_first)
{
	char err[MG_ERR_LEN];
	struct nlp_synonyms *syn = nlp_synonyms_new();
	REQUIRE(syn);
	CHECK(nlp_synonyms_add(syn, "副反応", "副作用", err) == MG_OK);
	CHECK(nlp_synonyms_add(syn, "接種券", "クーポン券", err) == MG_OK);
	CHECK(nlp_synonyms_add(syn, "接種券", "クーポン", err) == MG_OK);
	CHECK(nlp_synonyms_add(syn, "vaccination", "shot", err) == MG_OK);
	char *out = NULL;
	size_t n;
	REQUIRE(nlp_synonyms_apply(syn, "クーポン券の副作用", strlen("クーポン券の副作用"), &out, &n) == MG_OK);
	CHECK_STR(out, "接種券の副反応");
	free(out);
	/* Latin variants only as whole words. */
	REQUIRE(nlp_synonyms_apply(syn, "a shot, a screenshot", 20, &out, &n) == MG_OK);
	CHECK_STR(out, "a vaccination, a screenshot");
	free(out);
	nlp_synonyms_free(syn);
}

/* A resident writes なくしました, staff listed なくした: every inflection of
 * a listed verb meets its canonical word, but not a negated one (見当たら
 * ない listed for 紛失 says nothing of 見当たりました, "found"). */
TEST(nlp, a_synonyms_verb_meets_every_inflection)
{
	char err[MG_ERR_LEN];
	struct nlp_synonyms *syn = nlp_synonyms_new();
	struct nlp_analyser *an = NULL;
	REQUIRE(syn);
	REQUIRE(nlp_analyser_new(fixture_model(), &an, err) == MG_OK);
	CHECK(nlp_synonyms_add(syn, "紛失", "なくした", err) == MG_OK);
	CHECK(nlp_synonyms_add(syn, "紛失", "見当たらない", err) == MG_OK);
	CHECK(nlp_synonyms_add(syn, "予約", "よやく", err) == MG_OK);
	CHECK(nlp_synonyms_add(syn, "費用", "値段", err) == MG_OK);
	CHECK(nlp_synonyms_add(syn, "費用", "ねだん", err) == MG_OK);
	/* before it is read, only the spelling listed */
	CHECK(!has_term(fixture_terms("接種券をなくしました", syn), "紛失"));
	REQUIRE(nlp_synonyms_lemmatise(syn, an, err) == MG_OK);
	CHECK(has_term(fixture_terms("接種券をなくしました", syn), "紛失"));
	CHECK(has_term(fixture_terms("接種券をなくす", syn), "紛失"));
	CHECK(!has_term(fixture_terms("接種券をなくしました", syn), "なくす"));
	CHECK(has_term(fixture_terms("接種券をなくしたら", syn), "紛失"));  /* the rewrite, as before */
	CHECK(!has_term(fixture_terms("接種券が見当たりました", syn), "紛失"));
	/* a kana spelling of a noun is no verb: やく (to bake) stays itself */
	CHECK(!has_term(fixture_terms("パンをやく", syn), "予約"));
	/* ...nor one of another spelling in its group: ねだん is 値段 (the
	 * price), which MeCab reads as ねだる (to pester) */
	CHECK(has_term(fixture_terms("ねだんはいくらですか", syn), "費用"));
	CHECK(!has_term(fixture_terms("子供がねだった", syn), "費用"));
	nlp_analyser_free(an);
	nlp_synonyms_free(syn);
}

/* 越してきた is moving in (転入), 年を越す is the new year: a verb listed
 * with a direction, the tail of a longer verb of its group (越す of
 * 引っ越す), meets its canonical word only with that direction, while the
 * longer verb meets it in every inflection, as before. */
TEST(nlp, a_clipped_synonym_verb_needs_its_direction)
{
	static const char *const moved_in[] = {"引っ越してきた", "越してきた", "移ってきた"};
	char err[MG_ERR_LEN];
	struct nlp_analyser *an = NULL;
	struct nlp_synonyms *syn = nlp_synonyms_new();
	REQUIRE(syn && nlp_analyser_new(fixture_model(), &an, err) == MG_OK);
	for (size_t i = 0; i < sizeof moved_in / sizeof *moved_in; i++)
		CHECK(nlp_synonyms_add(syn, "転入", moved_in[i], err) == MG_OK);
	REQUIRE(nlp_synonyms_lemmatise(syn, an, err) == MG_OK);
	CHECK(!has_term(fixture_terms("年を越すと予約できますか", syn), "転入"));
	CHECK(has_term(fixture_terms("年を越すと予約できますか", syn), "越す"));
	CHECK(has_term(fixture_terms("町に越して来ました", syn), "転入"));
	CHECK(has_term(fixture_terms("先月越してきたばかりです", syn), "転入"));
	/* 引っ越す is no clipped verb: any inflection, as before */
	CHECK(has_term(fixture_terms("来月引っ越します", syn), "転入"));
	CHECK(has_term(fixture_terms("引っ越してきました", syn), "転入"));
	/* 移る is the tail of no verb of the group */
	CHECK(has_term(fixture_terms("隣の町から移りました", syn), "転入"));
	nlp_analyser_free(an);
	nlp_synonyms_free(syn);
}

/* The question words whose answer is one topic are words of the question
 * and of the index, whatever ipadic calls them: いくら the adverb and the
 * noun, 何 the numeral before 歳; いつ, どこ, 誰 stay out. */
TEST(nlp, a_question_word_is_a_word_of_the_question)
{
	CHECK(has_term(fixture_terms("いくらかかりますか", NULL), "いくら"));
	CHECK(has_term(fixture_terms("接種の費用はいくらですか？", NULL), "いくら"));
	CHECK(!has_term(fixture_terms("いつから予約できますか", NULL), "いつ"));
	CHECK(!has_term(fixture_terms("誰が受けられますか", NULL), "誰"));
	CHECK(has_term(fixture_terms("何歳から受けられますか", NULL), "何歳"));
	CHECK(has_term(fixture_terms("子どもは何才から", NULL), "何歳"));
	/* 何 alone names nothing */
	CHECK(!has_term(fixture_terms("何が必要ですか", NULL), "何"));
	CHECK(!has_term(fixture_terms("何が必要ですか", NULL), "何歳"));
}

TEST(nlp, bad_input_is_refused_or_harmless)
{
	char err[MG_ERR_LEN];
	struct nlp_analyser *an = NULL;
	REQUIRE(nlp_analyser_new(fixture_model(), &an, err) == MG_OK);
	CHECK(nlp_analyse(an, NULL, "\xff\xfe", 2, NULL, NULL, err) == MG_ERR_UTF8);
	CHECK_STR(fixture_terms("", NULL), "");
	CHECK_STR(fixture_terms("   \t ", NULL), "");
	/* NUL bytes and emoji in the middle of a question are just separators. */
	CHECK_STR(fixture_terms("予約\0取消", NULL), fixture_terms("予約", NULL));
	const char *t = fixture_terms("予約😀したい\"*NEAR(^:", NULL);
	CHECK(has_term(t, "予約"));
	nlp_analyser_free(an);
}

TEST(nlp, normalise_squeezes_and_folds)
{
	char *out = NULL;
	size_t n;
	char err[MG_ERR_LEN];
	REQUIRE(nlp_normalise("  Ａｂｃ　　ｶﾞｲﾄﾞ \n", strlen("  Ａｂｃ　　ｶﾞｲﾄﾞ \n"), &out, &n, err) == MG_OK);
	CHECK_STR(out, "abc ガイド");
	free(out);
	CHECK(nlp_is_english("Can I book?", 11));
	CHECK(!nlp_is_english("予約 book", strlen("予約 book")));
}

TEST(nlp, a_question_typed_in_hiragana_alone_is_recognised)
{
	static const char *const hiragana[] = {"ふくはんのうがしんぱい", "せっしゅけん なくした？",
		"よやくの へんこうは できますか。", "こーひーのんでもいい？", "3かいめはいつ"};
	static const char *const not_hiragana[] = {"副反応が心配", "ワクチンはいつ", "よやく book",
		"ｶﾞｲﾄﾞはどこ", "ｂｏｏｋできる？", "12345", "", "\xe3\x81"};
	for (size_t i = 0; i < sizeof hiragana / sizeof *hiragana; i++)
		CHECK(nlp_is_hiragana_only(hiragana[i], strlen(hiragana[i])));
	for (size_t i = 0; i < sizeof not_hiragana / sizeof *not_hiragana; i++)
		CHECK(!nlp_is_hiragana_only(not_hiragana[i], strlen(not_hiragana[i])));
	/* what reads as hiragana is Japanese, never another language, whatever
	 * else is in it (ゟ beside Hangul; found by fuzz_ask) */
	const char *yori = "\x00\x0f\xeb\x82\x9f\xe3\x82\x9f\xe3\x82\x9f";
	CHECK(nlp_is_hiragana_only(yori, 11));
	CHECK(!nlp_is_other_language(yori, 11) && !nlp_is_english(yori, 11));
}

TEST(nlp, a_language_neither_japanese_nor_english_is_recognised)
{
	static const char *const other[] = {"tiếng việt được không?", "한국어로 상담할 수 있나요?",
		"¿hay información en español?", "posso tomar a vacina em português?", "можно ли по-русски?"};
	static const char *const not_other[] = {"can i book for my mother?", "接種券をなくしました",
		"予約 book", "ワクチン한국어", "12345", ""};
	for (size_t i = 0; i < sizeof other / sizeof *other; i++)
		CHECK(nlp_is_other_language(other[i], strlen(other[i])));
	for (size_t i = 0; i < sizeof not_other / sizeof *not_other; i++)
		CHECK(!nlp_is_other_language(not_other[i], strlen(not_other[i])));
}

/* The one string hash of the tables (the dictionary's, the synonyms',
 * the rate limiter's) is FNV-1a: its published test vectors. */
TEST(nlp, the_shared_hash_is_fnv1a)
{
	CHECK(mg_hash("", 0) == 0x811c9dc5u);
	CHECK(mg_hash("a", 1) == 0xe40c292cu);
	CHECK(mg_hash("foobar", 6) == 0xbf9cf968u);
}

/* What an attacker can do with an unkeyed hash: find, offline, questions
 * that all land in one bucket of a 1,024-bucket table (here under 64-bit
 * FNV-1a, the decision cache's hash before). Under the keyed hash they
 * spread like any others, and two tables' keys disagree. */
static uint64_t fnv1a64(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

TEST(nlp, questions_made_to_collide_spread_under_the_keyed_hash)
{
	enum { BUCKETS = 1024, PICKED = 200 };
	static char picked[PICKED][32];
	int n = 0;
	for (unsigned i = 0; n < PICKED && i < 10000000u; i++) {
		char q[32];
		int len = snprintf(q, sizeof q, "予約したい%u", i);
		if ((fnv1a64(q, (size_t)len) & (BUCKETS - 1)) == 0)
			memcpy(picked[n++], q, (size_t)len + 1);
	}
	CHECK(n == PICKED);
	struct mg_hash_key a, b;
	CHECK(mg_hash_key_new(&a) == MG_OK && mg_hash_key_new(&b) == MG_OK);
	int in_bucket[BUCKETS] = { 0 }, fullest = 0, same = 0;
	for (int i = 0; i < n; i++) {
		size_t len = strlen(picked[i]);
		uint64_t h = mg_hash_keyed(&a, picked[i], len);
		int k = ++in_bucket[h & (BUCKETS - 1)];
		if (k > fullest)
			fullest = k;
		same += h == mg_hash_keyed(&a, picked[i], len);
		CHECK(h != mg_hash_keyed(&b, picked[i], len));
	}
	CHECK(same == n);
	/* 200 keys in 1,024 buckets: the fullest holds 3 or 4; more than 8 about
	 * one run in a billion. */
	CHECK(fullest <= 8);
}

/* ---- furigana ---- */

struct ruby_text {
	char s[2048];
	size_t n;
};

/* Segments written as a|b(r)|c: the text, and its reading in brackets. */
static int ruby_seg(void *ctx, const char *t, size_t len, const char *r, size_t rlen)
{
	struct ruby_text *o = ctx;
	o->n += (size_t)snprintf(o->s + o->n, sizeof o->s - o->n, "%s%.*s", o->n ? "|" : "", (int)len, t);
	if (r)
		o->n += (size_t)snprintf(o->s + o->n, sizeof o->s - o->n, "(%.*s)", (int)rlen, r);
	return 0;
}

static const char *ruby_of(const struct nlp_readings *words, const char *text, size_t len)
{
	static struct ruby_text o;
	char err[MG_ERR_LEN];
	struct nlp_analyser *an = NULL;
	memset(&o, 0, sizeof o);
	if (nlp_analyser_new(fixture_model(), &an, err) != MG_OK ||
	    nlp_ruby(an, words, text, len, ruby_seg, &o, err) != MG_OK)
		snprintf(o.s, sizeof o.s, "error: %s", err);
	nlp_analyser_free(an);
	return o.s;
}
#define RUBY(text) ruby_of(NULL, text, strlen(text))

TEST(nlp, furigana_over_kanji_only)
{
	/* The answers' commonest words, read as a resident reads them. */
	CHECK_STR(RUBY("接種券をなくしました"), "接種券(せっしゅけん)|をなくしました");
	/* okurigana stay outside the ruby */
	CHECK_STR(RUBY("受けられます"), "受(う)|けられます");
	CHECK_STR(RUBY("予約の取り消し"), "予約(よやく)|の|取(と)|り|消(け)|し");
	/* numbers, Latin letters, katakana and kana get none */
	CHECK_STR(RUBY("3回目のワクチンはWebで"), "3|回目(かいめ)|のワクチンはWebで");
	CHECK_STR(RUBY("0120-000-000"), "0120-000-000");
	CHECK_STR(RUBY("副反応が出たら、お電話ください。"),
		  "副反応(ふくはんのう)|が|出(で)|たら、お|電話(でんわ)|ください。");
}

TEST(nlp, furigana_keeps_every_byte)
{
	/* spaces MeCab skips, line breaks, NUL and invalid UTF-8 come back as they were */
	CHECK_STR(RUBY("接種　会場\n\n予約"), "接種(せっしゅ)|　|会場(かいじょう)|\n\n|予約(よやく)");
	const char nul[] = "予約\0取消";
	CHECK_STR(ruby_of(NULL, nul, sizeof nul - 1), "予約(よやく)||取消(とりけし)");  /* the NUL prints as nothing */
	CHECK_STR(RUBY("予約\xff接種"), "予約\xff接種");
	CHECK_STR(RUBY(""), "");
}

TEST(nlp, furigana_reads_the_towns_words_first)
{
	char err[MG_ERR_LEN];
	struct nlp_readings *w = nlp_readings_new();
	REQUIRE(w);
	/* MeCab reads 町 as まち and cuts the hall's name in three */
	CHECK_STR(RUBY("みどり町の中央公民館"), "みどり|町(まち)|の|中央公民館(ちゅうおうこうみんかん)");
	CHECK(nlp_readings_add(w, "みどり町", "みどりちょう", err) == MG_OK);
	CHECK(nlp_readings_add(w, "中央", "ちゅうおう", err) == MG_OK);
	CHECK(nlp_readings_add(w, "中央公民館", "チュウオウコウミンカン", err) == MG_OK);
	CHECK(nlp_readings_add(w, "緑ヶ丘", "みどりがおか", err) == MG_OK);
	CHECK_STR(ruby_of(w, "みどり町の中央公民館", strlen("みどり町の中央公民館")),
		  "みどり|町(ちょう)|の|中央公民館(ちゅうおうこうみんかん)");
	CHECK_STR(ruby_of(w, "中央と緑ヶ丘", strlen("中央と緑ヶ丘")), "中央(ちゅうおう)|と|緑ヶ丘(みどりがおか)");
	/* a reading that is not kana is refused, with the word named */
	CHECK(nlp_readings_add(w, "東町", "higashi", err) == MG_ERR_INPUT);
	CHECK(strstr(err, "東町") != NULL);
	CHECK(nlp_readings_add(w, "", "ひがし", err) == MG_ERR_INPUT);
	nlp_readings_free(w);
}

TEST(nlp, furigana_finds_each_town_word_whatever_the_order_of_the_list)
{
	/* A town lists its words as it likes: every one is read, and where
	 * several start alike the longest one wins whichever came first. */
	char err[MG_ERR_LEN];
	struct nlp_readings *w = nlp_readings_new();
	REQUIRE(w);
	static const char *const words[][2] = {
		{"緑ヶ丘", "みどりがおか"}, {"中央公民館", "ちゅうおうこうみんかん"}, {"みどり町", "みどりちょう"},
		{"中央", "ちゅうおう"}, {"東町", "ひがしまち"}, {"中央公民館分室", "ちゅうおうこうみんかんぶんしつ"},
		{"緑", "みどり"}, {"東町立図書館", "ひがしちょうりつとしょかん"},
	};
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		CHECK(nlp_readings_add(w, words[i][0], words[i][1], err) == MG_OK);
	const char *t = "中央公民館分室と中央公民館と中央、東町立図書館と東町、緑ヶ丘と緑";
	CHECK(!strcmp(ruby_of(w, t, strlen(t)),
		  "中央公民館分室(ちゅうおうこうみんかんぶんしつ)|と|中央公民館(ちゅうおうこうみんかん)|と|"
		  "中央(ちゅうおう)|、|東町立図書館(ひがしちょうりつとしょかん)|と|東町(ひがしまち)|、|"
		  "緑ヶ丘(みどりがおか)|と|緑(みどり)"));
	nlp_readings_free(w);
}
