/*
 * Repository and registry policy texts as ECR takes them: parsed as
 * resource policies, their actions checked against the operation table
 * (and the registry policy scope), and kept in Jackson's layout, which is
 * what Set, Get and Delete return (docs/ecr-behaviour.md 3.5).
 */
#include "api/api_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "policy/policy.h"

/* IAM actions of ECR that no API operation carries (service reference). */
static const char *const extra_actions[] = {
    "BatchImportUpstreamImage",
    "ReplicateImage",
};

/* Scope V1 allows only these (docs/ecr-behaviour.md 3.5). */
static const char *const v1_actions[] = {
    "BatchImportUpstreamImage",
    "CreateRepository",
    "ReplicateImage",
};

static bool
is_listed(const char *name, const char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcasecmp(name, v[i]) == 0)
			return true;
	}
	return false;
}

/*
 * Every ecr: action IAM knows; other services' actions have no place in a
 * repository or registry policy [unconfirmed: ECR's exact rule].
 */
static bool
is_ecr_action(const char *action, void *arg)
{
	const bool *is_v1 = arg;
	const char *name;
	size_t i;

	if (strncasecmp(action, "ecr:", 4) != 0)
		return false;
	name = action + 4;
	if (*is_v1)
		return is_listed(name, v1_actions,
		    sizeof v1_actions / sizeof v1_actions[0]);
	for (i = 0; i < api_n_ops; i++) {
		if (strcasecmp(name, api_ops[i]->name) == 0)
			return true;
	}
	return is_listed(name, extra_actions,
	    sizeof extra_actions / sizeof extra_actions[0]);
}

int
api_policy_text_check(struct call *call, enum api_policy_kind kind,
    struct policy **parsed, char **formatted)
{
	return api_policy_check(call, kind, api_in_str(call, "policyText"),
	    api_in_len(call, "policyText"), parsed, formatted);
}

int
api_policy_check(struct call *call, enum api_policy_kind kind, const char *text,
    size_t len, struct policy **parsed, char **formatted)
{
	struct policy *p = NULL;
	char *cause = NULL, *out = NULL;
	bool is_v1 = kind == API_POLICY_REGISTRY_V1;
	int rc;

	if (text == NULL)
		text = "";
	rc = policy_parse(text, len, POLICY_RESOURCE, &p, &cause);
	if (rc == POLICY_OK)
		rc = policy_check_actions(p, is_ecr_action, &is_v1, &cause);
	if (rc == POLICY_OK &&
	    (out = policy_format_jackson(text, len, &cause)) == NULL)
		rc = POLICY_SYNTAX;
	if (rc != POLICY_OK) {
		/*
		 * ECR names no cause; the log does (docs/ecr-behaviour.md
		 * 2.4).
		 */
		log_debug("request %s: policy refused: %s", call->request_id,
		    cause != NULL ? cause : policy_strerror(rc));
		free(cause);
		policy_free(p);
		return core_fail_param(call, "PolicyText",
		    kind == API_POLICY_REPOSITORY
		        ? "Invalid repository policy provided"
		        : "Invalid registry policy provided");
	}
	*parsed = p;
	*formatted = call_take(call, out);
	return 0;
}
