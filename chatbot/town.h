/* The town's configuration as the program sees it: its name, lines,
 * opening hours, holidays, time zone and the facts entries refer to
 * (town.json, or the sample town built into the binary). */
#ifndef TOWN_H
#define TOWN_H

#include <jansson.h>
#include <time.h>

#include "nlp/zone.h"

struct town;  /* parsed town.json; immutable after load, shared by threads */

/* Loads the town configuration from path, or the sample town built into the
 * binary when path is NULL. */
int town_load(const char *path, struct town **out, char *err);
void town_free(struct town *town);
const char *town_name(const struct town *town, const char *lang);
/* The town's time zone (town.timezone), owned by the town; NULL when the
 * configuration names none (then the process's zone is the town's). */
const struct nlp_zone *town_zone(const struct town *town);
/* The town's six-digit municipality code (town.municipality_code, checked
 * at load) for the national vaccination record, or NULL when none is set. */
const char *town_municipality_code(const struct town *town);
/* The public part of the configuration as a new JSON object (caller decrefs):
 * town name and, per line, label, phone, hours text and whether it is open at now. */
json_t *town_public_json(const struct town *town, const char *lang, time_t now);

/* text (UTF-8: it is not checked again) with each {{key}} replaced by the
 * town's fact in lang, as residents see it (the console's preview); a new
 * JSON string, NULL without memory. */
json_t *town_expand(const struct town *town, const char *text, const char *lang);

#endif
