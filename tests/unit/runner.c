/* Runs every registered test, or only the suites named as arguments, and ends
 * with the line "N passed, N failed". A test passes when it recorded no failure. */
#include "test.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define MAX_TESTS 1024

struct test {
	const char *suite, *name;
	void (*fn)(void);
};

static struct test tests[MAX_TESTS];
static int ntests;
static int failures_in_current;
static char tmpdir[256];

void test_register(const char *suite, const char *name, void (*fn)(void))
{
	if (ntests == MAX_TESTS) {
		fprintf(stderr, "too many tests: raise MAX_TESTS\n");
		exit(2);
	}
	tests[ntests++] = (struct test){suite, name, fn};
}

void test_fail(const char *file, int line, const char *what)
{
	failures_in_current++;
	printf("    %s:%d: failed: %s\n", file, line, what);
}

const char *test_tmpdir(void)
{
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof tmpdir, "/tmp/madoguchi-test-XXXXXX");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			exit(2);
		}
	}
	return tmpdir;
}

static int selected(const struct test *t, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++) {
		const char *dot = strchr(argv[i], '.');
		if (dot) {
			size_t n = (size_t)(dot - argv[i]);
			if (strlen(t->suite) == n && !strncmp(t->suite, argv[i], n) &&
			    !strcmp(t->name, dot + 1))
				return 1;
		} else if (!strcmp(t->suite, argv[i])) {
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The process's zone is 19 hours from the test towns' (Asia/Tokyo): a
	 * day or an hour taken in the process's zone instead of the town's
	 * fails the tests that look at it. */
	setenv("TZ", "Pacific/Honolulu", 1);
	tzset();
	for (int i = 0; i < ntests; i++) {
		struct test *t = &tests[i];
		if (!selected(t, argc, argv))
			continue;
		failures_in_current = 0;
		t->fn();
		if (failures_in_current) {
			failed++;
			printf("FAIL %s.%s\n", t->suite, t->name);
		} else {
			passed++;
			printf("ok   %s.%s\n", t->suite, t->name);
		}
	}
	if (tmpdir[0]) {
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
