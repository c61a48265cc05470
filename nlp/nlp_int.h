/* What the nlp/ files share among themselves and nobody else sees. */
#ifndef NLP_INT_H
#define NLP_INT_H

#include <mecab.h>

#include "nlp/nlp.h"

/* Parses len bytes of text (no NUL inside, and text[len] a NUL: MeCab's
 * dictionary lookup reads up to it) with the analyser's own tagger
 * and lattice and returns the BOS node, or NULL with err set. The nodes'
 * surfaces point into text, which must outlive them; they stay valid until
 * the analyser's next parse. */
const mecab_node_t *nlp_parse_nodes(struct nlp_analyser *an, const char *text, size_t len, char *err);

#endif
