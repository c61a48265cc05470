/* The commands: global options, the subcommand signature and chatbot/'s
 * subcommands (chatbot/main.c holds the table). The room above the others
 * in chatbot/: it opens the whole program (town, analyser, knowledge base,
 * log and staff tables) for one subcommand; nothing below includes it. */
#ifndef CLI_H
#define CLI_H

struct cli_ctx {
	const char *db;      /* --db PATH, default "madoguchi.db" */
	const char *config;  /* --config PATH, NULL = the sample town built in */
};

/* argv[0] is the subcommand's name; the global options are already removed.
 * Returns the process exit status: 0 done, 1 failed, 2 usage error. */
typedef int (*cli_fn)(const struct cli_ctx *ctx, int argc, char **argv);

/* Opens model, town and bot for a subcommand; prints the error and returns
 * non-zero on failure. chatbot_cli_close accepts what is NULL. */
struct cli_env {
	struct nlp_model *model;
	struct town *town;
	struct chatbot *bot;
};
int chatbot_cli_open(const struct cli_ctx *ctx, struct cli_env *env);
void chatbot_cli_close(struct cli_env *env);

/* The answer's (cli.c, eval.c): import, export, ask, eval. */
int chatbot_cli_import(const struct cli_ctx *ctx, int argc, char **argv);
int chatbot_cli_export(const struct cli_ctx *ctx, int argc, char **argv);
int chatbot_cli_ask(const struct cli_ctx *ctx, int argc, char **argv);
int chatbot_cli_eval(const struct cli_ctx *ctx, int argc, char **argv);
/* The conversation log's (cli_log.c): `report [--from DATE] [--to DATE]
 * [--csv|--json]`, `retain [--days N]`, `forecast [--from DATE] [--days N]
 * [--event DATE --residents N] [--aht S] [--target S] [--level P]
 * [--deflection P] [--json|--csv]`. */
int chatbot_cli_report(const struct cli_ctx *ctx, int argc, char **argv);
int chatbot_cli_retain(const struct cli_ctx *ctx, int argc, char **argv);
int chatbot_cli_forecast(const struct cli_ctx *ctx, int argc, char **argv);
/* Staff accounts' (cli_staff.c): `user add NAME --role ROLE` (the password
 * from the terminal or the first line of stdin), `user list`, `user
 * disable|enable|unlock|password NAME`, `user role NAME --role ROLE`. */
int chatbot_cli_user(const struct cli_ctx *ctx, int argc, char **argv);

#endif
