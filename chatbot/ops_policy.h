/* The product decisions of the event log, the staff accounts and the
 * call-volume forecast, in one place, each with the reason that chose it.
 * The answer engine's own decisions are in chatbot/policy.h. */
#ifndef OPS_POLICY_H
#define OPS_POLICY_H

/* ---- the event log -------------------------------------------------------- */

/* Events are kept this many days, then folded into daily figures. 90 days
 * covers one vaccination season's review and the forecast's look-back
 * (OPS_FORECAST_WEEKS) with room to spare; the figures stay for good. */
#define OPS_RETAIN_DAYS 90

/* An answer below this confidence goes to the review queue although it was
 * shown: between the answer threshold (POLICY_ANSWER_MIN_CONFIDENCE, 0.85)
 * and here about one in nine answers had the wrong topic on
 * tests/eval/dev.tsv (eval --calibrate: answered 68.6% / wrong 1.5% at 0.85,
 * 63.1% / 0.9% at 0.90). */
#define OPS_REVIEW_MAX_CONFIDENCE 0.90

/* Knowledge bases that full imports replaced, kept to be restored: the
 * sample's export is 389 KB (wc -c kb/data/faq.csv), so ten are about 4 MB
 * in the database file, and ten imports reach back past any mistake noticed
 * within a working week of daily imports. */
#define OPS_KB_REPLACED_KEPT 10

/* Audit records in one CSV download (the console's 操作履歴 page shows the
 * newest 200). The file is built in memory before it is sent, and an entry
 * edit's record holds the entry before and after: the sample's entries
 * average 3.8 KB (kb/data/faq.csv, 102 entries, 389 KB), so 10,000 such
 * records are about 76 MB at most; 10,000 is also fifty busy days of 200
 * records. A download that reaches the cap says so in its last line, and
 * the filters (account, kind, day) narrow it. */
#define OPS_AUDIT_CSV_ROWS 10000

/* The server's writer thread (chatbot/events.h). Measured with
 * tests/bench/http.sh on the 2-core machine, wrk on the same cores.
 *
 * Events waiting to be written. When the queue is full because the database
 * refuses writes (a lock held elsewhere: the writer has waited for it for
 * OPS_EVENTS_LOCKED_MS) an event is dropped and counted, never waited for:
 * the resident's answer comes before one line of the figures. When it is
 * full because the writer is behind on the CPU, see below. The longest write lock known is a full import of
 * the knowledge base: 0.15 s for the shipped one, 2.5 s for 10,000 entries
 * (build/rel/bench-ask). 4,096 events cover the first at 27,000 asks/s, six
 * times what the server answers, and the second at 1,600. An event is under
 * 2 KB (a question of at most 1,000 bytes, the candidates' ids and scores):
 * under 8 MB when full. */
#define OPS_EVENTS_QUEUE_MAX 4096
/* Events written in one transaction, at most: how long a booking may wait
 * for the write lock behind the log. Since new conversations' ids sort to
 * the 65,536th of a second (events_new_id), 256 take 4-7 ms on the clock on
 * average, 30-60 ms at worst, with the machine at load 4-7 (the server's
 * stop line, tests/bench/http.sh's ask). Larger batches share more of each
 * index's last pages (0.23 pages of log an event at 256, 0.20 at 512, 0.18
 * at 1,024, 0.16 at 2,048) but took 8-12, 19-37 and 33-56 ms, and the p99
 * of the HTTP ask was no better within the noise (three runs each). */
#define OPS_EVENTS_BATCH_MAX 256
/* How long the first event of a batch waits for others. Every commit makes
 * the other connections drop their page cache (WAL), so fewer commits save
 * the workers' reading too: server CPU per ask was 400-430 us at 5 ms,
 * 370-390 at 20, 365-368 at 50, and as much at 100 and 250 within the
 * noise of a shared machine. Readers in the server flush first
 * (events_writer_flush), so only other processes (madoguchi report) see an
 * event up to this much later; a crash loses at most this much. */
#define OPS_EVENTS_BATCH_MS 50
/* A worker whose event finds the queue full while the writer writes (it is
 * not waiting for the write lock) waits for the room the next batch makes,
 * at most this long, then drops the event. On the 2 shared
 * cores the workers answered asks asked before faster than the writer's
 * share of the CPU wrote them (8,500-10,700 a second against 5,000-8,000
 * written; 14,000-64,000 of 86,000-127,000 dropped in 10 s runs of
 * tests/bench/http.sh, the writer's CPU 35-45 us an event against a worker's
 * 80-100 us an ask): every ask is logged for the staff's figures, so the
 * server answers at the rate it logs. A batch of 256 takes the writer 10-40
 * ms of wall clock under that load; with the machine at load 10 it took none
 * for 250 ms a few times a run (45-455 events dropped in 10 s with a bound
 * of 250 ms that counted from the last batch taken). */
#define OPS_EVENTS_ROOM_WAIT_MS 1000
/* The writer that has waited this long to begin a batch is held by a lock
 * (BEGIN IMMEDIATE takes microseconds otherwise): a full queue then drops. */
#define OPS_EVENTS_LOCKED_MS 50
/* While another connection holds the write lock (a staff import), the
 * writer waits MG_DB_BUSY_MS in SQLite (nlp/db.h), then again after
 * OPS_EVENTS_RETRY_MS; at shutdown it gives up after one wait. A reader's
 * flush waits as long at most. */
#define OPS_EVENTS_RETRY_MS 100
/* Dropped events are reported on stderr at most this often (and at stop). */
#define OPS_EVENTS_REPORT_S 10

/* ---- staff accounts ------------------------------------------------------- */

/* A session lasts a working day: staff log in in the morning, not every hour. */
#define OPS_SESSION_SECONDS (9 * 3600)
/* Wrong passwords in a row an account takes without waiting: enough for
 * typos. After them each further try must wait a back-off that doubles from
 * OPS_LOGIN_BACKOFF_FIRST_S up to OPS_LOGIN_BACKOFF_MAX_S. A fixed 15-minute
 * lock let anyone lock any account (admin's too) with five requests; the
 * back-off keeps a guesser to about one try a minute per account (years for a
 * passphrase of OPS_PASSWORD_MIN characters) while the owner, whose account
 * a stranger keeps trying, waits a minute at the most. The tries are counted
 * atomically, in the statement that claims one (parallel guesses got 8 of 5
 * when they were read, checked and written in separate steps). */
#define OPS_LOGIN_FREE_FAILURES 5
#define OPS_LOGIN_BACKOFF_FIRST_S 1
#define OPS_LOGIN_BACKOFF_MAX_S 60
/* Argon2id cost: libsodium's "interactive" limits (64 MiB, 2 passes), about
 * 0.1 s on the town's small server; logins are rare, guesses must be costly. */
#define OPS_PWHASH_OPS crypto_pwhash_OPSLIMIT_INTERACTIVE
#define OPS_PWHASH_MEM crypto_pwhash_MEMLIMIT_INTERACTIVE
/* The shortest password accepted: a passphrase, not a PIN. */
#define OPS_PASSWORD_MIN 10

/* ---- the call-volume forecast --------------------------------------------- */

/* Weeks of history the baseline is averaged over: long enough to smooth one
 * odd day, short enough to follow a campaign's phase. */
#define OPS_FORECAST_WEEKS 4
/* Defaults of the settings the call centre can change (forecast --aht etc.):
 * 180 s average handling time and 80 % answered within 20 s are the
 * contract figures of the town's call-centre tender. */
#define OPS_FORECAST_AHT_SECONDS 180
#define OPS_FORECAST_TARGET_SECONDS 20
#define OPS_FORECAST_SERVICE_LEVEL 0.80
/* Days of log the weekday baseline needs before it is a plan rather than a
 * guess: two weeks give every weekday two days, so one odd day (the day a
 * mailing landed, a storm) moves its weekday's figure by half, not all of
 * it. Fewer, and the forecast says so. (The staffed hours of each day are
 * the call centre's phone hours and holidays in town.json.) */
#define OPS_FORECAST_MIN_HISTORY_DAYS 14
/* Of residents who receive a mailed ticket, the share who ask something in
 * the following days, and how the questions spread over those days (sum 1):
 * the 2021 campaign's figures reported by towns of this size, roughly 1 in
 * 10 residents calling, half of them in the first three days. */
#define OPS_FORECAST_CONTACT_SHARE 0.10
static const double OPS_FORECAST_DECAY[] = {0.20, 0.17, 0.13, 0.10, 0.08, 0.07, 0.06,
					    0.05, 0.04, 0.04, 0.03, 0.03};

#endif
