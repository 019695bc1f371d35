/*
 * Evaluate parsed IAM policies against a request: statement matching and
 * AWS's combination of identity and resource policies. Nothing here
 * allocates.
 */
#include "policy/policy.h"

#include <string.h>

#include "common/str.h"
#include "policy/policy_int.h"

bool
iam_arn_split(const char *s, const char *field[6], size_t field_len[6])
{
	const char *colon;
	int i;

	if (strncmp(s, "arn:", 4) != 0)
		return false;
	for (i = 0; i < 5; i++) {
		if ((colon = strchr(s, ':')) == NULL)
			return false;
		field[i] = s;
		field_len[i] = (size_t)(colon - s);
		s = colon + 1;
	}
	field[5] = s;
	field_len[5] = strlen(s);
	return true;
}

static bool
span_eq(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

/*
 * A role principal also matches the role's sessions: IAM resolves it to
 * the role, and arn:PART:sts::ACCT:assumed-role/ROLE/SESSION names no path.
 */
static bool
is_session_of(const struct iam_principal *p, const char *arn)
{
	const char *f[6], *slash;
	size_t fl[6];

	if (arn == NULL || !iam_arn_split(arn, f, fl) ||
	    !span_eq(f[1], fl[1], p->partition) ||
	    !span_eq(f[2], fl[2], "sts") || !span_eq(f[4], fl[4], p->account) ||
	    fl[5] <= 13 || memcmp(f[5], "assumed-role/", 13) != 0)
		return false;
	if ((slash = memchr(f[5] + 13, '/', fl[5] - 13)) == NULL)
		return false;
	return span_eq(f[5] + 13, (size_t)(slash - f[5] - 13), p->role_name);
}

static bool
principal_matches(const struct iam_principal *p,
    const struct policy_request *req)
{
	switch (p->kind) {
	case IAM_PRINCIPAL_ANY:
		return true;
	case IAM_PRINCIPAL_ACCOUNT:
		return req->principal_account != NULL &&
		       strcmp(p->account, req->principal_account) == 0;
	case IAM_PRINCIPAL_ROLE:
		if (is_session_of(p, req->principal_arn))
			return true;
		/* FALLTHROUGH */
	case IAM_PRINCIPAL_ARN:
		return req->principal_arn != NULL &&
		       strcmp(p->value, req->principal_arn) == 0;
	case IAM_PRINCIPAL_OTHER:
		break;
	}
	return false;
}

static bool
stmt_applies(const struct iam_stmt *st, const struct policy_request *req)
{
	const char *action = req->action != NULL ? req->action : "";
	const char *resource = req->resource != NULL ? req->resource : "";
	size_t i, action_len = strlen(action);
	bool hit;

	if (st->has_principal) {
		for (hit = false, i = 0; i < st->n_principals && !hit; i++)
			hit = principal_matches(&st->principals[i], req);
		if (hit == st->not_principal)
			return false;
	}
	for (hit = false, i = 0; i < st->actions.n && !hit; i++)
		hit = str_wildcard_match_n(st->actions.v[i],
		    strlen(st->actions.v[i]), action, action_len,
		    STR_WILD_ONE | STR_WILD_ICASE);
	if (hit == st->not_action)
		return false;
	if (st->has_resource) {
		for (hit = false, i = 0; i < st->resources.n && !hit; i++)
			hit = str_wildcard_match(st->resources.v[i], resource);
		if (hit == st->not_resource)
			return false;
	}
	return iam_conds_eval(st, req);
}

enum policy_effect
policy_eval(const struct policy *p, const struct policy_request *req)
{
	enum policy_effect effect = POLICY_NO_MATCH;
	size_t i;

	for (i = 0; i < p->n_stmts; i++) {
		if (!stmt_applies(&p->stmts[i], req))
			continue;
		if (p->stmts[i].deny)
			return POLICY_DENY;
		effect = POLICY_ALLOW;
	}
	return effect;
}

enum policy_effect
policy_decide(const struct policy *const *identity, size_t n_identity,
    const struct policy *resource, const char *resource_account,
    const struct policy_request *req, bool *explicit_deny)
{
	enum policy_effect e;
	size_t i;
	bool id_allow = false, res_allow = false;
	bool deny = false, same_account;

	for (i = 0; i < n_identity && !deny; i++) {
		if (identity[i] == NULL)
			continue;
		e = policy_eval(identity[i], req);
		deny = e == POLICY_DENY;
		id_allow = id_allow || e == POLICY_ALLOW;
	}
	if (!deny && resource != NULL) {
		e = policy_eval(resource, req);
		deny = e == POLICY_DENY;
		res_allow = e == POLICY_ALLOW;
	}
	if (explicit_deny != NULL)
		*explicit_deny = deny;
	if (deny)
		return POLICY_DENY;
	same_account =
	    resource_account == NULL ||
	    (req->principal_account != NULL &&
	        strcmp(req->principal_account, resource_account) == 0);
	/* IAM policy evaluation logic: cross-account needs both sides. */
	if (same_account ? id_allow || res_allow : id_allow && res_allow)
		return POLICY_ALLOW;
	return POLICY_DENY;
}
