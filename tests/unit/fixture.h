/* Shared fixtures: one MeCab model for the whole test run. */
#ifndef FIXTURE_H
#define FIXTURE_H

#include "nlp/nlp.h"

struct nlp_model *fixture_model(void);
/* The terms of text, space-separated, in a static buffer. */
const char *fixture_terms(const char *text, const struct nlp_synonyms *syn);

#endif
