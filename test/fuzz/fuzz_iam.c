/*
 * libFuzzer harness for policy/ (IAM part): parse the input as a resource
 * or identity policy, check its actions, evaluate it against a few fixed
 * requests alone and with AWS's identity/resource combination, and
 * re-serialise it in Jackson's style. The first byte picks the kind.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "policy/policy.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct policy_kv request_tags[] = {
    {"team", "a"},
    {"Env", "prod"},
};
static const char *const tag_keys[] = {"team", "Env"};
static const struct policy_kv resource_tags[] = {
    {"owner", "alice"},
    {"team", "a"},
};

/* Requests that differ in every field a condition or pattern can read. */
static const struct policy_request requests[] = {
    {
        .action = "ecr:BatchGetImage",
        .resource = "arn:aws:ecr:us-east-1:111111111111:"
                    "repository/team-a/web",
        .principal_arn = "arn:aws:iam::111111111111:user/ci/alice",
        .principal_account = "111111111111",
        .username = "alice",
        .source_ip = "10.1.2.3",
        .secure_transport = true,
        .now_ms = INT64_C(1780315200000),
        .request_tags = request_tags,
        .n_request_tags = N(request_tags),
        .tag_keys = tag_keys,
        .n_tag_keys = N(tag_keys),
        .resource_tags = resource_tags,
        .n_resource_tags = N(resource_tags),
    },
    {
        .action = "ecr:PutImage",
        .resource = "*",
        .principal_arn = "arn:aws:sts::222222222222:"
                         "assumed-role/deployer/s1",
        .principal_account = "222222222222",
        .source_ip = "2001:db8::1",
        .now_ms = INT64_C(1767225599000),
    },
    {
        .action = "ecr:GetAuthorizationToken",
        .resource = "arn:aws:ecr:eu-west-1:222222222222:repository/x",
        .principal_arn = "arn:aws:iam::222222222222:root",
        .principal_account = "222222222222",
        .now_ms = 0,
    },
};

static bool
is_known(const char *action, void *arg)
{
	(void)arg;
	return strlen(action) % 2 == 0;
}

static void
evaluate(const struct policy *p, unsigned flags)
{
	const struct policy *identity[2] = {NULL, p};
	const struct policy *resource = NULL;
	char *cause = NULL;
	bool explicit_deny;
	size_t i;

	if (flags == POLICY_RESOURCE) {
		identity[1] = NULL;
		resource = p;
	}
	(void)policy_check_actions(p, is_known, NULL, &cause);
	free(cause);
	for (i = 0; i < N(requests); i++) {
		(void)policy_eval(p, &requests[i]);
		(void)policy_decide(identity, N(identity), resource, NULL,
		    &requests[i], &explicit_deny);
		(void)policy_decide(identity, N(identity), resource,
		    "111111111111", &requests[i], NULL);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy *p = NULL;
	char *text, *cause = NULL, *pretty;
	unsigned flags;

	if (size == 0)
		return 0;
	flags = (data[0] & 1) ? POLICY_IDENTITY : POLICY_RESOURCE;
	/* An exact-size copy: a read past len is a heap overflow ASan sees. */
	text = xmalloc(size - 1 + (size == 1));
	memcpy(text, data + 1, size - 1);
	if (policy_parse(text, size - 1, flags, &p, &cause) == POLICY_OK) {
		evaluate(p, flags);
		policy_free(p);
	}
	free(cause);
	cause = NULL;
	pretty = policy_format_jackson(text, size - 1, &cause);
	free(pretty);
	free(cause);
	free(text);
	return 0;
}
