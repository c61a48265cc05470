/* The unit-test harness: tests register themselves (one TEST per behaviour),
 * one runner binary runs them all or the suites named on its command line. */
#ifndef TEST_H
#define TEST_H

#include <stdio.h>
#include <string.h>

void test_register(const char *suite, const char *name, void (*fn)(void));
void test_fail(const char *file, int line, const char *what);
/* A scratch directory for this run (created once, removed at exit). */
const char *test_tmpdir(void);

#define TEST(suite, name)                                                     \
	static void test_##suite##_##name(void);                              \
	__attribute__((constructor)) static void reg_##suite##_##name(void)   \
	{                                                                     \
		test_register(#suite, #name, test_##suite##_##name);          \
	}                                                                     \
	static void test_##suite##_##name(void)

/* CHECK records a failure and goes on; REQUIRE stops the test. */
#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond))                                                  \
			test_fail(__FILE__, __LINE__, #cond);                 \
	} while (0)
#define REQUIRE(cond)                                                         \
	do {                                                                  \
		if (!(cond)) {                                                \
			test_fail(__FILE__, __LINE__, #cond);                 \
			return;                                               \
		}                                                             \
	} while (0)
#define CHECK_STR(a, b)                                                       \
	do {                                                                  \
		const char *a_ = (a), *b_ = (b);                              \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                      \
			char m_[512];                                         \
			snprintf(m_, sizeof m_, "%s == %s (\"%.200s\" vs \"%.200s\")", \
				 #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
			test_fail(__FILE__, __LINE__, m_);                    \
		}                                                             \
	} while (0)

#endif
