/*
 * CloudTrail's records of ECR (docs/observability.md, "Audit trail"): one
 * per answered ECR API or registry call (eventType AwsApiCall), and the
 * lifecycle's PolicyExecutionEvent (AwsServiceEvent). Each comes rendered
 * as one line of JSON for --audit-log.
 */
#ifndef ECRD_API_AUDIT_H
#define ECRD_API_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct call;
struct json_object;

/* What the protocol knows of a call that the call does not. */
struct api_audit_in {
	/*
	 * The event's name: NULL names it after the call's op (an ECR call);
	 * a registry call gives the ECR API its request stands for. fallback
	 * names a call whose op is unknown (X-Amz-Target's), or NULL.
	 */
	const char *event_name;
	const char *fallback;
	const char *user_agent; /* NULL: none sent */
	/*
	 * errorCode of a failed registry call whose error is the registry's
	 * own (BLOB_UNKNOWN: no ECR exception stands for it); NULL: the
	 * call's ECR exception.
	 */
	const char *error_code;
	/*
	 * requestParameters (owned): NULL takes the call's input without
	 * its blobs (an ECR call); a registry call builds its own.
	 */
	struct json_object *params;
	/*
	 * responseElements (owned) of a registry call; an ECR call's are its
	 * answer (writes only, on success).
	 */
	struct json_object *response;
};

/* The record of an answered call (caller frees); takes in's objects. */
char *api_audit_call(const struct call *, struct api_audit_in *in, size_t *len);
/*
 * The record of a service event in account and region at now_ms, with
 * details as its serviceEventDetails (taken), for a lifecycle run's
 * expiries (core_lifecycle_audit_fn).
 */
char *api_audit_service_event(const char *event_name, const char *account,
    const char *region, int64_t now_ms, struct json_object *details,
    size_t *len);
/*
 * Whether CloudTrail marks the API readOnly: its reads (Describe, List,
 * Get, BatchGet, BatchCheck, Validate).
 */
bool api_audit_is_read_only(const char *event_name);

#endif
