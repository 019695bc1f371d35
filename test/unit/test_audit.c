/*
 * Unit tests for CloudTrail records (api/audit.c): userIdentity for each
 * kind of principal, requestParameters without blobs, errorCode and
 * errorMessage, responseElements for writes alone (with Java-style
 * times), readOnly by name, and the lifecycle's service event.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/api_int.h"
#include "api/audit.h"
#include "common/json.h"
#include "common/str.h"

#define T0 1768471200000LL /* 2026-01-15T10:00:00Z */

struct fixture {
	struct core_ctx ctx;
	struct call call;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	f->ctx.cfg.default_account = "123456789012";
	f->ctx.cfg.default_region = "us-east-1";
	f->call.ctx = &f->ctx;
	f->call.now_ms = T0;
	str_copy(f->call.request_id, sizeof f->call.request_id, "req-1");
	str_copy(f->call.source_ip, sizeof f->call.source_ip, "127.0.0.1");
	str_copy(f->call.id.region, sizeof f->call.id.region, "eu-west-1");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	json_object_put(f->call.in);
	json_object_put(f->call.out);
	free(f);
	return 0;
}

static void
who(struct fixture *f, const char *arn, const char *key)
{
	str_copy(f->call.id.principal_arn, sizeof f->call.id.principal_arn,
	    arn);
	str_copy(f->call.id.access_key, sizeof f->call.id.access_key, key);
	str_copy(f->call.id.account, sizeof f->call.id.account,
	    arn[0] != '\0' ? arn + strlen("arn:aws:iam::") : "");
}

/* The record of f's call named name, parsed. */
static struct json_object *
record(struct fixture *f, const char *name)
{
	struct api_audit_in in = {.fallback = name, .user_agent = "ua/1"};
	struct json_object *o = NULL;
	char *text;
	size_t len;

	text = api_audit_call(&f->call, &in, &len);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	assert_null(strchr(text, '\n'));
	assert_int_equal(jparse_strict(text, len, &o, NULL), JPARSE_OK);
	free(text);
	return o;
}

static const char *
str_at(struct json_object *o, const char *a, const char *b)
{
	if (b != NULL)
		o = jget(o, a, json_type_object), a = b;
	return jget_str(o, a);
}

static void
test_audit_root_and_fields(void **state)
{
	struct fixture *f = *state;
	struct json_object *r;

	who(f, "arn:aws:iam::123456789012:root", "AKIDROOT");
	r = record(f, "DescribeRepositories");
	assert_string_equal(str_at(r, "eventVersion", NULL), "1.11");
	assert_string_equal(str_at(r, "userIdentity", "type"), "Root");
	assert_string_equal(str_at(r, "userIdentity", "principalId"),
	    "123456789012");
	assert_string_equal(str_at(r, "userIdentity", "accessKeyId"),
	    "AKIDROOT");
	assert_string_equal(str_at(r, "eventTime", NULL),
	    "2026-01-15T10:00:00Z");
	assert_string_equal(str_at(r, "eventSource", NULL),
	    "ecr.amazonaws.com");
	assert_string_equal(str_at(r, "eventName", NULL),
	    "DescribeRepositories");
	assert_string_equal(str_at(r, "awsRegion", NULL), "eu-west-1");
	assert_string_equal(str_at(r, "sourceIPAddress", NULL), "127.0.0.1");
	assert_string_equal(str_at(r, "userAgent", NULL), "ua/1");
	assert_string_equal(str_at(r, "requestID", NULL), "req-1");
	assert_int_equal(strlen(str_at(r, "eventID", NULL)), 36);
	assert_true(json_object_get_boolean(jget(r, "readOnly",
	    json_type_boolean)));
	assert_string_equal(str_at(r, "eventType", NULL), "AwsApiCall");
	assert_string_equal(str_at(r, "eventCategory", NULL), "Management");
	assert_string_equal(str_at(r, "recipientAccountId", NULL),
	    "123456789012");
	assert_null(jget(r, "errorCode", json_type_string));
	/* No input: null, as CloudTrail writes a call without parameters. */
	assert_true(json_object_object_get_ex(r, "requestParameters", NULL));
	assert_null(json_object_object_get(r, "requestParameters"));
	assert_null(json_object_object_get(r, "responseElements"));
	json_object_put(r);
}

static void
test_audit_iam_user(void **state)
{
	struct fixture *f = *state;
	struct json_object *r, *r2;

	who(f, "arn:aws:iam::111122223333:user/team/alice", "AKIAALICE");
	r = record(f, "CreateRepository");
	assert_string_equal(str_at(r, "userIdentity", "type"), "IAMUser");
	assert_string_equal(str_at(r, "userIdentity", "userName"), "alice");
	assert_string_equal(str_at(r, "userIdentity", "accountId"),
	    "111122223333");
	assert_string_equal(str_at(r, "userIdentity", "arn"),
	    "arn:aws:iam::111122223333:user/team/alice");
	assert_int_equal(strncmp(str_at(r, "userIdentity", "principalId"),
	                     "AIDA", 4),
	    0);
	assert_int_equal(strlen(str_at(r, "userIdentity", "principalId")), 21);
	/* The same principal, the same id. */
	r2 = record(f, "CreateRepository");
	assert_string_equal(str_at(r, "userIdentity", "principalId"),
	    str_at(r2, "userIdentity", "principalId"));
	assert_string_not_equal(str_at(r, "eventID", NULL),
	    str_at(r2, "eventID", NULL));
	assert_false(json_object_get_boolean(jget(r, "readOnly",
	    json_type_boolean)));
	json_object_put(r);
	json_object_put(r2);
}

static void
assert_role(struct json_object *r, const char *arn, const char *session,
    const char *issuer)
{
	struct json_object *u = jget(r, "userIdentity", json_type_object);
	struct json_object *sc = jget(u, "sessionContext", json_type_object);
	struct json_object *iss = jget(sc, "sessionIssuer", json_type_object);
	const char *pid = jget_str(u, "principalId");

	assert_string_equal(jget_str(u, "type"), "AssumedRole");
	assert_string_equal(jget_str(u, "arn"), arn);
	assert_int_equal(strncmp(pid, "AROA", 4), 0);
	assert_string_equal(strchr(pid, ':') + 1, session);
	assert_string_equal(jget_str(iss, "type"), "Role");
	assert_string_equal(jget_str(iss, "arn"), issuer);
	assert_string_equal(jget_str(iss, "userName"), "builder");
	assert_string_equal(jget_str(iss, "accountId"), "333333333333");
	assert_int_equal(strncmp(jget_str(iss, "principalId"), pid,
	                     strlen(jget_str(iss, "principalId"))),
	    0);
	assert_string_equal(str_at(jget(sc, "attributes", json_type_object),
	                        "mfaAuthenticated", NULL),
	    "false");
}

static void
test_audit_assumed_role(void **state)
{
	struct fixture *f = *state;
	struct json_object *r;

	who(f, "arn:aws:sts::333333333333:assumed-role/builder/ci-run",
	    "ASIACAROL");
	r = record(f, "PutImage");
	assert_role(r, "arn:aws:sts::333333333333:assumed-role/builder/ci-run",
	    "ci-run", "arn:aws:iam::333333333333:role/builder");
	json_object_put(r);
	/* A credentials file may name the role itself. */
	who(f, "arn:aws:iam::333333333333:role/path/builder", "AKIAROLE");
	r = record(f, "PutImage");
	assert_role(r, "arn:aws:sts::333333333333:assumed-role/builder/ecrd",
	    "ecrd", "arn:aws:iam::333333333333:role/path/builder");
	json_object_put(r);
}

static void
test_audit_anonymous(void **state)
{
	struct fixture *f = *state;
	struct json_object *r;

	who(f, "", "");
	f->call.err.code = ERR_UNRECOGNIZED_CLIENT;
	str_copy(f->call.err.message, sizeof f->call.err.message, "bad key");
	r = record(f, "ListImages");
	assert_string_equal(str_at(r, "userIdentity", "type"), "AWSAccount");
	assert_string_equal(str_at(r, "userIdentity", "accountId"),
	    "ANONYMOUS_PRINCIPAL");
	assert_string_equal(str_at(r, "errorCode", NULL),
	    "UnrecognizedClientException");
	assert_string_equal(str_at(r, "errorMessage", NULL), "bad key");
	/* The registry is the default one when the caller is unknown. */
	assert_string_equal(str_at(r, "recipientAccountId", NULL),
	    "123456789012");
	json_object_put(r);
}

static void
test_audit_params_without_blob(void **state)
{
	struct fixture *f = *state;
	struct json_object *r, *p;

	who(f, "arn:aws:iam::123456789012:root", "AKID");
	str_copy(f->call.registry_id, sizeof f->call.registry_id,
	    "123456789012");
	f->call.in =
	    json_tokener_parse("{\"repositoryName\":\"team/"
	                       "app\",\"uploadId\":\"u1\","
	                       "\"partFirstByte\":0,\"partLastByte\":3,"
	                       "\"layerPartBlob\":\"AAAA\"}");
	f->call.out =
	    json_tokener_parse("{\"uploadId\":\"u1\",\"lastByteReceived\":3,"
	                       "\"createdAt\":1768471200.5,\"nested\":[{"
	                       "\"pushedAt\":"
	                       "1768510800}],\"count\":5}");
	r = record(f, "UploadLayerPart");
	p = jget(r, "requestParameters", json_type_object);
	assert_non_null(p);
	assert_int_equal(json_object_object_length(p), 4);
	assert_null(json_object_object_get(p, "layerPartBlob"));
	assert_string_equal(jget_str(p, "uploadId"), "u1");
	/* Writes record their answer, times written the Java way. */
	p = jget(r, "responseElements", json_type_object);
	assert_string_equal(jget_str(p, "createdAt"),
	    "Jan 15, 2026, 10:00:00 AM");
	assert_string_equal(jget_str(json_object_array_get_idx(
	                                 jget(p, "nested", json_type_array), 0),
	                        "pushedAt"),
	    "Jan 15, 2026, 9:00:00 PM");
	assert_int_equal(json_object_get_int(jget(p, "count", json_type_int)),
	    5);
	assert_string_equal(jget_str(json_object_array_get_idx(
	                                 jget(r, "resources", json_type_array),
	                                 0),
	                        "ARN"),
	    "arn:aws:ecr:eu-west-1:123456789012:repository/team/app");
	json_object_put(r);
	/* A failed write records none. */
	f->call.err.code = ERR_UPLOAD_NOT_FOUND;
	r = record(f, "UploadLayerPart");
	assert_null(json_object_object_get(r, "responseElements"));
	assert_string_equal(str_at(r, "errorCode", NULL),
	    "UploadNotFoundException");
	json_object_put(r);
}

static void
test_audit_read_only_names(void **state)
{
	(void)state;
	assert_true(api_audit_is_read_only("BatchGetImage"));
	assert_true(api_audit_is_read_only("BatchCheckLayerAvailability"));
	assert_true(api_audit_is_read_only("GetAuthorizationToken"));
	assert_true(api_audit_is_read_only("GetDownloadUrlForLayer"));
	assert_true(api_audit_is_read_only("DescribeImages"));
	assert_true(api_audit_is_read_only("ListImages"));
	assert_true(api_audit_is_read_only("ValidatePullThroughCacheRule"));
	assert_false(api_audit_is_read_only("BatchDeleteImage"));
	assert_false(api_audit_is_read_only("PutImage"));
	assert_false(api_audit_is_read_only("InitiateLayerUpload"));
	assert_false(api_audit_is_read_only("StartImageScan"));
	assert_false(api_audit_is_read_only("SetRepositoryPolicy"));
}

static void
test_audit_service_event(void **state)
{
	struct json_object *r = NULL, *d = jnew_obj();
	char *text;
	size_t len;

	(void)state;
	jadd_str(d, "repositoryName", "app");
	text = api_audit_service_event("PolicyExecutionEvent", "111122223333",
	    "us-west-2", T0, d, &len);
	assert_int_equal(jparse_strict(text, len, &r, NULL), JPARSE_OK);
	free(text);
	assert_string_equal(str_at(r, "eventType", NULL), "AwsServiceEvent");
	assert_string_equal(str_at(r, "eventName", NULL),
	    "PolicyExecutionEvent");
	assert_string_equal(str_at(r, "userIdentity", "invokedBy"),
	    "AWS Internal");
	assert_string_equal(str_at(r, "userIdentity", "accountId"),
	    "111122223333");
	assert_string_equal(str_at(r, "sourceIPAddress", NULL), "AWS Internal");
	assert_string_equal(str_at(r, "userAgent", NULL), "AWS Internal");
	assert_string_equal(str_at(r, "awsRegion", NULL), "us-west-2");
	assert_string_equal(str_at(r, "serviceEventDetails", "repositoryName"),
	    "app");
	assert_true(json_object_get_boolean(jget(r, "readOnly",
	    json_type_boolean)));
	assert_true(json_object_object_get_ex(r, "requestParameters", NULL));
	assert_null(json_object_object_get(r, "requestParameters"));
	json_object_put(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_audit_root_and_fields, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(test_audit_iam_user, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(test_audit_assumed_role, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(test_audit_anonymous, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(test_audit_params_without_blob,
	        setup, teardown),
	    cmocka_unit_test(test_audit_read_only_names),
	    cmocka_unit_test(test_audit_service_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
