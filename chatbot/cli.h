/* The command line: global options and the subcommand signature. Each folder
 * that owns subcommands exposes one function of this type; chatbot/main.c
 * holds the table. */
#ifndef CLI_H
#define CLI_H

struct cli_ctx {
	const char *db;      /* --db PATH, default "madoguchi.db" */
	const char *config;  /* --config PATH, NULL = the sample town built in */
};

/* argv[0] is the subcommand's name; the global options are already removed.
 * Returns the process exit status: 0 done, 1 failed, 2 usage error. */
typedef int (*cli_fn)(const struct cli_ctx *ctx, int argc, char **argv);

#endif
