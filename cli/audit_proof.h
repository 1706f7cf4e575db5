/*
 * audit_proof - `relaywarden audit verify --public-key`: prove the audit
 * trail with the public key alone (core/audit/audit_sign.h).
 *
 * Fed every line of the logs in order (audit_proof_line, a
 * records_line_fn), it follows each chain by id and seq, recomputes the
 * chain's running hash and checks every checkpoint's signature and hash:
 * a checkpoint that verifies proves authorship, order and completeness of
 * its chain's lines before it. It reports, one line each, FILE:LINE of
 *   - a line that is no JSON or in no chain, a gap or a repeated or
 *     out-of-order seq (replayed lines and checkpoints too);
 *   - a checkpoint whose signature does not verify (changed, forged, or
 *     signed by another key: its key id is named), or whose hash is not
 *     the chain's (a line since the previous checkpoint was changed,
 *     removed, inserted or reordered);
 * and, as unproven (no problem), the lines no checkpoint covers: after a
 * chain's last checkpoint, or before its first when the chain starts in
 * a log not given. Checkpoint copies (audit_proof_copies: syslog lines,
 * or any file holding the checkpoint JSON in its lines) prove more: a
 * copy whose chain stops earlier in the logs, or is missing from them
 * though the logs cover its time, means the tail was cut off.
 * Exit status from audit_proof_report: 0 every line proven, 1 a problem,
 * 3 no problem but lines unproven. Single-threaded; it owns what it keeps.
 */
#ifndef RW_CLI_AUDIT_PROOF_H
#define RW_CLI_AUDIT_PROOF_H

#include <stddef.h>

struct audit_key;
struct audit_proof;

/* audit_proof_new - a proof under key (borrowed; outlives the proof) */
struct audit_proof *audit_proof_new(const struct audit_key *key);
/* audit_proof_line - one line of the logs, in order (records_line_fn) */
void audit_proof_line(void *proof, const char *line, size_t n, const char *name, long lineno);
/*
 * audit_proof_copies - compare the checkpoint copies in files (each after
 * its rotations, cli/records.h) with the chains of the logs; the files
 * that could not be read
 */
int audit_proof_copies(struct audit_proof *p, char *const *files, int n);
/* audit_proof_report - unproven lines, one line per chain, the summary; the exit status */
int audit_proof_report(struct audit_proof *p);
void audit_proof_free(struct audit_proof **pp);

#endif
