/* libFuzzer harness for the contact fields a resident types when booking or
 * joining the waiting list (reservation/resv_book.c): any bytes under any
 * field policy are accepted or refused with the field and the problem named,
 * never a crash, and a required field left empty is always refused.
 * Input: one byte of policy (two bits a field), then name_kana, phone and
 * e-mail separated by NUL bytes. */
#include "reservation/resv_int.h"

#include <stdlib.h>
#include <string.h>

static struct resv *r;

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char err[MG_ERR_LEN];
	if (!r && resv_open(&r, ":memory:", err) != MG_OK)
		abort();
	if (!size)
		return 0;
	enum resv_policy policy[RESV_FIELD_COUNT];
	for (int f = 0; f < RESV_FIELD_COUNT; f++) {
		policy[f] = (enum resv_policy)((data[0] >> (2 * f)) & 3) % 3;
		if (resv_set_field_policy(r, (enum resv_field)f, policy[f], err) != MG_OK)
			abort();
	}
	/* The three fields, each its own allocation: ASan sees a read past one. */
	char *field[RESV_FIELD_COUNT] = {0};
	const unsigned char *p = data + 1, *end = data + size;
	for (int f = 0; f < RESV_FIELD_COUNT; f++) {
		const unsigned char *stop = memchr(p, 0, (size_t)(end - p));
		size_t n = (size_t)((stop ? stop : end) - p);
		field[f] = malloc(n + 1);
		if (!field[f])
			abort();
		memcpy(field[f], p, n);
		field[f][n] = '\0';
		p = stop ? stop + 1 : end;
	}
	struct resv_contact c = {field[0], field[1], field[2]};
	int rc = resv_x_contact_check(r, &c, err);
	const struct resv_refusal *why = resv_refusal(r);
	if (rc == MG_OK) {
		for (int f = 0; f < RESV_FIELD_COUNT; f++)
			if (policy[f] == RESV_REQUIRED && !*field[f])
				abort();
	} else if (rc != MG_ERR_INPUT || why->why != RESV_WHY_CONTACT ||
		   resv_field_from_name(why->field) < 0 ||
		   (strcmp(why->problem, "required") && strcmp(why->problem, "invalid"))) {
		abort();
	}
	for (int f = 0; f < RESV_FIELD_COUNT; f++)
		free(field[f]);
	return 0;
}
