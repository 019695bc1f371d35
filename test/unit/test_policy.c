/*
 * Unit tests for policy/ (IAM part): which documents parse and why others
 * are refused, how statements, principals and conditions evaluate, AWS's
 * identity/resource combination, and ECR's Jackson re-serialisation. Policy
 * texts in the tables use ' for " to stay readable; dq() swaps them back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "common/xalloc.h"
#include "policy/policy.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define R POLICY_RESOURCE
#define I POLICY_IDENTITY
#define ALLOW POLICY_ALLOW
#define DENY POLICY_DENY
#define NONE POLICY_NO_MATCH

#define ACCT_A "111111111111"
#define ACCT_B "222222222222"
#define ALICE "arn:aws:iam::111111111111:user/ci/alice"
#define BOB "arn:aws:iam::111111111111:user/bob"
#define SESSION "arn:aws:sts::222222222222:assumed-role/deployer/s1"
#define REPO "arn:aws:ecr:us-east-1:111111111111:repository/team-a/web"
#define T_2026_06_01 INT64_C(1780315200000) /* 2026-06-01T12:00:00Z */
#define T_2025_12_31 INT64_C(1767225599000) /* 2025-12-31T23:59:59Z */

/* s with every ' turned into "; the caller frees. */
static char *
dq(const char *s)
{
	char *t = xstrdup(s), *p;

	for (p = t; *p != '\0'; p++) {
		if (*p == '\'')
			*p = '"';
	}
	return t;
}

static struct policy *
must_parse(const char *text, unsigned flags)
{
	struct policy *p = NULL;
	char *cause = NULL, *t = dq(text);

	if (policy_parse(t, strlen(t), flags, &p, &cause) != 0)
		fail_msg("refused: %s\n  %s", cause, t);
	assert_null(cause);
	free(t);
	return p;
}

static const char *
effect_name(enum policy_effect e)
{
	return e == ALLOW ? "ALLOW" : e == DENY ? "DENY" : "NO_MATCH";
}

/* Request profiles for the condition tables. */
enum profile {
	P_USER, /* alice in A: IPv4, TLS, tags, 2026-06-01 */
	P_ROLE, /* a B session: IPv6, no TLS, no username */
	P_BARE, /* alice, but nothing optional in the request */
};

static const struct policy_kv user_request_tags[] = {
    {"team", "ci"}, {"Env", "Prod"}};
static const char *const user_tag_keys[] = {"team", "Env"};
static const struct policy_kv user_resource_tags[] = {
    {"owner", "alice"}, {"stage", "3"}, {"expires", "2026-03-01T00:00:00Z"}};
static const char *const role_tag_keys[] = {"team", "cost"};
static const struct policy_kv role_resource_tags[] = {{"owner", "bob"}};

static void
make_request(enum profile p, struct policy_request *req)
{
	memset(req, 0, sizeof *req);
	req->action = "ecr:BatchGetImage";
	req->resource = REPO;
	req->principal_arn = ALICE;
	req->principal_account = ACCT_A;
	switch (p) {
	case P_USER:
		req->username = "alice";
		req->source_ip = "10.1.2.3";
		req->secure_transport = true;
		req->now_ms = T_2026_06_01;
		req->request_tags = user_request_tags;
		req->n_request_tags = N(user_request_tags);
		req->tag_keys = user_tag_keys;
		req->n_tag_keys = N(user_tag_keys);
		req->resource_tags = user_resource_tags;
		req->n_resource_tags = N(user_resource_tags);
		break;
	case P_ROLE:
		req->principal_arn = SESSION;
		req->principal_account = ACCT_B;
		req->source_ip = "2001:db8::1";
		req->now_ms = T_2025_12_31;
		req->tag_keys = role_tag_keys;
		req->n_tag_keys = N(role_tag_keys);
		req->resource_tags = role_resource_tags;
		req->n_resource_tags = N(role_resource_tags);
		break;
	case P_BARE:
		break;
	}
}

static void
test_policy_parse_accepts_valid_documents(void **state)
{
	static const struct {
		unsigned flags;
		const char *text;
	} cases[] = {
	    /* The docs/ecr-behaviour.md 3.5 example; 2008-10-17 is allowed. */
	    {R, "{'Version':'2008-10-17','Statement':[{'Sid':'x',"
	        "'Effect':'Allow','Principal':'*',"
	        "'Action':['ecr:BatchGetImage']}]}"},
	    /* Statement may be a single object. */
	    {R, "{'Version':'2012-10-17','Statement':{'Effect':'Deny',"
	        "'Principal':'*','Action':'ecr:*'}}"},
	    /* Duplicate Sids are allowed (moto tests reflecting AWS). */
	    {R, "{'Version':'2012-10-17','Statement':[{'Sid':'a',"
	        "'Effect':'Allow','Principal':'*','Action':'ecr:*'},"
	        "{'Sid':'a','Effect':'Deny','Principal':'*',"
	        "'Action':'ecr:Delete*'}]}"},
	    {R, "{'Version':'2012-10-17','Statement':[{'Effect':'Allow',"
	        "'Principal':{'AWS':'123456789012'},'Action':'ecr:*'}]}"},
	    {R, "{'Version':'2012-10-17','Statement':[{'Effect':'Allow',"
	        "'Principal':{'AWS':['arn:aws:iam::123456789012:root',"
	        "'arn:aws:iam::123456789012:user/path/to/bob',"
	        "'arn:aws:iam::123456789012:role/ci',"
	        "'arn:aws:iam::123456789012:role/svc/Builder',"
	        "'arn:aws:sts::123456789012:assumed-role/ci/sess@x.y'"
	        "]},'Action':'ecr:*'}]}"},
	    {R, "{'Version':'2012-10-17','Statement':[{'Effect':'Allow',"
	        "'Principal':{'Service':'codebuild.amazonaws.com'},"
	        "'Action':'ecr:BatchGetImage'}]}"},
	    {R, "{'Version':'2012-10-17','Statement':[{'Effect':'Deny',"
	        "'NotPrincipal':{'AWS':'arn:aws:iam::1234567890"
	        "12:user/admin'},'Action':'ecr:*'}]}"},
	    {R, "{'Version':'2012-10-17','Statement':[{'Effect':'Allow',"
	        "'Principal':{'AWS':'*','Service':'x.amazonaws.com'},"
	        "'NotAction':['ecr:Delete*','ecr:Put*'],'Resource':'*'}]}"},
	    {R, "{'Id':'policy-1','Version':'2012-10-17','Statement':"
	        "[{'Effect':'Allow','Principal':{'AWS':'arn:aws-cn:iam::"
	        "123456789012:root'},'Action':'*'}]}"},
	    {R, "{'Version':'2012-10-17','Statement':[{'Effect':'Allow',"
	        "'Principal':'*','Action':'ecr:*','Resource':"
	        "['arn:aws:ecr:*:123456789012:repository/a/*',"
	        "'arn:aws:ecr:us-east-1:123456789012:repository/b']}]}"},
	    /* Identity policies may leave Version out. */
	    {I, "{'Statement':[{'Effect':'Allow','Action':'ecr:*',"
	        "'Resource':'*'}]}"},
	    {I, "{'Version':'2012-10-17','Statement':{'Effect':'Deny',"
	        "'Action':'ecr:Delete*','NotResource':['arn:aws:ecr:*:*:"
	        "repository/tmp/*','arn:aws:ecr:*:*:repository/scratch']}}"},
	    {R, "{'Version':'2012-10-17','Statement':[{'Effect':'Allow',"
	        "'Principal':'*','Action':'ecr:*','Condition':{}}]}"},
	    {R, "{'Version':'2012-10-17','Statement':[{'Effect':'Allow',"
	        "'Principal':'*','Action':'ecr:*','Condition':{"
	        "'StringEquals':{'aws:PrincipalAccount':['1','2'],"
	        "'aws:username':'u'},'StringNotLike':{'aws:PrincipalArn':"
	        "'*:root'},'ArnLike':{'aws:PrincipalArn':'arn:aws:iam::*:*'},"
	        "'NumericLessThanEquals':{'ecr:ResourceTag/n':[1,2.5,'-3']},"
	        "'DateGreaterThan':{'aws:CurrentTime':'2026-01-01T00:00:00Z'},"
	        "'DateLessThan':{'aws:EpochTime':1767225600},"
	        "'Bool':{'aws:SecureTransport':true},"
	        "'Null':{'aws:RequestTag/x':'false'},"
	        "'IpAddress':{'aws:SourceIp':['10.0.0.0/8','::1',"
	        "'2001:db8::/32']},"
	        "'NotIpAddressIfExists':{'aws:SourceIp':'192.0.2.1/32'},"
	        "'ForAllValues:StringLike':{'aws:TagKeys':['a*','b?']},"
	        "'ForAnyValue:StringEqualsIgnoreCase':{'aws:TagKeys':'x'},"
	        "'BinaryEquals':{'k:b':'QmluYXJ5'}}}]}"},
	    /* Operator and key names are case-insensitive. */
	    {R, "{'Version':'2012-10-17','Statement':[{'Effect':'Allow',"
	        "'Principal':'*','Action':'ecr:*','Condition':{"
	        "'stringequalsifexists':{'AWS:USERNAME':'u'},"
	        "'forallvalues:stringequals':{'aws:tagkeys':'t'}}}]}"},
	    /* Unknown condition keys are allowed and evaluate as absent. */
	    {R, "{'Version':'2012-10-17','Statement':[{'Effect':'Allow',"
	        "'Principal':'*','Action':'ecr:*','Condition':{"
	        "'StringEquals':{'ecr:foo':'bar'}}}]}"},
	    {R, "{'Version':'2012-10-17','Statement':[{'Effect':'Allow',"
	        "'Principal':'*','Action':'ecr:*','Condition':{"
	        "'DateEquals':{'aws:CurrentTime':['2026-01-01',"
	        "'2026-01-01T10:00Z','2026-01-01T10:00:00.250+02:00',"
	        "'2024-02-29T23:59:59-0130','-86400']}}}]}"},
	    /* Whitespace around the document is fine. */
	    {I, " \n\t{'Statement':{'Effect':'Allow','Action':'*',"
	        "'Resource':'*'}}\r\n "},
	};
	struct policy *p;
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		p = must_parse(cases[i].text, cases[i].flags);
		policy_free(p);
	}
}

static void
test_policy_parse_rejects_with_cause(void **state)
{
	static const struct {
		unsigned flags;
		const char *text;
		int rc;
		const char *cause; /* NULL: any */
	} cases[] = {
	    {R, "", POLICY_SYNTAX, "not valid JSON at offset 0"},
	    {R, "{", POLICY_SYNTAX, "not valid JSON at offset 1"},
	    {R, "{} x", POLICY_SYNTAX, "not valid JSON at offset 3"},
	    {R, "{'Version':'2012-10-17',}", POLICY_SYNTAX, NULL},
	    {R, "{'Version':NaN}", POLICY_SYNTAX, NULL},
	    {R, "[]", POLICY_INVALID, "policy must be a JSON object"},
	    {R,
	        "{'Version':'2012-10-17','Statement':[{'Effect':'Allow',"
	        "'Principal':'*','Action':'*'}],'Foo':1}",
	        POLICY_INVALID, "unknown top-level element 'Foo'"},
	    {R, "{'Version':'2013-01-01','Statement':[]}", POLICY_INVALID,
	        "Version: must be '2012-10-17' or '2008-10-17', not "
	        "'2013-01-01'"},
	    {R, "{'Version':2012,'Statement':[]}", POLICY_INVALID,
	        "Version: must be a string"},
	    {R,
	        "{'Statement':[{'Effect':'Allow','Principal':'*',"
	        "'Action':'*'}]}",
	        POLICY_INVALID, "Version is required"},
	    {R, "{'Version':'2012-10-17'}", POLICY_INVALID,
	        "Statement is required"},
	    {R, "{'Version':'2012-10-17','Statement':[]}", POLICY_INVALID,
	        "Statement: must not be an empty list"},
	    {R, "{'Version':'2012-10-17','Statement':'x'}", POLICY_INVALID,
	        "Statement[0]: must be an object"},
	    {R,
	        "{'Version':'2012-10-17','Statement':{'Effect':'Allow',"
	        "'Principal':'*','Actions':'*'}}",
	        POLICY_INVALID, "Statement[0]: unknown element 'Actions'"},
	    {R,
	        "{'Version':'2012-10-17','Statement':{'Principal':'*',"
	        "'Action':'*'}}",
	        POLICY_INVALID, "Statement[0]: Effect is required"},
	    {R,
	        "{'Version':'2012-10-17','Statement':{'Effect':'allow',"
	        "'Principal':'*','Action':'*'}}",
	        POLICY_INVALID,
	        "Statement[0].Effect: must be 'Allow' or 'Deny', not "
	        "'allow'"},
	    {R,
	        "{'Version':'2012-10-17','Statement':{'Effect':null,"
	        "'Principal':'*','Action':'*'}}",
	        POLICY_INVALID, "Statement[0].Effect: must be a string"},
	    {R,
	        "{'Version':'2012-10-17','Statement':{'Sid':5,"
	        "'Effect':'Allow','Principal':'*','Action':'*'}}",
	        POLICY_INVALID, "Statement[0].Sid: must be a string"},
	    {R,
	        "{'Version':'2012-10-17','Statement':{'Effect':'Allow',"
	        "'Action':'*'}}",
	        POLICY_INVALID,
	        "Statement[0]: Principal or NotPrincipal is required"},
	    {I,
	        "{'Statement':{'Effect':'Allow','Principal':'*',"
	        "'Action':'*','Resource':'*'}}",
	        POLICY_INVALID,
	        "Statement[0]: Principal is not allowed in an identity "
	        "policy"},
	    {R,
	        "{'Version':'2012-10-17','Statement':{'Effect':'Allow',"
	        "'Principal':'*','NotPrincipal':'*','Action':'*'}}",
	        POLICY_INVALID,
	        "Statement[0]: has both Principal and NotPrincipal"},
	    {R,
	        "{'Version':'2012-10-17','Statement':{'Effect':'Allow',"
	        "'Principal':'123456789012','Action':'*'}}",
	        POLICY_INVALID,
	        "Statement[0].Principal: must be '*' or an object, not "
	        "'123456789012'"},
	    {R,
	        "{'Version':'2012-10-17','Statement':{'Effect':'Allow',"
	        "'Principal':{},'Action':'*'}}",
	        POLICY_INVALID,
	        "Statement[0].Principal: must be '*' or a non-empty "
	        "object"},
	    {R,
	        "{'Version':'2012-10-17','Statement':{'Effect':'Allow',"
	        "'Principal':{'AWS':'12345'},'Action':'*'}}",
	        POLICY_INVALID,
	        "Statement[0].Principal.AWS: invalid principal '12345'"},
	    {R,
	        "{'Version':'2012-10-17','Statement':{'Effect':'Allow',"
	        "'Principal':{'AWS':'arn:aws:iam::123456789012:user/*'},"
	        "'Action':'*'}}",
	        POLICY_INVALID,
	        "Statement[0].Principal.AWS: invalid principal "
	        "'arn:aws:iam::123456789012:user/*'"},
	    {R,
	        "{'Version':'2012-10-17','Statement':{'Effect':'Allow',"
	        "'Principal':{'AWS':'arn:aws:iam::123456789012:group/g'},"
	        "'Action':'*'}}",
	        POLICY_INVALID, NULL},
	    {R,
	        "{'Version':'2012-10-17','Statement':{'Effect':'Allow',"
	        "'Principal':{'AWS':'arn:aws:sts::123456789012:assumed-"
	        "role/r'},'Action':'*'}}",
	        POLICY_INVALID, NULL},
	    {R,
	        "{'Version':'2012-10-17','Statement':{'Effect':'Allow',"
	        "'Principal':{'AWS':'arn:aws:iam:us-east-1:123456789012:"
	        "root'},'Action':'*'}}",
	        POLICY_INVALID, NULL},
	    {R,
	        "{'Version':'2012-10-17','Statement':{'Effect':'Allow',"
	        "'Principal':{'AWS':[]},'Action':'*'}}",
	        POLICY_INVALID,
	        "Statement[0].Principal.AWS: must be a string or a "
	        "non-empty list of strings"},
	    {R,
	        "{'Version':'2012-10-17','Statement':{'Effect':'Allow',"
	        "'Principal':{'Users':'x'},'Action':'*'}}",
	        POLICY_INVALID,
	        "Statement[0].Principal.Users: unknown principal type"},
	    {R,
	        "{'Version':'2012-10-17','Statement':{'Effect':'Allow',"
	        "'Principal':'*'}}",
	        POLICY_INVALID,
	        "Statement[0]: Action or NotAction is required"},
	    {R,
	        "{'Version':'2012-10-17','Statement':{'Effect':'Allow',"
	        "'Principal':'*','Action':'*','NotAction':'*'}}",
	        POLICY_INVALID, "Statement[0]: has both Action and NotAction"},
	    {R,
	        "{'Version':'2012-10-17','Statement':{'Effect':'Allow',"
	        "'Principal':'*','Action':[]}}",
	        POLICY_INVALID,
	        "Statement[0].Action: must be a string or a non-empty list "
	        "of strings"},
	    {R,
	        "{'Version':'2012-10-17','Statement':{'Effect':'Allow',"
	        "'Principal':'*','Action':['ecr:Get*',3]}}",
	        POLICY_INVALID, "Statement[0].Action[1]: must be a string"},
	    {R,
	        "{'Version':'2012-10-17','Statement':{'Effect':'Allow',"
	        "'Principal':'*','Action':'ecr'}}",
	        POLICY_INVALID, "Statement[0].Action: invalid action 'ecr'"},
	    {R,
	        "{'Version':'2012-10-17','Statement':{'Effect':'Allow',"
	        "'Principal':'*','NotAction':'ecr:Get Image'}}",
	        POLICY_INVALID,
	        "Statement[0].NotAction: invalid action 'ecr:Get Image'"},
	    {R,
	        "{'Version':'2012-10-17','Statement':{'Effect':'Allow',"
	        "'Principal':'*','Action':'ecr:Get\\u0000'}}",
	        POLICY_INVALID,
	        "Statement[0].Action: contains a NUL "
	        "character 'ecr:Get'"},
	    {I, "{'Statement':{'Effect':'Allow','Action':'ecr:*'}}",
	        POLICY_INVALID,
	        "Statement[0]: Resource or NotResource is required"},
	    {I,
	        "{'Statement':{'Effect':'Allow','Action':'ecr:*',"
	        "'Resource':'repository/x'}}",
	        POLICY_INVALID,
	        "Statement[0].Resource: resource must be '*' or an ARN, "
	        "not 'repository/x'"},
	    {I,
	        "{'Statement':{'Effect':'Allow','Action':'ecr:*',"
	        "'Resource':'*','NotResource':'*'}}",
	        POLICY_INVALID,
	        "Statement[0]: has both Resource and NotResource"},
	    {I,
	        "{'Statement':[{'Effect':'Allow','Action':'*',"
	        "'Resource':'*'},{'Effect':'Deny','Action':'*',"
	        "'Resource':'*','Condition':[]}]}",
	        POLICY_INVALID, "Statement[1].Condition: must be an object"},
	    {I,
	        "{'Statement':{'Effect':'Allow','Action':'*','Resource':"
	        "'*','Condition':{'StringEqualz':{'aws:username':'a'}}}}",
	        POLICY_INVALID,
	        "Statement[0].Condition: unknown operator 'StringEqualz'"},
	    {I,
	        "{'Statement':{'Effect':'Allow','Action':'*','Resource':"
	        "'*','Condition':{'StringEquals':'a'}}}",
	        POLICY_INVALID,
	        "Statement[0].Condition.StringEquals: must be an object"},
	    {I,
	        "{'Statement':{'Effect':'Allow','Action':'*','Resource':"
	        "'*','Condition':{'StringEquals':{'aws:username':[]}}}}",
	        POLICY_INVALID,
	        "Statement[0].Condition.StringEquals."
	        "aws:username: must not be an empty list"},
	    {I,
	        "{'Statement':{'Effect':'Allow','Action':'*','Resource':"
	        "'*','Condition':{'StringEquals':{'aws:username':{}}}}}",
	        POLICY_INVALID,
	        "Statement[0].Condition.StringEquals."
	        "aws:username: values must be strings, numbers or "
	        "booleans"},
	    {I,
	        "{'Statement':{'Effect':'Allow','Action':'*','Resource':"
	        "'*','Condition':{'StringEquals':{'':'a'}}}}",
	        POLICY_INVALID,
	        "Statement[0].Condition.StringEquals: empty condition key"},
	    {I,
	        "{'Statement':{'Effect':'Allow','Action':'*','Resource':"
	        "'*','Condition':{'NumericLessThan':{'k:n':'abc'}}}}",
	        POLICY_INVALID,
	        "Statement[0].Condition.NumericLessThan."
	        "k:n: not a number: 'abc'"},
	    {I,
	        "{'Statement':{'Effect':'Allow','Action':'*','Resource':"
	        "'*','Condition':{'NumericEquals':{'k:n':'0x10'}}}}",
	        POLICY_INVALID, NULL},
	    {I,
	        "{'Statement':{'Effect':'Allow','Action':'*','Resource':"
	        "'*','Condition':{'DateLessThan':{'aws:CurrentTime':"
	        "'2026-13-01'}}}}",
	        POLICY_INVALID,
	        "Statement[0].Condition.DateLessThan.aws:CurrentTime: not "
	        "an ISO 8601 date or epoch seconds: '2026-13-01'"},
	    {I,
	        "{'Statement':{'Effect':'Allow','Action':'*','Resource':"
	        "'*','Condition':{'DateLessThan':{'aws:CurrentTime':"
	        "'2025-02-29'}}}}",
	        POLICY_INVALID, NULL},
	    {I,
	        "{'Statement':{'Effect':'Allow','Action':'*','Resource':"
	        "'*','Condition':{'DateLessThan':{'aws:CurrentTime':"
	        "'2026-01-01T24:00:00Z'}}}}",
	        POLICY_INVALID, NULL},
	    {I,
	        "{'Statement':{'Effect':'Allow','Action':'*','Resource':"
	        "'*','Condition':{'IpAddress':{'aws:SourceIp':"
	        "'10.0.0.0/33'}}}}",
	        POLICY_INVALID,
	        "Statement[0].Condition.IpAddress.aws:SourceIp: not an IP "
	        "address or CIDR block: '10.0.0.0/33'"},
	    {I,
	        "{'Statement':{'Effect':'Allow','Action':'*','Resource':"
	        "'*','Condition':{'IpAddress':{'aws:SourceIp':"
	        "'2001:db8::/129'}}}}",
	        POLICY_INVALID, NULL},
	    {I,
	        "{'Statement':{'Effect':'Allow','Action':'*','Resource':"
	        "'*','Condition':{'NotIpAddress':{'aws:SourceIp':"
	        "'10.0.0'}}}}",
	        POLICY_INVALID, NULL},
	    {I,
	        "{'Statement':{'Effect':'Allow','Action':'*','Resource':"
	        "'*','Condition':{'Bool':{'aws:SecureTransport':'yes'}}}}",
	        POLICY_INVALID,
	        "Statement[0].Condition.Bool."
	        "aws:SecureTransport: must be 'true' or 'false': 'yes'"},
	    {I,
	        "{'Statement':{'Effect':'Allow','Action':'*','Resource':"
	        "'*','Condition':{'NullIfExists':{'aws:username':'true'}}}}",
	        POLICY_INVALID,
	        "Statement[0].Condition: unknown operator 'NullIfExists'"},
	    {I,
	        "{'Statement':{'Effect':'Allow','Action':'*','Resource':"
	        "'*','Condition':{'ForAnyValue:Null':{'aws:TagKeys':"
	        "'true'}}}}",
	        POLICY_INVALID, NULL},
	    {I,
	        "{'Statement':{'Effect':'Allow','Action':'*','Resource':"
	        "'*','Condition':{'ForSomeValues:StringEquals':{'k:k':"
	        "'v'}}}}",
	        POLICY_INVALID, NULL},
	    {I,
	        "{'Statement':{'Effect':'Allow','Action':'*','Resource':"
	        "'*','Condition':{'IfExists':{'k:k':'v'}}}}",
	        POLICY_INVALID, NULL},
	};
	struct policy *p;
	char *cause, *t;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		p = NULL;
		cause = NULL;
		t = dq(cases[i].text);
		rc = policy_parse(t, strlen(t), cases[i].flags, &p, &cause);
		if (rc != cases[i].rc)
			fail_msg("case %zu: rc %d (%s), want %d\n  %s", i, rc,
			    cause, cases[i].rc, t);
		assert_null(p);
		assert_non_null(cause);
		if (cases[i].cause != NULL &&
		    strcmp(cause, cases[i].cause) != 0)
			fail_msg("case %zu: cause\n  %s\nwant\n  %s", i, cause,
			    cases[i].cause);
		free(cause);
		free(t);
	}
}

static void
test_policy_parse_rejects_single_quotes_and_bad_flags(void **state)
{
	static const char ok[] = "{\"Statement\":{\"Effect\":\"Allow\","
	                         "\"Action\":\"*\",\"Resource\":\"*\"}}";
	static const char quoted[] = "{'Statement':{'Effect':'Allow',"
	                             "'Action':'*','Resource':'*'}}";
	struct policy *p = NULL;
	char *cause = NULL;

	(void)state;
	/* json-c's strict mode takes 'single quotes'; JSON does not. */
	assert_int_equal(policy_parse(quoted, strlen(quoted), I, &p, &cause),
	    POLICY_SYNTAX);
	assert_null(p);
	free(cause);
	cause = NULL;
	assert_int_equal(policy_parse(ok, strlen(ok), 0, &p, &cause),
	    POLICY_INVALID);
	free(cause);
	cause = NULL;
	assert_int_equal(policy_parse(ok, strlen(ok), R | I, &p, &cause),
	    POLICY_INVALID);
	free(cause);
	/* A NULL cause is allowed. */
	assert_int_equal(policy_parse(quoted, strlen(quoted), I, &p, NULL),
	    POLICY_SYNTAX);
	/* Only len bytes are read. */
	assert_int_equal(policy_parse(ok, strlen(ok) - 1, I, &p, NULL),
	    POLICY_SYNTAX);
	assert_int_equal(policy_parse(ok, strlen(ok), I, &p, NULL), 0);
	policy_free(p);
	policy_free(NULL);
}

static void
test_policy_parse_refuses_text_over_max(void **state)
{
	char *text, *cause = NULL;
	struct policy *p = NULL;
	size_t len = POLICY_TEXT_MAX + 1;

	(void)state;
	text = xmalloc(len);
	memset(text, ' ', len);
	assert_int_equal(policy_parse(text, len, I, &p, &cause), POLICY_TOOBIG);
	assert_null(p);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	assert_null(policy_format_jackson(text, len, &cause));
	assert_non_null(cause);
	free(cause);
	free(text);
}

struct known {
	size_t calls;
};

static bool
is_known_action(const char *action, void *arg)
{
	static const char *const ops[] = {"ecr:BatchGetImage",
	    "ecr:GetDownloadUrlForLayer", "ecr:SetRepositoryPolicy"};
	struct known *k = arg;
	size_t i;

	k->calls++;
	for (i = 0; i < N(ops); i++) {
		if (strcasecmp(action, ops[i]) == 0)
			return true;
	}
	return false;
}

static void
test_policy_check_actions_refuses_unknown_actions(void **state)
{
	static const struct {
		const char *stmts;
		int rc;
		size_t calls;
		const char *cause;
	} cases[] = {
	    {"{'Effect':'Allow','Action':'ecr:BatchGetImage',"
	     "'Resource':'*'}",
	        0, 1, NULL},
	    {"{'Effect':'Allow','Action':['ecr:batchgetimage',"
	     "'ECR:GETDOWNLOADURLFORLAYER'],'Resource':'*'}",
	        0, 2, NULL},
	    /* Wildcards are accepted without asking. */
	    {"{'Effect':'Allow','Action':['*','ecr:*','ecr:Get*',"
	     "'ecr:?etFoo'],'Resource':'*'}",
	        0, 0, NULL},
	    {"{'Effect':'Allow','Action':['ecr:BatchGetImage',"
	     "'ecr:Foo'],'Resource':'*'}",
	        POLICY_UNKNOWN_ACTION, 2,
	        "Statement[0].Action: unknown action 'ecr:Foo'"},
	    {"{'Effect':'Allow','Action':'ecr:*','Resource':'*'},"
	     "{'Effect':'Deny','NotAction':'ecr:Bar','Resource':'*'}",
	        POLICY_UNKNOWN_ACTION, 1,
	        "Statement[1].NotAction: unknown action 'ecr:Bar'"},
	    {"{'Effect':'Allow','Action':'s3:GetObject','Resource':'*'}",
	        POLICY_UNKNOWN_ACTION, 1,
	        "Statement[0].Action: unknown action 's3:GetObject'"},
	};
	struct known k;
	struct policy *p;
	char *text, *cause;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		text = xasprintf("{'Statement':[%s]}", cases[i].stmts);
		p = must_parse(text, I);
		free(text);
		memset(&k, 0, sizeof k);
		cause = NULL;
		rc = policy_check_actions(p, is_known_action, &k, &cause);
		if (rc != cases[i].rc)
			fail_msg("case %zu: rc %d (%s)", i, rc, cause);
		assert_int_equal(k.calls, cases[i].calls);
		if (cases[i].cause == NULL)
			assert_null(cause);
		else
			assert_string_equal(cause, cases[i].cause);
		free(cause);
		policy_free(p);
	}
}

static void
expect_effect(size_t i, const char *rule, const struct policy *p,
    const struct policy_request *req, enum policy_effect want)
{
	enum policy_effect got = policy_eval(p, req);

	if (got != want)
		fail_msg("case %zu (%s): %s, want %s", i, rule,
		    effect_name(got), effect_name(want));
}

/* Action and Resource matching, Not forms and Deny precedence. */
static void
test_policy_eval_actions_and_resources(void **state)
{
	static const struct {
		const char *rule;
		const char *stmts;
		const char *action, *resource;
		enum policy_effect want;
	} cases[] = {
	    {"action matches exactly",
	        "{'Effect':'Allow','Action':"
	        "'ecr:BatchGetImage','Resource':'*'}",
	        NULL, NULL, ALLOW},
	    {"action names are case-insensitive",
	        "{'Effect':'Allow',"
	        "'Action':'ecr:batchgetimage','Resource':'*'}",
	        NULL, NULL, ALLOW},
	    {"service prefix is case-insensitive",
	        "{'Effect':'Allow',"
	        "'Action':'ECR:BATCHGETIMAGE','Resource':'*'}",
	        NULL, NULL, ALLOW},
	    {"request action case is folded too",
	        "{'Effect':'Allow',"
	        "'Action':'ecr:BatchGetImage','Resource':'*'}",
	        "ECR:batchGETimage", NULL, ALLOW},
	    {"service wildcard",
	        "{'Effect':'Allow','Action':'ecr:*',"
	        "'Resource':'*'}",
	        NULL, NULL, ALLOW},
	    {"prefix wildcard",
	        "{'Effect':'Allow','Action':"
	        "'ecr:Batch*','Resource':'*'}",
	        NULL, NULL, ALLOW},
	    {"prefix wildcard that does not match",
	        "{'Effect':'Allow',"
	        "'Action':'ecr:Get*','Resource':'*'}",
	        NULL, NULL, NONE},
	    {"suffix wildcard",
	        "{'Effect':'Allow','Action':'ecr:*Image',"
	        "'Resource':'*'}",
	        NULL, NULL, ALLOW},
	    {"? matches one character",
	        "{'Effect':'Allow','Action':"
	        "'ecr:BatchGetImag?','Resource':'*'}",
	        NULL, NULL, ALLOW},
	    {"? needs a character",
	        "{'Effect':'Allow','Action':"
	        "'ecr:BatchGetImage?','Resource':'*'}",
	        NULL, NULL, NONE},
	    {"* matches every action",
	        "{'Effect':'Allow','Action':'*',"
	        "'Resource':'*'}",
	        NULL, NULL, ALLOW},
	    {"other service",
	        "{'Effect':'Allow','Action':'s3:*',"
	        "'Resource':'*'}",
	        NULL, NULL, NONE},
	    {"action list is ORed",
	        "{'Effect':'Allow','Action':["
	        "'s3:GetObject','ecr:BatchGetImage'],'Resource':'*'}",
	        NULL, NULL, ALLOW},
	    {"action must match the whole name",
	        "{'Effect':'Allow',"
	        "'Action':'ecr:BatchGet','Resource':'*'}",
	        NULL, NULL, NONE},
	    {"resource matches exactly",
	        "{'Effect':'Allow','Action':"
	        "'ecr:*','Resource':'" REPO "'}",
	        NULL, NULL, ALLOW},
	    {"resource wildcard in the path",
	        "{'Effect':'Allow',"
	        "'Action':'ecr:*','Resource':'arn:aws:ecr:us-east-1:"
	        "111111111111:repository/team-a/*'}",
	        NULL, NULL, ALLOW},
	    {"resource * crosses '/'",
	        "{'Effect':'Allow','Action':"
	        "'ecr:*','Resource':'arn:aws:ecr:us-east-1:111111111111:"
	        "repository/*'}",
	        NULL, NULL, ALLOW},
	    {"resource wildcard in the region",
	        "{'Effect':'Allow',"
	        "'Action':'ecr:*','Resource':'arn:aws:ecr:*:111111111111:"
	        "repository/team-a/web'}",
	        NULL, NULL, ALLOW},
	    {"resource ARNs are case-sensitive",
	        "{'Effect':'Allow',"
	        "'Action':'ecr:*','Resource':'arn:aws:ecr:us-east-1:"
	        "111111111111:repository/Team-A/web'}",
	        NULL, NULL, NONE},
	    {"resource ? matches one character",
	        "{'Effect':'Allow',"
	        "'Action':'ecr:*','Resource':'arn:aws:ecr:us-east-1:"
	        "111111111111:repository/team-a/we?'}",
	        NULL, NULL, ALLOW},
	    {"resource ? matches only one",
	        "{'Effect':'Allow',"
	        "'Action':'ecr:*','Resource':'arn:aws:ecr:us-east-1:"
	        "111111111111:repository/team-a/w?'}",
	        NULL, NULL, NONE},
	    {"resource in another account",
	        "{'Effect':'Allow',"
	        "'Action':'ecr:*','Resource':'arn:aws:ecr:us-east-1:"
	        "222222222222:repository/*'}",
	        NULL, NULL, NONE},
	    {"resource list is ORed",
	        "{'Effect':'Allow','Action':"
	        "'ecr:*','Resource':['arn:aws:ecr:us-east-1:111111111111:"
	        "repository/other','" REPO "']}",
	        NULL, NULL, ALLOW},
	    {"arn:* matches every ARN",
	        "{'Effect':'Allow','Action':"
	        "'ecr:*','Resource':'arn:*'}",
	        NULL, NULL, ALLOW},
	    {"resource must match the whole ARN",
	        "{'Effect':'Allow',"
	        "'Action':'ecr:*','Resource':'" REPO "/'}",
	        NULL, NULL, NONE},
	    {"request on * needs Resource *",
	        "{'Effect':'Allow',"
	        "'Action':'ecr:*','Resource':'arn:aws:ecr:*'}",
	        "ecr:GetAuthorizationToken", "*", NONE},
	    {"Resource * covers a request on *",
	        "{'Effect':'Allow',"
	        "'Action':'ecr:*','Resource':'*'}",
	        "ecr:GetAuthorizationToken", "*", ALLOW},
	    {"NotAction allows what it does not list",
	        "{'Effect':"
	        "'Allow','NotAction':'ecr:Delete*','Resource':'*'}",
	        NULL, NULL, ALLOW},
	    {"NotAction excludes what it lists",
	        "{'Effect':'Allow',"
	        "'NotAction':'ecr:Delete*','Resource':'*'}",
	        "ecr:DeleteRepository", NULL, NONE},
	    {"NotAction list",
	        "{'Effect':'Allow','NotAction':["
	        "'ecr:Batch*','ecr:Get*'],'Resource':'*'}",
	        NULL, NULL, NONE},
	    {"NotResource allows what it does not list",
	        "{'Effect':"
	        "'Allow','Action':'ecr:*','NotResource':'arn:aws:ecr:*:*:"
	        "repository/secret/*'}",
	        NULL, NULL, ALLOW},
	    {"NotResource excludes what it lists",
	        "{'Effect':'Allow',"
	        "'Action':'ecr:*','NotResource':'arn:aws:ecr:*:*:"
	        "repository/team-a/*'}",
	        NULL, NULL, NONE},
	    {"explicit deny beats allow",
	        "{'Effect':'Allow','Action':"
	        "'ecr:*','Resource':'*'},{'Effect':'Deny','Action':"
	        "'ecr:BatchGetImage','Resource':'*'}",
	        NULL, NULL, DENY},
	    {"deny wins whatever the order",
	        "{'Effect':'Deny','Action':"
	        "'ecr:Batch*','Resource':'" REPO "'},{'Effect':'Allow',"
	        "'Action':'*','Resource':'*'}",
	        NULL, NULL, DENY},
	    {"deny with NotAction spares the listed action",
	        "{'Effect':"
	        "'Deny','NotAction':'ecr:BatchGetImage','Resource':'*'},"
	        "{'Effect':'Allow','Action':'ecr:*','Resource':'*'}",
	        NULL, NULL, ALLOW},
	    {"deny with NotAction denies the rest",
	        "{'Effect':'Deny',"
	        "'NotAction':'ecr:BatchGetImage','Resource':'*'},"
	        "{'Effect':'Allow','Action':'ecr:*','Resource':'*'}",
	        "ecr:PutImage", NULL, DENY},
	    {"deny on another resource does not apply",
	        "{'Effect':"
	        "'Deny','Action':'*','Resource':'arn:aws:ecr:*:*:"
	        "repository/secret'},{'Effect':'Allow','Action':'ecr:*',"
	        "'Resource':'*'}",
	        NULL, NULL, ALLOW},
	    {"deny alone is a deny",
	        "{'Effect':'Deny','Action':'*',"
	        "'Resource':'*'}",
	        NULL, NULL, DENY},
	    {"nothing applies: implicit deny",
	        "{'Effect':'Allow',"
	        "'Action':'ecr:PutImage','Resource':'*'},{'Effect':'Deny',"
	        "'Action':'ecr:DeleteRepository','Resource':'*'}",
	        NULL, NULL, NONE},
	    {"two allows",
	        "{'Effect':'Allow','Action':'ecr:*',"
	        "'Resource':'*'},{'Effect':'Allow','Action':'*',"
	        "'Resource':'*'}",
	        NULL, NULL, ALLOW},
	};
	struct policy_request req;
	struct policy *p;
	char *text;
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		text = xasprintf("{'Version':'2012-10-17','Statement':[%s]}",
		    cases[i].stmts);
		p = must_parse(text, I);
		free(text);
		make_request(P_USER, &req);
		if (cases[i].action != NULL)
			req.action = cases[i].action;
		if (cases[i].resource != NULL)
			req.resource = cases[i].resource;
		expect_effect(i, cases[i].rule, p, &req, cases[i].want);
		policy_free(p);
	}
}

/* Principal and NotPrincipal in resource policies. */
static void
test_policy_eval_principals(void **state)
{
	static const struct {
		const char *rule;
		const char *element; /* Principal... */
		const char *principal;
		const char *arn, *account;
		enum policy_effect want;
	} cases[] = {
	    {"* matches everyone", "Principal", "'*'", ALICE, ACCT_A, ALLOW},
	    {"* matches other accounts", "Principal", "'*'", SESSION, ACCT_B,
	        ALLOW},
	    {"* matches an anonymous caller", "Principal", "'*'", NULL, NULL,
	        ALLOW},
	    {"AWS * matches everyone", "Principal", "{'AWS':'*'}", SESSION,
	        ACCT_B, ALLOW},
	    {"account id matches its users", "Principal",
	        "{'AWS':'" ACCT_A "'}", ALICE, ACCT_A, ALLOW},
	    {"account id does not match other accounts", "Principal",
	        "{'AWS':'" ACCT_A "'}", SESSION, ACCT_B, NONE},
	    {"account id does not match anonymous", "Principal",
	        "{'AWS':'" ACCT_A "'}", NULL, NULL, NONE},
	    {"root ARN matches the account's users", "Principal",
	        "{'AWS':'arn:aws:iam::111111111111:root'}", BOB, ACCT_A, ALLOW},
	    {"root ARN matches the account's sessions", "Principal",
	        "{'AWS':'arn:aws:iam::222222222222:root'}", SESSION, ACCT_B,
	        ALLOW},
	    {"root ARN of another account", "Principal",
	        "{'AWS':'arn:aws:iam::222222222222:root'}", ALICE, ACCT_A,
	        NONE},
	    {"user ARN matches that user", "Principal", "{'AWS':'" ALICE "'}",
	        ALICE, ACCT_A, ALLOW},
	    {"user ARN does not match another user", "Principal",
	        "{'AWS':'" ALICE "'}", BOB, ACCT_A, NONE},
	    {"user ARN path is part of the ARN", "Principal",
	        "{'AWS':'arn:aws:iam::111111111111:user/alice'}", ALICE, ACCT_A,
	        NONE},
	    {"role ARN matches its sessions", "Principal",
	        "{'AWS':'arn:aws:iam::222222222222:role/deployer'}", SESSION,
	        ACCT_B, ALLOW},
	    {"role ARN with a path matches its sessions", "Principal",
	        "{'AWS':'arn:aws:iam::222222222222:role/ci/deployer'}", SESSION,
	        ACCT_B, ALLOW},
	    {"role ARN does not match another role's session", "Principal",
	        "{'AWS':'arn:aws:iam::222222222222:role/deploy'}", SESSION,
	        ACCT_B, NONE},
	    {"role ARN does not match a same-named role elsewhere", "Principal",
	        "{'AWS':'arn:aws:iam::333333333333:role/deployer'}",
	        "arn:aws:sts::222222222222:assumed-role/deployer/x", ACCT_B,
	        NONE},
	    {"role ARN in another partition", "Principal",
	        "{'AWS':'arn:aws-cn:iam::222222222222:role/deployer'}", SESSION,
	        ACCT_B, NONE},
	    {"role ARN matches the role itself", "Principal",
	        "{'AWS':'arn:aws:iam::222222222222:role/deployer'}",
	        "arn:aws:iam::222222222222:role/deployer", ACCT_B, ALLOW},
	    {"session ARN matches that session", "Principal",
	        "{'AWS':'" SESSION "'}", SESSION, ACCT_B, ALLOW},
	    {"session ARN does not match another session", "Principal",
	        "{'AWS':'" SESSION "'}",
	        "arn:aws:sts::222222222222:assumed-role/deployer/s2", ACCT_B,
	        NONE},
	    {"service principals match no IAM caller", "Principal",
	        "{'Service':'codebuild.amazonaws.com'}", ALICE, ACCT_A, NONE},
	    {"principal list is ORed", "Principal",
	        "{'AWS':['333333333333','" ALICE "']}", ALICE, ACCT_A, ALLOW},
	    {"principal types are ORed", "Principal",
	        "{'Service':'x.amazonaws.com','AWS':'" ACCT_B "'}", SESSION,
	        ACCT_B, ALLOW},
	    {"NotPrincipal excludes the listed user", "NotPrincipal",
	        "{'AWS':'" ALICE "'}", ALICE, ACCT_A, NONE},
	    {"NotPrincipal applies to everyone else", "NotPrincipal",
	        "{'AWS':'" ALICE "'}", BOB, ACCT_A, ALLOW},
	    {"NotPrincipal account excludes its users", "NotPrincipal",
	        "{'AWS':'" ACCT_B "'}", SESSION, ACCT_B, NONE},
	};
	struct policy_request req;
	struct policy *p;
	char *text;
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		text =
		    xasprintf("{'Version':'2012-10-17','Statement':["
		              "{'Effect':'Allow','%s':%s,'Action':'ecr:*'}]}",
		        cases[i].element, cases[i].principal);
		p = must_parse(text, R);
		free(text);
		make_request(P_USER, &req);
		req.principal_arn = cases[i].arn;
		req.principal_account = cases[i].account;
		expect_effect(i, cases[i].rule, p, &req, cases[i].want);
		policy_free(p);
	}
}

/*
 * Condition operators and keys, each with positive, negative and
 * missing-key cases. want is whether the condition holds (ALLOW) or not.
 */
static void
test_policy_eval_conditions(void **state)
{
	static const struct {
		const char *rule;
		const char *cond;
		enum profile req;
		bool want;
	} cases[] = {
	    /* String operators. */
	    {"StringEquals matches exactly",
	        "{'StringEquals':{'aws:username':'alice'}}", P_USER, true},
	    {"StringEquals is case-sensitive",
	        "{'StringEquals':{'aws:username':'Alice'}}", P_USER, false},
	    {"values of one key are ORed",
	        "{'StringEquals':{'aws:username':['bob','alice']}}", P_USER,
	        true},
	    {"missing key: positive operator is false",
	        "{'StringEquals':{'aws:username':'alice'}}", P_ROLE, false},
	    {"StringNotEquals on another value",
	        "{'StringNotEquals':{'aws:username':'bob'}}", P_USER, true},
	    {"StringNotEquals is false if any value equals",
	        "{'StringNotEquals':{'aws:username':['bob','alice']}}", P_USER,
	        false},
	    {"missing key: negated operator is true",
	        "{'StringNotEquals':{'aws:username':'bob'}}", P_ROLE, true},
	    {"StringEqualsIgnoreCase folds case",
	        "{'StringEqualsIgnoreCase':{'aws:username':'ALICE'}}", P_USER,
	        true},
	    {"StringEqualsIgnoreCase on a missing key",
	        "{'StringEqualsIgnoreCase':{'aws:username':'alice'}}", P_ROLE,
	        false},
	    {"StringNotEqualsIgnoreCase folds case",
	        "{'StringNotEqualsIgnoreCase':{'aws:username':'ALICE'}}",
	        P_USER, false},
	    {"StringNotEqualsIgnoreCase on a missing key",
	        "{'StringNotEqualsIgnoreCase':{'aws:username':'bob'}}", P_ROLE,
	        true},
	    {"StringLike with *",
	        "{'StringLike':{'aws:PrincipalArn':'arn:aws:iam::"
	        "111111111111:user/ci/*'}}",
	        P_USER, true},
	    {"StringLike with * and ?",
	        "{'StringLike':{'aws:PrincipalArn':'arn:aws:iam::*:user/"
	        "?i/alice'}}",
	        P_USER, true},
	    {"StringLike is case-sensitive",
	        "{'StringLike':{'aws:PrincipalArn':'*:USER/*'}}", P_USER,
	        false},
	    {"StringNotLike on a non-matching value",
	        "{'StringNotLike':{'aws:PrincipalArn':'arn:aws:sts::*'}}",
	        P_USER, true},
	    {"StringNotLike on a matching value",
	        "{'StringNotLike':{'aws:PrincipalArn':'arn:aws:sts::*'}}",
	        P_ROLE, false},
	    {"StringLike on a missing key",
	        "{'StringLike':{'aws:username':'*'}}", P_ROLE, false},
	    {"aws:PrincipalAccount",
	        "{'StringEquals':{'aws:PrincipalAccount':'" ACCT_A "'}}",
	        P_USER, true},
	    {"aws:PrincipalAccount of another account",
	        "{'StringEquals':{'aws:PrincipalAccount':'" ACCT_A "'}}",
	        P_ROLE, false},
	    {"condition key names are case-insensitive",
	        "{'StringEquals':{'AWS:USERNAME':'alice'}}", P_USER, true},
	    {"IfExists on a missing key is true",
	        "{'StringEqualsIfExists':{'aws:username':'alice'}}", P_ROLE,
	        true},
	    {"IfExists on a present key still tests it",
	        "{'StringEqualsIfExists':{'aws:username':'bob'}}", P_USER,
	        false},
	    {"keys in one operator are ANDed",
	        "{'StringEquals':{'aws:username':'alice',"
	        "'aws:PrincipalAccount':'" ACCT_B "'}}",
	        P_USER, false},
	    {"operators are ANDed (both hold)",
	        "{'StringEquals':{'aws:username':'alice'},"
	        "'Bool':{'aws:SecureTransport':'true'}}",
	        P_USER, true},
	    {"operators are ANDed (one fails)",
	        "{'StringLike':{'aws:PrincipalArn':'*'},"
	        "'Bool':{'aws:SecureTransport':'true'}}",
	        P_ROLE, false},
	    {"unknown keys are absent", "{'StringEquals':{'ecr:foo':'x'}}",
	        P_USER, false},
	    {"negated operator on an unknown key",
	        "{'StringNotEquals':{'ecr:foo':'x'}}", P_USER, true},
	    {"number values compare as text",
	        "{'StringEquals':{'aws:ResourceTag/stage':3}}", P_USER, true},
	    {"policy variables are not expanded",
	        "{'StringEquals':{'aws:username':'${aws:username}'}}", P_USER,
	        false},
	    /* Tags. */
	    {"aws:RequestTag", "{'StringEquals':{'aws:RequestTag/team':'ci'}}",
	        P_USER, true},
	    {"tag key in a condition key ignores case",
	        "{'StringEquals':{'aws:RequestTag/TEAM':'ci'}}", P_USER, true},
	    {"absent request tag",
	        "{'StringEquals':{'aws:RequestTag/team':'ci'}}", P_ROLE, false},
	    {"tag values are case-sensitive",
	        "{'StringEquals':{'aws:RequestTag/Env':'prod'}}", P_USER,
	        false},
	    {"aws:ResourceTag",
	        "{'StringEquals':{'aws:ResourceTag/owner':'alice'}}", P_USER,
	        true},
	    {"ecr:ResourceTag",
	        "{'StringEquals':{'ecr:ResourceTag/owner':'alice'}}", P_USER,
	        true},
	    {"resource tag with another value",
	        "{'StringEquals':{'aws:ResourceTag/owner':'alice'}}", P_ROLE,
	        false},
	    {"StringNotEquals on a resource tag",
	        "{'StringNotEquals':{'aws:ResourceTag/owner':'alice'}}", P_ROLE,
	        true},
	    /* Null. */
	    {"Null false: the key is present",
	        "{'Null':{'aws:ResourceTag/owner':'false'}}", P_USER, true},
	    {"Null true on a present key",
	        "{'Null':{'aws:ResourceTag/owner':'true'}}", P_USER, false},
	    {"Null true: the tag is absent",
	        "{'Null':{'aws:RequestTag/team':'true'}}", P_ROLE, true},
	    {"Null true: no username for a role",
	        "{'Null':{'aws:username':'true'}}", P_ROLE, true},
	    {"Null values are ORed",
	        "{'Null':{'aws:username':['true','false']}}", P_USER, true},
	    {"Null true on empty aws:TagKeys",
	        "{'Null':{'aws:TagKeys':'true'}}", P_BARE, true},
	    {"Null false on an absent source IP",
	        "{'Null':{'aws:SourceIp':false}}", P_BARE, false},
	    /* Set operators on the multi-valued aws:TagKeys. */
	    {"ForAllValues: every request value is listed",
	        "{'ForAllValues:StringEquals':{'aws:TagKeys':['team','Env',"
	        "'cost']}}",
	        P_USER, true},
	    {"ForAllValues: one request value is not listed",
	        "{'ForAllValues:StringEquals':{'aws:TagKeys':['team']}}",
	        P_USER, false},
	    {"ForAllValues on a missing key is true",
	        "{'ForAllValues:StringEquals':{'aws:TagKeys':['team']}}",
	        P_BARE, true},
	    {"ForAnyValue: no request value is listed",
	        "{'ForAnyValue:StringEquals':{'aws:TagKeys':['cost']}}", P_USER,
	        false},
	    {"ForAnyValue: one request value is listed",
	        "{'ForAnyValue:StringEquals':{'aws:TagKeys':['cost']}}", P_ROLE,
	        true},
	    {"ForAnyValue on a missing key is false",
	        "{'ForAnyValue:StringEquals':{'aws:TagKeys':['cost']}}", P_BARE,
	        false},
	    {"ForAllValues:StringLike",
	        "{'ForAllValues:StringLike':{'aws:TagKeys':['t*','E?v']}}",
	        P_USER, true},
	    {"ForAnyValue:StringNotEquals: one value differs",
	        "{'ForAnyValue:StringNotEquals':{'aws:TagKeys':['team']}}",
	        P_USER, true},
	    {"ForAnyValue:StringNotEquals: every value listed",
	        "{'ForAnyValue:StringNotEquals':{'aws:TagKeys':['team',"
	        "'Env']}}",
	        P_USER, false},
	    {"ForAllValues:StringNotEquals: none listed",
	        "{'ForAllValues:StringNotEquals':{'aws:TagKeys':"
	        "['secret']}}",
	        P_USER, true},
	    {"ForAllValues:StringNotEquals: one listed",
	        "{'ForAllValues:StringNotEquals':{'aws:TagKeys':['team']}}",
	        P_USER, false},
	    {"ForAnyValue...IfExists on a missing key is true",
	        "{'ForAnyValue:StringEqualsIfExists':{'aws:TagKeys':"
	        "['cost']}}",
	        P_BARE, true},
	    {"ForAllValues:StringEqualsIgnoreCase",
	        "{'ForAllValues:StringEqualsIgnoreCase':{'aws:TagKeys':"
	        "['TEAM','env']}}",
	        P_USER, true},
	    {"multi-valued key without a set operator: any value",
	        "{'StringEquals':{'aws:TagKeys':'team'}}", P_USER, true},
	    {"negated, multi-valued, no set operator: none may match",
	        "{'StringNotEquals':{'aws:TagKeys':'team'}}", P_USER, false},
	    {"ForAnyValue on a single-valued key",
	        "{'ForAnyValue:StringEquals':{'aws:username':'alice'}}", P_USER,
	        true},
	    {"ForAllValues on a missing single-valued key",
	        "{'ForAllValues:StringEquals':{'aws:username':'bob'}}", P_ROLE,
	        true},
	    /* ARN operators: fields matched one by one. */
	    {"ArnEquals", "{'ArnEquals':{'aws:PrincipalArn':'" ALICE "'}}",
	        P_USER, true},
	    {"ArnLike with wildcards",
	        "{'ArnLike':{'aws:PrincipalArn':'arn:aws:iam::*:user/*'}}",
	        P_USER, true},
	    {"ArnLike on a session",
	        "{'ArnLike':{'aws:PrincipalArn':'arn:aws:sts::" ACCT_B
	        ":assumed-role/deployer/*'}}",
	        P_ROLE, true},
	    {"ArnLike: * takes the whole resource field",
	        "{'ArnLike':{'aws:PrincipalArn':'arn:aws:iam::" ACCT_A ":*'}}",
	        P_USER, true},
	    {"ArnLike: wildcards in several fields",
	        "{'ArnLike':{'aws:PrincipalArn':'arn:*:iam::*1:user/ci/"
	        "alice'}}",
	        P_USER, true},
	    {"ArnLike: * does not cross a field",
	        "{'ArnLike':{'aws:PrincipalArn':'arn:aws:*::" ACCT_A
	        ":user/ci/alice:x'}}",
	        P_USER, false},
	    {"ArnLike is case-sensitive",
	        "{'ArnLike':{'aws:PrincipalArn':'arn:aws:iam::*:user/CI/"
	        "*'}}",
	        P_USER, false},
	    {"ArnNotEquals on the same ARN",
	        "{'ArnNotEquals':{'aws:PrincipalArn':'" ALICE "'}}", P_USER,
	        false},
	    {"ArnNotLike on another ARN",
	        "{'ArnNotLike':{'aws:PrincipalArn':'arn:aws:sts::*:*'}}",
	        P_USER, true},
	    {"ArnLike on a missing key",
	        "{'ArnLike':{'aws:SourceArn':'arn:*'}}", P_USER, false},
	    {"ArnNotLike on a missing key",
	        "{'ArnNotLike':{'aws:SourceArn':'arn:*'}}", P_USER, true},
	    /* Numeric operators. */
	    {"NumericEquals", "{'NumericEquals':{'aws:ResourceTag/stage':3}}",
	        P_USER, true},
	    {"NumericEquals compares numbers, not text",
	        "{'NumericEquals':{'aws:ResourceTag/stage':'3.0'}}", P_USER,
	        true},
	    {"NumericNotEquals on an equal number",
	        "{'NumericNotEquals':{'aws:ResourceTag/stage':'3'}}", P_USER,
	        false},
	    {"NumericNotEquals on a missing key",
	        "{'NumericNotEquals':{'aws:ResourceTag/stage':'3'}}", P_ROLE,
	        true},
	    {"NumericLessThan",
	        "{'NumericLessThan':{'aws:ResourceTag/stage':4}}", P_USER,
	        true},
	    {"NumericLessThan is strict",
	        "{'NumericLessThan':{'aws:ResourceTag/stage':3}}", P_USER,
	        false},
	    {"NumericLessThanEquals",
	        "{'NumericLessThanEquals':{'aws:ResourceTag/stage':3}}", P_USER,
	        true},
	    {"NumericGreaterThan a decimal",
	        "{'NumericGreaterThan':{'aws:ResourceTag/stage':2.5}}", P_USER,
	        true},
	    {"NumericGreaterThan is strict",
	        "{'NumericGreaterThan':{'aws:ResourceTag/stage':3}}", P_USER,
	        false},
	    {"NumericGreaterThanEquals",
	        "{'NumericGreaterThanEquals':{'aws:ResourceTag/stage':3}}",
	        P_USER, true},
	    {"numeric values are ORed",
	        "{'NumericLessThan':{'aws:ResourceTag/stage':['1','10']}}",
	        P_USER, true},
	    {"numeric operator on a non-number",
	        "{'NumericEquals':{'aws:username':3}}", P_USER, false},
	    {"numeric IfExists on a missing key",
	        "{'NumericLessThanIfExists':{'aws:ResourceTag/stage':1}}",
	        P_ROLE, true},
	    {"numeric operator on a missing key",
	        "{'NumericEquals':{'aws:ResourceTag/stage':3}}", P_ROLE, false},
	    {"aws:EpochTime is a number",
	        "{'NumericGreaterThan':{'aws:EpochTime':1767225600}}", P_USER,
	        true},
	    {"aws:EpochTime before",
	        "{'NumericLessThan':{'aws:EpochTime':1767225600}}", P_ROLE,
	        true},
	    /* Date operators. */
	    {"DateGreaterThan on aws:CurrentTime",
	        "{'DateGreaterThan':{'aws:CurrentTime':"
	        "'2026-01-01T00:00:00Z'}}",
	        P_USER, true},
	    {"DateGreaterThan one second before",
	        "{'DateGreaterThan':{'aws:CurrentTime':"
	        "'2026-01-01T00:00:00Z'}}",
	        P_ROLE, false},
	    {"DateLessThan one second before",
	        "{'DateLessThan':{'aws:CurrentTime':"
	        "'2026-01-01T00:00:00Z'}}",
	        P_ROLE, true},
	    {"DateLessThan after",
	        "{'DateLessThan':{'aws:CurrentTime':"
	        "'2026-01-01T00:00:00Z'}}",
	        P_USER, false},
	    {"DateEquals",
	        "{'DateEquals':{'aws:CurrentTime':'2026-06-01T12:00:00Z'}}",
	        P_USER, true},
	    {"DateEquals with a zone offset",
	        "{'DateEquals':{'aws:CurrentTime':"
	        "'2026-06-01T14:00:00+02:00'}}",
	        P_USER, true},
	    {"DateEquals with milliseconds",
	        "{'DateEquals':{'aws:CurrentTime':"
	        "'2026-06-01T12:00:00.000Z'}}",
	        P_USER, true},
	    {"DateNotEquals on an equal date",
	        "{'DateNotEquals':{'aws:CurrentTime':"
	        "'2026-06-01T12:00:00Z'}}",
	        P_USER, false},
	    {"DateGreaterThanEquals on an equal date",
	        "{'DateGreaterThanEquals':{'aws:CurrentTime':"
	        "'2026-06-01T12:00:00Z'}}",
	        P_USER, true},
	    {"DateLessThanEquals on an equal date",
	        "{'DateLessThanEquals':{'aws:CurrentTime':"
	        "'2026-06-01T12:00:00Z'}}",
	        P_USER, true},
	    {"date as epoch seconds (number)",
	        "{'DateGreaterThan':{'aws:CurrentTime':1767225600}}", P_USER,
	        true},
	    {"date as epoch seconds (string)",
	        "{'DateLessThan':{'aws:CurrentTime':'1767225600'}}", P_ROLE,
	        true},
	    {"date without a time is midnight UTC",
	        "{'DateLessThan':{'aws:CurrentTime':'2026-01-01'}}", P_ROLE,
	        true},
	    {"aws:EpochTime with a Date operator",
	        "{'DateGreaterThan':{'aws:EpochTime':"
	        "'2026-01-01T00:00:00Z'}}",
	        P_USER, true},
	    {"Date operator on a tag holding a date",
	        "{'DateLessThan':{'aws:ResourceTag/expires':"
	        "'2026-06-01T00:00:00Z'}}",
	        P_USER, true},
	    {"Date operator on a value that is not a date",
	        "{'DateLessThan':{'aws:username':'2030-01-01'}}", P_USER,
	        false},
	    {"DateNotEquals on a missing key",
	        "{'DateNotEquals':{'aws:ResourceTag/expires':'2026-01-01'}}",
	        P_ROLE, true},
	    {"Date IfExists on a missing key",
	        "{'DateLessThanIfExists':{'aws:ResourceTag/expires':"
	        "'2020-01-01'}}",
	        P_ROLE, true},
	    {"date values are ORed",
	        "{'DateLessThan':{'aws:CurrentTime':['2020-01-01T00:00:00Z',"
	        "'2027-01-01T00:00:00Z']}}",
	        P_USER, true},
	    {"aws:CurrentTime as a string",
	        "{'StringLike':{'aws:CurrentTime':'2026-06-01T12:*Z'}}", P_USER,
	        true},
	    /* Bool. */
	    {"Bool true over TLS", "{'Bool':{'aws:SecureTransport':'true'}}",
	        P_USER, true},
	    {"Bool true without TLS", "{'Bool':{'aws:SecureTransport':'true'}}",
	        P_ROLE, false},
	    {"Bool false without TLS",
	        "{'Bool':{'aws:SecureTransport':'false'}}", P_ROLE, true},
	    {"Bool with a JSON boolean",
	        "{'Bool':{'aws:SecureTransport':true}}", P_USER, true},
	    {"Bool values ignore case",
	        "{'Bool':{'aws:SecureTransport':'TRUE'}}", P_USER, true},
	    {"Bool on a missing key",
	        "{'Bool':{'aws:MultiFactorAuthPresent':'false'}}", P_USER,
	        false},
	    {"BoolIfExists on a missing key",
	        "{'BoolIfExists':{'aws:MultiFactorAuthPresent':'true'}}",
	        P_USER, true},
	    /* IpAddress and NotIpAddress. */
	    {"IPv4 in a /8", "{'IpAddress':{'aws:SourceIp':'10.0.0.0/8'}}",
	        P_USER, true},
	    {"IPv4 address without a prefix is a /32",
	        "{'IpAddress':{'aws:SourceIp':'10.1.2.3'}}", P_USER, true},
	    {"IPv4 outside a /32",
	        "{'IpAddress':{'aws:SourceIp':'10.1.2.4/32'}}", P_USER, false},
	    {"IPv4 in a /24", "{'IpAddress':{'aws:SourceIp':'10.1.2.0/24'}}",
	        P_USER, true},
	    {"IPv4 outside a /31",
	        "{'IpAddress':{'aws:SourceIp':'10.1.2.0/31'}}", P_USER, false},
	    {"IPv4 inside a /31",
	        "{'IpAddress':{'aws:SourceIp':'10.1.2.2/31'}}", P_USER, true},
	    {"CIDR values are ORed",
	        "{'IpAddress':{'aws:SourceIp':['192.168.0.0/16',"
	        "'10.0.0.0/8']}}",
	        P_USER, true},
	    {"IPv4 /0 matches every IPv4 address",
	        "{'IpAddress':{'aws:SourceIp':'0.0.0.0/0'}}", P_USER, true},
	    {"IPv4 block does not match an IPv6 caller",
	        "{'IpAddress':{'aws:SourceIp':'0.0.0.0/0'}}", P_ROLE, false},
	    {"IPv6 in a /32", "{'IpAddress':{'aws:SourceIp':'2001:db8::/32'}}",
	        P_ROLE, true},
	    {"IPv6 block does not match an IPv4 caller",
	        "{'IpAddress':{'aws:SourceIp':'2001:db8::/32'}}", P_USER,
	        false},
	    {"IPv6 outside a /32",
	        "{'IpAddress':{'aws:SourceIp':'2001:db9::/32'}}", P_ROLE,
	        false},
	    {"IPv6 /128", "{'IpAddress':{'aws:SourceIp':'2001:db8::1/128'}}",
	        P_ROLE, true},
	    {"IPv6 ::/0", "{'IpAddress':{'aws:SourceIp':'::/0'}}", P_ROLE,
	        true},
	    {"IPv6 prefix not on a byte boundary (inside)",
	        "{'IpAddress':{'aws:SourceIp':'2001:db8::/33'}}", P_ROLE, true},
	    {"IPv6 prefix not on a byte boundary (outside)",
	        "{'IpAddress':{'aws:SourceIp':'2001:db8:8000::/33'}}", P_ROLE,
	        false},
	    {"NotIpAddress inside the block",
	        "{'NotIpAddress':{'aws:SourceIp':'10.0.0.0/8'}}", P_USER,
	        false},
	    {"NotIpAddress outside the block",
	        "{'NotIpAddress':{'aws:SourceIp':'10.0.0.0/8'}}", P_ROLE, true},
	    {"NotIpAddress on a missing source IP",
	        "{'NotIpAddress':{'aws:SourceIp':'10.0.0.0/8'}}", P_BARE, true},
	    {"IpAddress on a missing source IP",
	        "{'IpAddress':{'aws:SourceIp':'10.0.0.0/8'}}", P_BARE, false},
	    {"IpAddressIfExists on a missing source IP",
	        "{'IpAddressIfExists':{'aws:SourceIp':'10.0.0.0/8'}}", P_BARE,
	        true},
	    {"IpAddress on a key that is not an address",
	        "{'IpAddress':{'aws:username':'10.0.0.0/8'}}", P_USER, false},
	};
	struct policy_request req;
	struct policy *p;
	char *text;
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		text = xasprintf("{'Version':'2012-10-17','Statement':["
		                 "{'Effect':'Allow','Action':'ecr:*','Resource'"
		                 ":'*',"
		                 "'Condition':%s}]}",
		    cases[i].cond);
		p = must_parse(text, I);
		free(text);
		make_request(cases[i].req, &req);
		expect_effect(i, cases[i].rule, p, &req,
		    cases[i].want ? ALLOW : NONE);
		policy_free(p);
	}
}

/* An IPv4 caller seen as an IPv4-mapped IPv6 address still matches. */
static void
test_policy_eval_ipv4_mapped_source(void **state)
{
	struct policy_request req;
	struct policy *p;

	(void)state;
	p = must_parse("{'Statement':{'Effect':'Allow','Action':'*',"
	               "'Resource':'*','Condition':{'IpAddress':{'aws:SourceIp'"
	               ":"
	               "'10.0.0.0/8'}}}}",
	    I);
	make_request(P_USER, &req);
	req.source_ip = "::ffff:10.9.8.7";
	assert_int_equal(policy_eval(p, &req), ALLOW);
	req.source_ip = "::ffff:11.9.8.7";
	assert_int_equal(policy_eval(p, &req), NONE);
	req.source_ip = "not an address";
	assert_int_equal(policy_eval(p, &req), NONE);
	policy_free(p);
}

/* Conditions in a Deny statement: the deny applies only when they hold. */
static void
test_policy_eval_conditional_deny(void **state)
{
	struct policy_request req;
	struct policy *p;

	(void)state;
	p = must_parse("{'Version':'2012-10-17','Statement':["
	               "{'Effect':'Allow','Principal':'*','Action':'ecr:*'},"
	               "{'Effect':'Deny','Principal':'*','Action':'ecr:*',"
	               "'Condition':{'Bool':{'aws:SecureTransport':'false'}}}]"
	               "}",
	    R);
	make_request(P_USER, &req);
	assert_int_equal(policy_eval(p, &req), ALLOW);
	make_request(P_ROLE, &req);
	assert_int_equal(policy_eval(p, &req), DENY);
	policy_free(p);
}

/* A clock at either end of int64 neither overflows nor matches wrongly. */
static void
test_policy_eval_survives_extreme_clocks(void **state)
{
	struct policy_request req;
	struct policy *p;

	(void)state;
	p = must_parse("{'Statement':{'Effect':'Allow','Action':'*',"
	               "'Resource':'*','Condition':{'DateGreaterThan':{"
	               "'aws:CurrentTime':'2026-01-01'},'StringLike':{"
	               "'aws:CurrentTime':'*Z','aws:EpochTime':'*'}}}}",
	    I);
	make_request(P_USER, &req);
	req.now_ms = INT64_MAX;
	assert_int_equal(policy_eval(p, &req), ALLOW);
	req.now_ms = INT64_MIN;
	assert_int_equal(policy_eval(p, &req), NONE);
	req.now_ms = -1;
	assert_int_equal(policy_eval(p, &req), NONE);
	policy_free(p);
}

/* Every proper prefix of a valid policy is refused, and nothing leaks. */
static void
test_policy_parse_refuses_every_truncation(void **state)
{
	static const char text[] =
	    "{'Version':'2012-10-17','Statement':[{'Sid':'a','Effect':'Allow',"
	    "'Principal':{'AWS':['111111111111','arn:aws:iam::222222222222:"
	    "role/x']},'Action':['ecr:Get*'],'Resource':'arn:aws:ecr:*:*:*',"
	    "'Condition':{'IpAddress':{'aws:SourceIp':['10.0.0.0/8']},"
	    "'DateLessThan':{'aws:CurrentTime':2000000000},'Bool':{"
	    "'aws:SecureTransport':true}}}]}";
	struct policy *p;
	char *t = dq(text), *cause;
	size_t len;

	(void)state;
	for (len = 0; len < strlen(t); len++) {
		p = NULL;
		cause = NULL;
		if (policy_parse(t, len, R, &p, &cause) == 0)
			fail_msg("prefix of %zu bytes accepted", len);
		assert_null(p);
		assert_non_null(cause);
		free(cause);
	}
	assert_int_equal(policy_parse(t, len, R, &p, NULL), 0);
	policy_free(p);
	free(t);
}

static const char id_allow_pull[] =
    "{'Statement':{'Effect':'Allow',"
    "'Action':'ecr:BatchGetImage','Resource':'*'}}";
static const char id_deny_pull[] =
    "{'Statement':{'Effect':'Deny',"
    "'Action':'ecr:BatchGetImage','Resource':'*'}}";
static const char id_s3[] = "{'Statement':{'Effect':'Allow',"
                            "'Action':'s3:*','Resource':'*'}}";
static const char res_allow_alice[] =
    "{'Version':'2012-10-17',"
    "'Statement':{'Effect':'Allow','Principal':{'AWS':'" ALICE "'},"
    "'Action':'ecr:BatchGetImage'}}";
static const char res_allow_b[] =
    "{'Version':'2012-10-17',"
    "'Statement':{'Effect':'Allow','Principal':{'AWS':'" ACCT_B "'},"
    "'Action':['ecr:BatchGetImage','ecr:GetDownloadUrlForLayer']}}";
static const char res_deny_all[] =
    "{'Version':'2012-10-17',"
    "'Statement':[{'Effect':'Allow','Principal':'*','Action':'ecr:*'},"
    "{'Effect':'Deny','Principal':'*','Action':'ecr:BatchGetImage'}]}";

/* AWS policy evaluation logic across identity and resource policies. */
static void
test_policy_decide_same_and_cross_account(void **state)
{
	static const struct {
		const char *rule;
		const char *identity[2];
		const char *resource;
		const char *resource_account;
		enum profile caller; /* USER: A, ROLE: B */
		enum policy_effect want;
		bool want_explicit;
	} cases[] = {
	    {"same account: identity allow suffices", {id_allow_pull, NULL},
	        NULL, ACCT_A, P_USER, ALLOW, false},
	    {"same account: resource allow suffices", {id_s3, NULL},
	        res_allow_alice, ACCT_A, P_USER, ALLOW, false},
	    {"same account: nothing allows", {id_s3, NULL}, res_allow_b, ACCT_A,
	        P_USER, DENY, false},
	    {"no policies at all: implicit deny", {NULL, NULL}, NULL, ACCT_A,
	        P_USER, DENY, false},
	    {"same account: resource deny beats identity allow",
	        {id_allow_pull, NULL}, res_deny_all, ACCT_A, P_USER, DENY,
	        true},
	    {"same account: identity deny beats resource allow",
	        {id_deny_pull, NULL}, res_allow_alice, ACCT_A, P_USER, DENY,
	        true},
	    {"deny in any identity policy wins", {id_allow_pull, id_deny_pull},
	        NULL, ACCT_A, P_USER, DENY, true},
	    {"cross account: identity allow alone is not enough",
	        {id_allow_pull, NULL}, NULL, ACCT_A, P_ROLE, DENY, false},
	    {"cross account: resource allow alone is not enough", {id_s3, NULL},
	        res_allow_b, ACCT_A, P_ROLE, DENY, false},
	    {"cross account: both allow", {id_allow_pull, NULL}, res_allow_b,
	        ACCT_A, P_ROLE, ALLOW, false},
	    {"cross account: both allow, one identity denies",
	        {id_allow_pull, id_deny_pull}, res_allow_b, ACCT_A, P_ROLE,
	        DENY, true},
	    {"cross account: resource grants someone else",
	        {id_allow_pull, NULL}, res_allow_alice, ACCT_A, P_ROLE, DENY,
	        false},
	    {"cross account: resource deny", {id_allow_pull, NULL},
	        res_deny_all, ACCT_A, P_ROLE, DENY, true},
	    {"no resource account: the caller's own", {id_allow_pull, NULL},
	        NULL, NULL, P_ROLE, ALLOW, false},
	    {"caller's account is the resource's (B)", {id_allow_pull, NULL},
	        NULL, ACCT_B, P_ROLE, ALLOW, false},
	};
	const struct policy *ids[2];
	struct policy *owned[3];
	struct policy_request req;
	size_t i, k, n;
	bool expl;
	enum policy_effect got;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		n = 0;
		for (k = 0; k < 2; k++) {
			owned[k] = NULL;
			if (cases[i].identity[k] != NULL)
				owned[k] = must_parse(cases[i].identity[k], I);
			if (owned[k] != NULL)
				ids[n++] = owned[k];
		}
		owned[2] = cases[i].resource == NULL
		               ? NULL
		               : must_parse(cases[i].resource, R);
		make_request(cases[i].caller, &req);
		expl = !cases[i].want_explicit;
		got = policy_decide(ids, n, owned[2], cases[i].resource_account,
		    &req, &expl);
		if (got != cases[i].want || expl != cases[i].want_explicit)
			fail_msg("case %zu (%s): %s explicit=%d", i,
			    cases[i].rule, effect_name(got), expl);
		/* explicit_deny may be NULL. */
		assert_int_equal(policy_decide(ids, n, owned[2],
		                     cases[i].resource_account, &req, NULL),
		    got);
		for (k = 0; k < 3; k++)
			policy_free(owned[k]);
	}
}

static void
test_policy_format_jackson_golden(void **state)
{
	static const struct {
		const char *in;
		const char *want;
	} cases[] = {
	    /* The example of docs/ecr-behaviour.md 3.5. */
	    {"{\"Version\":\"2008-10-17\",\"Statement\":[{\"Sid\":\"x\","
	     "\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":"
	     "[\"ecr:BatchGetImage\"]}]}",
	        "{\n  \"Version\" : \"2008-10-17\",\n  \"Statement\" : [ {\n"
	        "    \"Sid\" : \"x\",\n    \"Effect\" : \"Allow\",\n"
	        "    \"Principal\" : \"*\",\n"
	        "    \"Action\" : [ \"ecr:BatchGetImage\" ]\n  } ]\n}"},
	    /* Already pretty (and differently so) input. */
	    {"{\n    \"Version\": \"2012-10-17\",\n    \"Statement\": [\n"
	     "        {\n            \"Sid\": \"a\",\n"
	     "            \"Effect\": \"Allow\",\n"
	     "            \"Principal\": {\"AWS\": [\"arn:aws:iam::"
	     "111111111111:root\", \"222222222222\"]},\n"
	     "            \"Action\": \"ecr:*\"\n        },\n"
	     "        {\"Sid\": \"b\", \"Effect\": \"Deny\", "
	     "\"Principal\": {\"AWS\": \"*\"}, \"Action\": ["
	     "\"ecr:DeleteRepository\", \"ecr:BatchDeleteImage\"], "
	     "\"Condition\": {\"StringNotEquals\": {"
	     "\"aws:PrincipalAccount\": \"111111111111\"}}}\n    ]\n}\n",
	        "{\n"
	        "  \"Version\" : \"2012-10-17\",\n"
	        "  \"Statement\" : [ {\n"
	        "    \"Sid\" : \"a\",\n"
	        "    \"Effect\" : \"Allow\",\n"
	        "    \"Principal\" : {\n"
	        "      \"AWS\" : [ \"arn:aws:iam::111111111111:root\", "
	        "\"222222222222\" ]\n"
	        "    },\n"
	        "    \"Action\" : \"ecr:*\"\n"
	        "  }, {\n"
	        "    \"Sid\" : \"b\",\n"
	        "    \"Effect\" : \"Deny\",\n"
	        "    \"Principal\" : {\n"
	        "      \"AWS\" : \"*\"\n"
	        "    },\n"
	        "    \"Action\" : [ \"ecr:DeleteRepository\", "
	        "\"ecr:BatchDeleteImage\" ],\n"
	        "    \"Condition\" : {\n"
	        "      \"StringNotEquals\" : {\n"
	        "        \"aws:PrincipalAccount\" : \"111111111111\"\n"
	        "      }\n"
	        "    }\n"
	        "  } ]\n"
	        "}"},
	    {"{\"a\":[],\"b\":{},\"c\":[{}],\"d\":[[],[1,2]]}",
	        "{\n  \"a\" : [ ],\n  \"b\" : { },\n  \"c\" : [ { } ],\n"
	        "  \"d\" : [ [ ], [ 1, 2 ] ]\n}"},
	    /* Key order is the input's. */
	    {"{\"b\":1,\"a\":2}", "{\n  \"b\" : 1,\n  \"a\" : 2\n}"},
	    /* Numbers as written; other scalars. */
	    {"{\"n\":10,\"f\":1.50,\"e\":1e3,\"m\":-2,\"t\":true,"
	     "\"z\":false,\"nil\":null}",
	        "{\n  \"n\" : 10,\n  \"f\" : 1.50,\n  \"e\" : 1e3,\n"
	        "  \"m\" : -2,\n  \"t\" : true,\n  \"z\" : false,\n"
	        "  \"nil\" : null\n}"},
	    /* Only '"', '\' and control characters are escaped. */
	    {"{\"s\":\"a/b \\\"q\\\" \\\\ \\u0001\\u001f \\t\\n\\r\\b\\f "
	     "\\u00e9 \xc3\xa9 \\/ \\u007f\"}",
	        "{\n  \"s\" : \"a/b \\\"q\\\" \\\\ \\u0001\\u001F \\t\\n\\r"
	        "\\b\\f \xc3\xa9 \xc3\xa9 / \x7f\"\n}"},
	    {"{\"k\\\"ey\":\"v\"}", "{\n  \"k\\\"ey\" : \"v\"\n}"},
	    {"[{\"a\":1},{\"b\":2}]",
	        "[ {\n  \"a\" : 1\n}, {\n  \"b\" : 2\n} ]"},
	    {"[{\"a\":{\"b\":[{\"c\":1}]}}]",
	        "[ {\n  \"a\" : {\n    \"b\" : [ {\n      \"c\" : 1\n"
	        "    } ]\n  }\n} ]"},
	    {" \"x\" ", "\"x\""},
	    {"42", "42"},
	    {"null", "null"},
	    {"{}", "{ }"},
	};
	char *out, *cause;
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		cause = NULL;
		out = policy_format_jackson(cases[i].in, strlen(cases[i].in),
		    &cause);
		if (out == NULL)
			fail_msg("case %zu: %s", i, cause);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("case %zu:\n%s\nwant\n%s", i, out,
			    cases[i].want);
		assert_null(cause);
		free(out);
	}
}

static void
test_policy_format_jackson_refuses_bad_json(void **state)
{
	static const char *const cases[] = {"", " ", "{", "{'a':1}", "[1,]",
	    "{\"a\":NaN}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":-}",
	    "{\"a\":\"\t\"}", "{\"a\":\"\\x\"}", "\"\xff\"", "{} {}",
	    "{\"a\" 1}", "[1 2]", "tru", "\"\\u12\""};
	char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		cause = NULL;
		if (policy_format_jackson(cases[i], strlen(cases[i]), &cause) !=
		    NULL)
			fail_msg("case %zu accepted", i);
		assert_non_null(cause);
		free(cause);
	}
}

/* What the formatter writes parses back to the same policy text. */
static void
test_policy_format_jackson_output_parses_and_is_stable(void **state)
{
	static const char in[] =
	    "{\"Version\":\"2012-10-17\","
	    "\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
	    "[\"111111111111\"]},\"Action\":[\"ecr:BatchGetImage\","
	    "\"ecr:GetDownloadUrlForLayer\"],\"Condition\":{\"IpAddress\":"
	    "{\"aws:SourceIp\":[\"10.0.0.0/8\",\"2001:db8::/32\"]}}}]}";
	struct policy *p = NULL;
	char *once, *twice, *cause = NULL;

	(void)state;
	once = policy_format_jackson(in, strlen(in), &cause);
	assert_non_null(once);
	assert_int_equal(policy_parse(once, strlen(once), R, &p, &cause), 0);
	twice = policy_format_jackson(once, strlen(once), &cause);
	assert_non_null(twice);
	assert_string_equal(once, twice);
	assert_null(cause);
	policy_free(p);
	free(once);
	free(twice);
}

static void
test_policy_strerror_names_every_code(void **state)
{
	(void)state;
	assert_string_equal(policy_strerror(POLICY_OK), "success");
	assert_string_equal(policy_strerror(POLICY_INVALID), "invalid policy");
	assert_string_equal(policy_strerror(POLICY_TOOBIG), "policy too large");
	assert_string_equal(policy_strerror(POLICY_SYNTAX),
	    "policy is not valid JSON");
	assert_string_equal(policy_strerror(POLICY_UNKNOWN_ACTION),
	    "unknown action in policy");
	assert_string_equal(policy_strerror(-99), "unknown policy error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_policy_parse_accepts_valid_documents),
	    cmocka_unit_test(test_policy_parse_rejects_with_cause),
	    cmocka_unit_test(
	        test_policy_parse_rejects_single_quotes_and_bad_flags),
	    cmocka_unit_test(test_policy_parse_refuses_text_over_max),
	    cmocka_unit_test(test_policy_check_actions_refuses_unknown_actions),
	    cmocka_unit_test(test_policy_eval_actions_and_resources),
	    cmocka_unit_test(test_policy_eval_principals),
	    cmocka_unit_test(test_policy_eval_conditions),
	    cmocka_unit_test(test_policy_eval_ipv4_mapped_source),
	    cmocka_unit_test(test_policy_eval_conditional_deny),
	    cmocka_unit_test(test_policy_eval_survives_extreme_clocks),
	    cmocka_unit_test(test_policy_parse_refuses_every_truncation),
	    cmocka_unit_test(test_policy_decide_same_and_cross_account),
	    cmocka_unit_test(test_policy_format_jackson_golden),
	    cmocka_unit_test(test_policy_format_jackson_refuses_bad_json),
	    cmocka_unit_test(
	        test_policy_format_jackson_output_parses_and_is_stable),
	    cmocka_unit_test(test_policy_strerror_names_every_code),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
