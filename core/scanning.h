/*
 * Image scanning as both protocols and the server see it (issue 15,
 * docs/ecr-behaviour.md 3.7): the registry's scanning configuration, the
 * durable queue of scans, and the runs that drain it (reading layers and
 * matching the feed in the worker pool, committing on the loop).
 */
#ifndef ECRD_CORE_SCANNING_H
#define ECRD_CORE_SCANNING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core_int.h"

struct json_object;
struct store_image;
struct store_repo;

/* ECR's limits (docs/ecr-behaviour.md 4). */
#define CORE_SCAN_INTERVAL_MS (24LL * 3600 * 1000) /* per image */
/* Per registry and day: core/quota.h's CORE_QUOTA_SCANS. */

/*
 * scanning_config.c. The registry's scanning configuration as ECR answers
 * it, {"scanType", "rules"}: the stored one or the default (BASIC, no
 * rules). 0 with *out (put it), or a STORE_* code.
 */
int core_scan_config_read(struct store_txn *, const char *registry_id,
    const char *region, struct json_object **out);
/*
 * Check a scanningConfiguration input the model has validated already:
 * each rule's frequency must suit the scan type (BASIC: SCAN_ON_PUSH or
 * MANUAL; ENHANCED: SCAN_ON_PUSH or CONTINUOUS_SCAN). 0, or -1 with the
 * message of a ValidationException in msg.
 */
int core_scan_config_check(const char *scan_type, struct json_object *rules,
    char *msg, size_t size);
/*
 * The frequency config gives repository name: the first rule with a
 * filter that matches the whole name ('*' any run of characters), its
 * matching filters appended to applied when not NULL; "MANUAL" when none.
 * Borrowed from config.
 */
const char *core_scan_frequency(struct json_object *config, const char *name,
    struct json_object *applied);
/* Whether config's type is ENHANCED. */
bool core_scan_is_enhanced(struct json_object *config);
/*
 * Whether a push of an image to repo is scanned: a rule says SCAN_ON_PUSH
 * or CONTINUOUS_SCAN for it, or, when the registry has no rules, the
 * repository's own scanOnPush.
 */
bool core_scan_on_push_wanted(struct json_object *config,
    const struct store_repo *repo);
/*
 * Enhanced scanning's "ECR Scan Resource Change" events on call
 * (docs/observability.md "Events"). core_scan_change_events: when
 * new_config is ENHANCED, the repositories of call's registry whose
 * frequency differs from old_config's, CORE_SCAN_REPOS_PER_EVENT an
 * event; 0 or a STORE_* code. core_scan_repo_event: repo created, or an
 * image (digest) of it pushed or deleted, when enhanced scanning covers
 * it (a frequency other than MANUAL).
 */
int core_scan_change_events(struct call *, struct json_object *old_config,
    struct json_object *new_config);
void core_scan_repo_event(struct call *, enum core_scan_change,
    const struct store_repo *repo, const char *digest);

/*
 * scanning_queue.c. Whether img is an image ECR scans: an image manifest
 * (not a list or index) whose config is a container image's.
 */
bool core_scan_is_scannable(const struct store_image *img);
/*
 * Queue a scan of img (scannable) in call->txn: its scan record says
 * IN_PROGRESS from now (findings dropped, the inventory kept) and the
 * scan runs in the background. Counts toward the registry's daily quota:
 * 0, or -1 with LimitExceededException when the registry is past it (or
 * a store error).
 */
int core_scan_enqueue(struct call *, const struct store_repo *repo,
    const struct store_image *img);
/*
 * After create: scan on push when the registry or repository asks (past
 * the daily quota the image is pushed unscanned).
 */
int core_scan_on_push(struct call *, const struct store_repo *repo,
    const struct store_image *img);
/*
 * Set an image's scan as a test asks (the admin endpoint, moto's
 * scan-finding-results): status (a store_scan_status), its findings
 * (taken: the callee releases each and frees list) and counts from
 * them, completed now, in call->txn. 0, or -1 with the call's error.
 */
int core_scan_set_result(struct call *, const struct store_repo *repo,
    const struct store_image *img, unsigned status,
    struct store_finding *owned_list, size_t n);
/*
 * The event of img's finished scan (its record scan) in repo, read in
 * txn, at at_ms: owned, or NULL when none is wanted or sent.
 */
struct core_event *core_scan_event(struct core_ctx *, struct store_txn *,
    const struct store_repo *repo, const struct store_image *img,
    const struct store_scan *scan, int64_t at_ms);
/* Index of a severity name in store_scan's counts; UNDEFINED's if unknown. */
size_t core_severity_index(const char *severity);
extern const char *const core_severity_names[STORE_SCAN_SEVERITIES];

#endif
