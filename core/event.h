/*
 * The facts of the events ECR sends to EventBridge (docs/observability.md,
 * "Events"), as the domain records them: on the call whose commit makes
 * them true, or on the background run (replication, scans, restores,
 * pulls through the cache) that commits them. Once that commit is
 * durable, and only then, core hands each to the server's sink, in
 * commit order; the server turns them into EventBridge's JSON. A call
 * that fails, or whose batch fails, hands over nothing.
 */
#ifndef ECRD_CORE_EVENT_H
#define ECRD_CORE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct call;
struct core_ctx;

/* Which detail-type. */
enum core_event_kind {
	CORE_EVENT_IMAGE,       /* "ECR Image Action" */
	CORE_EVENT_REFERRER,    /* "ECR Referrer Action" */
	CORE_EVENT_SCAN,        /* "ECR Image Scan" */
	CORE_EVENT_INSPECTOR,   /* enhanced: aws.inspector2 "Inspector2 Scan" */
	CORE_EVENT_PULLTHROUGH, /* "ECR Pull Through Cache Action" */
	CORE_EVENT_REPLICATION, /* "ECR Replication Action" */
	CORE_EVENT_SCAN_RESOURCE, /* "ECR Scan Resource Change" */
};

/*
 * A scan resource change's action-type (integrations 1.5). ECR shows only
 * SCAN_FREQUENCY_CHANGE; the others are our names for what its prose says
 * the event covers [unconfirmed].
 */
enum core_scan_change {
	CORE_SCAN_FREQUENCY_CHANGE, /* SCAN_FREQUENCY_CHANGE */
	CORE_SCAN_REPO_CREATE,      /* REPOSITORY_CREATE [unconfirmed] */
	CORE_SCAN_IMAGE_PUSH,       /* IMAGE_PUSH [unconfirmed] */
	CORE_SCAN_IMAGE_DELETE,     /* IMAGE_DELETE [unconfirmed] */
};

/* One repository of a scan resource change; prev NULL: left out. */
struct core_scan_repo {
	char *name;
	char *arn;
	char *freq;
	char *prev_freq;
};

/* Repositories per scan resource change; more go in several events. */
#define CORE_SCAN_REPOS_PER_EVENT 100

/* An image or referrer action's action-type. */
enum core_event_action {
	CORE_EVENT_PUSH,
	CORE_EVENT_DELETE,
	CORE_EVENT_STORAGE_CLASS, /* UPDATE_STORAGE_CLASS */
};

/* The finding-severity-counts keys, in ECR's FindingSeverity order. */
enum core_severity {
	CORE_SEV_CRITICAL,
	CORE_SEV_HIGH,
	CORE_SEV_MEDIUM,
	CORE_SEV_LOW,
	CORE_SEV_INFORMATIONAL,
	CORE_SEV_UNDEFINED,
	CORE_SEV__COUNT,
};

/*
 * One event. Strings are owned (core_event_free frees them); NULL leaves
 * the detail key out. The envelope's account and region are the
 * registry's that the event happened in (a replica's destination's).
 */
struct core_event {
	enum core_event_kind kind;
	enum core_event_action action;
	bool is_failure;
	int64_t at_ms; /* when it became true, core_now_ms's clock */
	char *account;
	char *region;
	char *repo_name;
	char *repo_arn;
	char *digest;
	char *tag; /* one tag: image and referrer actions, replication */
	char *manifest_media_type;
	char *artifact_media_type;
	bool is_archive;         /* storage class: ARCHIVE, else STANDARD */
	int64_t activated_at_ms; /* a restore's last-activated-at; 0 none */
	/* Scans: the image's tags (image-tags) and the findings' counts. */
	char **tags;
	size_t n_tags;
	uint64_t severity_counts[CORE_SEV__COUNT];
	/* Pull through cache. */
	char *ptc_prefix;
	char *upstream_url;
	char *failure_code;
	char *failure_reason;
	/* Replication: the registry the image was copied from. */
	char *source_account;
	char *source_region;
	/* Scan resource change: its action and repositories. */
	enum core_scan_change scan_change;
	struct core_scan_repo *scan_repos;
	size_t n_scan_repos;
	struct core_event *next;
};

/*
 * Where committed events go: fn(arg, ev) on the loop's thread, ev
 * borrowed for the call. With no sink (the default) nothing is recorded
 * at all, so events cost nothing unless a sink wants them.
 */
typedef void (*core_event_sink)(void *arg, const struct core_event *);
void core_ctx_set_event_sink(struct core_ctx *, core_event_sink, void *arg);

#endif
