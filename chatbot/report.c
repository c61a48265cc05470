/* The report of events_report() as CSV for Excel (the console's download and
 * `madoguchi report --csv`). Nothing here computes a figure. */
#include "chatbot/events.h"

#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_int_t ival(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* A rate as "41.7%", or "-" when there was nothing to divide by. */
static const char *pct(json_t *o, const char *k, char buf[16])
{
	json_t *v = json_object_get(o, k);
	if (!json_is_number(v))
		return "-";
	snprintf(buf, 16, "%.1f%%", json_number_value(v) * 100);
	return buf;
}

static const char *sv(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

void events_report_text(json_t *r, FILE *f)
{
	char a[16], b[16];
	json_t *t = json_object_get(r, "totals"), *o;
	size_t i;
	fprintf(f, "madoguchi report %s .. %s\n\n", sv(r, "from"), sv(r, "to"));
	fprintf(f, "conversations      %6lld\n", (long long)ival(t, "conversations"));
	fprintf(f, "deflected          %6lld  %s   (a booking made in the chat stands: %lld, %s)\n",
	       (long long)ival(t, "deflected"), pct(t, "deflection_rate", a),
	       (long long)ival(t, "self_service"), pct(t, "self_service_rate", b));
	fprintf(f, "bookings in chat   %6lld  (cancelled since: %lld)\n", (long long)ival(t, "bookings_completed"),
	       (long long)ival(t, "bookings_cancelled"));
	fprintf(f, "questions          %6lld\n", (long long)ival(t, "questions"));
	fprintf(f, "  answered         %6lld  %s\n", (long long)ival(t, "answered"), pct(t, "answered_rate", a));
	fprintf(f, "  clarified        %6lld  %s   (a choice picked: %lld)\n", (long long)ival(t, "clarified"),
	       pct(t, "clarify_rate", a), (long long)ival(t, "clarify_chosen"));
	fprintf(f, "  handed off       %6lld  %s\n", (long long)ival(t, "handed_off"), pct(t, "handoff_rate", a));
	json_array_foreach(json_object_get(r, "handoffs"), i, o)
		fprintf(f, "    to %-12s %6lld  %s\n", sv(o, "route"), (long long)ival(o, "questions"), pct(o, "rate", a));
	fprintf(f, "  asked to rephrase %5lld  %s\n", (long long)ival(t, "rephrased"), pct(t, "rephrase_rate", a));
	fprintf(f, "helpful / not      %6lld / %lld  %s helpful\n", (long long)ival(t, "helpful"),
	       (long long)ival(t, "unhelpful"), pct(t, "helpful_ratio", a));
	json_array_foreach(json_object_get(r, "clicks"), i, o)
		fprintf(f, "taps %-13s %6lld\n", sv(o, "click"), (long long)ival(o, "n"));

	fprintf(f, "\nday         conversations  deflected  rate    questions  answered  booked\n");
	json_array_foreach(json_object_get(r, "days"), i, o)
		fprintf(f, "%s  %13lld  %9lld  %-6s  %9lld  %8lld  %6lld\n", sv(o, "day"),
		       (long long)ival(o, "conversations"), (long long)ival(o, "deflected"),
		       pct(o, "deflection_rate", a), (long long)ival(o, "questions"),
		       (long long)ival(o, "answered"), (long long)ival(o, "self_service"));

	static const char *const LISTS[] = {"topics", "categories"};
	for (size_t k = 0; k < 2; k++) {
		fprintf(f, "\n%-28s  questions  answered  rate    not helpful\n", k ? "category" : "topic");
		json_array_foreach(json_object_get(r, LISTS[k]), i, o)
			fprintf(f, "%-28s  %9lld  %8lld  %-6s  %11lld\n", sv(o, "name"),
			       (long long)ival(o, "questions"), (long long)ival(o, "answered"),
			       pct(o, "answered_rate", a), (long long)ival(o, "unhelpful"));
	}

	fprintf(f, "\nquestions by hour of day\n");
	json_t *hours = json_object_get(r, "hours");
	json_int_t most = 1;
	json_array_foreach(hours, i, o)
		if (json_integer_value(o) > most)
			most = json_integer_value(o);
	json_array_foreach(hours, i, o) {
		int bar = (int)(json_integer_value(o) * 40 / most);
		fprintf(f, "  %02zu  %6lld  ", i, (long long)json_integer_value(o));
		for (int k = 0; k < bar; k++)
			fputc('#', f);
		fputc('\n', f);
	}
	if (json_array_size(json_object_get(r, "unhelpful_entries"))) {
		fprintf(f, "\nanswers marked not helpful\n");
		json_array_foreach(json_object_get(r, "unhelpful_entries"), i, o)
			fprintf(f, "  %-30s %lld\n", sv(o, "slug"), (long long)ival(o, "n"));
	}
}

/* ---- CSV for Excel: UTF-8 with BOM, CRLF, one table per section ---------------- */

/* A text cell. Excel runs one that starts with = + - @ as a formula (a
 * topic's question is staff's text): it gets an apostrophe in front. A lone
 * "-" is the dash it shows. */
static void cell(FILE *f, const char *s, int last)
{
	char *quoted = NULL;
	if (s[0] && s[1] && strchr("=+-@", s[0]) && asprintf(&quoted, "'%s", s) > 0)
		s = quoted;
	csv_fwrite(f, s, strlen(s));
	free(quoted);
	fputs(last ? "\r\n" : ",", f);
}

static void cell_int(FILE *f, json_int_t n, int last)
{
	fprintf(f, "%lld%s", (long long)n, last ? "\r\n" : ",");
}

static void cell_rate(FILE *f, json_t *o, const char *k, int last)
{
	json_t *v = json_object_get(o, k);
	if (json_is_number(v))
		fprintf(f, "%.4f", json_number_value(v));
	fputs(last ? "\r\n" : ",", f);
}

/* The table of topics (with their question) or of categories. */
static void csv_asked(FILE *f, json_t *list, const char *head, int question)
{
	json_t *o;
	size_t i;
	fprintf(f, "\r\n%s,questions,answered,answered_rate,unhelpful\r\n", head);
	json_array_foreach(list, i, o) {
		cell(f, sv(o, "name"), 0);
		if (question)
			cell(f, sv(o, "question"), 0);
		cell_int(f, ival(o, "questions"), 0);
		cell_int(f, ival(o, "answered"), 0);
		cell_rate(f, o, "answered_rate", 0);
		cell_int(f, ival(o, "unhelpful"), 1);
	}
}

void events_report_csv(json_t *r, FILE *f)
{
	json_t *t = json_object_get(r, "totals"), *o;
	size_t i;
	fputs("\xEF\xBB\xBF", f);
	fputs("figure,value\r\n", f);
	cell(f, "from", 0), cell(f, sv(r, "from"), 1);
	cell(f, "to", 0), cell(f, sv(r, "to"), 1);
	static const char *const COUNTS[] = {"conversations", "deflected", "self_service",
					     "answered_conversations", "questions", "answered",
					     "clarified", "clarify_chosen", "handed_off", "rephrased", "helpful",
					     "unhelpful", "bookings_completed", "bookings_cancelled"};
	for (size_t k = 0; k < sizeof COUNTS / sizeof *COUNTS; k++)
		cell(f, COUNTS[k], 0), cell_int(f, ival(t, COUNTS[k]), 1);
	static const char *const RATES[] = {"deflection_rate", "self_service_rate", "answered_rate",
					    "clarify_rate", "handoff_rate", "rephrase_rate", "helpful_ratio"};
	for (size_t k = 0; k < sizeof RATES / sizeof *RATES; k++)
		cell(f, RATES[k], 0), cell_rate(f, t, RATES[k], 1);

	fputs("\r\nday,conversations,deflected,self_service,questions,answered,deflection_rate\r\n", f);
	json_array_foreach(json_object_get(r, "days"), i, o) {
		cell(f, sv(o, "day"), 0);
		cell_int(f, ival(o, "conversations"), 0);
		cell_int(f, ival(o, "deflected"), 0);
		cell_int(f, ival(o, "self_service"), 0);
		cell_int(f, ival(o, "questions"), 0);
		cell_int(f, ival(o, "answered"), 0);
		cell_rate(f, o, "deflection_rate", 1);
	}
	fputs("\r\nhandoff_route,questions,rate\r\n", f);
	json_array_foreach(json_object_get(r, "handoffs"), i, o) {
		cell(f, sv(o, "route"), 0);
		cell_int(f, ival(o, "questions"), 0);
		cell_rate(f, o, "rate", 1);
	}
	fputs("\r\nhandoff_click,n\r\n", f);
	json_array_foreach(json_object_get(r, "clicks"), i, o) {
		cell(f, sv(o, "click"), 0);
		cell_int(f, ival(o, "n"), 1);
	}
	csv_asked(f, json_object_get(r, "topics"), "topic,question", 1);
	csv_asked(f, json_object_get(r, "categories"), "category", 0);
	fputs("\r\nhour,questions\r\n", f);
	json_array_foreach(json_object_get(r, "hours"), i, o)
		fprintf(f, "%02zu,%lld\r\n", i, (long long)json_integer_value(o));
}
