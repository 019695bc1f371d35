/*
 * IAM-like policy documents: parse and validate identity and resource
 * (repository, registry) policies, evaluate them against a request, and
 * re-serialise policy text the way ECR stores it. Pure: no I/O, clock,
 * logging or globals; the caller passes `now` in the request.
 */
#ifndef ECRD_POLICY_POLICY_H
#define ECRD_POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct policy;

/* Result codes: 0 or negative, as every lower module's. */
enum {
	POLICY_OK = 0,
	POLICY_INVALID = -1,        /* valid JSON, but not a valid policy */
	POLICY_TOOBIG = -2,         /* text longer than POLICY_TEXT_MAX */
	POLICY_SYNTAX = -3,         /* not strict JSON, or not valid UTF-8 */
	POLICY_UNKNOWN_ACTION = -4, /* policy_check_actions refused one */
};

/* policy_parse() flags: exactly one of the two. */
#define POLICY_RESOURCE 0x1 /* Principal required; Resource optional */
#define POLICY_IDENTITY 0x2 /* no Principal; Resource required */

/*
 * Longest text policy_parse and policy_format_jackson accept. Callers apply
 * the tighter ECR limits themselves (10240 characters for a repository or
 * registry policy, docs/ecr-behaviour.md 3.5).
 */
#define POLICY_TEXT_MAX (128 * 1024)

/* A condition-key pair such as a tag; nothing here is owned. */
struct policy_kv {
	const char *key;
	const char *value;
};

/*
 * What policy_eval needs of a request; nothing here is owned and every
 * pointer may be NULL except action and resource. A NULL (or zero-count)
 * field is a condition key absent from the request: aws:username is
 * present only for IAM users, aws:SourceIp only when known. aws:CurrentTime,
 * aws:EpochTime and aws:SecureTransport are always present.
 */
struct policy_request {
	const char *action;   /* "ecr:BatchGetImage" */
	const char *resource; /* an ARN, or "*" */
	const char *principal_arn;
	const char *principal_account; /* 12 digits */
	const char *username;
	const char *source_ip; /* IPv4 or IPv6 text */
	bool secure_transport;
	int64_t now_ms;                       /* epoch milliseconds */
	const struct policy_kv *request_tags; /* aws:RequestTag/K */
	size_t n_request_tags;
	const char *const *tag_keys; /* aws:TagKeys */
	size_t n_tag_keys;
	const struct policy_kv *resource_tags; /* aws:ResourceTag/K */
	size_t n_resource_tags;
};

enum policy_effect {
	POLICY_NO_MATCH, /* no statement applies: an implicit deny */
	POLICY_ALLOW,
	POLICY_DENY,
};

/* Static text for a POLICY_* code; "unknown policy error" for others. */
const char *policy_strerror(int rc);

/*
 * Parse len bytes of text (strict JSON, valid UTF-8, one object and
 * nothing but whitespace after it) as a policy of the kind flags names,
 * POLICY_RESOURCE or POLICY_IDENTITY.
 *
 * The document is {"Version", "Id", "Statement"}: Version "2012-10-17" or
 * "2008-10-17" (it may be absent only in an identity policy), Id an
 * optional string, Statement one statement object or a non-empty list of
 * them. A statement holds an optional Sid (duplicates allowed), Effect
 * "Allow" or "Deny", one of Action or NotAction, at most one of Resource or
 * NotResource (one required in an identity policy), in a resource policy
 * one of Principal or NotPrincipal (none allowed in an identity policy),
 * and an optional Condition. Action, Resource and principal values are a
 * string or a non-empty list of strings. A principal is "*" or an object
 * of "AWS" ("*", a 12-digit account, an account root, IAM user or role ARN,
 * or an STS assumed-role ARN), "Service", "Federated" or "CanonicalUser".
 * Condition maps an operator (with optional "ForAllValues:" or
 * "ForAnyValue:" prefix and "IfExists" suffix) to an object of condition
 * keys, each with a value or non-empty list of values (strings, numbers or
 * booleans) that must suit the operator: numbers, ISO 8601 dates or epoch
 * seconds, "true"/"false", IPv4 or IPv6 addresses or CIDR blocks. Unknown
 * condition keys are allowed and evaluate as absent; element names are
 * case-sensitive, condition operators and keys are not. Policy variables
 * such as ${aws:username} are not expanded.
 *
 * Returns POLICY_OK and sets *out (free with policy_free), or POLICY_SYNTAX,
 * POLICY_TOOBIG or POLICY_INVALID with *cause set to a message naming the
 * element at fault, e.g. "Statement[1].Effect: must be 'Allow' or 'Deny',
 * not 'allow'" (caller frees; cause may be NULL; *out is left as it was).
 * The policy keeps copies of what it needs: text may go once this returns.
 */
int policy_parse(const char *text, size_t len, unsigned flags,
    struct policy **out, char **cause);

/* Free p and everything it owns; NULL does nothing. */
void policy_free(struct policy *p);

/*
 * Check every Action and NotAction value of p: is_known(action, arg) is
 * called with each value that holds no '*' or '?', as written in the
 * policy (compare it case-insensitively), and must return true. A value
 * with a wildcard ("*", "ecr:*", "ecr:Get*") is accepted without a call.
 * Returns POLICY_OK, or POLICY_UNKNOWN_ACTION with *cause set to e.g.
 * "Statement[0].Action: unknown action 'ecr:Foo'" (caller frees).
 */
int policy_check_actions(const struct policy *p,
    bool (*is_known)(const char *action, void *arg), void *arg, char **cause);

/*
 * Evaluate p for req: POLICY_DENY if any applicable statement denies,
 * else POLICY_ALLOW if any applicable statement allows, else
 * POLICY_NO_MATCH. A statement applies when its action, resource,
 * principal (resource policies only) and every condition match:
 *   - Action patterns match case-insensitively, Resource patterns
 *     case-sensitively, both with '*' (any run) and '?' (one character);
 *     a resource policy statement without Resource matches any resource.
 *   - Principal "*" and {"AWS": "*"} match everyone; an account id or
 *     root ARN every principal of that account; a user or role ARN that
 *     exact ARN; a role ARN also that role's STS assumed-role sessions.
 *     Service, Federated and CanonicalUser principals match no caller.
 *   - NotAction, NotResource and NotPrincipal apply when none matches.
 *   - Conditions follow IAM: values in one key are ORed, keys and
 *     operators ANDed; a missing key makes a positive operator false and a
 *     negated one (StringNotEquals, NotIpAddress...) true, an ...IfExists
 *     operator true, ForAllValues true and ForAnyValue false.
 * Nothing is allocated; p and req are only read during the call.
 */
enum policy_effect policy_eval(const struct policy *p,
    const struct policy_request *req);

/*
 * AWS's decision for req from the caller's identity policies and the
 * resource's policy (resource may be NULL) in account resource_account
 * (NULL: the caller's own account); NULL entries in identity are skipped
 * and n_identity may be 0. An explicit deny in any policy denies. In the
 * caller's own account an allow from either an identity policy or the
 * resource policy suffices; across accounts both must allow.
 * Returns POLICY_ALLOW or POLICY_DENY, never POLICY_NO_MATCH, and sets
 * *explicit_deny (unless explicit_deny is NULL) to whether a statement
 * denied, so the caller can word "with an explicit deny" or "because no
 * ... policy allows".
 */
enum policy_effect policy_decide(const struct policy *const *identity,
    size_t n_identity, const struct policy *resource,
    const char *resource_account, const struct policy_request *req,
    bool *explicit_deny);

/*
 * Re-serialise len bytes of JSON text (strict JSON, valid UTF-8, any
 * value) in Jackson's default pretty style, as ECR returns stored policies
 * (docs/ecr-behaviour.md 3.5): 2-space indent, "Key" : value, objects in arrays
 * opened inline as [ {, scalar arrays inline as [ "a", "b" ], [ ] and { }
 * when empty, keys in input order (a repeated key keeps its first place
 * and last value), numbers as json-c read them (decimals keep their text,
 * integers are re-printed, so -0 becomes 0), only '"', '\' and control
 * characters escaped (\uXXXX in upper-case hex, as Jackson), and no
 * trailing newline. Returns the text (caller frees), or NULL with *cause
 * set (caller frees) if text is not JSON or is longer than
 * POLICY_TEXT_MAX.
 */
char *policy_format_jackson(const char *text, size_t len, char **cause);

#endif
