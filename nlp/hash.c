/* The keyed hash of tables outsiders fill (see hash.h). */
#include "nlp/hash.h"

#include "nlp/mg.h"

int mg_hash_key_new(struct mg_hash_key *key)
{
	if (sodium_init() < 0)
		return MG_ERR_INTERNAL;
	randombytes_buf(key->bytes, sizeof key->bytes);
	return MG_OK;
}

uint64_t mg_hash_keyed(const struct mg_hash_key *key, const void *p, size_t len)
{
	unsigned char h[crypto_shorthash_BYTES];
	crypto_shorthash(h, p, len, key->bytes);
	uint64_t v = 0;
	for (size_t i = 0; i < sizeof h; i++)
		v = v << 8 | h[i];
	return v;
}
