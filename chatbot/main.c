/* madoguchi: one binary, subcommands. Global options (--db, --config) are
 * accepted before or after the subcommand. */
#include <stdio.h>
#include <string.h>

#include "chatbot/chatbot_int.h"
#include "chatbot/cli.h"
#include "chatbot/events.h"
#include "chatbot/forecast.h"
#include "chatbot/staff.h"
#include "nlp/db.h"
#include "reservation/resv.h"
#include "widget/http.h"

/* The booking commands run in the town's time zone, read from town.json like
 * every other command's: reservation/ cannot read the town itself. */
static int cmd_booking(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct town *town = NULL;
	char err[MG_ERR_LEN];
	if (argc >= 2 && town_load(ctx->config, &town, err) != MG_OK) {
		fprintf(stderr, "madoguchi booking: %s\n", err);
		return 1;
	}
	int rc = resv_cli(ctx->db, town_zone(town), town_municipality_code(town), argc, argv);
	town_free(town);
	return rc;
}

/* `backup FILE`: the whole file (knowledge base, log, accounts, bookings) as
 * of one commit, while the server runs (nlp/db.c mg_db_backup). */
static int cmd_backup(const struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: madoguchi [--db PATH] backup FILE\n");
		return 2;
	}
	char err[MG_ERR_LEN];
	if (mg_db_backup(ctx->db, argv[1], err) != MG_OK) {
		fprintf(stderr, "madoguchi backup: %s\n", err);
		return 1;
	}
	printf("backed up %s to %s\n", ctx->db, argv[1]);
	return 0;
}

static const struct {
	const char *name;
	cli_fn fn;
	const char *help;
} COMMANDS[] = {
	{"ask", chatbot_cli_ask, "ask [--json] [--top N] [--lang ja|en] [QUESTION]  answer (stdin: one per line)"},
	{"import", chatbot_cli_import, "import [--append] [--synonyms FILE.tsv] [FILE.csv]  load the knowledge base"},
	{"export", chatbot_cli_export, "export [FILE.csv|-]  write the knowledge base for Excel"},
	{"serve", http_cli_serve, "serve [--listen ADDR] [--port N] [--threads N] [--assets DIR] [--cors-origin URL]  the web server and widget"},
	{"eval", chatbot_cli_eval, "eval [--floor] [--misses] [--calibrate] [--lang en|ja] FILE.tsv...  answer-quality figures"},
	{"report", chatbot_cli_report, "report [--from DATE] [--to DATE] [--csv|--json]  deflection and the figures around it"},
	{"forecast", chatbot_cli_forecast, "forecast [--event DATE --residents N] [--aht S] [--target S] [--level P] ...  calls and operators per day"},
	{"user", chatbot_cli_user, "user add NAME --role ROLE | list | disable|enable|unlock|password NAME | role NAME --role ROLE  staff accounts"},
	{"retain", chatbot_cli_retain, "retain [--days N]  delete old events, keep their daily figures"},
	{"backup", cmd_backup, "backup FILE  a copy of the whole database, taken while the server runs"},
	{"booking", cmd_booking, "booking COMMAND ...  reservations: set-up, bookings, reception (`booking` alone lists them)"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: madoguchi [--db PATH] [--config town.json] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++)
		fprintf(f, "  %s\n", COMMANDS[i].help);
	fprintf(f, "\n--db PATH          the database (default madoguchi.db; created with the sample FAQ)\n"
		   "--config FILE      the town's configuration (default: the sample town built in)\n");
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = {.db = "madoguchi.db", .config = NULL};
	char *rest[256];
	int nrest = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if ((!strcmp(a, "--db") || !strcmp(a, "--config")) && i + 1 < argc) {
			if (!strcmp(a, "--db"))
				ctx.db = argv[++i];
			else
				ctx.config = argv[++i];
		} else if (!strncmp(a, "--db=", 5)) {
			ctx.db = a + 5;
		} else if (!strncmp(a, "--config=", 9)) {
			ctx.config = a + 9;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h") || !strcmp(a, "help")) {
			usage(stdout);
			return 0;
		} else if (nrest < (int)(sizeof rest / sizeof *rest) - 1) {
			rest[nrest++] = argv[i];
		} else {
			fprintf(stderr, "madoguchi: too many arguments\n");
			return 2;
		}
	}
	rest[nrest] = NULL;
	if (nrest == 0) {
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++)
		if (!strcmp(rest[0], COMMANDS[i].name))
			return COMMANDS[i].fn(&ctx, nrest, rest);
	fprintf(stderr, "madoguchi: unknown command '%s'\n\n", rest[0]);
	usage(stderr);
	return 2;
}
