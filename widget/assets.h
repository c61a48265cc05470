/* The static files the server hands out (widget script and style, the demo
 * page), built into the binary so that one file deploys. */
#ifndef HTTP_ASSETS_H
#define HTTP_ASSETS_H

#include <stddef.h>

struct http_asset {
	const char *path;  /* URL path, e.g. "/widget.js" */
	const char *file;  /* file name under widget/static/ (and under --assets DIR) */
	const char *type;  /* Content-Type */
	int page;          /* 1: an HTML document (gets the page's security headers) */
	/* The file and its gzip -9, each as [start, end). */
	const unsigned char *data, *data_end, *gz, *gz_end;
};

/* The asset served at URL path, or NULL. The table is the whitelist: nothing
 * else is ever read from --assets DIR, so no path can escape it. */
const struct http_asset *http_asset_find(const char *path);

#endif
