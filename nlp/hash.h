/* The hash of tables keyed by what outsiders send: SipHash-2-4 (libsodium's
 * crypto_shorthash) under the table's own random key. With an unkeyed hash
 * (mg_hash, FNV-1a) anyone can compute which keys share a slot and send
 * questions or addresses that all land in one, making every lookup walk
 * them or one client's limit everybody's; the synonym list's sets at its
 * load are keyed too (a member of staff writes the list). mg_hash stays for
 * tables of the program's own words (the dictionary, SQL texts) and for the
 * list's buckets by first character, which any list can fill alike. */
#ifndef MG_HASH_H
#define MG_HASH_H

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

struct mg_hash_key {
	unsigned char bytes[crypto_shorthash_KEYBYTES];
};

/* A new random key. MG_OK, or MG_ERR_INTERNAL when libsodium cannot start
 * (it has no source of randomness). */
int mg_hash_key_new(struct mg_hash_key *key);

uint64_t mg_hash_keyed(const struct mg_hash_key *key, const void *p, size_t len);

#endif
