/* The built-in copies of widget/static/: each file and its gzip -9 (made by
 * the Makefile into the build folder) are included by the assembler, so the
 * bytes served are exactly the files in the repository. */
#include "widget/assets.h"

#include <string.h>

#ifndef ASSETS_BUILD
#error "ASSETS_BUILD (the build folder holding the .gz files) is set by the Makefile"
#endif

/* Defines sym (the bytes of file) and sym_end just past them, in .rodata. */
#define EMBED(sym, file)                                                   \
	__asm__(".section .rodata\n"                                       \
		".global " #sym "\n.hidden " #sym "\n.balign 16\n" #sym ":\n" \
		".incbin \"" file "\"\n"                                   \
		".global " #sym "_end\n.hidden " #sym "_end\n" #sym "_end:\n" \
		".byte 0\n.previous\n");                                   \
	extern const unsigned char sym[], sym##_end[]

#define STATIC(name) "widget/static/" name
#define GZ(name) ASSETS_BUILD "/widget/static/" name ".gz"

EMBED(http_index_html, STATIC("index.html"));
EMBED(http_index_html_gz, GZ("index.html"));
EMBED(http_demo_css, STATIC("demo.css"));
EMBED(http_demo_css_gz, GZ("demo.css"));
EMBED(http_demo_js, STATIC("demo.js"));
EMBED(http_demo_js_gz, GZ("demo.js"));
EMBED(http_widget_js, STATIC("widget.js"));
EMBED(http_widget_js_gz, GZ("widget.js"));
EMBED(http_widget_css, STATIC("widget.css"));
EMBED(http_widget_css_gz, GZ("widget.css"));

/* The staff console (widget/static/admin/). */
EMBED(http_admin_html, STATIC("admin/index.html"));
EMBED(http_admin_html_gz, GZ("admin/index.html"));
EMBED(http_admin_js, STATIC("admin/admin.js"));
EMBED(http_admin_js_gz, GZ("admin/admin.js"));
EMBED(http_admin_css, STATIC("admin/admin.css"));
EMBED(http_admin_css_gz, GZ("admin/admin.css"));
EMBED(http_i18n_js, STATIC("admin/i18n.js"));
EMBED(http_i18n_js_gz, GZ("admin/i18n.js"));
EMBED(http_accounts_js, STATIC("admin/accounts.js"));
EMBED(http_accounts_js_gz, GZ("admin/accounts.js"));
EMBED(http_audit_js, STATIC("admin/audit.js"));
EMBED(http_audit_js_gz, GZ("admin/audit.js"));
EMBED(http_ops_js, STATIC("admin/ops.js"));
EMBED(http_ops_js_gz, GZ("admin/ops.js"));
EMBED(http_ops_css, STATIC("admin/ops.css"));
EMBED(http_ops_css_gz, GZ("admin/ops.css"));
EMBED(http_uplot_js, STATIC("admin/uPlot.min.js"));
EMBED(http_uplot_js_gz, GZ("admin/uPlot.min.js"));
EMBED(http_uplot_css, STATIC("admin/uPlot.min.css"));
EMBED(http_uplot_css_gz, GZ("admin/uPlot.min.css"));

#define BYTES(sym) sym, sym##_end, sym##_gz, sym##_gz_end

static const struct http_asset assets[] = {
	{"/", "index.html", "text/html; charset=utf-8", 1, BYTES(http_index_html)},
	{"/demo.css", "demo.css", "text/css; charset=utf-8", 0, BYTES(http_demo_css)},
	{"/demo.js", "demo.js", "text/javascript; charset=utf-8", 0, BYTES(http_demo_js)},
	{"/widget.js", "widget.js", "text/javascript; charset=utf-8", 0, BYTES(http_widget_js)},
	{"/widget.css", "widget.css", "text/css; charset=utf-8", 0, BYTES(http_widget_css)},
};

static const struct http_asset admin_assets[] = {
	{"/admin", "admin/index.html", "text/html; charset=utf-8", 1, BYTES(http_admin_html)},
	{"/admin/admin.js", "admin/admin.js", "text/javascript; charset=utf-8", 0, BYTES(http_admin_js)},
	{"/admin/admin.css", "admin/admin.css", "text/css; charset=utf-8", 0, BYTES(http_admin_css)},
	{"/admin/i18n.js", "admin/i18n.js", "text/javascript; charset=utf-8", 0, BYTES(http_i18n_js)},
	{"/admin/accounts.js", "admin/accounts.js", "text/javascript; charset=utf-8", 0, BYTES(http_accounts_js)},
	{"/admin/audit.js", "admin/audit.js", "text/javascript; charset=utf-8", 0, BYTES(http_audit_js)},
	{"/admin/ops.js", "admin/ops.js", "text/javascript; charset=utf-8", 0, BYTES(http_ops_js)},
	{"/admin/ops.css", "admin/ops.css", "text/css; charset=utf-8", 0, BYTES(http_ops_css)},
	{"/admin/uPlot.min.js", "admin/uPlot.min.js", "text/javascript; charset=utf-8", 0,
	 BYTES(http_uplot_js)},
	{"/admin/uPlot.min.css", "admin/uPlot.min.css", "text/css; charset=utf-8", 0,
	 BYTES(http_uplot_css)},
};

const struct http_asset *http_asset_find(const char *path)
{
	for (size_t i = 0; i < sizeof assets / sizeof assets[0]; i++)
		if (!strcmp(assets[i].path, path))
			return &assets[i];
	for (size_t i = 0; i < sizeof admin_assets / sizeof admin_assets[0]; i++)
		if (!strcmp(admin_assets[i].path, path))
			return &admin_assets[i];
	if (!strcmp(path, "/admin/"))
		return &admin_assets[0];
	if (!strcmp(path, "/index.html"))
		return &assets[0];
	return NULL;
}
