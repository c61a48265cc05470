/* The sample knowledge base and town built into the binary, so that a new
 * database anywhere starts filled and one file deploys. .incbin keeps the
 * files as they are on disk: no generator, no escaping. */
#include "kb/kb.h"

#define EMBED(sym, path)                                                  \
	__asm__(".section .rodata\n"                                      \
		".global " #sym "\n"                                      \
		".balign 16\n" #sym ":\n"                                 \
		".incbin \"" path "\"\n"                                  \
		#sym "_end:\n"                                            \
		".byte 0\n"                                               \
		".global " #sym "_len\n"                                  \
		".balign 4\n" #sym "_len:\n"                              \
		".int " #sym "_end - " #sym "\n"                          \
		".previous\n")

EMBED(kb_sample_faq, "kb/data/faq.csv");
EMBED(kb_sample_synonyms, "kb/data/synonyms.tsv");
EMBED(kb_sample_town, "kb/data/town.json");
