/* The web boundary's limits in one place: how much a client may send, how
 * often, and for how long. Each is a product decision with the reason next to
 * it; the server tests exercise every one. */
#ifndef HTTP_LIMITS_H
#define HTTP_LIMITS_H

/* Largest request body read. An ask is a question of at most
 * HTTP_QUESTION_MAX_BYTES plus a conversation id and two small fields; even
 * fully \u-escaped that stays well under 8 KB. Anything larger is a mistake
 * or an attack and gets 413 without being buffered. */
#define HTTP_BODY_MAX (8 * 1024)

/* Longest question accepted, in bytes of UTF-8. Residents' questions are one
 * or two sentences (the longest in the labelled sets is under 100 characters);
 * 1,000 bytes is about 330 kanji, room for a pasted paragraph, while keeping
 * the analyser's work per request small and bounded. */
#define HTTP_QUESTION_MAX_BYTES 1000

/* Longest type-ahead prefix: suggestions are for the first words of a
 * question, so a long prefix adds cost and no better suggestions. */
#define HTTP_SUGGEST_MAX_BYTES 200

/* Type-ahead and popular lists: what fits above the input on a phone without
 * scrolling. */
#define HTTP_SUGGEST_LIMIT 5
#define HTTP_POPULAR_LIMIT 6

/* Candidates a client may ask for with "top" (the widget uses the default). */
#define HTTP_TOP_MAX 10

/* Conversation ids are the event log's (events_new_id: the time to the
 * 65,536th of a second, then 80 random bits, unguessable); a client-supplied one is accepted only if it
 * looks like one (letters, digits, '-', '_'). */
#define HTTP_CONVERSATION_MAX 64

/* Entry ids are short external ids from the CSV ("101", "ticket-lost-1"). */
#define HTTP_ENTRY_ID_MAX 64

/* Per-client rate limit on /api: a token bucket per IP address. A resident
 * typing (debounced type-ahead, about one call per word) and asking never
 * empties a bucket of 60 with 2 tokens a second; a script hammering the API is
 * refused with 429 after a few seconds and can retry after HTTP_RATE_RETRY_S. */
#define HTTP_RATE_BURST 60
#define HTTP_RATE_PER_SECOND 2
#define HTTP_RATE_RETRY_S 1
/* A 503 for work whose slots are all taken (a staff log-in while others
 * wait for their passwords to be hashed): a hash takes about 0.1-0.3 s, so
 * one second later a place is free again. */
#define HTTP_BUSY_RETRY_S 1
/* A 503 for a write the full disk refused: freeing space takes an operator
 * minutes, so clients come back after one instead of hammering a server that
 * can still answer questions. */
#define HTTP_NOSPACE_RETRY_S 60
/* Staff log-in tries per client, on top of the bucket above and of each
 * account's back-off (chatbot/ops_policy.h), on every route marked HTTP_PASSWORD
 * (the console's log-in): a member of staff who mistypes a few times never
 * meets it; one address trying many accounts gets ten tries, then one every
 * six seconds, and is told to wait that long. */
#define HTTP_LOGIN_BURST 10
#define HTTP_LOGIN_RETRY_S 6
/* Buckets kept in memory (direct-mapped by address hash): bounded memory
 * whatever the number of clients; two addresses that collide share a bucket
 * only while both are active, which errs on the side of refusing. */
#define HTTP_RATE_SLOTS 4096

/* Threads of the staff-work pool (widget/pool.h), which runs every route
 * marked HTTP_STAFF_WORK (a whole import, an entry's save with its
 * re-index, an eval run, a preview) and the loads of new knowledge bases'
 * models, so that the workers answering residents never run them
 * (passwords' hashes have a thread of their own, below). On the old design it ran on the worker
 * that read it, and every ask that worker had accepted waited: with one
 * worker, asks' p99 was 3,904 ms beside a dozen clients sending wrong
 * passwords and 7,134 ms beside two editors importing a large knowledge
 * base; with the pool 6-21 ms and 5-27 ms, the sanitizers' build included (./build/rel/unit-tests
 * attack.residents_asks_are_answered_while_a_dozen_wrong_staff_passwords_are_hashed
 * and attack.residents_asks_during_a_whole_knowledge_base_import, 2026-12-01,
 * widget/README.md). One thread: staff work ran one at a time before with no
 * complaint (imports are rare), two imports at once would only queue for
 * SQLite's write lock, and on two cores one thread leaves the other core to
 * residents. */
#define HTTP_STAFF_THREADS 1
/* Threads that hash passwords (log-ins, accounts added, passwords set): one,
 * so that one 64 MiB hash runs at a time in the server (the memory bound),
 * and a thread of its own, so that a log-in never waits in the staff-work
 * pool's queue: a log-in sent while an editor previewed a change against a
 * knowledge base of 2,600 entries took 4,380 ms when both shared the pool's
 * thread, the whole preview, and 517 ms with this one (one hash alone
 * 165-400 ms; ./build/rel/unit-tests
 * attack.a_log_in_is_answered_while_a_long_preview_runs, 2026-12-01). */
#define HTTP_HASH_THREADS 1
/* Loads of a new knowledge base's model that may wait for the staff-work
 * pool: a worker that meets a generation nobody has loaded answers from the
 * one before and asks the pool for it (widget/README.md); one waiting load
 * reads whatever generation is newest when it runs, so a second is never
 * needed. */
#define HTTP_MODEL_LOADS_WAITING 1
/* Staff work that may wait for the pool beside the one running; one more
 * gets 503 with Retry-After HTTP_STAFF_WORK_RETRY_S at once. An import of
 * the sample knowledge base takes 0.5-2.6 s (below), so the last of two
 * waiting is answered within about five seconds; more editors than that
 * importing at once are told to come back rather than left waiting. */
#define HTTP_STAFF_WAITING 2
/* Log-ins (HTTP_PASSWORD) that may wait for the hashing thread, in a lane
 * of their own: anyone may send one, so they must never fill the places of
 * an administrator's account changes (which wait HTTP_STAFF_WAITING). A hash takes 0.1-0.3 s on these cores, so the last of four
 * is answered within about a second, a shift's staff logging in at once;
 * more get 503 with Retry-After HTTP_BUSY_RETRY_S, as a second log-in did
 * while a hash ran before the pool. */
#define HTTP_LOGINS_WAITING 4
/* Staff work waiting when one more came: an import of the sample knowledge
 * base takes 0.2 s alone, 0.5-2.6 s beside residents' asks and another
 * import, one with 2,500 entries more 1.2-2.5 s alone (the attack tests print
 * them, 2026-12-01): a place is free again within about two seconds. */
#define HTTP_STAFF_WORK_RETRY_S 2

/* Reverse proxies listed with serve --trusted-proxy: a town has one or two
 * (HTTPS in front, perhaps a second for failover); eight is room to spare. */
#define HTTP_PROXIES_MAX 8

/* Seconds an idle or slow connection is kept: long enough for a phone on a
 * poor line to send a question, short enough that slow-sending clients cannot
 * hold every connection. */
#define HTTP_CONNECTION_TIMEOUT_S 15

/* Open connections at once: the widget uses one or two per resident; this
 * bounds memory (MHD's per-connection pool) under a flood. */
#define HTTP_CONNECTION_LIMIT 1024
/* Connections one address may hold at once (a trusted proxy is exempt). The
 * widget opens one or two per resident; a care home or the town hall puts
 * thirty residents behind one address, sixty connections. Without it, 1,030
 * slow connections from one address stopped the service for everyone
 * (issue 11); with it, one address holds at most 64 of the 1,024
 * (./build/rel/unit-tests attack.slow_connections_from_one_address_leave_the_others_answered:
 * another address's ask in 80-110 ms; 15.1 s, the idle timeout, with
 * MADOGUCHI_ATTACK_NO_LIMITS=1; 2026-12-01). */
#define HTTP_CONNECTIONS_PER_CLIENT 64
/* Room over HTTP_CONNECTION_LIMIT in the connection table, for sockets that
 * MHD has accepted and not yet refused at its limit. */
#define HTTP_CONNECTION_SPARE 64
/* Longest a request may take to arrive, headers and body, from its first
 * byte (or the previous reply on a kept-alive connection). MHD's idle timer
 * (HTTP_CONNECTION_TIMEOUT_S) restarts with every byte, so a client sending a
 * byte every ten seconds would hold a connection for ever; a question is a
 * few hundred bytes, and the largest staff upload (HTTP_UPLOAD_MAX, 4 MB)
 * arrives in 30 s at 1.1 Mbit/s. A request past it is cut off. */
#define HTTP_REQUEST_DEADLINE_S 30
/* How often the deadline is checked: a request is cut at most this late. */
#define HTTP_REAP_INTERVAL_MS 250

/* Query arguments a request may carry. The API reads three at most and the
 * widget sends two; MHD stores every argument in the connection's memory
 * (below) and, once about 500 fill it, stops answering at all until the
 * timeout. More than this is refused with 400 before MHD stores any. */
#define HTTP_QUERY_ARGS_MAX 32

/* Memory MHD reserves per connection for headers; 32 KB holds the headers
 * browsers send with room to spare and refuses header floods with 431. */
#define HTTP_CONNECTION_MEMORY (32 * 1024)

/* On SIGTERM: stop accepting, then wait at most this long for requests in
 * flight to finish before closing the remaining (idle keep-alive) connections. */
#define HTTP_DRAIN_MS 3000

/* Size of a static file served from --assets DIR while developing. */
#define HTTP_ASSET_MAX (1024 * 1024)

/* Origins listed with --cors-origin (the town's web sites that embed the widget). */
#define HTTP_CORS_MAX 16

/* Browsers may cache a CORS preflight this long (seconds): fewer round trips
 * from the town's page, and an origin removed from the list stops working
 * within ten minutes. */
#define HTTP_CORS_MAX_AGE_S 600

/* The widget script and style are cached briefly by browsers so that a fix
 * reaches every town page within five minutes. */
#define HTTP_ASSET_MAX_AGE_S 300

/* Staff console uploads (the knowledge base's CSV as base64, a labelled
 * set): the sample faq.csv is 170 KB, base64 makes it 230 KB; 4 MB leaves
 * room for a town's knowledge base ten times larger. */
#define HTTP_UPLOAD_MAX (4 * 1024 * 1024)
/* The labelled set the console's eval runs when none is uploaded, relative
 * to the folder the server was started in (the repository's in development). */
#define HTTP_EVAL_SET "tests/eval/dev.tsv"

#endif
