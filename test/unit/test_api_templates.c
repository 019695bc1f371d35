/*
 * Unit tests for repository creation templates, create on push, pull-
 * through cache rules and the secrets they name, against a temporary
 * store (docs/ecr-behaviour.md 3.9, 3.10; test_templates.py checks the
 * same on the wire): each operation's validation, and what a push to a
 * missing repository makes of the matching template.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "api/api.h"
#include "test/unit/api_fixture.h"

#define IPE "InvalidParameterException"
#define VE "ValidationException"
#define ROLE "arn:aws:iam::123456789012:role/r"
#define SECRET                                                                 \
	"arn:aws:secretsmanager:us-east-1:123456789012:secret:"                \
	"ecr-pullthroughcache/"
#define POLICY                                                                 \
	"{'Version':'2012-10-17','Statement':[{"                               \
	"'Effect':'Allow','Principal':'*','Action':"                           \
	"['ecr:BatchGetImage']}]}"
#define LIFECYCLE                                                              \
	"{'rules':[{'rulePriority':1,'selection':{'tagStatus':"                \
	"'any','countType':'imageCountMoreThan','countNumber':5},"             \
	"'action':{'type':'expire'}}]}"

/* Run op with text and assert only the error's status and type. */
static void
fail_type(struct afx *f, const char *op, const char *text, const char *type)
{
	struct json_object *out;
	const char *got = NULL;
	int status;

	out = afx_run(f, op, afx_in(text), &status, &got);
	if (got == NULL || strcmp(got, type) != 0)
		fail_msg("%s %s: %d %s, want %s", op, text, status,
		    got != NULL ? got : "success", type);
	assert_int_equal(status, 400);
	json_object_put(out);
}

/* A body with a string member holding JSON text (' for " in both). */
static struct json_object *
with_text(const char *text, const char *key, const char *value)
{
	struct json_object *in = afx_in(text);
	struct json_object *v = afx_in(value);

	json_object_object_add(in, key,
	    json_object_new_string(json_object_to_json_string_ext(v,
	        JSON_C_TO_STRING_PLAIN)));
	json_object_put(v);
	return in;
}

static void
test_template_validation_matrix(void **state)
{
	static const struct {
		const char *body;
		const char *type;
	} cases[] = {
	    {"{'prefix':'p','appliedFor':[]}", VE},
	    {"{'prefix':'Upper','appliedFor':['CREATE_ON_PUSH']}", VE},
	    {"{'prefix':'p','appliedFor':['NEVER']}", VE},
	    {"{'prefix':'p'}", VE},
	    {"{'prefix':'p','appliedFor':['CREATE_ON_PUSH'],"
	     "'repositoryPolicy':'{'}",
	        IPE},
	    {"{'prefix':'p','appliedFor':['CREATE_ON_PUSH'],"
	     "'lifecyclePolicy':'{}'}",
	        IPE},
	    {"{'prefix':'p','appliedFor':['CREATE_ON_PUSH'],"
	     "'imageTagMutability':'MUTABLE_WITH_EXCLUSION'}",
	        IPE},
	    {"{'prefix':'p','appliedFor':['CREATE_ON_PUSH'],"
	     "'imageTagMutabilityExclusionFilters':[{'filterType':"
	     "'WILDCARD','filter':'a*'}]}",
	        IPE},
	    {"{'prefix':'p','appliedFor':['CREATE_ON_PUSH'],"
	     "'encryptionConfiguration':{'encryptionType':'AES256',"
	     "'kmsKey':'arn:aws:kms:us-east-1:123456789012:key/k'}}",
	        IPE},
	    {"{'prefix':'p','appliedFor':['CREATE_ON_PUSH'],"
	     "'encryptionConfiguration':{'encryptionType':'KMS'}}",
	        VE},
	    {"{'prefix':'p','appliedFor':['CREATE_ON_PUSH'],"
	     "'resourceTags':[{'Key':'a','Value':'b'}]}",
	        VE},
	    {"{'prefix':'p','appliedFor':['CREATE_ON_PUSH'],"
	     "'resourceTags':[{'Key':'aws:x','Value':'b'}],"
	     "'customRoleArn':'" ROLE "'}",
	        "InvalidTagParameterException"},
	};
	struct afx *f = *state;
	struct json_object *out;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		fail_type(f, "CreateRepositoryCreationTemplate", cases[i].body,
		    cases[i].type);
	out = afx_ok(f, "DescribeRepositoryCreationTemplates", "{}");
	assert_int_equal(afx_len(out, "/repositoryCreationTemplates"), 0);
	json_object_put(out);
	afx_do(f, "CreateRepositoryCreationTemplate",
	    "{'prefix':'p',"
	    "'appliedFor':['CREATE_ON_PUSH'],'resourceTags':[{'Key':'a',"
	    "'Value':'b'}],'encryptionConfiguration':{'encryptionType':'KMS'},"
	    "'customRoleArn':'" ROLE "'}");
}

static void
test_template_crud(void **state)
{
	struct afx *f = *state;
	struct json_object *out;

	out = afx_ok_in(f, "CreateRepositoryCreationTemplate",
	    with_text("{'prefix':'prod/','appliedFor':['CREATE_ON_PUSH']}",
	        "repositoryPolicy", POLICY));
	assert_string_equal(afx_str(out, "/registryId"), AFX_ACCOUNT);
	assert_string_equal(afx_str(out, "/repositoryCreationTemplate/"
	                                 "imageTagMutability"),
	    "MUTABLE");
	assert_true(strstr(afx_str(out,
	                       "/repositoryCreationTemplate/repositoryPolicy"),
	                "\"Effect\" : \"Allow\"") != NULL);
	json_object_put(out);
	afx_fail(f, "CreateRepositoryCreationTemplate",
	    "{'prefix':'prod',"
	    "'appliedFor':['REPLICATION']}",
	    400, "TemplateAlreadyExistsException",
	    "The repository creation "
	    "template with prefix 'prod' already exists in the registry with "
	    "id '123456789012'");
	f->now_ms += 5000;
	out = afx_ok(f, "UpdateRepositoryCreationTemplate",
	    "{'prefix':'prod',"
	    "'description':'d','repositoryPolicy':''}");
	assert_string_equal(afx_str(out,
	                        "/repositoryCreationTemplate/description"),
	    "d");
	assert_false(afx_has(out,
	    "/repositoryCreationTemplate/repositoryPolicy"));
	assert_true(afx_num(out, "/repositoryCreationTemplate/updatedAt") >
	            afx_num(out, "/repositoryCreationTemplate/createdAt"));
	json_object_put(out);
	out =
	    afx_ok(f, "DeleteRepositoryCreationTemplate", "{'prefix':'prod'}");
	assert_string_equal(afx_str(out, "/repositoryCreationTemplate/prefix"),
	    "prod/");
	json_object_put(out);
	afx_fail(f, "UpdateRepositoryCreationTemplate", "{'prefix':'prod'}",
	    400, "TemplateNotFoundException",
	    "The repository creation "
	    "template with prefix 'prod' does not exist in the registry with "
	    "id '123456789012'");
	fail_type(f, "DeleteRepositoryCreationTemplate", "{'prefix':'prod'}",
	    "TemplateNotFoundException");
}

static void
test_template_pages(void **state)
{
	struct afx *f = *state;
	struct json_object *out;
	char body[1100], token[1024];

	afx_do(f, "CreateRepositoryCreationTemplate",
	    "{'prefix':'b',"
	    "'appliedFor':['REPLICATION']}");
	afx_do(f, "CreateRepositoryCreationTemplate",
	    "{'prefix':'a',"
	    "'appliedFor':['REPLICATION']}");
	afx_do(f, "CreateRepositoryCreationTemplate",
	    "{'prefix':'ROOT',"
	    "'appliedFor':['REPLICATION']}");
	out = afx_ok(f, "DescribeRepositoryCreationTemplates",
	    "{'maxResults':2}");
	assert_int_equal(afx_len(out, "/repositoryCreationTemplates"), 2);
	assert_string_equal(afx_str(out, "/repositoryCreationTemplates/0/"
	                                 "prefix"),
	    "ROOT");
	snprintf(token, sizeof token, "%s", afx_str(out, "/nextToken"));
	json_object_put(out);
	snprintf(body, sizeof body, "{'nextToken':'%s'}", token);
	out = afx_ok(f, "DescribeRepositoryCreationTemplates", body);
	assert_int_equal(afx_len(out, "/repositoryCreationTemplates"), 1);
	assert_string_equal(afx_str(out, "/repositoryCreationTemplates/0/"
	                                 "prefix"),
	    "b");
	assert_false(afx_has(out, "/nextToken"));
	json_object_put(out);
	out = afx_ok(f, "DescribeRepositoryCreationTemplates",
	    "{'prefixes':['a','zz']}");
	assert_int_equal(afx_len(out, "/repositoryCreationTemplates"), 1);
	json_object_put(out);
	fail_type(f, "DescribeRepositoryCreationTemplates",
	    "{'nextToken':'junk'}", IPE);
}

static void
push(struct afx *f, const char *repo)
{
	struct json_object *in, *out;
	char body[512];

	snprintf(body, sizeof body, "{'repositoryName':'%s','imageTag':'v1'}",
	    repo);
	in = with_text(body, "imageManifest",
	    "{'schemaVersion':2,"
	    "'mediaType':'application/vnd.oci.image.index.v1+json',"
	    "'manifests':[]}");
	out = afx_ok_in(f, "PutImage", in);
	json_object_put(out);
}

static const char *
mutability_of(struct afx *f, const char *repo, struct json_object **keep)
{
	char body[512];

	snprintf(body, sizeof body, "{'repositoryNames':['%s']}", repo);
	*keep = afx_ok(f, "DescribeRepositories", body);
	return afx_str(*keep, "/repositories/0/imageTagMutability");
}

static void
test_create_on_push_longest_prefix_and_root(void **state)
{
	struct afx *f = *state;
	struct json_object *out;

	afx_fail(f, "PutImage",
	    "{'repositoryName':'a/b/c','imageManifest':"
	    "'{}'}",
	    400, "RepositoryNotFoundException",
	    "The repository "
	    "with name 'a/b/c' does not exist in the registry with id "
	    "'123456789012'");
	afx_do(f, "CreateRepositoryCreationTemplate",
	    "{'prefix':'a',"
	    "'appliedFor':['CREATE_ON_PUSH'],"
	    "'imageTagMutability':'IMMUTABLE'}");
	afx_do(f, "CreateRepositoryCreationTemplate",
	    "{'prefix':'a/b',"
	    "'appliedFor':['CREATE_ON_PUSH'],'imageTagMutability':'MUTABLE'}");
	afx_do(f, "CreateRepositoryCreationTemplate",
	    "{'prefix':'a/b/c',"
	    "'appliedFor':['REPLICATION'],'imageTagMutability':'IMMUTABLE'}");
	push(f, "a/b/c/d");
	assert_string_equal(mutability_of(f, "a/b/c/d", &out), "MUTABLE");
	json_object_put(out);
	push(f, "a/x");
	assert_string_equal(mutability_of(f, "a/x", &out), "IMMUTABLE");
	json_object_put(out);
	/* "ab" is not under "a/": no template, and no ROOT yet. */
	fail_type(f, "PutImage",
	    "{'repositoryName':'ab','imageManifest':"
	    "'{}'}",
	    "RepositoryNotFoundException");
	afx_do(f, "CreateRepositoryCreationTemplate",
	    "{'prefix':'ROOT',"
	    "'appliedFor':['CREATE_ON_PUSH'],"
	    "'imageTagMutability':'IMMUTABLE'}");
	push(f, "ab");
	assert_string_equal(mutability_of(f, "ab", &out), "IMMUTABLE");
	json_object_put(out);
	/* CreateRepository never uses a template. */
	afx_repo(f, "a/plain");
	assert_string_equal(mutability_of(f, "a/plain", &out), "MUTABLE");
	json_object_put(out);
}

static void
test_create_on_push_applies_policies_and_tags(void **state)
{
	struct afx *f = *state;
	struct json_object *in, *out;

	in = with_text("{'prefix':'team','appliedFor':['CREATE_ON_PUSH'],"
	               "'resourceTags':[{'Key':'k','Value':'v'}],'"
	               "customRoleArn':'" ROLE "'}",
	    "lifecyclePolicy", LIFECYCLE);
	json_object_put(afx_ok_in(f, "CreateRepositoryCreationTemplate", in));
	push(f, "team/app");
	out = afx_ok(f, "GetLifecyclePolicy", "{'repositoryName':'team/app'}");
	assert_true(strstr(afx_str(out, "/lifecyclePolicyText"),
	                "imageCountMoreThan") != NULL);
	json_object_put(out);
	out = afx_ok(f, "ListTagsForResource",
	    "{'resourceArn':'arn:aws:ecr:"
	    "us-east-1:123456789012:repository/team/app'}");
	afx_equal(out, "{'tags':[{'Key':'k','Value':'v'}]}");
	json_object_put(out);
	fail_type(f, "GetRepositoryPolicy", "{'repositoryName':'team/app'}",
	    "RepositoryPolicyNotFoundException");
	/* A push that fails makes no repository. */
	fail_type(f, "PutImage",
	    "{'repositoryName':'team/broken',"
	    "'imageManifest':'{'}",
	    IPE);
	fail_type(f, "DescribeRepositories",
	    "{'repositoryNames':['team/broken']}",
	    "RepositoryNotFoundException");
}

static void
test_rule_validation_matrix(void **state)
{
	static const struct {
		const char *body;
		const char *type;
	} cases[] = {
	    {"{'ecrRepositoryPrefix':'q','upstreamRegistryUrl':'quay.io'}", VE},
	    {"{'ecrRepositoryPrefix':'qq','upstreamRegistryUrl':"
	     "'example.com'}",
	        "UnsupportedUpstreamRegistryException"},
	    {"{'ecrRepositoryPrefix':'qq','upstreamRegistryUrl':'quay.io',"
	     "'upstreamRegistry':'k8s'}",
	        "UnsupportedUpstreamRegistryException"},
	    {"{'ecrRepositoryPrefix':'qq','upstreamRegistryUrl':"
	     "'-.azurecr.io.evil'}",
	        "UnsupportedUpstreamRegistryException"},
	    {"{'ecrRepositoryPrefix':'hub','upstreamRegistryUrl':"
	     "'registry-1.docker.io'}",
	        VE},
	    {"{'ecrRepositoryPrefix':'qq','upstreamRegistryUrl':'quay.io',"
	     "'customRoleArn':'" ROLE "'}",
	        VE},
	    {"{'ecrRepositoryPrefix':'qq','upstreamRegistryUrl':"
	     "'111122223333.dkr.ecr.us-west-2.amazonaws.com'}",
	        VE},
	    {"{'ecrRepositoryPrefix':'hub','upstreamRegistryUrl':"
	     "'registry-1.docker.io','credentialArn':'" SECRET "nope'}",
	        "SecretNotFoundException"},
	};
	struct afx *f = *state;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		fail_type(f, "CreatePullThroughCacheRule", cases[i].body,
		    cases[i].type);
	afx_fail(f, "CreatePullThroughCacheRule",
	    "{'ecrRepositoryPrefix':"
	    "'qq','upstreamRegistryUrl':'example.com'}",
	    400, "UnsupportedUpstreamRegistryException",
	    "The upstream registry "
	    "URL example.com is invalid. Specify a valid upstream registry URL "
	    "and try again");
}

static void
test_rule_secrets(void **state)
{
	static const char text[] =
	    "{\"" SECRET "hub-AbC123\": {\"username\":"
	    "\"u\",\"accessToken\":\"t\"}, \"ecr-pullthroughcache/gh\": "
	    "\"{\\\"username\\\":\\\"u\\\",\\\"accessToken\\\":\\\"t\\\"}\", "
	    "\"ecr-pullthroughcache/bad\": {\"username\":\"u\"}}";
	struct afx *f = *state;
	struct api_secrets *secrets = NULL;
	struct json_object *out;
	char *cause = NULL;

	assert_int_equal(api_secrets_parse(text, strlen(text), &secrets,
	                     &cause),
	    0);
	api_ctx_set_secrets(f->ctx, secrets);
	out = afx_ok(f, "CreatePullThroughCacheRule",
	    "{'ecrRepositoryPrefix':"
	    "'hub','upstreamRegistryUrl':'registry-1.docker.io',"
	    "'credentialArn':'" SECRET "hub'}");
	assert_string_equal(afx_str(out, "/upstreamRegistry"), "docker-hub");
	json_object_put(out);
	afx_do(f, "CreatePullThroughCacheRule",
	    "{'ecrRepositoryPrefix':'gh',"
	    "'upstreamRegistryUrl':'ghcr.io','credentialArn':'" SECRET
	    "gh-XyZ789'}");
	fail_type(f, "CreatePullThroughCacheRule",
	    "{'ecrRepositoryPrefix':"
	    "'gl','upstreamRegistryUrl':'registry.gitlab.com',"
	    "'credentialArn':'" SECRET "bad'}",
	    "UnableToDecryptSecretValueException");
	fail_type(f, "UpdatePullThroughCacheRule",
	    "{'ecrRepositoryPrefix':"
	    "'gh','credentialArn':'" SECRET "other'}",
	    "SecretNotFoundException");
	api_ctx_set_secrets(f->ctx, NULL);
	api_secrets_free(secrets);
	assert_int_equal(api_secrets_parse("[1]", 3, &secrets, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(api_secrets_parse("{", 1, &secrets, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(api_secrets_parse("{\"\":{}}", 7, &secrets, &cause),
	    -1);
	free(cause);
}

static void
test_rule_crud_and_limit(void **state)
{
	struct afx *f = *state;
	struct json_object *out;
	char body[128];
	int i;

	for (i = 0; i < 50; i++) {
		snprintf(body, sizeof body,
		    "{'ecrRepositoryPrefix':'r%02d',"
		    "'upstreamRegistryUrl':'quay.io'}",
		    i);
		afx_do(f, "CreatePullThroughCacheRule", body);
	}
	fail_type(f, "CreatePullThroughCacheRule",
	    "{'ecrRepositoryPrefix':"
	    "'r00/','upstreamRegistryUrl':'quay.io'}",
	    "PullThroughCacheRuleAlreadyExistsException");
	fail_type(f, "CreatePullThroughCacheRule",
	    "{'ecrRepositoryPrefix':"
	    "'r50','upstreamRegistryUrl':'quay.io'}",
	    "LimitExceededException");
	out = afx_ok(f, "DescribePullThroughCacheRules", "{'maxResults':30}");
	assert_int_equal(afx_len(out, "/pullThroughCacheRules"), 30);
	assert_true(afx_has(out, "/nextToken"));
	json_object_put(out);
	afx_fail(f, "DescribePullThroughCacheRules",
	    "{'ecrRepositoryPrefixes':"
	    "['r01','nope']}",
	    400, "PullThroughCacheRuleNotFoundException",
	    "The pull through cache rule with prefix 'nope' does not exist in "
	    "the registry with id '123456789012'");
	f->now_ms += 1000;
	out = afx_ok(f, "UpdatePullThroughCacheRule",
	    "{'ecrRepositoryPrefix':'r01'}");
	assert_true(afx_num(out, "/updatedAt") > AFX_NOW_MS / 1000.0);
	json_object_put(out);
	out = afx_ok(f, "DeletePullThroughCacheRule",
	    "{'ecrRepositoryPrefix':'r01'}");
	assert_string_equal(afx_str(out, "/upstreamRegistryUrl"), "quay.io");
	assert_false(afx_has(out, "/upstreamRegistry"));
	json_object_put(out);
	fail_type(f, "DeletePullThroughCacheRule",
	    "{'ecrRepositoryPrefix':'r01'}",
	    "PullThroughCacheRuleNotFoundException");
	afx_do(f, "CreatePullThroughCacheRule",
	    "{'ecrRepositoryPrefix':"
	    "'ecr','upstreamRegistryUrl':'123456789012.dkr.ecr.us-west-2."
	    "amazonaws.com'}");
	out = afx_ok(f, "DescribePullThroughCacheRules",
	    "{'ecrRepositoryPrefixes':['ecr']}");
	assert_string_equal(afx_str(out, "/pullThroughCacheRules/0/"
	                                 "upstreamRepositoryPrefix"),
	    "ROOT");
	json_object_put(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, afx_setup, afx_teardown)
	    T(test_template_validation_matrix),
	    T(test_template_crud),
	    T(test_template_pages),
	    T(test_create_on_push_longest_prefix_and_root),
	    T(test_create_on_push_applies_policies_and_tags),
	    T(test_rule_validation_matrix),
	    T(test_rule_secrets),
	    T(test_rule_crud_and_limit),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
