/*
 * decid - decision ids: the short name of one decision that its audit
 * record, its log line and the end of its SMTP reply text all carry
 * ("... Relay access denied (id 3f2a9c1b5d07)"), so a bounce leads the help
 * desk to the record.
 *
 * An id is DECID_LEN lowercase hex digits (48 bits): a keyed mix of a
 * process-wide counter under a random key drawn at the first call, so ids
 * are not guessable from one another and do not repeat within a process;
 * across processes and days two decisions share an id with probability
 * about n^2 / 2^49 (n = decisions searched together): search by id and day.
 * Thread-safe.
 */
#ifndef RW_DECID_H
#define RW_DECID_H

#define DECID_LEN 12

/* decid_next - a fresh id into out (DECID_LEN digits and a NUL) */
void decid_next(char out[DECID_LEN + 1]);

#endif
