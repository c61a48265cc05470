/* libFuzzer harness for the town's configuration (chatbot/town.c,
 * town.json): any bytes are loaded or refused with a reason, never a crash;
 * a loaded town answers what the widget asks of it (each line, its hours
 * and whether it is open, the facts) at any moment. */
#include "chatbot/town_int.h"
#include "tests/fuzz/fuzz_file.h"

#include <string.h>

static const char *const ROUTES[] = {"call_center", "nurse", "booking", "no-such-line"};

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char err[MG_ERR_LEN] = "";
	struct town *t = NULL;
	int rc = town_load(fuzz_file(data, size), &t, err);
	if (rc != MG_OK) {
		if (t || !err[0])
			abort();
		return 0;
	}
	/* Moments across a year, a day and the summer-time changes. */
	for (time_t now = 1767193200; now < 1767193200 + 400L * 86400; now += 86400 * 7 + 3600 * 5) {
		for (size_t i = 0; i < sizeof ROUTES / sizeof *ROUTES; i++) {
			const struct town_line *line = town_line(t, ROUTES[i]);
			json_t *j = line ? town_line_json(t, line, i % 2 ? "en" : "ja", now) : NULL;
			json_decref(j);
		}
	}
	(void)town_fact(t, "call_center_phone", strlen("call_center_phone"), "en");
	(void)town_name(t, "ja");
	town_free(t);
	return 0;
}
