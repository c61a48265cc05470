/* The town's time zone as a value: the local day and hour it gives agree with
 * the C library's for every zone a town might be in, past, present and long
 * after the last transition in the file, whatever the process's own TZ is. */
#include "tests/unit/test.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nlp/zone.h"

static time_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
	return timegm(&tm);
}

static struct nlp_zone *zone(const char *name)
{
	struct nlp_zone *z = NULL;
	char err[MG_ERR_LEN];
	if (nlp_zone_load(name, &z, err) != MG_OK)
		printf("    %s: %s\n", name, err);
	return z;
}

TEST(zone, a_utc_host_evening_is_the_next_morning_in_tokyo)
{
	struct nlp_zone *tokyo = zone("Asia/Tokyo");
	REQUIRE(tokyo);
	char day[11];
	/* 17:46 UTC on 30 November is 02:46 on 1 December at the town hall. */
	nlp_zone_day(tokyo, utc(2026, 11, 30, 17, 46), day);
	CHECK_STR(day, "2026-12-01");
	struct tm tm;
	nlp_zone_tm(tokyo, utc(2026, 11, 30, 17, 46), &tm);
	CHECK(tm.tm_hour == 2 && tm.tm_min == 46 && tm.tm_gmtoff == 9 * 3600);
	CHECK(nlp_zone_offset(tokyo, utc(2150, 1, 1, 0, 0)) == 9 * 3600);  /* the footer's JST-9 */
	struct tm nine = {.tm_year = 126, .tm_mon = 11, .tm_mday = 1, .tm_hour = 9};
	CHECK(nlp_zone_mktime(tokyo, &nine) == utc(2026, 12, 1, 0, 0));
	CHECK_STR(nlp_zone_name(tokyo), "Asia/Tokyo");
	nlp_zone_free(tokyo);
}

TEST(zone, staff_read_the_towns_time_and_pick_the_towns_day)
{
	struct nlp_zone *tokyo = zone("Asia/Tokyo"), *ny = zone("America/New_York");
	REQUIRE(tokyo && ny);
	char when[NLP_ZONE_SECONDS_LEN];
	nlp_zone_time_text(tokyo, utc(2026, 11, 18, 14, 30) + 5, 1, when);
	CHECK_STR(when, "2026-11-18 23:30:05");
	nlp_zone_time_text(tokyo, utc(2026, 11, 18, 15, 0), 0, when);
	CHECK_STR(when, "2026-11-19 00:00");
	/* the town's day runs from its midnight to the next (hour 24) */
	time_t from = 0, to = 0, noon = 0;
	CHECK(nlp_zone_day_at(tokyo, "2026-11-18", 0, &from) == MG_OK && from == utc(2026, 11, 17, 15, 0));
	CHECK(nlp_zone_day_at(tokyo, "2026-11-18", 24, &to) == MG_OK && to == utc(2026, 11, 18, 15, 0));
	/* the day summer time ends in New York has 25 hours */
	CHECK(nlp_zone_day_at(ny, "2026-11-01", 0, &from) == MG_OK && nlp_zone_day_at(ny, "2026-11-01", 24, &to) == MG_OK);
	CHECK(to - from == 25 * 3600);
	CHECK(nlp_zone_day_at(ny, "2026-11-01", 12, &noon) == MG_OK && noon == utc(2026, 11, 1, 17, 0));
	/* a day that is not one is refused, not rolled over */
	CHECK(nlp_zone_day_at(tokyo, "2026-02-30", 0, &from) == MG_ERR_INPUT);
	CHECK(nlp_zone_day_at(tokyo, "2026-2-3", 0, &from) == MG_ERR_INPUT);
	CHECK(nlp_zone_day_at(tokyo, "+026-02-03", 0, &from) == MG_ERR_INPUT);
	nlp_zone_free(tokyo);
	nlp_zone_free(ny);
}

TEST(zone, summer_time_changes_on_the_right_second_north_and_south)
{
	struct nlp_zone *ny = zone("America/New_York"), *syd = zone("Australia/Sydney");
	REQUIRE(ny && syd);
	/* 2026-03-08 02:00 EST becomes 03:00 EDT at 07:00 UTC. */
	CHECK(nlp_zone_offset(ny, utc(2026, 3, 8, 6, 59) + 59) == -5 * 3600);
	CHECK(nlp_zone_offset(ny, utc(2026, 3, 8, 7, 0)) == -4 * 3600);
	/* Long after the file's last transition, from the rule in its footer. */
	CHECK(nlp_zone_offset(ny, utc(2100, 7, 1, 12, 0)) == -4 * 3600);
	CHECK(nlp_zone_offset(ny, utc(2100, 12, 1, 12, 0)) == -5 * 3600);
	CHECK(nlp_zone_offset(syd, utc(2100, 1, 15, 0, 0)) == 11 * 3600);
	CHECK(nlp_zone_offset(syd, utc(2100, 7, 1, 0, 0)) == 10 * 3600);
	/* 02:30 does not exist that night: it reads with the offset before (EST). */
	struct tm skipped = {.tm_year = 126, .tm_mon = 2, .tm_mday = 8, .tm_hour = 2, .tm_min = 30};
	CHECK(nlp_zone_mktime(ny, &skipped) == utc(2026, 3, 8, 7, 30));
	/* 01:30 on 1 November happens twice: the first, still EDT. */
	struct tm twice = {.tm_year = 126, .tm_mon = 10, .tm_mday = 1, .tm_hour = 1, .tm_min = 30};
	CHECK(nlp_zone_mktime(ny, &twice) == utc(2026, 11, 1, 5, 30));
	nlp_zone_free(ny);
	nlp_zone_free(syd);
}

/* In a child, so that the process's TZ stays as it was: every 7 hours and
 * 13 minutes from 1950 to 2120, the value's local time equals glibc's. */
static int agrees_with_libc(const char *name)
{
	struct nlp_zone *z = zone(name);
	if (!z)
		return 0;
	pid_t pid = fork();
	if (pid == 0) {
		setenv("TZ", name, 1);
		tzset();
		int bad = 0;
		for (time_t t = utc(1950, 1, 1, 0, 0); t < utc(2120, 1, 1, 0, 0) && bad < 3;
		     t += 7 * 3600 + 13 * 60) {
			struct tm want, got;
			localtime_r(&t, &want);
			nlp_zone_tm(z, t, &got);
			if (want.tm_gmtoff != got.tm_gmtoff || want.tm_mday != got.tm_mday ||
			    want.tm_hour != got.tm_hour || want.tm_isdst != got.tm_isdst) {
				printf("    %s at %lld: libc %+ld, value %+ld\n", name, (long long)t,
				       want.tm_gmtoff, got.tm_gmtoff);
				bad++;
			}
			/* Back from the wall clock: the same wall clock (a repeated hour may
			 * come back as its other instant). */
			struct tm back;
			nlp_zone_tm(z, nlp_zone_mktime(z, &want), &back);
			if (!bad && (back.tm_mday != want.tm_mday || back.tm_hour != want.tm_hour ||
				     back.tm_min != want.tm_min)) {
				printf("    %s: the wall clock of %lld does not come back\n", name,
				       (long long)t);
				bad++;
			}
		}
		_exit(bad ? 1 : 0);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	nlp_zone_free(z);
	return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST(zone, agrees_with_the_c_library_over_two_centuries)
{
	CHECK(agrees_with_libc("Asia/Tokyo"));
	CHECK(agrees_with_libc("America/New_York"));
	CHECK(agrees_with_libc("Europe/London"));
	CHECK(agrees_with_libc("Australia/Sydney"));
	CHECK(agrees_with_libc("Pacific/Kiritimati"));
	CHECK(agrees_with_libc("UTC"));
}

TEST(zone, names_that_are_not_zones_are_refused)
{
	static const char *const bad[] = {"", "Nowhere/City", "../../etc/passwd", "/etc/localtime",
					  "Asia/Tokyo; rm", "zone.tab"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct nlp_zone *z = (struct nlp_zone *)1;
		char err[MG_ERR_LEN] = "";
		CHECK(nlp_zone_load(bad[i], &z, err) == MG_ERR_INPUT);
		CHECK(z == NULL);
		CHECK(err[0] != '\0');
	}
	struct nlp_zone *none = NULL;
	CHECK(nlp_zone_load(NULL, &none, NULL) == MG_ERR_INPUT && !none);
	nlp_zone_free(NULL);
}
