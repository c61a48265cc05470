/* Every limit and duration the booking rules depend on, in one place, each
 * with the reason it has this value. The per-product rules (interval, same
 * product, horizon) and the personal-field policy are the town's to set and
 * live in the database (resv_products, resv_settings), not here. */
#ifndef RESV_RULES_H
#define RESV_RULES_H

/* The municipal vaccination ticket number (接種券番号) is 10 digits. */
#define RESV_TICKET_LEN 10

/* Wrong logins allowed per ticket within the window. A resident who mistypes
 * the birth date two or three times still gets in; at 5 guesses per 15
 * minutes, walking through ~36,500 plausible birth dates takes about 75 days. */
#define RESV_LOGIN_MAX_FAIL_TICKET 5
/* Wrong logins allowed per client (IP) within the window: a family sharing one
 * phone or a care home's one line may log in several residents, but one
 * client cannot sweep many tickets. */
#define RESV_LOGIN_MAX_FAIL_CLIENT 20
#define RESV_LOGIN_WINDOW_S (15 * 60)

/* A session lasts long enough to compare venues and book slowly on a phone,
 * and ends on its own on a shared device. */
#define RESV_SESSION_TTL_S (30 * 60)
/* Session tokens: 32 random bytes written as hex; stored only as a hash. */
#define RESV_TOKEN_BYTES 32
#define RESV_TOKEN_LEN (2 * RESV_TOKEN_BYTES)

/* An offer from the waiting list holds its seat this long: a resident who is
 * told by mail or LINE in the evening can answer the next day; a seat is not
 * kept empty for a resident who does not answer. */
#define RESV_OFFER_TTL_S (24 * 60 * 60)

/* Imports: a town's year of slots is well under 1 MB; the cap stops a wrong
 * file (a video, a database) from being read whole. */
#define RESV_IMPORT_MAX_BYTES (16 * 1024 * 1024)
/* Bad rows listed per import before the rest are only counted. */
#define RESV_IMPORT_MAX_REPORTED 50

/* Text caps: codes are short ids staff type; names and addresses fit a line. */
#define RESV_CODE_MAX 32
#define RESV_TEXT_MAX 200
#define RESV_LOT_MAX 32
#define RESV_IDEM_KEY_MAX 64
/* Contact fields: an e-mail address is at most 254 bytes (RFC 5321); a
 * Japanese phone number has 10 or 11 digits. */
#define RESV_EMAIL_MAX 254
#define RESV_PHONE_MIN_DIGITS 10
#define RESV_PHONE_MAX_DIGITS 11

/* A slot is between 5 minutes and a whole day, and a slot seats at most this
 * many: a wider value is a typing error in the slots file. */
#define RESV_SLOT_MIN_MINUTES 5
#define RESV_SLOT_MAX_MINUTES (24 * 60)
#define RESV_SLOT_MAX_CAPACITY 1000
/* Slots made at once from the console: a start every 30 minutes round the
 * clock is the most a day can hold, and a batch is at most a year of a
 * venue's days at ten starts a day (3,660), so that a slip of the date range
 * cannot fill the database. */
#define RESV_SLOT_TIMES_MAX 48
#define RESV_SLOT_BATCH_MAX 4000
/* The booking report covers at most a year: the programme's season. */
#define RESV_REPORT_MAX_DAYS 366
/* Product rules: nothing is given more often than daily or booked further
 * ahead than a year. */
#define RESV_MAX_INTERVAL_DAYS 3650
#define RESV_MAX_HORIZON_DAYS 366

/* A resident changes or cancels their own booking up to the end of the day
 * this many days before the vaccination day (the FAQ's 「接種日の2日前の
 * 23時59分」): the venue orders doses and plans staff from the numbers two
 * days ahead. Later, the call centre does it. A town sets its own
 * (resv_set_change_deadline_days), up to RESV_MAX_CHANGE_DEADLINE_DAYS. */
#define RESV_CHANGE_DEADLINE_DAYS 2
#define RESV_MAX_CHANGE_DEADLINE_DAYS 30

/* Residents book a slot on the web or LINE until this many minutes before
 * it starts (the FAQ's same_day_cutoff, 「各回の受付開始の1時間前」): the
 * venue prints the session's list and sets out its doses an hour ahead.
 * Later, only the call centre books (it can tell the venue). */
#define RESV_SAME_DAY_CUTOFF_MIN 60

/* Idempotency keys are kept long enough to cover any client retry. */
#define RESV_IDEM_TTL_S (7 * 24 * 60 * 60)

#endif
