/* The administrators' subcommand over staff accounts: `user`. */
#include "chatbot/chatbot_int.h"
#include "chatbot/cli.h"
#include "chatbot/staff.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* Reads a password: prompted twice without echo on a terminal, else the
 * first line of stdin (for scripts). Returns a malloc'd string or NULL. */
static char *read_password(void)
{
	int tty = isatty(STDIN_FILENO);
	struct termios old, quiet;
	char *line = NULL, *again = NULL;
	size_t cap = 0, cap2 = 0;
	if (tty && tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		fprintf(stderr, "password: ");
	}
	ssize_t n = getline(&line, &cap, stdin);
	if (tty && n >= 0) {
		fprintf(stderr, "\nagain: ");
		if (getline(&again, &cap2, stdin) < 0 || strcmp(line, again)) {
			fprintf(stderr, "\nmadoguchi: the passwords differ\n");
			n = -1;
		}
		fprintf(stderr, "\n");
	}
	if (tty)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	if (again) {
		sodium_memzero(again, strlen(again));
		free(again);
	}
	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = 0;
	return line;
}

static int usage_user(void)
{
	fprintf(stderr, "usage: madoguchi user add NAME --role admin|editor|call_center|reception\n"
			"       madoguchi user list\n"
			"       madoguchi user disable|enable|unlock|password NAME\n"
			"       madoguchi user role NAME --role admin|editor|call_center|reception\n"
			"the password is asked for on the terminal, or read from the first line of stdin\n");
	return 2;
}

int chatbot_cli_user(const struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return usage_user();
	enum staff_change parsed;
	size_t nchanges = STAFF_NCHANGES;
	size_t change = staff_change_parse(argv[1], &parsed) == MG_OK ? (size_t)parsed : nchanges;
	int add = !strcmp(argv[1], "add") || change < nchanges;
	if (!add && strcmp(argv[1], "list"))
		return usage_user();
	const char *name = NULL, *role_name = NULL;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--role") && i + 1 < argc)
			role_name = argv[++i];
		else if (argv[i][0] != '-' && !name && add)
			name = argv[i];
		else
			return usage_user();
	}
	enum staff_role role = STAFF_NROLES;
	int needs_role = change == STAFF_SET_ROLE || change == nchanges;
	if (add && (!name || (needs_role && staff_role_parse(role_name, &role) != MG_OK)))
		return usage_user();
	struct cli_env env;
	if (chatbot_cli_open(ctx, &env) != MG_OK)
		return 1;
	sqlite3 *db = kb_db(chatbot_kb(env.bot));
	char err[MG_ERR_LEN];
	int rc = MG_OK;
	if (change < nchanges) {
		char *password = change == STAFF_SET_PASSWORD ? read_password() : NULL;
		if (change != STAFF_SET_PASSWORD || password)
			rc = staff_user_change(db, NULL, name, (enum staff_change)change, role, password, err);
		else
			rc = mg_fail(err, MG_ERR_INPUT, "no password given");
		if (password) {
			sodium_memzero(password, strlen(password));
			free(password);
		}
		if (rc == MG_OK)
			printf("account %s: %s done\n", name, staff_change_name((enum staff_change)change));
	} else if (rc == MG_OK && add) {
		char *password = read_password();
		rc = password ? staff_user_add(db, NULL, name, role, password, err)
			      : mg_fail(err, MG_ERR_INPUT, "no password given");
		if (password) {
			sodium_memzero(password, strlen(password));
			free(password);
		}
		if (rc == MG_OK)
			printf("account %s (%s) created\n", name, role_name);
	} else if (rc == MG_OK) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(db, "SELECT name, role, locked_until, disabled FROM staff_users ORDER BY name",
				       -1, &st, NULL) != SQLITE_OK)
			rc = mg_db_fail(db, err, "list");
		while (rc == MG_OK && sqlite3_step(st) == SQLITE_ROW)
			printf("%-24s %-12s%s%s\n", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
			       sqlite3_column_int64(st, 2) > time(NULL) ? "  locked" : "",
			       sqlite3_column_int(st, 3) ? "  disabled" : "");
		sqlite3_finalize(st);
	}
	if (rc != MG_OK)
		fprintf(stderr, "madoguchi: %s\n", err);
	chatbot_cli_close(&env);
	return rc == MG_OK ? 0 : rc == MG_ERR_INPUT ? 2 : 1;
}
