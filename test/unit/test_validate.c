/*
 * Unit tests for api/validate.c, the generated model it checks against and
 * the model's patterns (api/pattern.c).
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

#include "api/error.h"
#include "api/model_gen.h"
#include "api/pattern.h"
#include "api/validate.h"
#include "common/xalloc.h"

#define REPO_RE "(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*"
#define PREFIX_RE                                                              \
	"^([a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/[a-z0-9]+"                    \
	"((\\.|_|__|-+)[a-z0-9]+)*)*\\/?|ROOT)$"
#define IP(path, detail)                                                       \
	"Invalid parameter at '" path                                          \
	"' failed to satisfy constraint: '" detail "'"
#define SER(path, type)                                                        \
	"Unexpected value type in payload at '" path "': expected " type

struct vcase {
	const char *what;
	const char *op;
	const char *body;
	enum ecr_errcode code; /* ERR_NONE: accepted */
	const char *message;   /* NULL: not compared */
};

static int
setup(void **state)
{
	struct validator *v;
	char *cause = NULL;

	if (validator_new(&v, &cause) != 0) {
		fprintf(stderr, "validator_new: %s\n", cause);
		free(cause);
		return -1;
	}
	*state = v;
	return 0;
}

static int
teardown(void **state)
{
	validator_free(*state);
	return 0;
}

static struct json_object *
parse(const char *text)
{
	struct json_tokener *tok;
	struct json_object *o;

	tok = json_tokener_new();
	json_tokener_set_flags(tok,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)strlen(text));
	assert_int_equal(json_tokener_get_error(tok), json_tokener_success);
	json_tokener_free(tok);
	return o;
}

static int
run(const struct validator *v, const char *op_name, struct json_object *in,
    struct ecr_error *err)
{
	const struct model_op *op;
	int rc;

	memset(err, 0, sizeof *err);
	op = model_op_find(op_name);
	assert_non_null(op);
	rc = validate_request(v, op, in, err);
	assert_int_equal(rc == 0, err->code == ERR_NONE);
	return rc;
}

static const char *
outcome(enum ecr_errcode code)
{
	return code == ERR_NONE ? "success" : ecr_error_type(code);
}

static void
run_cases(const struct validator *v, const struct vcase *cases, size_t n)
{
	struct json_object *in;
	struct ecr_error err;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		in = parse(cases[i].body);
		rc = run(v, cases[i].op, in, &err);
		json_object_put(in);
		if (err.code != cases[i].code ||
		    (cases[i].message != NULL &&
		        strcmp(err.message, cases[i].message) != 0)) {
			fail_msg("%s: got %s '%s' (rc %d), want %s '%s'",
			    cases[i].what, outcome(err.code), err.message, rc,
			    outcome(cases[i].code),
			    cases[i].message != NULL ? cases[i].message : "*");
		}
	}
}

static char *
repeat(const char *unit, size_t n)
{
	size_t len, i;
	char *s;

	len = strlen(unit);
	s = xmalloc(len * n + 1);
	for (i = 0; i < n; i++)
		memcpy(s + i * len, unit, len);
	s[len * n] = '\0';
	return s;
}

static void
test_model_has_58_sorted_operations(void **state)
{
	size_t i;

	(void)state;
	assert_int_equal(model_n_ops, 58);
	assert_int_equal(MODEL_N_OPS, 58);
	for (i = 1; i < model_n_ops; i++)
		assert_true(strcmp(model_ops[i - 1].name, model_ops[i].name) <
		            0);
	for (i = 0; i < model_n_ops; i++) {
		assert_ptr_equal(model_op_find(model_ops[i].name),
		    &model_ops[i]);
		assert_int_equal(model_ops[i].input->type, MODEL_STRUCTURE);
		assert_non_null(model_ops[i].output);
	}
	assert_null(model_op_find("CreateRepositor"));
	assert_null(model_op_find("createRepository"));
	assert_null(model_op_find(""));
	assert_null(model_op_find("ZZZ"));
}

static void
test_model_shapes_are_sorted_and_complete(void **state)
{
	const struct model_shape *s;
	size_t i;

	(void)state;
	assert_int_equal(model_n_shapes, MODEL_N_SHAPES);
	assert_true(model_n_shapes > 400);
	for (i = 1; i < model_n_shapes; i++)
		assert_true(strcmp(model_shapes[i - 1]->name,
		                model_shapes[i]->name) < 0);
	for (i = 0; i < model_n_shapes; i++) {
		s = model_shapes[i];
		if (s->type == MODEL_LIST)
			assert_non_null(s->list_member);
		if (s->type == MODEL_MAP)
			assert_true(s->map_key != NULL && s->map_value != NULL);
		if (s->n_members > 0)
			assert_non_null(s->members);
	}
	/* Declaration order is kept: the validator reports in it. */
	s = &model_CreateRepositoryRequest;
	assert_string_equal(s->members[0].name, "registryId");
	assert_string_equal(s->members[1].name, "repositoryName");
	assert_true(s->members[1].required);
	assert_false(s->members[0].required);
	assert_int_equal(model_RepositoryName.min, 2);
	assert_int_equal(model_RepositoryName.max, 256);
	assert_string_equal(model_ImageTagMutability.enums[0], "MUTABLE");
}

static void
test_validator_free_accepts_null(void **state)
{
	(void)state;
	validator_free(NULL);
}

static const struct vcase valid_cases[] = {
    {"CreateRepository with every option", "CreateRepository",
        "{\"registryId\": \"123456789012\", \"repositoryName\": "
        "\"team/app__x--y.z\", \"tags\": [{\"Key\": \"env\", "
        "\"Value\": \"\"}], \"imageTagMutability\": "
        "\"IMMUTABLE_WITH_EXCLUSION\", "
        "\"imageTagMutabilityExclusionFilters\": [{\"filterType\": "
        "\"WILDCARD\", \"filter\": \"latest*\"}], "
        "\"imageScanningConfiguration\": {\"scanOnPush\": true}, "
        "\"encryptionConfiguration\": {\"encryptionType\": \"KMS\", "
        "\"kmsKey\": \"arn:aws:kms:us-east-1:123456789012:key/k\"}}",
        ERR_NONE, NULL},
    {"a null member is absent", "CreateRepository",
        "{\"repositoryName\": \"ok\", \"registryId\": null, "
        "\"tags\": null}",
        ERR_NONE, NULL},
    {"unknown members are ignored", "CreateRepository",
        "{\"repositoryName\": \"ok\", \"colour\": [1, {}], "
        "\"RepositoryName\": 5}",
        ERR_NONE, NULL},
    {"an operation without members takes {}", "DescribeRegistry", "{}",
        ERR_NONE, NULL},
    {"maxResults at its bounds", "DescribeRepositories",
        "{\"maxResults\": 1000}", ERR_NONE, NULL},
    {"image ids by tag and digest", "BatchGetImage",
        "{\"repositoryName\": \"ok\", \"imageIds\": [{\"imageTag\": "
        "\"v1.0_rc-1\"}, {\"imageDigest\": \"sha256:0123456789abcdef"
        "\"}], \"acceptedMediaTypes\": [\"application/json\"]}",
        ERR_NONE, NULL},
    {"a base64 blob", "UploadLayerPart",
        "{\"repositoryName\": \"ok\", \"uploadId\": "
        "\"0f0e0d0c-aaaa-BBBB-cccc-0123456789ab\", \"partFirstByte\": "
        "0, \"partLastByte\": 9007199254740993, \"layerPartBlob\": "
        "\"QUJDRA==\"}",
        ERR_NONE, NULL},
    {"an empty blob", "UploadLayerPart",
        "{\"repositoryName\": \"ok\", \"uploadId\": "
        "\"0f0e0d0c-aaaa-bbbb-cccc-0123456789ab\", \"partFirstByte\": "
        "0, \"partLastByte\": 0, \"layerPartBlob\": \"\"}",
        ERR_NONE, NULL},
    {"batch image ids are left to the handler's failure entries",
        "BatchDeleteImage",
        "{\"repositoryName\": \"ok\", \"imageIds\": "
        "[{\"imageDigest\": \"sha256\"}, {\"imageTag\": \"bad tag\"}]}",
        ERR_NONE, NULL},
    {"a pull-through cache rule", "CreatePullThroughCacheRule",
        "{\"ecrRepositoryPrefix\": \"docker-hub\", "
        "\"upstreamRegistryUrl\": \"registry-1.docker.io\", "
        "\"upstreamRegistry\": \"docker-hub\", \"credentialArn\": "
        "\"arn:aws:secretsmanager:us-east-1:123456789012:secret:"
        "ecr-pullthroughcache/hub-AbC123\", \"upstreamRepositoryPrefix"
        "\": \"ROOT\"}",
        ERR_NONE, NULL},
    {"a template with an empty kmsKey (^$)", "CreateRepositoryCreationTemplate",
        "{\"prefix\": \"prod/\", \"appliedFor\": [\"CREATE_ON_PUSH\"],"
        " \"encryptionConfiguration\": {\"encryptionType\": "
        "\"AES256\", \"kmsKey\": \"\"}}",
        ERR_NONE, NULL},
    {"an exclusion for a role ARN (\\w inside brackets)",
        "RegisterPullTimeUpdateExclusion",
        "{\"principalArn\": \"arn:aws:iam::123456789012:role/ci/"
        "my_role+x=y,z.a@b-c\"}",
        ERR_NONE, NULL},
    {"a signing configuration", "PutSigningConfiguration",
        "{\"signingConfiguration\": {\"rules\": [{"
        "\"signingProfileArn\": \"arn:aws:signer:us-east-1:"
        "123456789012:/signing-profiles/my_profile\", "
        "\"repositoryFilters\": [{\"filter\": \"*prod*\", "
        "\"filterType\": \"WILDCARD_MATCH\"}]}]}}",
        ERR_NONE, NULL},
    {"a registry scanning configuration", "PutRegistryScanningConfiguration",
        "{\"scanType\": \"ENHANCED\", \"rules\": [{\"scanFrequency\": "
        "\"CONTINUOUS_SCAN\", \"repositoryFilters\": [{\"filter\": "
        "\"prod/*\", \"filterType\": \"WILDCARD\"}]}]}",
        ERR_NONE, NULL},
    {"a replication configuration", "PutReplicationConfiguration",
        "{\"replicationConfiguration\": {\"rules\": [{"
        "\"destinations\": [{\"region\": \"eu-west-1\", "
        "\"registryId\": \"123456789012\"}], \"repositoryFilters\": "
        "[{\"filter\": \"prod\", \"filterType\": \"PREFIX_MATCH\"}]}"
        "]}}",
        ERR_NONE, NULL},
};

static void
test_accepts_valid_requests(void **state)
{
	run_cases(*state, valid_cases,
	    sizeof valid_cases / sizeof valid_cases[0]);
}

/* 128 two-byte characters are a tag key of 128, not 256 (1.2). */
static void
test_measures_length_in_characters(void **state)
{
	struct vcase c;
	char *key = repeat("\xc3\xa9", 128);

	c = (struct vcase){"128 characters", "TagResource",
	    xasprintf("{\"resourceArn\": \"arn\", \"tags\": [{\"Key\": "
	              "\"%s\", \"Value\": \"v\"}]}",
	        key),
	    ERR_NONE, NULL};
	run_cases(*state, &c, 1);
	free((char *)c.body);
	free(key);
	key = repeat("\xc3\xa9", 129);
	c = (struct vcase){"129 characters", "TagResource",
	    xasprintf("{\"resourceArn\": \"arn\", \"tags\": [{\"Key\": "
	              "\"%s\", \"Value\": \"v\"}]}",
	        key),
	    ERR_INVALID_TAG_PARAMETER, NULL};
	run_cases(*state, &c, 1);
	free((char *)c.body);
	free(key);
}

/* A streamed blob counts by the length it decoded to, not its placeholder. */
static void
test_streamed_blob_counts_its_decoded_length(void **state)
{
	const struct model_op *op = model_op_find("UploadLayerPart");
	struct json_object *in, *ph;
	struct ecr_error err;

	in = parse("{\"repositoryName\": \"ok\", \"uploadId\": "
	           "\"0a0b0c0d-0000-4000-8000-000000000001\", "
	           "\"partFirstByte\": "
	           "0, \"partLastByte\": 0, \"layerPartBlob\": \"\"}");
	assert_true(json_object_object_get_ex(in, "layerPartBlob", &ph));
	memset(&err, 0, sizeof err);
	assert_int_equal(validate_request_streamed(*state, op, in, ph, 20971520,
	                     &err),
	    0);
	assert_int_equal(validate_request_streamed(*state, op, in, ph, 20971521,
	                     &err),
	    -1);
	assert_int_equal(err.code, ERR_INVALID_PARAMETER);
	assert_string_equal(err.message,
	    IP("layerPartBlob", "Member must "
	                        "have length less than or equal to 20971520"));
	ecr_error_clear(&err);
	json_object_put(in);
}

static const struct vcase constraint_cases[] = {
    {"upper case repository name", "CreateRepository",
        "{\"repositoryName\": \"MyRepo\"}", ERR_INVALID_PARAMETER,
        IP("repositoryName", "must satisfy regular expression '" REPO_RE "'")},
    {"repository name of 1", "CreateRepository", "{\"repositoryName\": \"a\"}",
        ERR_INVALID_PARAMETER,
        IP("repositoryName", "must have length greater than or equal to 2")},
    {"empty repository name: length first", "DeleteRepository",
        "{\"repositoryName\": \"\"}", ERR_INVALID_PARAMETER,
        IP("repositoryName", "must have length greater than or equal to 2")},
    {"maxResults 0", "DescribeRepositories", "{\"maxResults\": 0}",
        ERR_INVALID_PARAMETER,
        IP("maxResults", "Member must have value greater than or "
                         "equal to 1")},
    {"maxResults 1001", "DescribeRepositories", "{\"maxResults\": 1001}",
        ERR_INVALID_PARAMETER,
        IP("maxResults", "Member must have value less than or "
                         "equal to 1000")},
    {"maxResults 51 on ListImageReferrers", "ListImageReferrers",
        "{\"repositoryName\": \"ok\", \"subjectId\": {\"imageDigest\":"
        " \"sha256:ab\"}, \"maxResults\": 51}",
        ERR_INVALID_PARAMETER,
        IP("maxResults", "Member must have value less than or "
                         "equal to 50")},
    {"bad enum", "CreateRepository",
        "{\"repositoryName\": \"ok\", \"imageTagMutability\": "
        "\"mutable\"}",
        ERR_INVALID_PARAMETER,
        IP("imageTagMutability",
            "Member must satisfy enum value "
            "set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, "
            "MUTABLE_WITH_EXCLUSION]")},
    {"registryId abc", "CreateRepository",
        "{\"registryId\": \"abc\", \"repositoryName\": \"ok\"}",
        ERR_INVALID_PARAMETER,
        IP("registryId", "Member must "
                         "satisfy regular expression pattern: [0-9]{12}")},
    {"a registryIds member, wrapped as on the wire", "GetAuthorizationToken",
        "{\"registryIds\": [\"123456789012\","
        " \"abc\"]}",
        ERR_INVALID_PARAMETER,
        IP("registryIds",
            "Member must satisfy constraint: [Member must satisfy "
            "regular expression pattern: [0-9]{12}]")},
    {"a null list member", "GetAuthorizationToken", "{\"registryIds\": [null]}",
        ERR_INVALID_PARAMETER,
        IP("registryIds",
            "Member must satisfy constraint: "
            "[Member must not be null, Member must satisfy regular "
            "expression pattern: [0-9]{12}]")},
    {"empty imageIds, as on the wire", "BatchGetImage",
        "{\"repositoryName\": \"ok\", \"imageIds\": []}", ERR_INVALID_PARAMETER,
        IP("imageIds", "Member must have "
                       "length greater than or equal to 1")},
    {"a bad tag in the second image id", "DescribeImages",
        "{\"repositoryName\": \"ok\", \"imageIds\": [{\"imageTag\": "
        "\"v1\"}, {\"imageTag\": \"bad tag\"}]}",
        ERR_INVALID_PARAMETER,
        IP("imageIds.2.member.imageTag",
            "must satisfy regular expression '[a-zA-Z0-9-_.]+'")},
    {"a bad digest", "StartImageScan",
        "{\"repositoryName\": \"ok\", \"imageId\": {\"imageDigest\": "
        "\"sha256\"}}",
        ERR_INVALID_PARAMETER,
        IP("imageId.imageDigest", "must satisfy regular expression "
                                  "'[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'")},
    {"an empty tag in a batch", "BatchGetImage",
        "{\"repositoryName\": \"ok\", \"imageIds\": [{\"imageTag\": "
        "\"\"}]}",
        ERR_INVALID_PARAMETER,
        IP("imageIds.1.member.imageTag",
            "must have length greater than or equal to 1")},
    {"a deeply nested region", "PutReplicationConfiguration",
        "{\"replicationConfiguration\": {\"rules\": [{"
        "\"destinations\": [{\"region\": \"eu-west-1\", "
        "\"registryId\": \"123456789012\"}, {\"region\": \"EU\", "
        "\"registryId\": \"123456789012\"}]}]}}",
        ERR_INVALID_PARAMETER,
        IP("replicationConfiguration.rules.1.member.destinations.2."
           "member.region",
            "Member must satisfy regular expression "
            "pattern: [0-9a-z-]{2,25}")},
    {"a bad repository name in a list", "DescribeRepositories",
        "{\"repositoryNames\": [\"ok\", \"Bad\"]}", ERR_INVALID_PARAMETER,
        IP("repositoryNames", "must satisfy regular expression '" REPO_RE "'")},
    {"the first violation only", "CreateRepository",
        "{\"registryId\": \"1\", \"repositoryName\": \"X\"}",
        ERR_INVALID_PARAMETER,
        IP("registryId", "Member must "
                         "satisfy regular expression pattern: [0-9]{12}")},
    {"lifecycle policy under 100 characters", "PutLifecyclePolicy",
        "{\"repositoryName\": \"ok\", \"lifecyclePolicyText\": "
        "\"{}\"}",
        ERR_INVALID_PARAMETER,
        IP("lifecyclePolicyText", "Member must have length greater "
                                  "than or equal to 100")},
    {"a blob's decoded length", "UploadLayerPart",
        "{\"repositoryName\": \"ok\", \"uploadId\": \"nope\", "
        "\"partFirstByte\": -1, \"partLastByte\": 1, "
        "\"layerPartBlob\": \"QQ==\"}",
        ERR_INVALID_PARAMETER,
        IP("uploadId", "Member must satisfy regular expression "
                       "pattern: [0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                       "[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")},
    {"a negative long", "UploadLayerPart",
        "{\"repositoryName\": \"ok\", \"uploadId\": "
        "\"0f0e0d0c-aaaa-bbbb-cccc-0123456789ab\", \"partFirstByte\": "
        "-1, \"partLastByte\": 1, \"layerPartBlob\": \"QQ==\"}",
        ERR_INVALID_PARAMETER,
        IP("partFirstByte", "Member must "
                            "have value greater than or equal to 0")},
    {"a NUL inside a patterned value", "CreateRepository",
        "{\"repositoryName\": \"ok\\u0000ok\"}", ERR_INVALID_PARAMETER,
        IP("repositoryName", "must satisfy regular expression '" REPO_RE "'")},
    {"exclusion filters past 5", "PutImageTagMutability",
        "{\"repositoryName\": \"ok\", \"imageTagMutability\": "
        "\"MUTABLE_WITH_EXCLUSION\", "
        "\"imageTagMutabilityExclusionFilters\": ["
        "{\"filterType\": \"WILDCARD\", \"filter\": \"a\"},"
        "{\"filterType\": \"WILDCARD\", \"filter\": \"b\"},"
        "{\"filterType\": \"WILDCARD\", \"filter\": \"c\"},"
        "{\"filterType\": \"WILDCARD\", \"filter\": \"d\"},"
        "{\"filterType\": \"WILDCARD\", \"filter\": \"e\"},"
        "{\"filterType\": \"WILDCARD\", \"filter\": \"f\"}]}",
        ERR_INVALID_PARAMETER,
        IP("imageTagMutabilityExclusionFilters",
            "Member must have "
            "length less than or equal to 5")},
    {"a filter outside its pattern", "CreateRepository",
        "{\"repositoryName\": \"ok\", "
        "\"imageTagMutabilityExclusionFilters\": [{\"filterType\": "
        "\"WILDCARD\", \"filter\": \"a b\"}]}",
        ERR_INVALID_PARAMETER,
        IP("imageTagMutabilityExclusionFilters.1.member.filter",
            "Member must satisfy regular expression pattern: "
            "^[0-9a-zA-Z._*-]{1,128}$")},
};

static void
test_rejects_constraints_with_ecr_wording(void **state)
{
	run_cases(*state, constraint_cases,
	    sizeof constraint_cases / sizeof constraint_cases[0]);
}

static const struct vcase required_cases[] = {
    {"CreateRepository without a name", "CreateRepository", "{}",
        ERR_INVALID_PARAMETER, IP("repositoryName", "Member must not be null")},
    {"a null required member", "DeleteRepository", "{\"repositoryName\": null}",
        ERR_INVALID_PARAMETER, IP("repositoryName", "Member must not be null")},
    {"PutImage without a manifest", "PutImage",
        "{\"repositoryName\": \"ok\", \"imageTag\": \"v1\"}",
        ERR_INVALID_PARAMETER, IP("imageManifest", "Member must not be null")},
    {"UploadLayerPart in declaration order", "UploadLayerPart",
        "{\"repositoryName\": \"ok\", \"uploadId\": "
        "\"0f0e0d0c-aaaa-bbbb-cccc-0123456789ab\", "
        "\"layerPartBlob\": \"\"}",
        ERR_INVALID_PARAMETER, IP("partFirstByte", "Member must not be null")},
    {"TagResource without tags", "TagResource", "{\"resourceArn\": \"arn\"}",
        ERR_INVALID_PARAMETER, IP("tags", "Member must not be null")},
    {"a tag without a value", "TagResource",
        "{\"resourceArn\": \"arn\", \"tags\": [{\"Key\": \"k\"}]}",
        ERR_INVALID_PARAMETER,
        IP("tags.1.member.Value", "Member must not be null")},
    {"a null structure in a list", "BatchGetImage",
        "{\"repositoryName\": \"ok\", \"imageIds\": [null]}",
        ERR_INVALID_PARAMETER,
        IP("imageIds.1.member", "Member must not be null")},
    {"nested required member", "PutImageScanningConfiguration",
        "{\"repositoryName\": \"ok\"}", ERR_INVALID_PARAMETER,
        IP("imageScanningConfiguration", "Member must not be null")},
    {"GetAccountSetting without a name", "GetAccountSetting", "{}",
        ERR_VALIDATION,
        "1 validation error detected: Value "
        "null at 'name' failed to satisfy constraint: Member must "
        "not be null"},
};

static void
test_rejects_missing_required_members(void **state)
{
	run_cases(*state, required_cases,
	    sizeof required_cases / sizeof required_cases[0]);
}

static const struct vcase type_cases[] = {
    {"a number for a string", "CreateRepository", "{\"repositoryName\": 5}",
        ERR_SERIALIZATION, SER("repositoryName", "a string")},
    {"a string for an integer", "DescribeRepositories",
        "{\"maxResults\": \"12\"}", ERR_SERIALIZATION,
        SER("maxResults", "an integer")},
    {"3.5 for an integer", "DescribeRepositories", "{\"maxResults\": 3.5}",
        ERR_SERIALIZATION, SER("maxResults", "an integer")},
    {"1.0 for an integer", "DescribeRepositories", "{\"maxResults\": 1.0}",
        ERR_SERIALIZATION, NULL},
    {"an integer past Java's int", "DescribeRepositories",
        "{\"maxResults\": 2147483648}", ERR_SERIALIZATION, NULL},
    {"a long past int64", "UploadLayerPart",
        "{\"repositoryName\": \"ok\", \"uploadId\": \"x\", "
        "\"partFirstByte\": 9223372036854775808, "
        "\"partLastByte\": 0, \"layerPartBlob\": \"\"}",
        ERR_SERIALIZATION, SER("partFirstByte", "an integer")},
    {"an object for a list", "CreateRepository",
        "{\"repositoryName\": \"ok\", \"tags\": {}}", ERR_SERIALIZATION,
        SER("tags", "an array")},
    {"\"true\" for a boolean", "DeleteRepository",
        "{\"repositoryName\": \"ok\", \"force\": \"true\"}", ERR_SERIALIZATION,
        SER("force", "a boolean")},
    {"1 for a boolean", "CreateRepository",
        "{\"repositoryName\": \"ok\", \"imageScanningConfiguration\":"
        " {\"scanOnPush\": 1}}",
        ERR_SERIALIZATION,
        SER("imageScanningConfiguration.scanOnPush", "a boolean")},
    {"a list for a structure", "CreateRepository",
        "{\"repositoryName\": \"ok\", \"encryptionConfiguration\": "
        "[]}",
        ERR_SERIALIZATION, SER("encryptionConfiguration", "an object")},
    {"a number in a string list", "DescribeRepositories",
        "{\"repositoryNames\": [\"ok\", 7]}", ERR_SERIALIZATION,
        SER("repositoryNames.2.member", "a string")},
    {"a string in a structure list", "BatchGetImage",
        "{\"repositoryName\": \"ok\", \"imageIds\": [\"v1\"]}",
        ERR_SERIALIZATION, SER("imageIds.1.member", "an object")},
    {"a blob that is not base64", "UploadLayerPart",
        "{\"repositoryName\": \"ok\", \"uploadId\": "
        "\"0f0e0d0c-aaaa-bbbb-cccc-0123456789ab\", \"partFirstByte\": "
        "0, \"partLastByte\": 0, \"layerPartBlob\": \"QUJD!\"}",
        ERR_SERIALIZATION, SER("layerPartBlob", "a base64 string")},
    {"a blob with misplaced padding", "UploadLayerPart",
        "{\"repositoryName\": \"ok\", \"uploadId\": "
        "\"0f0e0d0c-aaaa-bbbb-cccc-0123456789ab\", \"partFirstByte\": "
        "0, \"partLastByte\": 0, \"layerPartBlob\": \"Q=Q=\"}",
        ERR_SERIALIZATION, NULL},
    {"a wrong type wins over an earlier violation", "DeleteRepository",
        "{\"repositoryName\": \"UPPER\", "
        "\"force\": \"yes\"}",
        ERR_SERIALIZATION, SER("force", "a boolean")},
    {"a wrong type on a ValidationException operation", "PutAccountSetting",
        "{\"name\": [], \"value\": \"x\"}", ERR_SERIALIZATION,
        SER("name", "a string")},
};

static void
test_rejects_wrong_types_as_serialization(void **state)
{
	run_cases(*state, type_cases, sizeof type_cases / sizeof type_cases[0]);
}

static void
test_tag_limits_use_tag_exceptions(void **state)
{
	struct vcase c[4];
	char *tags, *next, *key129, *key128, *val257;
	size_t i;

	tags = xstrdup("");
	for (i = 0; i < 51; i++) {
		next = xasprintf("%s%s{\"Key\": \"k%zu\", \"Value\": \"v\"}",
		    tags, i > 0 ? ", " : "", i);
		free(tags);
		tags = next;
	}
	key129 = repeat("k", 129);
	key128 = repeat("k", 128);
	val257 = repeat("v", 257);
	c[0] = (struct vcase){"51 tags", "TagResource",
	    xasprintf("{\"resourceArn\": \"arn\", \"tags\": [%s]}", tags),
	    ERR_TOO_MANY_TAGS,
	    "The list of tags on the repository is over "
	    "the limit. The maximum number of tags that can be applied to a "
	    "repository is 50."};
	c[1] = (struct vcase){"tag key of 129", "CreateRepository",
	    xasprintf("{\"repositoryName\": \"ok\", \"tags\": [{\"Key\": "
	              "\"%s\", \"Value\": \"v\"}]}",
	        key129),
	    ERR_INVALID_TAG_PARAMETER,
	    "An invalid parameter has been "
	    "specified. Tag keys can have a maximum character length of 128 "
	    "characters, and tag values can have a maximum length of 256 "
	    "characters."};
	c[2] = (struct vcase){"tag value of 257", "TagResource",
	    xasprintf("{\"resourceArn\": \"arn\", \"tags\": [{\"Key\": "
	              "\"%s\", \"Value\": \"%s\"}]}",
	        key128, val257),
	    ERR_INVALID_TAG_PARAMETER, NULL};
	c[3] = (struct vcase){"templates word tag limits as Coral does",
	    "CreateRepositoryCreationTemplate",
	    xstrdup("{\"prefix\": \"ROOT\", \"appliedFor\": [\"REPLICATION\"],"
	            " \"resourceTags\": [{\"Key\": \"\", \"Value\": \"v\"}]}"),
	    ERR_VALIDATION,
	    "1 validation error detected: Value '' at "
	    "'resourceTags.1.member.Key' failed to satisfy constraint: "
	    "Member must have length greater than or equal to 1"};
	run_cases(*state, c, 4);
	for (i = 0; i < 4; i++)
		free((char *)c[i].body);
	free(tags);
	free(key129);
	free(key128);
	free(val257);
}

static const struct vcase coral_cases[] = {
    {"a bad ecrRepositoryPrefix", "CreatePullThroughCacheRule",
        "{\"ecrRepositoryPrefix\": \"Bad_Prefix!\", "
        "\"upstreamRegistryUrl\": \"public.ecr.aws\"}",
        ERR_VALIDATION,
        "1 validation error detected: Value "
        "'Bad_Prefix!' at 'ecrRepositoryPrefix' failed to satisfy "
        "constraint: Member must satisfy regular expression "
        "pattern: " PREFIX_RE},
    {"a prefix too short and a bad upstream registry",
        "CreatePullThroughCacheRule",
        "{\"ecrRepositoryPrefix\": \"x\", \"upstreamRegistryUrl\": "
        "\"public.ecr.aws\", \"upstreamRegistry\": \"dockerhub\"}",
        ERR_VALIDATION,
        "2 validation errors detected: Value 'x' at "
        "'ecrRepositoryPrefix' failed to satisfy constraint: Member "
        "must have length greater than or equal to 2; Value "
        "'dockerhub' at 'upstreamRegistry' failed to satisfy "
        "constraint: Member must satisfy enum value set: [ecr, "
        "ecr-public, quay, k8s, docker-hub, github-container-"
        "registry, azure-container-registry, gitlab-container-"
        "registry, chainguard]"},
    {"PutAccountSetting without a name", "PutAccountSetting",
        "{\"value\": \"ENABLED\"}", ERR_VALIDATION,
        "1 validation error detected: Value null at 'name' failed "
        "to satisfy constraint: Member must not be null"},
    {"PutAccountSetting with nothing", "PutAccountSetting", "{}",
        ERR_VALIDATION,
        "2 validation errors detected: Value null "
        "at 'name' failed to satisfy constraint: Member must not be "
        "null; Value null at 'value' failed to satisfy constraint: "
        "Member must not be null"},
    {"an empty name and no value", "PutAccountSetting", "{\"name\": \"\"}",
        ERR_VALIDATION,
        "2 validation errors "
        "detected: Value '' at 'name' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; Value "
        "null at 'value' failed to satisfy constraint: Member must "
        "not be null"},
    {"a bad member of a prefix list", "DescribePullThroughCacheRules",
        "{\"ecrRepositoryPrefixes\": [\"ok-prefix\", \"X\"]}", ERR_VALIDATION,
        "1 validation error detected: Value "
        "'[ok-prefix, X]' at 'ecrRepositoryPrefixes' failed to "
        "satisfy constraint: Member must satisfy constraint: "
        "[Member must have length less than or equal to 30, Member "
        "must have length greater than or equal to 2, Member must "
        "satisfy regular expression pattern: " PREFIX_RE "]"},
    {"repository names keep Coral wording here",
        "BatchGetRepositoryScanningConfiguration", "{\"repositoryNames\": []}",
        ERR_VALIDATION,
        "1 validation error detected: Value '[]' at "
        "'repositoryNames' failed to satisfy constraint: Member "
        "must have length greater than or equal to 1"},
    {"a bad enum deep in a list", "PutSigningConfiguration",
        "{\"signingConfiguration\": {\"rules\": [{"
        "\"signingProfileArn\": \"arn:aws:signer:us-east-1:"
        "123456789012:/signing-profiles/p1\", \"repositoryFilters\": "
        "[{\"filter\": \"a\", \"filterType\": \"PREFIX\"}]}]}}",
        ERR_VALIDATION,
        "1 validation error detected: Value "
        "'PREFIX' at 'signingConfiguration.rules.1.member."
        "repositoryFilters.1.member.filterType' failed to satisfy "
        "constraint: Member must satisfy enum value set: "
        "[WILDCARD_MATCH]"},
    {"a structure value quoted Java-style", "PutRegistryScanningConfiguration",
        "{\"rules\": [{\"scanFrequency\": \"MANUAL\", "
        "\"repositoryFilters\": []}, {\"scanFrequency\": \"MANUAL\", "
        "\"repositoryFilters\": []}, {\"scanFrequency\": \"MANUAL\", "
        "\"repositoryFilters\": [], \"x\": true}]}",
        ERR_VALIDATION,
        "1 validation error detected: Value '[{scanFrequency=MANUAL, "
        "repositoryFilters=[]}, {scanFrequency=MANUAL, "
        "repositoryFilters=[]}, {scanFrequency=MANUAL, "
        "repositoryFilters=[], x=true}]' at 'rules' failed to satisfy "
        "constraint: Member must have length less than or equal to "
        "2"},
};

static void
test_new_operations_use_coral_validation_exception(void **state)
{
	run_cases(*state, coral_cases,
	    sizeof coral_cases / sizeof coral_cases[0]);
}

static void
test_long_values_are_cut_short(void **state)
{
	struct json_object *in;
	struct ecr_error err;
	char *arn, *body;
	const char *want = "1 validation error detected: Value '";
	const char *p;

	arn = repeat("\xe2\x82\xac", 300); /* 900 bytes */
	body = xasprintf("{\"principalArn\": \"%s\"}", arn);
	in = parse(body);
	assert_int_equal(run(*state, "RegisterPullTimeUpdateExclusion", in,
	                     &err),
	    -1);
	assert_int_equal(err.code, ERR_VALIDATION);
	assert_memory_equal(err.message, want, strlen(want));
	p = strstr(err.message,
	    "...' at 'principalArn' failed to satisfy "
	    "constraint: Member must have length less than or equal to 200");
	assert_non_null(p);
	/* Whole characters only, and no more than 256 bytes of them. */
	assert_int_equal((p - err.message - (ptrdiff_t)strlen(want)) % 3, 0);
	assert_true(p - err.message - (ptrdiff_t)strlen(want) <= 256);
	json_object_put(in);
	free(body);
	free(arn);
}

/* Patterns never see more than 8 KiB, whatever the model's limits. */
static void
test_overlong_values_fail_their_pattern(void **state)
{
	struct vcase c[2];
	char *hex;

	hex = repeat("ab", 4000);
	c[0] = (struct vcase){"8007 bytes", "GetDownloadUrlForLayer",
	    xasprintf("{\"repositoryName\": \"ok\", \"layerDigest\": "
	              "\"sha256:%s\"}",
	        hex),
	    ERR_NONE, NULL};
	free(hex);
	hex = repeat("ab", 4100);
	c[1] = (struct vcase){"8207 bytes", "GetDownloadUrlForLayer",
	    xasprintf("{\"repositoryName\": \"ok\", \"layerDigest\": "
	              "\"sha256:%s\"}",
	        hex),
	    ERR_INVALID_PARAMETER,
	    IP("layerDigest", "Member must satisfy regular expression "
	                      "pattern: [a-zA-Z0-9-_+.]+:[a-fA-F0-9]+")};
	free(hex);
	run_cases(*state, c, 2);
	free((char *)c[0].body);
	free((char *)c[1].body);
}

static void
test_rejects_a_body_that_is_not_an_object(void **state)
{
	struct json_object *in = json_object_new_array();
	struct ecr_error err;

	assert_int_equal(run(*state, "DescribeRegistry", in, &err), -1);
	assert_int_equal(err.code, ERR_SERIALIZATION);
	json_object_put(in);
	assert_int_equal(run(*state, "DescribeRegistry", NULL, &err), -1);
	assert_int_equal(err.code, ERR_SERIALIZATION);
}

/* A small deterministic generator (xorshift64*) for the fuzz test. */
static uint64_t fuzz_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
fuzz_next(void)
{
	fuzz_state ^= fuzz_state >> 12;
	fuzz_state ^= fuzz_state << 25;
	fuzz_state ^= fuzz_state >> 27;
	return fuzz_state * 0x2545f4914f6cdd1dULL;
}

static size_t
fuzz_below(size_t n)
{
	return n == 0 ? 0 : (size_t)(fuzz_next() % n);
}

static struct json_object *
fuzz_string(void)
{
	static const char *const alphabets[] = {
	    "abcdefghijklmnopqrstuvwxyz0123456789",
	    "abc/._-",
	    "ABCxyz019 !@#$%^&*()[]{}'\"\\=+:,",
	    "0123456789",
	    "QUJD=+/",
	};
	/* Whole UTF-8 sequences: the parser lets no other through. */
	static const char *const chars[] = {
	    "a",
	    "\xc3\xa9",
	    "\xe2\x82\xac",
	    "\xf0\x9f\x90\xb3",
	};
	char buf[700];
	const char *a = alphabets[fuzz_below(5)], *c;
	size_t len, max;

	switch (fuzz_below(4)) {
	case 0:
		max = fuzz_below(4);
		break;
	case 1:
		max = fuzz_below(40);
		break;
	default:
		max = fuzz_below(sizeof buf - 4);
		break;
	}
	if (fuzz_below(6) == 0) {
		for (len = 0; len < max; len += strlen(c)) {
			c = chars[fuzz_below(4)];
			memcpy(buf + len, c, strlen(c));
		}
	} else {
		for (len = 0; len < max; len++)
			buf[len] = a[fuzz_below(strlen(a))];
	}
	if (len > 0 && fuzz_below(20) == 0)
		buf[fuzz_below(len)] = '\0';
	return json_object_new_string_len(buf, (int)len);
}

static struct json_object *fuzz_value(const struct model_shape *, int);

static struct json_object *
fuzz_junk(int depth)
{
	struct json_object *o;
	size_t i, n;

	switch (fuzz_below(depth > 3 ? 6 : 8)) {
	case 0:
		return NULL;
	case 1:
		return json_object_new_boolean(fuzz_below(2));
	case 2:
		return json_object_new_int64((int64_t)fuzz_next());
	case 3:
		return json_object_new_double((double)fuzz_below(1000) / 7);
	case 4:
	case 5:
		return fuzz_string();
	case 6:
		o = json_object_new_array();
		n = fuzz_below(5);
		for (i = 0; i < n; i++)
			json_object_array_add(o, fuzz_junk(depth + 1));
		return o;
	default:
		o = json_object_new_object();
		n = fuzz_below(4);
		for (i = 0; i < n; i++)
			json_object_object_add(o, fuzz_below(2) ? "a" : "Key",
			    fuzz_junk(depth + 1));
		return o;
	}
}

static struct json_object *
fuzz_value(const struct model_shape *s, int depth)
{
	struct json_object *o;
	size_t i, n;

	if (fuzz_below(12) == 0 || depth > 8)
		return fuzz_junk(depth);
	switch (s->type) {
	case MODEL_STRUCTURE:
		o = json_object_new_object();
		for (i = 0; i < s->n_members; i++) {
			if (fuzz_below(5) == 0)
				continue;
			json_object_object_add(o, s->members[i].name,
			    fuzz_value(s->members[i].shape, depth + 1));
		}
		return o;
	case MODEL_LIST:
		o = json_object_new_array();
		n = fuzz_below(8) == 0 ? fuzz_below(120) : fuzz_below(4);
		for (i = 0; i < n; i++)
			json_object_array_add(o,
			    fuzz_value(s->list_member, depth + 1));
		return o;
	case MODEL_MAP:
		o = json_object_new_object();
		n = fuzz_below(4);
		for (i = 0; i < n; i++)
			json_object_object_add(o, fuzz_below(2) ? "k" : "",
			    fuzz_value(s->map_value, depth + 1));
		return o;
	case MODEL_STRING:
		if (s->n_enums > 0 && fuzz_below(2) == 0)
			return json_object_new_string(
			    s->enums[fuzz_below(s->n_enums)]);
		return fuzz_string();
	case MODEL_INTEGER:
	case MODEL_LONG:
		switch (fuzz_below(4)) {
		case 0:
			return json_object_new_int64(s->has_min ? s->min : 0);
		case 1:
			return json_object_new_int64(s->has_max ? s->max + 1
			                                        : -1);
		case 2:
			return json_object_new_uint64(fuzz_next());
		default:
			return json_object_new_int64((int64_t)fuzz_below(3000) -
			                             1000);
		}
	case MODEL_BOOLEAN:
		return json_object_new_boolean(fuzz_below(2));
	default:
		return fuzz_string();
	}
}

static void
test_never_crashes_on_random_input(void **state)
{
	const struct model_op *op;
	struct json_object *in;
	struct ecr_error err;
	int i, rc, n_errors = 0;

	for (i = 0; i < 5000; i++) {
		op = &model_ops[fuzz_below(model_n_ops)];
		in = fuzz_value(op->input, 0);
		rc = run(*state, op->name, in, &err);
		assert_true(memchr(err.message, '\0', sizeof err.message) !=
		            NULL);
		if (rc != 0) {
			n_errors++;
			assert_true(err.message[0] != '\0');
			if (err.code == ERR_VALIDATION)
				assert_true(err.message[0] >= '1' &&
				            err.message[0] <= '9');
		}
		json_object_put(in);
	}
	/* The generator must reach both outcomes to be worth running. */
	assert_true(n_errors > 100 && n_errors < 4900);
}

/* Every pattern the model has compiles with PCRE2 as the model writes it. */
static void
test_every_model_pattern_compiles(void **state)
{
	struct pattern *p;
	char *cause = NULL;
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < model_n_shapes; i++) {
		if (model_shapes[i]->pattern == NULL)
			continue;
		p = pattern_new(model_shapes[i]->pattern, &cause);
		if (p == NULL)
			fail_msg("%s: %s", model_shapes[i]->name, cause);
		pattern_free(p);
		n++;
	}
	assert_true(n >= 15);
}

static const char *
model_pattern(const char *shape)
{
	size_t i;

	for (i = 0; i < model_n_shapes; i++) {
		if (strcmp(model_shapes[i]->name, shape) == 0) {
			assert_non_null(model_shapes[i]->pattern);
			return model_shapes[i]->pattern;
		}
	}
	fail_msg("no shape %s", shape);
	return NULL;
}

/*
 * Whole-value matches as Java's String.matches gives them, for what the
 * old POSIX translation had to treat specially: '-' after a range, escapes
 * in brackets, \w \S, (?:...), top-level '|', ^ and $ inside, counted
 * repeats. A shape's model pattern, or ECR's own regex (ImageTag,
 * ImageDigest).
 */
static void
test_patterns_match_as_java_does(void **state)
{
	static const struct {
		const char *shape; /* or NULL: regex */
		const char *regex;
		const char *value;
		bool want;
	} cases[] = {
	    {"LayerDigest", NULL, "sha256:0aF9", true},
	    {"LayerDigest", NULL, "a-_+.:0", true}, /* 9-_ */
	    {"LayerDigest", NULL, "a/b:00", false},
	    {"LayerDigest", NULL, "sha256:xyz", false},
	    {"LayerDigest", NULL, "sha256:", false},
	    {NULL, "[a-zA-Z0-9-_.]+", "v1.0_rc-1", true},
	    {NULL, "[a-zA-Z0-9-_.]+", "v1:0", false},
	    {NULL, "[a-zA-Z0-9-_.]+", "", false},
	    {"RegistryId", NULL, "123456789012", true},
	    {"RegistryId", NULL, "12345678901", false},
	    {"RegistryId", NULL, "1234567890123", false},
	    {"RegistryId", NULL, "123456789012\n", false},
	    {"UploadId", NULL, "0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0B", true},
	    {"UploadId", NULL, "0f1e2d3c4b5a-4978-8a6b-5c4d3e2f1a0b", false},
	    {"Region", NULL, "us-east-1", true},
	    {"Region", NULL, "u", false},
	    {"Region", NULL, "US", false},
	    {"RepositoryName", NULL, "team/app-1.x__y", true},
	    {"RepositoryName", NULL, "a___b", false},
	    {"RepositoryName", NULL, "a/", false},
	    {"RepositoryName", NULL, "Bad", false},
	    {"Base64", NULL, "QUJD+/==", true},
	    {"Base64", NULL, "\xc3\xa9", true}, /* bytes, not space */
	    {"Base64", NULL, "ab c", false},
	    {"Base64", NULL, "ab\vc", false}, /* Java's \s has VT */
	    {"Base64", NULL, "abc\n", false}, /* $ is the end */
	    {"Base64", NULL, "", false},
	    {"KmsKeyForRepositoryCreationTemplate", NULL, "", true},
	    {"KmsKeyForRepositoryCreationTemplate", NULL,
	        "arn:aws:kms:us-east-1:123456789012:key/ab-12", true},
	    {"KmsKeyForRepositoryCreationTemplate", NULL,
	        "arn:aws:kms:us-east-1:123456789012:key/ab-12\n", false},
	    {"KmsKeyForRepositoryCreationTemplate", NULL, "\n", false},
	    {"KmsKeyForRepositoryCreationTemplate", NULL, "x", false},
	    {"Prefix", NULL, "ROOT", true},
	    {"Prefix", NULL, "team/app/", true},
	    {"Prefix", NULL, "a--b/c", true},
	    {"Prefix", NULL, "team//app", false},
	    {"Prefix", NULL, "ROOT/x", false},
	    {"ScanningRepositoryFilterValue", NULL, "a-b/c*", true},
	    {"ScanningRepositoryFilterValue", NULL, "a\\b", false},
	    {"ScanningRepositoryFilterValue", NULL, "a..b", false},
	    {"ScanningRepositoryFilterValue", NULL, "-a", false},
	    {"SigningRepositoryFilterValue", NULL, "team/*", true},
	    {"SigningRepositoryFilterValue", NULL, "team/", false},
	    {"RepositoryFilterValue", NULL, "a/", true},
	    {"RepositoryFilterValue", NULL, "", true},
	    {"RepositoryFilterValue", NULL, "/a", false},
	    {"ImageTagMutabilityExclusionFilterValue", NULL, "v1.*-_X", true},
	    {"ImageTagMutabilityExclusionFilterValue", NULL, "v 1", false},
	    {"PrincipalArn", NULL,
	        "arn:aws:iam::123456789012:role/my_role+=,.@-x", true},
	    {"PrincipalArn", NULL,
	        "arn:aws-cn:iam::123456789012:user/path/name", true},
	    {"PrincipalArn", NULL, "arn:aws:iam::123456789012:group/x", false},
	    {"PrincipalArn", NULL, "arn:aws:iam::123456789012:role/r\xc3\xa9",
	        false},
	    {"PrincipalArn", NULL, "arn:aws:iam::123456789012:role/a b", false},
	    {"SigningProfileArn", NULL,
	        "arn:aws:signer:us-east-1:"
	        "123456789012:/signing-profiles/ab_1",
	        true},
	    {"SigningProfileArn", NULL,
	        "arn:aws:signer:us-east-1:"
	        "123456789012:/signing-profiles/a",
	        false},
	    {"CredentialArn", NULL,
	        "arn:aws-us_gov:secretsmanager:"
	        "us-east-1:123456789012:secret:ecr-pullthroughcache/"
	        "a/b_c+d=e.f@g-h",
	        true},
	    {"CredentialArn", NULL,
	        "arn:aws:secretsmanager:us_east_1:"
	        "123456789012:secret:ecr-pullthroughcache/x",
	        false},
	    {"CredentialArn", NULL,
	        "arn:aws:secretsmanager:us-east-1:"
	        "123456789012:secret:ecr-pullthroughcache/x y",
	        false},
	};
	struct matcher *m = matcher_new();
	struct pattern *p;
	const char *re;
	char *cause = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		re = cases[i].shape != NULL ? model_pattern(cases[i].shape)
		                            : cases[i].regex;
		if ((p = pattern_new(re, &cause)) == NULL)
			fail_msg("%s: %s", re, cause);
		if (pattern_matches(p, m, cases[i].value,
		        strlen(cases[i].value)) != cases[i].want)
			fail_msg("case %zu: %s against '%s': want %s", i, re,
			    cases[i].value, cases[i].want ? "match" : "none");
		pattern_free(p);
	}
	matcher_free(m);
}

/*
 * The longest valid values of the patterns that backtrack most match
 * within the matcher's step limit; a mismatch that would backtrack
 * exponentially stops at the limit as a mismatch, and the validator
 * reports it as any other.
 */
static void
test_patterns_bound_their_backtracking(void **state)
{
	static const struct {
		const char *shape;
		const char *head, *unit;
		size_t n;
		bool want;
	} cases[] = {
	    {"RepositoryName", "a", "/a", 127, true},
	    {"RepositoryName", "a", "/a-a", 63, true},
	    {"RepositoryFilterValue", "a", ".", 255, true},
	    {"SigningRepositoryFilterValue", "a", ".a", 127, true},
	    {"ScanningRepositoryFilterValue", "a", ".a", 127, true},
	    {"Prefix", "a", "/a.a", 63, true},
	    {"PrincipalArn", "arn:aws:iam::123456789012:role/a", "/a", 84,
	        true},
	    {"Base64", "", "a", 8192, true},
	    {"ScanningRepositoryFilterValue", "", "a", 250, false},
	};
	struct matcher *m = matcher_new();
	struct pattern *p;
	struct vcase c;
	char *units, *value, *cause = NULL;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		units = repeat(cases[i].unit, cases[i].n);
		value = xasprintf("%s%s%s", cases[i].head, units,
		    cases[i].want ? "" : "!");
		p = pattern_new(model_pattern(cases[i].shape), &cause);
		assert_non_null(p);
		if (pattern_matches(p, m, value, strlen(value)) !=
		    cases[i].want)
			fail_msg("%s: %zu bytes: want %s", cases[i].shape,
			    strlen(value), cases[i].want ? "match" : "none");
		pattern_free(p);
		free(units);
		free(value);
	}
	matcher_free(m);
	units = repeat("a", 250);
	c = (struct vcase){"exponential mismatch",
	    "PutRegistryScanningConfiguration",
	    xasprintf("{\"scanType\": "
	              "\"BASIC\", \"rules\": [{\"scanFrequency\": "
	              "\"SCAN_ON_PUSH\", "
	              "\"repositoryFilters\": [{\"filter\": \"%s!\", "
	              "\"filterType\": \"WILDCARD\"}]}]}",
	        units),
	    ERR_VALIDATION,
	    xasprintf(
	        "1 validation error detected: Value '%s!' at "
	        "'rules.1.member.repositoryFilters.1.member.filter' failed to "
	        "satisfy constraint: Member must satisfy regular expression "
	        "pattern: %s",
	        units, model_pattern("ScanningRepositoryFilterValue"))};
	run_cases(*state, &c, 1);
	free((char *)c.message);
	free((char *)c.body);
	free(units);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_model_has_58_sorted_operations),
	    cmocka_unit_test(test_model_shapes_are_sorted_and_complete),
	    cmocka_unit_test(test_validator_free_accepts_null),
	    cmocka_unit_test(test_accepts_valid_requests),
	    cmocka_unit_test(test_measures_length_in_characters),
	    cmocka_unit_test(test_streamed_blob_counts_its_decoded_length),
	    cmocka_unit_test(test_rejects_constraints_with_ecr_wording),
	    cmocka_unit_test(test_rejects_missing_required_members),
	    cmocka_unit_test(test_rejects_wrong_types_as_serialization),
	    cmocka_unit_test(test_tag_limits_use_tag_exceptions),
	    cmocka_unit_test(
	        test_new_operations_use_coral_validation_exception),
	    cmocka_unit_test(test_long_values_are_cut_short),
	    cmocka_unit_test(test_overlong_values_fail_their_pattern),
	    cmocka_unit_test(test_rejects_a_body_that_is_not_an_object),
	    cmocka_unit_test(test_never_crashes_on_random_input),
	    cmocka_unit_test(test_every_model_pattern_compiles),
	    cmocka_unit_test(test_patterns_match_as_java_does),
	    cmocka_unit_test(test_patterns_bound_their_backtracking),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
