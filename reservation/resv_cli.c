/* `madoguchi booking ...`: the town's set-up, the call centre's bookings on a
 * resident's behalf, reception on the day, the export and the outbox, for
 * staff at a terminal. The same functions serve the web layer. */
#include "reservation/resv.h"

#include <stdlib.h>
#include <string.h>


static const char usage[] =
	"usage: madoguchi booking COMMAND ...\n"
	"set-up:\n"
	"  import-venues FILE | import-products FILE | import-slots FILE | import-tickets FILE\n"
	"  seed-sample [DIR] [--force]     the sample town (DIR default reservation/data)\n"
	"  set FIELD off|optional|required  FIELD: name_kana, phone, email\n"
	"  settings                        personal-field policy and product rules (JSON)\n"
	"residents (the call centre, on their behalf):\n"
	"  venues | slots [--venue CODE] [--date D [--to D]]\n"
	"  book TICKET SLOT [--venue CODE] [--key K] [--kana NAME] [--phone P] [--email E]\n"
	"  show TICKET | change TICKET SLOT [--key K] | cancel TICKET [--key K]\n"
	"  wait TICKET [--venue CODE] [--date D] | offers TICKET | accept TICKET OFFER\n"
	"reception and records:\n"
	"  day [DATE] [--venue CODE] [--status S|open] [--find TICKET|KANA] [--from HH:MM]\n"
	"      [--to HH:MM] [--sort time|status|name|ticket] [--desk NAME]\n"
	"                                  a day's bookings (default today, in the town's zone)\n"
	"  lookup TICKET                   a ticket's bookings, waiting list and offers\n"
	"  desk NAME [CODE...] | desk NAME --none   the venues a reception account sees\n"
	"  checkin ID | vaccinated ID LOT | examined ID | no-show ID | booking ID\n"
	"  vrs FROM [TO]                   the doses given, as the national record's (VRS) CSV\n"
	"  report FROM [TO] [--venue CODE] [--csv]   booked, capacity, fill rate, no-shows...\n"
	"  waitlist [--venue CODE] [--date D]   who is waiting, since when, offers sent\n"
	"  outbox [--all] | outbox --sent ID   notifications for the mail/LINE sender\n"
	"  expire-offers | check\n";

/* The value after --name among argv[from..], or NULL. */
static const char *opt(int argc, char **argv, int from, const char *name)
{
	for (int i = from; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return NULL;
}

static int has_flag(int argc, char **argv, int from, const char *name)
{
	for (int i = from; i < argc; i++)
		if (!strcmp(argv[i], name))
			return 1;
	return 0;
}

/* -2: a usage error, the whole usage to be printed. */
static int usage_err(char *err)
{
	err[0] = '\0';
	return -2;
}

static int id_arg(const char *s, long long *out)
{
	char *end;
	long long v = s ? strtoll(s, &end, 10) : 0;
	if (!s || !*s || *end || v <= 0)
		return -1;
	*out = v;
	return 0;
}

static void report_row(void *ctx, const struct resv_bad_row *bad)
{
	fprintf(stderr, "%s:%d: %s\n", (const char *)ctx, bad->line, bad->message);
}

static void print_booking(const struct resv_booking *b)
{
	printf("booking %lld  ticket %s  %s %s (%d min)  %s %s  %s  [%s]\n", b->id, b->ticket,
	       b->date, b->start, b->minutes, b->venue, b->venue_name, b->product, b->status);
}

static int print_json(json_t *j)
{
	int rc = json_dumpf(j, stdout, JSON_INDENT(2)) == 0 ? 0 : 1;
	putchar('\n');
	json_decref(j);
	return rc;
}

static int print_slots(json_t *a)
{
	size_t i;
	json_t *s;
	json_array_foreach(a, i, s) {
		printf("%6lld  %s %s  %3d min  %-10s %-12s free %lld\n",
		       (long long)json_integer_value(json_object_get(s, "id")),
		       json_string_value(json_object_get(s, "date")),
		       json_string_value(json_object_get(s, "start")),
		       (int)json_integer_value(json_object_get(s, "minutes")),
		       json_string_value(json_object_get(s, "venue")),
		       json_string_value(json_object_get(s, "product")),
		       (long long)json_integer_value(json_object_get(s, "free")));
	}
	if (!json_array_size(a))
		printf("no free slots\n");
	json_decref(a);
	return 0;
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static int print_day(json_t *d)
{
	size_t i;
	json_t *o;
	printf("%s ", jstr(d, "date"));
	json_array_foreach(json_object_get(d, "venues"), i, o)
		printf(" %s %s", jstr(o, "code"), jstr(o, "name"));
	printf("\n");
	json_array_foreach(json_object_get(d, "bookings"), i, o)
		printf("%6lld  %s  %s  %-10s %-11s %-8s %s%s%s\n",
		       (long long)json_integer_value(json_object_get(o, "id")), jstr(o, "start"),
		       jstr(o, "ticket"), jstr(o, "venue"), jstr(o, "status"), jstr(o, "lot"),
		       jstr(o, "name_kana"), *jstr(o, "name_kana") ? "  " : "", jstr(o, "product"));
	if (!json_array_size(json_object_get(d, "bookings")))
		printf("no bookings\n");
	const char *key;
	json_t *n;
	int first = 1;
	json_object_foreach(json_object_get(d, "counts"), key, n) {
		printf("%s%s %lld", first ? "" : " · ", key, (long long)json_integer_value(n));
		first = 0;
	}
	printf("\n");
	json_decref(d);
	return 0;
}

static int print_lookup(json_t *h)
{
	size_t i;
	json_t *o;
	printf("ticket %s\n", jstr(h, "ticket"));
	json_array_foreach(json_object_get(h, "bookings"), i, o)
		printf("  booking %lld  %s %s  %s %s  %s  [%s%s%s]%s\n",
		       (long long)json_integer_value(json_object_get(o, "id")), jstr(o, "date"),
		       jstr(o, "start"), jstr(o, "venue"), jstr(o, "venue_name"), jstr(o, "product"),
		       jstr(o, "status"), *jstr(o, "cancel_reason") ? ": " : "", jstr(o, "cancel_reason"),
		       json_is_true(json_object_get(o, "by_staff")) ? "  by staff" : "");
	if (!json_array_size(json_object_get(h, "bookings")))
		printf("  no bookings\n");
	json_t *w = json_object_get(h, "waiting");
	if (json_is_object(w))
		printf("  waiting for %s %s [%s]\n", *jstr(w, "venue") ? jstr(w, "venue") : "any venue",
		       *jstr(w, "date") ? jstr(w, "date") : "any day", jstr(w, "status"));
	json_array_foreach(json_object_get(h, "offers"), i, o)
		printf("  offer %lld  %s %s  %s  until %lld\n",
		       (long long)json_integer_value(json_object_get(o, "id")), jstr(o, "date"),
		       jstr(o, "start"), jstr(o, "venue"),
		       (long long)json_integer_value(json_object_get(o, "expires_at")));
	json_decref(h);
	return 0;
}

static int sort_arg(const char *s, enum resv_sort *out)
{
	static const char *const names[] = {"time", "status", "name", "ticket"};
	for (int i = 0; i < 4; i++)
		if (!s || !strcmp(s, names[i])) {
			*out = s ? (enum resv_sort)i : RESV_SORT_TIME;
			return 0;
		}
	return -1;
}

/* Reception's and the administrators' reading commands: day, lookup, desk,
 * report, waitlist, vrs. */
static int run_ops(struct resv *r, const char *municipality, int argc, char **argv, char *err)
{
	const char *cmd = argv[1];
	json_t *j = NULL;
	int rc;
	if (!strcmp(cmd, "day")) {
		struct resv_day_query q = {
			.date = argc > 2 && argv[2][0] != '-' ? argv[2] : NULL,
			.venue = opt(argc, argv, 2, "--venue"), .status = opt(argc, argv, 2, "--status"),
			.find = opt(argc, argv, 2, "--find"), .from = opt(argc, argv, 2, "--from"),
			.to = opt(argc, argv, 2, "--to"),
		};
		if (sort_arg(opt(argc, argv, 2, "--sort"), &q.sort))
			return mg_fail(err, -2, "day ... --sort time|status|name|ticket");
		rc = resv_day_list(r, opt(argc, argv, 2, "--desk"), &q, &j, err);
		return rc == MG_OK ? print_day(j) : rc;
	}
	if (!strcmp(cmd, "lookup") && argc == 3) {
		rc = resv_staff_history(r, argv[2], &j, err);
		return rc == MG_OK ? print_lookup(j) : rc;
	}
	if (!strcmp(cmd, "desk") && argc >= 3) {
		int none = has_flag(argc, argv, 3, "--none");
		if (argc > 3 && !(none && argc == 4))
			rc = resv_desk_set(r, argv[2], (const char *const *)argv + 3, argc - 3, err);
		else if (none)
			rc = resv_desk_set(r, argv[2], NULL, 0, err);
		else
			rc = MG_OK;
		if (rc == MG_OK)
			rc = resv_desk_venues(r, argv[2], &j, err);
		return rc == MG_OK ? print_json(j) : rc;
	}
	if (!strcmp(cmd, "report") && argc >= 3) {
		const char *to = argc > 3 && argv[3][0] != '-' ? argv[3] : argv[2];
		rc = resv_report(r, opt(argc, argv, 3, "--venue"), argv[2], to, &j, err);
		if (rc == MG_OK && has_flag(argc, argv, 3, "--csv")) {
			rc = resv_report_csv(j, stdout, err);
			json_decref(j);
			return rc;
		}
		return rc == MG_OK ? print_json(j) : rc;
	}
	if (!strcmp(cmd, "waitlist")) {
		rc = resv_waitlist(r, opt(argc, argv, 2, "--venue"), opt(argc, argv, 2, "--date"), &j, err);
		return rc == MG_OK ? print_json(j) : rc;
	}
	if (!strcmp(cmd, "vrs") && (argc == 3 || argc == 4)) {
		int n = 0;
		rc = resv_vrs_csv(r, argv[2], argc == 4 ? argv[3] : NULL, municipality, stdout, &n, err);
		if (rc == MG_OK)
			fprintf(stderr, "%d doses%s\n", n, municipality ? "" : " (town.json has no"
				" town.municipality_code: that column is empty)");
		return rc;
	}
	return usage_err(err);
}

static int run(struct resv *r, const char *municipality, int argc, char **argv, char *err)
{
	const char *cmd = argv[1];
	struct resv_booking b;
	long long id = 0, id2 = 0;
	json_t *j = NULL;
	int rc, n = 0;
	static const struct {
		const char *name;
		enum resv_import_kind kind;
	} imports[] = {
		{"import-venues", RESV_IMPORT_VENUES}, {"import-products", RESV_IMPORT_PRODUCTS},
		{"import-slots", RESV_IMPORT_SLOTS}, {"import-tickets", RESV_IMPORT_TICKETS},
	};
	for (size_t i = 0; i < sizeof imports / sizeof imports[0]; i++) {
		if (strcmp(cmd, imports[i].name))
			continue;
		if (argc != 3)
			return mg_fail(err, -2, "%s FILE", cmd);
		rc = resv_import(r, imports[i].kind, argv[2], report_row, argv[2], &n, err);
		if (rc == MG_OK)
			printf("%s: %d rows imported\n", argv[2], n);
		return rc;
	}
	struct resv_request req = {0};
	if (argc > 2 && (!strcmp(cmd, "book") || !strcmp(cmd, "change"))) {
		if (argc < 4 || id_arg(argv[3], &req.slot_id))
			return mg_fail(err, -2, "%s TICKET SLOT [options]", cmd);
		req.venue = opt(argc, argv, 4, "--venue");
		req.idem_key = opt(argc, argv, 4, "--key");
		req.contact.name_kana = opt(argc, argv, 4, "--kana");
		req.contact.phone = opt(argc, argv, 4, "--phone");
		req.contact.email = opt(argc, argv, 4, "--email");
		rc = !strcmp(cmd, "book") ? resv_staff_book(r, argv[2], &req, &b, err)
					  : resv_staff_change(r, argv[2], &req, &b, err);
		if (rc == MG_OK)
			print_booking(&b);
		return rc;
	}
	if (!strcmp(cmd, "seed-sample")) {
		const char *dir = argc > 2 && argv[2][0] != '-' ? argv[2] : "reservation/data";
		rc = resv_seed_sample(r, dir, has_flag(argc, argv, 2, "--force"), err);
		if (rc == MG_OK)
			printf("sample town ready (see reservation/README-booking.md for its tickets)\n");
		return rc;
	}
	if (!strcmp(cmd, "set")) {
		int f = argc == 4 ? resv_field_from_name(argv[2]) : -1;
		int p = argc == 4 ? resv_policy_from_name(argv[3]) : -1;
		if (f < 0 || p < 0)
			return mg_fail(err, -2, "set name_kana|phone|email off|optional|required");
		return resv_set_field_policy(r, (enum resv_field)f, (enum resv_policy)p, err);
	}
	if (!strcmp(cmd, "settings")) {
		rc = resv_settings_json(r, &j, err);
		return rc == MG_OK ? print_json(j) : rc;
	}
	if (!strcmp(cmd, "venues")) {
		rc = resv_venues(r, &j, err);
		return rc == MG_OK ? print_json(j) : rc;
	}
	if (!strcmp(cmd, "slots")) {
		rc = resv_free_slots(r, opt(argc, argv, 2, "--venue"), opt(argc, argv, 2, "--date"),
				     opt(argc, argv, 2, "--to"), &j, err);
		return rc == MG_OK ? print_slots(j) : rc;
	}
	if (!strcmp(cmd, "show") && argc == 3) {
		rc = resv_staff_view(r, argv[2], &b, err);
		if (rc == MG_OK)
			print_booking(&b);
		return rc;
	}
	if (!strcmp(cmd, "cancel") && argc >= 3) {
		rc = resv_staff_cancel(r, argv[2], opt(argc, argv, 3, "--key"), &b, err);
		if (rc == MG_OK)
			print_booking(&b);
		return rc;
	}
	if (!strcmp(cmd, "wait") && argc >= 3) {
		struct resv_contact c = {opt(argc, argv, 3, "--kana"), opt(argc, argv, 3, "--phone"),
					 opt(argc, argv, 3, "--email")};
		rc = resv_staff_wait(r, argv[2], opt(argc, argv, 3, "--venue"),
				     opt(argc, argv, 3, "--date"), &c, &id, err);
		if (rc == MG_OK)
			printf("waiting (entry %lld)\n", id);
		return rc;
	}
	if (!strcmp(cmd, "offers") && argc == 3) {
		rc = resv_staff_offers(r, argv[2], &j, err);
		return rc == MG_OK ? print_json(j) : rc;
	}
	if (!strcmp(cmd, "accept") && argc >= 4 && !id_arg(argv[3], &id)) {
		rc = resv_staff_accept(r, argv[2], id, opt(argc, argv, 4, "--key"), &b, err);
		if (rc == MG_OK)
			print_booking(&b);
		return rc;
	}
	if (argc >= 3 && !id_arg(argv[2], &id)) {
		if (!strcmp(cmd, "checkin") && argc == 3)
			rc = resv_checkin(r, id, err);
		else if (!strcmp(cmd, "vaccinated") && argc == 4)
			rc = resv_vaccinated(r, id, argv[3], err);
		else if (!strcmp(cmd, "examined") && argc == 3)
			rc = resv_examined(r, id, err);
		else if (!strcmp(cmd, "no-show") && argc == 3)
			rc = resv_no_show(r, id, err);
		else if (!strcmp(cmd, "booking") && argc == 3)
			rc = MG_OK;
		else  /* lookup 1234567890: a ticket is a number too */
			return run_ops(r, municipality, argc, argv, err);
		if (rc == MG_OK)
			rc = resv_booking_by_id(r, id, &b, err);
		if (rc == MG_OK)
			print_booking(&b);
		return rc;
	}
	if (!strcmp(cmd, "outbox")) {
		const char *sent = opt(argc, argv, 2, "--sent");
		if (sent) {
			if (id_arg(sent, &id2))
				return mg_fail(err, -2, "outbox --sent ID");
			return resv_outbox_mark_sent(r, id2, err);
		}
		rc = resv_outbox(r, !has_flag(argc, argv, 2, "--all"), &j, err);
		return rc == MG_OK ? print_json(j) : rc;
	}
	if (!strcmp(cmd, "expire-offers")) {
		rc = resv_expire_offers(r, &n, err);
		if (rc == MG_OK)
			printf("%d offers expired\n", n);
		return rc;
	}
	if (!strcmp(cmd, "check")) {
		rc = resv_check(r, err);
		if (rc == MG_OK)
			printf("seat counts consistent\n");
		return rc;
	}
	return run_ops(r, municipality, argc, argv, err);
}

int resv_cli(const char *db, const struct nlp_zone *zone, const char *municipality, int argc,
	     char **argv)
{
	char err[MG_ERR_LEN] = "";
	struct resv *r = NULL;
	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	int rc = resv_open(&r, db ? db : "madoguchi.db", err);
	if (rc == MG_OK) {
		resv_set_zone(r, zone);
		rc = run(r, municipality, argc, argv, err);
	}
	resv_close(r);
	if (rc == -2 && !err[0]) {
		fputs(usage, stderr);
		return 2;
	}
	if (rc == -2) {
		fprintf(stderr, "usage: madoguchi booking %s\n", err);
		return 2;
	}
	if (rc != MG_OK) {
		fprintf(stderr, "booking %s: %s\n", argv[1], err[0] ? err : mg_strerror(rc));
		return 1;
	}
	return 0;
}
