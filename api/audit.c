/*
 * CloudTrail records (docs/observability.md, "Audit trail"; the field set
 * of docs/ecr-integrations.md 3 as ECR writes it). Built from the call once
 * it is answered, so errorCode and errorMessage are what the client saw.
 */
#include "api/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "api/api_int.h"
#include "auth/sha256.h"
#include "common/json.h"
#include "common/str.h"
#include "common/uuid.h"
#include "common/xalloc.h"

#define EVENT_VERSION "1.11"
#define EVENT_SOURCE "ecr.amazonaws.com"
#define AWS_INTERNAL "AWS Internal"
#define ID_CHARS 17      /* after the four-letter prefix, as IAM's unique ids */
#define TIME_KEYS_MAX 16 /* times rewritten per object (answers have few) */

static const char *const read_prefixes[] = {
    "Describe", "List", "Get", "BatchGet", "BatchCheck", "Validate"};

bool
api_audit_is_read_only(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof read_prefixes / sizeof read_prefixes[0]; i++) {
		if (strncmp(name, read_prefixes[i], strlen(read_prefixes[i])) ==
		    0)
			return true;
	}
	return false;
}

/* CloudTrail's eventTime: UTC to the second. */
static void
add_time(struct jw *w, const char *key, int64_t ms)
{
	char text[STR_UTC_TIME_SIZE];

	str_utc_time(text, ms, false);
	jw_str(w, key, text);
}

/*
 * IAM's unique id of a principal (AIDA..., AROA...): ecrd has none, so it
 * derives one from the ARN, the same for every record of that principal.
 */
static void
add_unique_id(struct jw *w, const char *key, const char *prefix,
    const char *arn, const char *suffix)
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned char h[SHA256_DIGEST_LEN];
	struct sha256_state st;
	char id[4 + ID_CHARS + 1];
	char *text;
	size_t i;

	sha256_init(&st);
	sha256_update(&st, arn, strlen(arn));
	sha256_final(&st, h);
	str_copy(id, sizeof id, prefix);
	for (i = 0; i < ID_CHARS; i++)
		id[4 + i] = b32[h[i] & 31];
	id[4 + ID_CHARS] = '\0';
	text = suffix != NULL ? xasprintf("%s:%s", id, suffix) : xstrdup(id);
	jw_str(w, key, text);
	free(text);
}

/* The assumed role's issuer and session ({type: Role, ...}). */
static void
session_context(struct jw *w, const char *account, const char *role,
    const char *role_arn, int64_t now_ms)
{
	jw_obj_open(w, "sessionContext");
	jw_obj_open(w, "sessionIssuer");
	jw_str(w, "type", "Role");
	add_unique_id(w, "principalId", "AROA", role_arn, NULL);
	jw_str(w, "arn", role_arn);
	jw_str(w, "accountId", account);
	jw_str(w, "userName", role);
	jw_obj_close(w);
	/*
	 * ecrd does not know when the session began: the call's time stands
	 * for it. mfaAuthenticated is a string, as CloudTrail writes it.
	 */
	jw_obj_open(w, "attributes");
	add_time(w, "creationDate", now_ms);
	jw_str(w, "mfaAuthenticated", "false");
	jw_obj_close(w);
	jw_obj_close(w);
}

/*
 * An assumed-role ARN (arn:P:sts::A:assumed-role/ROLE/SESSION), or a role's
 * (arn:P:iam::A:role/PATH/ROLE), which ecrd takes as that role assumed in
 * a session named "ecrd" (a credentials file may name a role itself).
 */
static void
add_assumed_role(struct jw *w, const char *partition, const char *account,
    const char *resource, bool is_role, int64_t now_ms)
{
	const char *role, *session = "ecrd", *slash;
	char *role_arn, *arn, *name;

	if (is_role) {
		role = strrchr(resource, '/') + 1;
		name = xstrdup(role);
		role_arn = xasprintf("arn:%s:iam::%s:%s", partition, account,
		    resource);
	} else {
		role = resource + strlen("assumed-role/");
		slash = strchr(role, '/');
		name = slash != NULL ? xstrndup(role, (size_t)(slash - role))
		                     : xstrdup(role);
		if (slash != NULL)
			session = slash + 1;
		role_arn = xasprintf("arn:%s:iam::%s:role/%s", partition,
		    account, name);
	}
	arn = xasprintf("arn:%s:sts::%s:assumed-role/%s/%s", partition, account,
	    name, session);
	jw_str(w, "type", "AssumedRole");
	add_unique_id(w, "principalId", "AROA", role_arn, session);
	jw_str(w, "arn", arn);
	jw_str(w, "accountId", account);
	session_context(w, account, name, role_arn, now_ms);
	free(role_arn);
	free(arn);
	free(name);
}

/* arn:PARTITION:SERVICE::ACCOUNT:RESOURCE, split; false if not that. */
static bool
arn_split(const char *arn, char partition[32], char service[8],
    char account[13], const char **resource)
{
	int n = -1;

	if (sscanf(arn, "arn:%31[^:]:%7[^:]::%12[0-9]:%n", partition, service,
	        account, &n) != 3 ||
	    n < 0 || strlen(account) != 12)
		return false;
	*resource = arn + n;
	return true;
}

/*
 * userIdentity (docs/ecr-integrations.md 3.2) of the caller's principal:
 * the SigV4 key's, or the registry token's. A call with none (its
 * signature refused, or a registry call without a token) is anonymous,
 * written as CloudTrail writes anonymous callers elsewhere (S3):
 * AWSAccount ANONYMOUS_PRINCIPAL.
 */
static void
identity_of(struct jw *w, const struct call *call)
{
	const char *arn = call->id.principal_arn, *res;
	char partition[32], service[8], account[13];

	if (!arn_split(arn, partition, service, account, &res)) {
		jw_str(w, "type", "AWSAccount");
		jw_str(w, "principalId", "");
		jw_str(w, "accountId", "ANONYMOUS_PRINCIPAL");
		return;
	}
	if (strcmp(res, "root") == 0) {
		jw_str(w, "type", "Root");
		jw_str(w, "principalId", account);
		jw_str(w, "arn", arn);
		jw_str(w, "accountId", account);
	} else if (strncmp(res, "user/", 5) == 0) {
		jw_str(w, "type", "IAMUser");
		add_unique_id(w, "principalId", "AIDA", arn, NULL);
		jw_str(w, "arn", arn);
		jw_str(w, "accountId", account);
	} else if (strncmp(res, "assumed-role/", 13) == 0 ||
	           strncmp(res, "role/", 5) == 0)
		add_assumed_role(w, partition, account, res, res[0] == 'r',
		    call->now_ms);
	else {
		jw_str(w, "type", "Unknown");
		jw_str(w, "arn", arn);
		jw_str(w, "accountId", account);
	}
	if (call->id.access_key[0] != '\0')
		jw_str(w, "accessKeyId", call->id.access_key);
	if (strncmp(res, "user/", 5) == 0)
		jw_str(w, "userName", strrchr(res, '/') + 1);
}

static void
user_identity(struct jw *w, const struct call *call)
{
	jw_obj_open(w, "userIdentity");
	identity_of(w, call);
	jw_obj_close(w);
}

/*
 * The input as CloudTrail shows it: every member but the blobs
 * (docs/ecr-integrations.md 3.5: UploadLayerPart's layerPartBlob). The
 * manifest stays: ECR logs PutImage's imageManifest.
 */
static struct json_object *
input_params(const struct call *call)
{
	struct json_object *p;

	if (call->in == NULL ||
	    !json_object_is_type(call->in, json_type_object))
		return NULL;
	/* Most calls have no blob: the input itself, not a copy. */
	if (!json_object_object_get_ex(call->in, "layerPartBlob", NULL))
		return json_object_get(call->in);
	p = jnew_obj();
	json_object_object_foreach(call->in, key, v)
	{
		if (strcmp(key, "layerPartBlob") != 0)
			json_object_object_add(p, key, json_object_get(v));
	}
	return p;
}

/*
 * Timestamps in responseElements are written the Java way ("Jan 15, 2026,
 * 10:00:00 AM", docs/ecr-integrations.md 3.4, [unconfirmed] exact form),
 * not as the API's epoch numbers: every number named ...At or ...Time.
 */
static bool
is_time_key(const char *key)
{
	size_t len = strlen(key);

	return (len > 2 && strcmp(key + len - 2, "At") == 0) ||
	       (len > 4 && strcmp(key + len - 4, "Time") == 0);
}

static struct json_object *
java_time(double sec)
{
	time_t t = (time_t)sec;
	char text[48];
	struct tm tm;
	int hour;

	gmtime_r(&t, &tm);
	hour = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;
	strftime(text, 16, "%b %d, %Y, ", &tm);
	/* %d pads with a zero; Java's "MMM d" does not. */
	if (text[4] == '0')
		memmove(text + 4, text + 5, strlen(text + 5) + 1);
	snprintf(text + strlen(text), sizeof text - strlen(text),
	    "%d:%02d:%02d %s", hour, tm.tm_min, tm.tm_sec,
	    tm.tm_hour < 12 ? "AM" : "PM");
	return json_object_new_string(text);
}

static void
java_times(struct json_object *o)
{
	const char *keys[TIME_KEYS_MAX];
	size_t i, n = 0;

	if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			java_times(json_object_array_get_idx(o, i));
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, key, v)
	{
		if (is_time_key(key) && n < TIME_KEYS_MAX &&
		    (json_object_is_type(v, json_type_double) ||
		        json_object_is_type(v, json_type_int)))
			keys[n++] = key;
		else
			java_times(v);
	}
	/* After the walk, which must not see its object change. */
	for (i = 0; i < n; i++)
		json_object_object_add(o, keys[i],
		    java_time(json_object_get_double(json_object_object_get(o,
		        keys[i]))));
}

/* Mutating calls that succeeded: their answer (3.1: null otherwise). */
static struct json_object *
response_elements(const struct call *call, bool is_read_only)
{
	struct json_object *r = NULL;
	char *text;
	size_t len;

	if (is_read_only || call->err.code != ERR_NONE || call->out == NULL)
		return NULL;
	/*
	 * Through its text, not json_object_deep_copy: an answer may hold
	 * pieces the streaming writer made (jadd_jw), which only render.
	 */
	if ((text = jrender(call->out, &len)) == NULL)
		return NULL;
	if (jparse_strict(text, len, &r, NULL) == JPARSE_BAD)
		r = NULL;
	free(text);
	java_times(r);
	return r;
}

/* resources: the repository a call names (AWS::ECR::Repository). */
static void
resources(struct jw *w, const struct call *call, struct json_object *params,
    const char *account)
{
	const char *name = jget_str(params, "repositoryName");
	const char *arn[] = {"arn:aws:ecr:", call->id.region, ":", account,
	    ":repository/", name};

	if (name == NULL || call->id.region[0] == '\0')
		return;
	jw_arr_open(w, "resources");
	jw_obj_open(w, NULL);
	jw_str(w, "accountId", account);
	jw_str(w, "type", "AWS::ECR::Repository");
	jw_strv(w, "ARN", arn, sizeof arn / sizeof arn[0]);
	jw_obj_close(w);
	jw_arr_close(w);
}

/*
 * The members every record has, in CloudTrail's order, after its
 * eventVersion and userIdentity. Records are written with the streaming
 * writer, not built as a tree: one per call, so the tree's allocations
 * were most of what the audit log cost (bench scenario observe).
 */
static void
record_head(struct jw *w, int64_t now_ms, const char *name, const char *region,
    const char *ip, const char *agent)
{
	add_time(w, "eventTime", now_ms);
	jw_str(w, "eventSource", EVENT_SOURCE);
	jw_str(w, "eventName", name);
	jw_str(w, "awsRegion", region);
	jw_str(w, "sourceIPAddress", ip);
	jw_str(w, "userAgent", agent);
}

static void
record_tail(struct jw *w, bool is_read_only, const char *type,
    const char *account)
{
	char id[UUID_SIZE];

	uuid_v4(id);
	jw_str(w, "eventID", id);
	jw_bool(w, "readOnly", is_read_only);
	jw_str(w, "eventType", type);
	jw_bool(w, "managementEvent", true);
	jw_str(w, "recipientAccountId", account);
	jw_str(w, "eventCategory", "Management");
}

/* The record's text (NULL if the writer failed); the caller frees. */
static char *
record_end(struct jw *w, size_t *len)
{
	jw_obj_close(w);
	return buf_take(&w->b, len);
}

static const char *
event_name(const struct call *call, const struct api_audit_in *in)
{
	if (in->event_name != NULL)
		return in->event_name;
	if (call->op != NULL)
		return call->op->name;
	return in->fallback != NULL && in->fallback[0] != '\0' ? in->fallback
	                                                       : "Unknown";
}

char *
api_audit_call(const struct call *call, struct api_audit_in *in, size_t *len)
{
	const char *name = event_name(call, in), *account;
	struct json_object *params, *response;
	bool is_read_only = api_audit_is_read_only(name);
	struct jw w;

	account =
	    call->registry_id[0] != '\0' ? call->registry_id : call->id.account;
	if (account[0] == '\0')
		account = call->ctx->cfg.default_account;
	params = in->params != NULL ? in->params : input_params(call);
	/* A registry call's registry is its token's or its host's. */
	if (in->params != NULL && call->registry_id[0] != '\0' &&
	    jget_str(params, "registryId") == NULL)
		jadd_str(params, "registryId", call->registry_id);
	jw_init(&w);
	jw_obj_open(&w, NULL);
	jw_str(&w, "eventVersion", EVENT_VERSION);
	user_identity(&w, call);
	record_head(&w, call->now_ms, name,
	    call->id.region[0] != '\0' ? call->id.region
	                               : call->ctx->cfg.default_region,
	    call->source_ip[0] != '\0' ? call->source_ip : NULL,
	    in->user_agent);
	if (call->err.code != ERR_NONE) {
		jw_str(&w, "errorCode",
		    in->error_code != NULL ? in->error_code
		                           : ecr_error_type(call->err.code));
		jw_str(&w, "errorMessage", call->err.message);
	}
	/* CloudTrail writes both members, null when there is nothing (3.1). */
	jw_json(&w, "requestParameters", params);
	response = in->response != NULL && call->err.code == ERR_NONE
	               ? json_object_get(in->response)
	               : response_elements(call, is_read_only);
	jw_json(&w, "responseElements", response);
	json_object_put(response);
	json_object_put(in->response);
	in->params = in->response = NULL;
	jw_str(&w, "requestID", call->request_id);
	resources(&w, call, params, account);
	json_object_put(params);
	record_tail(&w, is_read_only, "AwsApiCall", account);
	return record_end(&w, len);
}

char *
api_audit_service_event(const char *name, const char *account,
    const char *region, int64_t now_ms, struct json_object *details,
    size_t *len)
{
	struct jw w;

	jw_init(&w);
	jw_obj_open(&w, NULL);
	jw_str(&w, "eventVersion", EVENT_VERSION);
	/* docs/ecr-integrations.md 3.5: the service acts, not a caller. */
	jw_obj_open(&w, "userIdentity");
	jw_str(&w, "accountId", account);
	jw_str(&w, "invokedBy", AWS_INTERNAL);
	jw_obj_close(&w);
	record_head(&w, now_ms, name, region, AWS_INTERNAL, AWS_INTERNAL);
	/* null, as ECR writes them for this event (3.5). */
	jw_json(&w, "requestParameters", NULL);
	jw_json(&w, "responseElements", NULL);
	jw_json(&w, "serviceEventDetails", details);
	json_object_put(details);
	record_tail(&w, true, "AwsServiceEvent", account);
	return record_end(&w, len);
}
