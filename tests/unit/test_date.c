/* Birth dates as elderly and foreign residents write them: every way in the
 * table reads as the same day, and what cannot be read says why. */
#include "tests/unit/test.h"
#include "nlp/date.h"

struct date_case {
	const char *text;
	const char *iso;          /* expected date, or NULL when refused */
	enum nlp_date_why why;    /* with iso NULL: the reason */
};

static const struct date_case CASES[] = {
	/* Western, as digits */
	{"1950-04-01", "1950-04-01", 0},
	{"1950/4/1", "1950-04-01", 0},
	{"1950/04/01", "1950-04-01", 0},
	{"1950.4.1", "1950-04-01", 0},
	{"1950 4 1", "1950-04-01", 0},
	{"19500401", "1950-04-01", 0},
	{" 1950/4/1 ", "1950-04-01", 0},
	{"1950 / 4 / 1", "1950-04-01", 0},
	{"1950年4月1日", "1950-04-01", 0},
	{"1950年4月1", "1950-04-01", 0},
	{"1950年 4月 1日", "1950-04-01", 0},
	{"1950年4月1日生まれ", "1950-04-01", 0},
	{"1950年4月1日生", "1950-04-01", 0},
	{"2000-02-29", "2000-02-29", 0},
	{"2024/2/29", "2024-02-29", 0},
	/* full-width digits and punctuation */
	{"１９５０年４月１日", "1950-04-01", 0},
	{"１９５０／４／１", "1950-04-01", 0},
	{"１９５０－０４－０１", "1950-04-01", 0},
	{"１９５００４０１", "1950-04-01", 0},
	{"1950ー4ー1", "1950-04-01", 0},
	{"1950・4・1", "1950-04-01", 0},
	/* kanji numerals */
	{"一九五〇年四月一日", "1950-04-01", 0},
	{"一九五○年四月一日", "1950-04-01", 0},
	{"千九百五十年四月一日", "1950-04-01", 0},
	{"昭和二十五年四月一日", "1950-04-01", 0},
	{"昭和二十五年十二月三十一日", "1950-12-31", 0},
	{"昭和十年十月十日", "1935-10-10", 0},
	/* Japanese eras */
	{"昭和25年4月1日", "1950-04-01", 0},
	{"昭和２５年４月１日", "1950-04-01", 0},
	{"昭和25年4月1日生まれ", "1950-04-01", 0},
	{"昭和 25年 4月 1日", "1950-04-01", 0},
	{"昭25年4月1日", "1950-04-01", 0},
	{"昭和25/4/1", "1950-04-01", 0},
	{"昭和25.4.1", "1950-04-01", 0},
	{"S25.4.1", "1950-04-01", 0},
	{"s25.4.1", "1950-04-01", 0},
	{"S.25.4.1", "1950-04-01", 0},
	{"S25/04/01", "1950-04-01", 0},
	{"S25-4-1", "1950-04-01", 0},
	{"S 25 4 1", "1950-04-01", 0},
	{"Ｓ２５．４．１", "1950-04-01", 0},
	{"S250401", "1950-04-01", 0},
	{"㍼25年4月1日", "1950-04-01", 0},
	{"昭和元年12月25日", "1926-12-25", 0},
	{"昭和64年1月7日", "1989-01-07", 0},
	{"平成元年1月8日", "1989-01-08", 0},
	{"平成1年1月8日", "1989-01-08", 0},
	{"H1.1.8", "1989-01-08", 0},
	{"平成31年4月30日", "2019-04-30", 0},
	{"令和元年5月1日", "2019-05-01", 0},
	{"R1.5.1", "2019-05-01", 0},
	{"令和6年2月29日", "2024-02-29", 0},
	{"大正15年12月25日", "1926-12-25", 0},
	{"T14.3.3", "1925-03-03", 0},
	{"大正3年5月5日", "1914-05-05", 0},
	{"明治45年7月30日", "1912-07-30", 0},
	{"M44.1.1", "1911-01-01", 0},
	/* English */
	{"1 April 1950", "1950-04-01", 0},
	{"April 1, 1950", "1950-04-01", 0},
	{"1st Apr 1950", "1950-04-01", 0},
	{"Sept. 9, 1949", "1949-09-09", 0},
	{"1950 December 31", "1950-12-31", 0},
	/* refused, with the reason */
	{"", NULL, NLP_DATE_EMPTY},
	{"   ", NULL, NLP_DATE_EMPTY},
	{"1950/2/30", NULL, NLP_DATE_DAY},
	{"2023-02-29", NULL, NLP_DATE_DAY},
	{"1900-02-29", NULL, NLP_DATE_DAY},
	{"昭和25年4月31日", NULL, NLP_DATE_DAY},
	{"1950/13/1", NULL, NLP_DATE_MONTH},
	{"19501301", NULL, NLP_DATE_MONTH},
	{"昭和25年0月1日", NULL, NLP_DATE_MONTH},
	{"1950/4/0", NULL, NLP_DATE_DAY},
	{"昭和65年1月1日", NULL, NLP_DATE_ERA_RANGE},
	{"昭和64年1月8日", NULL, NLP_DATE_ERA_RANGE},
	{"昭和元年1月1日", NULL, NLP_DATE_ERA_RANGE},
	{"平成31年5月1日", NULL, NLP_DATE_ERA_RANGE},
	{"H32.1.1", NULL, NLP_DATE_ERA_RANGE},
	{"令和0年5月1日", NULL, NLP_DATE_ERA_RANGE},
	{"大正16年1月1日", NULL, NLP_DATE_ERA_RANGE},
	{"25年4月1日", NULL, NLP_DATE_NO_ERA},
	{"25/4/1", NULL, NLP_DATE_NO_ERA},
	{"250401", NULL, NLP_DATE_NO_ERA},
	{"1/4/1950", NULL, NLP_DATE_ORDER},
	{"4/1/1950", NULL, NLP_DATE_ORDER},
	{"4月1日", NULL, NLP_DATE_NO_YEAR},
	{"4/1", NULL, NLP_DATE_NO_YEAR},
	{"April 1", NULL, NLP_DATE_NO_YEAR},
	{"元年4月1日", NULL, NLP_DATE_UNREADABLE},
	{"1950年4月", NULL, NLP_DATE_UNREADABLE},
	{"S25/4", NULL, NLP_DATE_UNREADABLE},
	{"きのう", NULL, NLP_DATE_UNREADABLE},
	{"1950/4/1 10:00", NULL, NLP_DATE_UNREADABLE},
	{"X25.4.1", NULL, NLP_DATE_UNREADABLE},
	{"1950-04-01; DROP TABLE", NULL, NLP_DATE_UNREADABLE},
	{"1234567890123", NULL, NLP_DATE_UNREADABLE},
	{"195004011", NULL, NLP_DATE_UNREADABLE},
	{"0950/4/1", NULL, NLP_DATE_UNREADABLE},
	{"\xff\xfe", NULL, NLP_DATE_UNREADABLE},
	{"1950/4/1\xe6", NULL, NLP_DATE_UNREADABLE},
};

TEST(date, every_way_of_writing_reads_as_the_same_day)
{
	char err[MG_ERR_LEN], m[512];
	int n = (int)(sizeof CASES / sizeof *CASES);
	CHECK(n >= 60);
	for (int i = 0; i < n; i++) {
		const struct date_case *c = &CASES[i];
		struct nlp_date d;
		err[0] = '\0';
		int rc = nlp_date_parse(c->text, strlen(c->text), &d, err);
		int ok = c->iso ? rc == MG_OK && !strcmp(d.iso, c->iso) && d.why == NLP_DATE_OK
				: rc == MG_ERR_INPUT && d.why == c->why && !d.iso[0] && err[0];
		if (!ok) {
			snprintf(m, sizeof m, "\"%s\": want %s, got rc %d iso \"%s\" why %s (%s)", c->text,
				 c->iso ? c->iso : nlp_date_why_name(c->why), rc, d.iso,
				 nlp_date_why_name(d.why), err);
			test_fail(__FILE__, __LINE__, m);
		}
	}
}

TEST(date, a_refusal_says_what_is_wrong)
{
	char err[MG_ERR_LEN];
	struct nlp_date d;
	const char *s = "昭和64年1月8日";
	CHECK(nlp_date_parse(s, strlen(s), &d, err) == MG_ERR_INPUT);
	REQUIRE(d.era);
	CHECK_STR(d.era->name, "昭和");
	CHECK(strstr(err, "1989-01-07") != NULL);  /* the era's last day */
	s = "2023/2/29";
	CHECK(nlp_date_parse(s, strlen(s), &d, err) == MG_ERR_INPUT);
	CHECK(d.days_in_month == 28 && d.month == 2);
	CHECK(strstr(err, "28 days") != NULL);
	CHECK_STR(nlp_date_why_name(NLP_DATE_ERA_RANGE), "era_range");
}

TEST(date, a_machine_date_is_exactly_a_day_that_exists)
{
	int y = 0, m = 0, d = 0;
	CHECK(nlp_date_iso("2028-02-29", &y, &m, &d) == MG_OK && y == 2028 && m == 2 && d == 29);
	CHECK(nlp_date_iso("2026-02-29", NULL, NULL, NULL) == MG_ERR_INPUT);
	CHECK(nlp_date_iso("2026-04-31", NULL, NULL, NULL) == MG_ERR_INPUT);
	CHECK(nlp_date_iso("2026-13-01", NULL, NULL, NULL) == MG_ERR_INPUT);
	CHECK(nlp_date_iso("2026-1-01x", NULL, NULL, NULL) == MG_ERR_INPUT);
	CHECK(nlp_date_iso(" 2026-01-0", NULL, NULL, NULL) == MG_ERR_INPUT);
	CHECK(nlp_date_iso("2026/01/01", NULL, NULL, NULL) == MG_ERR_INPUT);
	CHECK(nlp_date_iso("2026-01-01 ", NULL, NULL, NULL) == MG_ERR_INPUT);
	CHECK(nlp_date_iso("0999-12-31", NULL, NULL, NULL) == MG_ERR_INPUT);
	CHECK(nlp_date_iso(NULL, NULL, NULL, NULL) == MG_ERR_INPUT);
}

TEST(date, never_reads_past_the_length)
{
	/* "1950/4/1" cut after "1950/4/" is not that date; and a longer text
	 * than any date is refused before it is read. */
	char err[MG_ERR_LEN], big[NLP_DATE_MAX_BYTES + 2];
	struct nlp_date d;
	CHECK(nlp_date_parse("1950/4/12", 8, &d, err) == MG_OK);
	CHECK_STR(d.iso, "1950-04-01");
	CHECK(nlp_date_parse("1950/4/1", 7, &d, err) == MG_ERR_INPUT);
	memset(big, ' ', sizeof big);
	memcpy(big, "1950/4/1", 8);
	CHECK(nlp_date_parse(big, sizeof big, &d, err) == MG_ERR_INPUT);
	CHECK(nlp_date_parse(NULL, 0, &d, err) == MG_ERR_INPUT);
}
