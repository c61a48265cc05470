/* What the staff console's other route files share with its first,
 * widget/routes_admin.c: the gate in front of every route and the audit. */
#ifndef ROUTES_ADMIN_H
#define ROUTES_ADMIN_H

#include "chatbot/staff.h"
#include "widget/api.h"

/* The session of this request, refused with 401 (no or expired session) or
 * 403 (the role lacks right; for a change, a missing or wrong CSRF token):
 * returns 0 when the request may go on, else the status to return. */
int admin_gate(struct http_call *c, enum staff_right right, int change, struct staff_session *s);
/* The gate of the upload routes (http_admin_uploads), run on the request's
 * headers before any byte of its body is read: a live session, its CSRF
 * token and the right to edit the knowledge base, which every upload route
 * needs. Returns 0 or the status (401, 403) with call->msg filled. */
int admin_upload_gate(struct http_call *c);
/* Replies with buf (len bytes of CSV, taken) as a download saved as name
 * (static): returns 200. */
int admin_download(struct http_call *c, char *buf, size_t len, const char *name);
/* Records a change made by s in the audit log (after is borrowed). */
int admin_audit(struct http_call *c, const struct staff_session *s, const char *action,
		const char *target, json_t *after);
/* The same with what it was before (borrowed; NULL: nothing before). */
int admin_audit_change(struct http_call *c, const struct staff_session *s, const char *action,
		       const char *target, json_t *before, json_t *after);

/* The console's booking operations (widget/routes_ops.c), NULL-ended; the
 * uploads (set-up files) take bodies up to HTTP_UPLOAD_MAX, refused from the
 * headers by ops_upload_gate (an administrator's session and CSRF token), as
 * admin_upload_gate does for the knowledge base's. */
extern const struct http_route http_ops_routes[], http_ops_uploads[];
int ops_upload_gate(struct http_call *c);

#endif
