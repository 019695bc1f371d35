/*
 * Unit tests for policy/lifecycle: parsing and validation with ECR's
 * wording, the canonical text, and the evaluation engine against AWS's
 * worked examples and the edge cases around them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "policy/lifecycle.h"

/*
 * Policy texts and causes are written with ' for ", which dq() turns back.
 * Rules are built from the pieces below: RULE(1, UNTAGGED COUNT(1), EXPIRE).
 */
#define POLICY(rules) "{'rules':[" rules "]}"
#define RULE(prio, sel, act)                                                   \
	"{'rulePriority':" #prio ",'selection':{" sel "},'action':{" act "}}"
#define EXPIRE "'type':'expire'"
#define ARCHIVE "'type':'transition','targetStorageClass':'archive'"
#define UNTAGGED "'tagStatus':'untagged',"
#define ANY "'tagStatus':'any',"
#define PREFIX(list) "'tagStatus':'tagged','tagPrefixList':[" list "],"
#define PATTERN(list) "'tagStatus':'tagged','tagPatternList':[" list "],"
#define IN_ARCHIVE "'storageClass':'archive',"
#define COUNT(n) "'countType':'imageCountMoreThan','countNumber':" #n
#define PUSHED(n)                                                              \
	"'countType':'sinceImagePushed','countUnit':'days','countNumber':" #n
#define PULLED(n)                                                              \
	"'countType':'sinceImagePulled','countUnit':'days','countNumber':" #n
#define TRANSITIONED(n)                                                        \
	"'countType':'sinceImageTransitioned','countUnit':'days',"             \
	"'countNumber':" #n
#define U1 RULE(1, UNTAGGED COUNT(1), EXPIRE)

#define TYPE_MSG(found, allowed)                                               \
	"instance type (" found ") does not match any allowed primitive "      \
	"type (allowed: ['" allowed "'])"
#define MISSING_MSG(list) "object has missing required properties (" list ")"
#define EXTRA_MSG(list)                                                        \
	"object instance has properties which are not allowed by the "         \
	"schema: (" list ")"
#define ENUM_MSG(value, list)                                                  \
	"instance value (" value                                               \
	") not found in enum :(possible values: " list ")"
#define MIN_MSG(found)                                                         \
	"numeric instance is lower than the required minimum (minimum: 1, "    \
	"found: " found ")"
#define ONE_OF_MSG                                                             \
	"instance failed to match exactly one schema (matched 0 out of 2)"
#define NOT_MAPPED_MSG "Could not map policyString into LifecyclePolicy."

#define NOW INT64_C(1700000000000)
#define DAY LIFECYCLE_DAY_MS
#define AGO(days) (NOW - (int64_t)(days)*DAY)

/* s with every ' replaced by "; the caller frees. */
static char *
dq(const char *s)
{
	char *r = xstrdup(s), *p;

	for (p = r; *p != '\0'; p++) {
		if (*p == '\'')
			*p = '"';
	}
	return r;
}

/* Parse text (with ' for "), returning the rc and setting *p or *cause. */
static int
parse(const char *text, struct lifecycle_policy **p, char **cause)
{
	char *t = dq(text);
	int rc;

	*p = NULL;
	*cause = NULL;
	rc = lifecycle_parse(t, strlen(t), p, cause);
	free(t);
	return rc;
}

static struct lifecycle_policy *
must_parse(const char *text)
{
	struct lifecycle_policy *p;
	char *cause;

	if (parse(text, &p, &cause) != LIFECYCLE_OK)
		fail_msg("%s: %s", text, cause);
	return p;
}

struct parse_case {
	const char *text;
	const char *cause; /* NULL: accepted */
};

static const struct parse_case parse_cases[] = {
    /* Accepted. */
    {POLICY(U1), NULL},
    {POLICY(U1) " \n\t", NULL},
    {" \r\n" POLICY(U1), NULL},
    {POLICY(RULE(1, UNTAGGED PUSHED(14), EXPIRE)), NULL},
    {POLICY(RULE(1, PREFIX("'prod','release'") COUNT(5), EXPIRE)), NULL},
    {POLICY(RULE(1, PATTERN("'*test*1*2*3','test*1*2*3*'") COUNT(5), EXPIRE)),
        NULL},
    {POLICY(RULE(1, PREFIX("'prod','prod'") COUNT(5), EXPIRE)), NULL},
    {POLICY(RULE(1, ANY PULLED(30), ARCHIVE)), NULL},
    {POLICY(RULE(1, ANY "'storageClass':'standard'," PUSHED(30), ARCHIVE)),
        NULL},
    {POLICY(RULE(1, ANY IN_ARCHIVE TRANSITIONED(90), EXPIRE)), NULL},
    {POLICY(RULE(10, ANY COUNT(3), EXPIRE) "," RULE(5, UNTAGGED PUSHED(1),
         EXPIRE)),
        NULL},
    /* "any" last and one untagged rule hold per storage class. */
    {POLICY(RULE(1, ANY PUSHED(30), ARCHIVE) "," RULE(2,
         ANY IN_ARCHIVE TRANSITIONED(365), EXPIRE)),
        NULL},
    {POLICY(RULE(1, UNTAGGED PUSHED(30), ARCHIVE) "," RULE(2,
         UNTAGGED IN_ARCHIVE TRANSITIONED(90), EXPIRE)),
        NULL},
    {POLICY(RULE(1, PREFIX("'v'") PUSHED(30), ARCHIVE) "," RULE(2,
         PREFIX("'v'") IN_ARCHIVE TRANSITIONED(90), EXPIRE)),
        NULL},
    {"{'rules':[{'action':{'type':'expire'},'description':'d','selection':"
     "{'countNumber':2,'countType':'imageCountMoreThan','tagStatus':'any'},"
     "'rulePriority':2147483647}]}",
        NULL},

    /* Not JSON, or not an object. */
    {"", NOT_MAPPED_MSG},
    {"rules", NOT_MAPPED_MSG},
    {"[" U1 "]", NOT_MAPPED_MSG},
    {"'rules'", NOT_MAPPED_MSG},
    {POLICY(U1) " x", NOT_MAPPED_MSG},
    {POLICY(U1) "{}", NOT_MAPPED_MSG},
    {"{'rules':[" U1 ",]}", NOT_MAPPED_MSG},
    {"{'rules':[" U1 "],'x':NaN}", NOT_MAPPED_MSG},
    {"{'rules':[" U1 "],'x':[-Infinity]}", NOT_MAPPED_MSG},
    {"{rules:[" U1 "]}", NOT_MAPPED_MSG},

    /* The policy object. */
    {"{}", MISSING_MSG("['rules']")},
    {"{'rules':[" U1 "],'x':1,'a':{}}", EXTRA_MSG("['a','x']")},
    {"{'rules':null}", TYPE_MSG("null", "array")},
    {"{'rules':{}}", TYPE_MSG("object", "array")},
    {"{'rules':[]}", "array is too short: must have at least 1 elements but "
                     "instance has 0 elements"},
    {"{'rules':['x']}", TYPE_MSG("string", "object")},

    /* A rule. */
    {"{'rules':[{}]}", MISSING_MSG("['action','rulePriority','selection']")},
    {"{'rules':[{'rulePriority':1,'x':2}]}",
        MISSING_MSG("['action','selection']")},
    {"{'rules':[{'rulePriority':1,'selection':{'tagStatus':'any','countType':"
     "'imageCountMoreThan','countNumber':1},'action':{'type':'expire'},"
     "'Priority':1}]}",
        EXTRA_MSG("['Priority']")},
    {POLICY(RULE('1', UNTAGGED COUNT(1), EXPIRE)),
        TYPE_MSG("string", "integer")},
    {POLICY(RULE(1.5, UNTAGGED COUNT(1), EXPIRE)),
        TYPE_MSG("number", "integer")},
    {POLICY(RULE(1.0, UNTAGGED COUNT(1), EXPIRE)),
        TYPE_MSG("number", "integer")},
    {POLICY(RULE(null, UNTAGGED COUNT(1), EXPIRE)),
        TYPE_MSG("null", "integer")},
    {POLICY(RULE(0, UNTAGGED COUNT(1), EXPIRE)), MIN_MSG("0")},
    {POLICY(RULE(-3, UNTAGGED COUNT(1), EXPIRE)), MIN_MSG("-3")},
    {"{'rules':[{'rulePriority':1,'description':5,'selection':{'tagStatus':"
     "'any','countType':'imageCountMoreThan','countNumber':1},'action':{"
     "'type':'expire'}}]}",
        TYPE_MSG("integer", "string")},
    {POLICY(RULE(2147483648, UNTAGGED COUNT(1), EXPIRE)), NOT_MAPPED_MSG},
    {POLICY(RULE(99999999999999999999, UNTAGGED COUNT(1), EXPIRE)),
        NOT_MAPPED_MSG},

    /* A selection. */
    {"{'rules':[{'rulePriority':1,'selection':[],'action':{'type':'expire'}}"
     "]}",
        TYPE_MSG("array", "object")},
    {POLICY(RULE(1, "'tagStatus':'any'", EXPIRE)),
        MISSING_MSG("['countNumber','countType']")},
    {POLICY(RULE(1, UNTAGGED COUNT(1) ",'countUnits':'days'", EXPIRE)),
        EXTRA_MSG("['countUnits']")},
    {POLICY(RULE(1, "'tagStatus':'all'," COUNT(1), EXPIRE)),
        ENUM_MSG("all", "['tagged','untagged','any']")},
    {POLICY(RULE(1, "'tagStatus':true," COUNT(1), EXPIRE)),
        TYPE_MSG("boolean", "string")},
    {POLICY(RULE(1,
         UNTAGGED "'countType':'imageCountLessThan',"
                  "'countNumber':1",
         EXPIRE)),
        ONE_OF_MSG},
    {POLICY(RULE(1, UNTAGGED "'countType':3,'countNumber':1", EXPIRE)),
        ONE_OF_MSG},
    {POLICY(RULE(1, UNTAGGED COUNT(1) ",'countUnit':'days'", EXPIRE)),
        ONE_OF_MSG},
    {POLICY(RULE(1,
         UNTAGGED "'countType':'sinceImagePushed',"
                  "'countNumber':1",
         EXPIRE)),
        ONE_OF_MSG},
    {POLICY(RULE(1,
         UNTAGGED "'countType':'sinceImagePushed',"
                  "'countUnit':'hours','countNumber':1",
         EXPIRE)),
        ENUM_MSG("hours", "['days']")},
    {POLICY(RULE(1,
         UNTAGGED "'countType':'sinceImagePushed',"
                  "'countUnit':null,'countNumber':1",
         EXPIRE)),
        TYPE_MSG("null", "string")},
    {POLICY(RULE(1,
         UNTAGGED "'countType':'sinceImagePushed',"
                  "'countUnit':'days\\u0000','countNumber':1",
         EXPIRE)),
        ENUM_MSG("days", "['days']")},
    {POLICY(RULE(1, UNTAGGED PUSHED(1),
         "'type':'transition','targetStorageClass':'archive\\u0000'")),
        ONE_OF_MSG},
    {POLICY(RULE(1, UNTAGGED COUNT(0), EXPIRE)), MIN_MSG("0")},
    {POLICY(RULE(1, UNTAGGED COUNT('5'), EXPIRE)),
        TYPE_MSG("string", "integer")},
    {POLICY(RULE(1, UNTAGGED COUNT(99999999999), EXPIRE)), NOT_MAPPED_MSG},
    {POLICY(RULE(1, UNTAGGED "'storageClass':'glacier'," COUNT(1), EXPIRE)),
        ENUM_MSG("glacier", "['standard','archive']")},
    {POLICY(RULE(1, "'tagStatus':'tagged','tagPrefixList':'prod'," COUNT(1),
         EXPIRE)),
        TYPE_MSG("string", "array")},
    {POLICY(RULE(1, PATTERN("'a',1") COUNT(1), EXPIRE)),
        TYPE_MSG("integer", "string")},

    /* An action. */
    {POLICY(RULE(1, UNTAGGED COUNT(1), "'type':'delete'")),
        ENUM_MSG("delete", "['expire','transition']")},
    {POLICY(RULE(1, UNTAGGED COUNT(1), "")), MISSING_MSG("['type']")},
    {POLICY(RULE(1, UNTAGGED COUNT(1), EXPIRE ",'when':'now'")),
        EXTRA_MSG("['when']")},
    {"{'rules':[{'rulePriority':1,'selection':{'tagStatus':'any','countType':"
     "'imageCountMoreThan','countNumber':1},'action':'expire'}]}",
        TYPE_MSG("string", "object")},
    {POLICY(RULE(1, UNTAGGED COUNT(1), EXPIRE ",'targetStorageClass':null")),
        ONE_OF_MSG},
    {POLICY(RULE(1, UNTAGGED COUNT(1),
         EXPIRE ",'targetStorageClass':'archive'")),
        ONE_OF_MSG},
    {POLICY(RULE(1, UNTAGGED PUSHED(1), "'type':'transition'")), ONE_OF_MSG},
    {POLICY(RULE(1, UNTAGGED PUSHED(1),
         "'type':'transition','targetStorageClass':'standard'")),
        ONE_OF_MSG},

    /* Semantic rules, after the whole schema. */
    {POLICY(RULE(1, "'tagStatus':'tagged'," COUNT(1), EXPIRE)),
        "rulePriority 1: tagStatus tagged requires tagPrefixList or "
        "tagPatternList"},
    {POLICY(RULE(1, PREFIX("'a'") "'tagPatternList':['b']," COUNT(1), EXPIRE)),
        "rulePriority 1: tagPrefixList and tagPatternList cannot both be "
        "specified"},
    {POLICY(RULE(1, UNTAGGED "'tagPrefixList':['a']," COUNT(1), EXPIRE)),
        "rulePriority 1: tagPrefixList and tagPatternList are allowed only "
        "with tagStatus tagged"},
    {POLICY(RULE(3, ANY "'tagPatternList':['a*']," COUNT(1), EXPIRE)),
        "rulePriority 3: tagPrefixList and tagPatternList are allowed only "
        "with tagStatus tagged"},
    {POLICY(RULE(1, PREFIX("") COUNT(1), EXPIRE)),
        "rulePriority 1: tagPrefixList must not be empty"},
    {POLICY(RULE(1, PATTERN("") COUNT(1), EXPIRE)),
        "rulePriority 1: tagPatternList must not be empty"},
    {POLICY(RULE(1, PATTERN("'ok*','test*1*2*3*4*5*6'") COUNT(1), EXPIRE)),
        "rulePriority 1: tagPatternList entry test*1*2*3*4*5*6 has more "
        "than 4 wildcards (*)"},
    {POLICY(RULE(1, PATTERN("'*a*b*c*d*'") COUNT(1), EXPIRE)),
        "rulePriority 1: tagPatternList entry *a*b*c*d* has more than 4 "
        "wildcards (*)"},
    {POLICY(RULE(1, UNTAGGED PULLED(30), EXPIRE)),
        "rulePriority 1: countType sinceImagePulled is allowed only with "
        "action type transition"},
    {POLICY(RULE(1, UNTAGGED TRANSITIONED(90), EXPIRE)),
        "rulePriority 1: countType sinceImageTransitioned requires "
        "storageClass archive"},
    {POLICY(RULE(1, UNTAGGED IN_ARCHIVE TRANSITIONED(89), EXPIRE)),
        "rulePriority 1: countType sinceImageTransitioned requires a "
        "countNumber of at least 90"},
    {POLICY(RULE(1, UNTAGGED IN_ARCHIVE PUSHED(90), EXPIRE)),
        "rulePriority 1: storageClass archive is allowed only with "
        "countType sinceImageTransitioned"},
    {POLICY(RULE(1, UNTAGGED IN_ARCHIVE TRANSITIONED(90), ARCHIVE)),
        "rulePriority 1: a transition rule can select only storageClass "
        "standard"},
    {POLICY(RULE(2, UNTAGGED COUNT(1), EXPIRE) "," RULE(2, ANY COUNT(1),
         EXPIRE)),
        "rulePriority 2: rulePriority must be unique across rules"},
    {POLICY(RULE(7, UNTAGGED COUNT(1), EXPIRE) "," RULE(3, UNTAGGED PUSHED(1),
         EXPIRE)),
        "rulePriority 3 and 7 both select untagged images"},
    {POLICY(RULE(1, ANY COUNT(1), EXPIRE) "," RULE(2, UNTAGGED PUSHED(1),
         EXPIRE)),
        "rulePriority 1: a rule with tagStatus any must have the highest "
        "rulePriority"},
    {POLICY(RULE(1, ANY COUNT(1), EXPIRE) "," RULE(2, ANY PUSHED(1), EXPIRE)),
        "rulePriority 1: a rule with tagStatus any must have the highest "
        "rulePriority"},
    {POLICY(RULE(1, PREFIX("'prod','x'") COUNT(1), EXPIRE) "," RULE(2,
         PREFIX("'beta','prod'") COUNT(1), EXPIRE)),
        "rulePriority 1 and 2 both use tag prefix prod"},
    /* The schema is checked for every rule before any semantic rule. */
    {POLICY(RULE(1, UNTAGGED PULLED(30), EXPIRE) "," RULE(2, UNTAGGED COUNT(0),
         EXPIRE)),
        MIN_MSG("0")},
};

static void
test_lifecycle_parse_table(void **state)
{
	struct lifecycle_policy *p;
	char *cause, *want;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		const struct parse_case *c = &parse_cases[i];

		rc = parse(c->text, &p, &cause);
		if (c->cause == NULL) {
			if (rc != LIFECYCLE_OK)
				fail_msg("case %zu %s: %s", i, c->text, cause);
			assert_null(cause);
			assert_non_null(p);
			lifecycle_free(p);
			continue;
		}
		if (rc != LIFECYCLE_INVALID)
			fail_msg("case %zu accepted: %s", i, c->text);
		assert_null(p);
		want = dq(c->cause);
		if (strcmp(cause, want) != 0)
			fail_msg("case %zu %s:\n got %s\nwant %s", i, c->text,
			    cause, want);
		free(want);
		free(cause);
	}
}

/* n rules, priorities 1..n, each keeping one image of its own prefix. */
static char *
many_rules(size_t n)
{
	struct buf b;
	size_t i;

	buf_init(&b, 1 << 20);
	assert_int_equal(buf_addstr(&b, "{\"rules\":["), 0);
	for (i = 1; i <= n; i++)
		assert_int_equal(
		    buf_addf(&b,
		        "%s{\"rulePriority\":%zu,\"selection\":{"
		        "\"tagStatus\":\"tagged\",\"tagPrefixList\":"
		        "[\"p%zu\"],\"countType\":"
		        "\"imageCountMoreThan\",\"countNumber\":1},"
		        "\"action\":{\"type\":\"expire\"}}",
		        i == 1 ? "" : ",", i, i),
		    0);
	assert_int_equal(buf_addstr(&b, "]}"), 0);
	return buf_take(&b, NULL);
}

static void
test_lifecycle_parse_allows_1_to_50_rules(void **state)
{
	struct lifecycle_policy *p = NULL;
	char *text, *cause = NULL;

	(void)state;
	text = many_rules(50);
	assert_int_equal(lifecycle_parse(text, strlen(text), &p, &cause), 0);
	assert_int_equal(p->n_rules, 50);
	lifecycle_free(p);
	free(text);
	text = many_rules(51);
	assert_int_equal(lifecycle_parse(text, strlen(text), &p, &cause),
	    LIFECYCLE_INVALID);
	assert_string_equal(cause, "array is too long: must have at most 50 "
	                           "elements but instance has 51 elements");
	free(cause);
	free(text);
}

static void
test_lifecycle_parse_fills_rules_by_priority(void **state)
{
	struct lifecycle_policy *p;
	const struct lifecycle_rule *r;

	(void)state;
	p = must_parse(POLICY(RULE(9, ANY IN_ARCHIVE TRANSITIONED(120),
	    EXPIRE) "," RULE(4, PATTERN("'a*','b'") PULLED(30),
	    ARCHIVE) "," RULE(2, PREFIX("'x'") PUSHED(7), EXPIRE)));
	assert_int_equal(p->n_rules, 3);
	r = &p->rules[0];
	assert_int_equal(r->rule_priority, 2);
	assert_null(r->description);
	assert_int_equal(r->tag_status, LIFECYCLE_TAGGED);
	assert_int_equal(r->n_tag_prefixes, 1);
	assert_string_equal(r->tag_prefixes[0], "x");
	assert_null(r->tag_patterns);
	assert_int_equal(r->count_type, LIFECYCLE_SINCE_IMAGE_PUSHED);
	assert_int_equal(r->count_number, 7);
	assert_int_equal(r->storage_class, LIFECYCLE_STANDARD);
	assert_false(r->has_storage_class);
	assert_int_equal(r->action, LIFECYCLE_EXPIRE);
	r = &p->rules[1];
	assert_int_equal(r->rule_priority, 4);
	assert_int_equal(r->n_tag_patterns, 2);
	assert_string_equal(r->tag_patterns[1], "b");
	assert_int_equal(r->count_type, LIFECYCLE_SINCE_IMAGE_PULLED);
	assert_int_equal(r->action, LIFECYCLE_TRANSITION);
	r = &p->rules[2];
	assert_int_equal(r->rule_priority, 9);
	assert_int_equal(r->tag_status, LIFECYCLE_ANY);
	assert_int_equal(r->storage_class, LIFECYCLE_ARCHIVE);
	assert_true(r->has_storage_class);
	assert_int_equal(r->count_type, LIFECYCLE_SINCE_IMAGE_TRANSITIONED);
	assert_int_equal(r->count_number, 120);
	lifecycle_free(p);
	lifecycle_free(NULL);
}

static void
test_lifecycle_error_message_wraps_cause(void **state)
{
	char *m;

	(void)state;
	m = lifecycle_error_message(NOT_MAPPED_MSG);
	assert_string_equal(m, "Invalid parameter at 'LifecyclePolicyText' "
	                       "failed to satisfy constraint: 'Lifecycle "
	                       "policy validation failure: Could not map "
	                       "policyString into LifecyclePolicy.'");
	free(m);
	/*
	 * The wire leaves the quote off this one (docs/ecr-behaviour.md
	 * 3.6).
	 */
	m = lifecycle_error_message(ONE_OF_MSG);
	assert_string_equal(m, LIFECYCLE_ERROR_PREFIX ONE_OF_MSG);
	free(m);
	m = lifecycle_error_message("numeric instance is lower than the "
	                            "required minimum (minimum: 1, found: 0)");
	assert_string_equal(m, LIFECYCLE_ERROR_PREFIX MIN_MSG("0"));
	free(m);
	assert_string_equal(lifecycle_action_name(LIFECYCLE_EXPIRE), "EXPIRE");
	assert_string_equal(lifecycle_action_name(LIFECYCLE_TRANSITION),
	    "TRANSITION");
	assert_string_equal(lifecycle_storage_class_name(LIFECYCLE_ARCHIVE),
	    "ARCHIVE");
	assert_string_equal(lifecycle_storage_class_name(LIFECYCLE_STANDARD),
	    "STANDARD");
}

struct normalise_case {
	const char *text;
	const char *want;
};

static const struct normalise_case normalise_cases[] = {
    /* Rules sorted, keys reordered, whitespace dropped. */
    {"{ 'rules' : [ { 'action' : { 'type' : 'expire' }, 'selection' : { "
     "'countNumber' : 1, 'countType' : 'imageCountMoreThan', 'tagPrefixList'"
     " : [ 'beta' ], 'tagStatus' : 'tagged' }, 'description' : 'Rule 2', "
     "'rulePriority' : 2 }, { 'rulePriority' : 1, 'description' : 'Rule 1',"
     " 'selection' : { 'tagStatus' : 'tagged', 'tagPrefixList' : [ 'prod' ],"
     " 'countType' : 'imageCountMoreThan', 'countNumber' : 1 }, 'action' : "
     "{ 'type' : 'expire' } } ] }",
        "{'rules':[{'rulePriority':1,'description':'Rule 1','selection':{"
        "'tagStatus':'tagged','tagPrefixList':['prod'],'countType':"
        "'imageCountMoreThan','countNumber':1},'action':{'type':'expire'}},"
        "{'rulePriority':2,'description':'Rule 2','selection':{'tagStatus':"
        "'tagged','tagPrefixList':['beta'],'countType':'imageCountMoreThan',"
        "'countNumber':1},'action':{'type':'expire'}}]}"},
    /* countUnit, storageClass and targetStorageClass in their places. */
    {"{'rules':[{'action':{'targetStorageClass':'archive','type':"
     "'transition'},'selection':{'countNumber':30,'countUnit':'days',"
     "'countType':'sinceImagePulled','storageClass':'standard',"
     "'tagPatternList':['prod*','*-rc'],'tagStatus':'tagged'},"
     "'rulePriority':3},{'rulePriority':8,'selection':{'countType':"
     "'sinceImageTransitioned','storageClass':'archive','tagStatus':'any',"
     "'countNumber':90,'countUnit':'days'},'action':{'type':'expire'}}]}",
        "{'rules':[{'rulePriority':3,'selection':{'tagStatus':'tagged',"
        "'tagPatternList':['prod*','*-rc'],'storageClass':'standard',"
        "'countType':'sinceImagePulled','countUnit':'days','countNumber':30},"
        "'action':{'type':'transition','targetStorageClass':'archive'}},"
        "{'rulePriority':8,'selection':{'tagStatus':'any','storageClass':"
        "'archive','countType':'sinceImageTransitioned','countUnit':'days',"
        "'countNumber':90},'action':{'type':'expire'}}]}"},
    /* Already canonical: unchanged. */
    {POLICY(RULE(1, UNTAGGED PUSHED(14), EXPIRE)),
        POLICY(RULE(1, UNTAGGED PUSHED(14), EXPIRE))},
};

static void
test_lifecycle_normalise_golden(void **state)
{
	struct lifecycle_policy *p;
	char *got, *want;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof normalise_cases / sizeof normalise_cases[0];
	     i++) {
		p = must_parse(normalise_cases[i].text);
		got = lifecycle_normalise(p);
		want = dq(normalise_cases[i].want);
		assert_string_equal(got, want);
		free(want);
		free(got);
		lifecycle_free(p);
	}
}

static void
test_lifecycle_normalise_keeps_slashes_and_escapes(void **state)
{
	const char *text = "{\"rules\":[{\"rulePriority\":1,\"description\":"
	                   "\"a/b \\\"q\\\" \\u00e9\\n\",\"selection\":{"
	                   "\"tagStatus\":\"any\",\"countType\":"
	                   "\"imageCountMoreThan\",\"countNumber\":1},"
	                   "\"action\":{\"type\":\"expire\"}}]}";
	struct lifecycle_policy *p = NULL;
	char *cause = NULL, *got;

	(void)state;
	assert_int_equal(lifecycle_parse(text, strlen(text), &p, &cause), 0);
	got = lifecycle_normalise(p);
	assert_string_equal(got,
	    "{\"rules\":[{\"rulePriority\":1,\"description\":\"a/b \\\"q\\\" "
	    "\xc3\xa9\\n\",\"selection\":{\"tagStatus\":\"any\",\"countType\":"
	    "\"imageCountMoreThan\",\"countNumber\":1},\"action\":{\"type\":"
	    "\"expire\"}}]}");
	assert_string_equal(p->rules[0].description, "a/b \"q\" \xc3\xa9\n");
	free(got);
	lifecycle_free(p);
}

/* Other control characters as Jackson writes them: upper-case hex. */
static void
test_lifecycle_normalise_escapes_as_jackson(void **state)
{
	const char *text =
	    "{\"rules\":[{\"rulePriority\":1,\"description\":"
	    "\"\\u001f\\t\",\"selection\":{\"tagStatus\":\"any\","
	    "\"countType\":\"imageCountMoreThan\",\"countNumber\":1},"
	    "\"action\":{\"type\":\"expire\"}}]}";
	struct lifecycle_policy *p = NULL;
	char *cause = NULL, *got;

	(void)state;
	assert_int_equal(lifecycle_parse(text, strlen(text), &p, &cause), 0);
	got = lifecycle_normalise(p);
	assert_string_equal(got,
	    "{\"rules\":[{\"rulePriority\":1,\"description\":\"\\u001F\\t\","
	    "\"selection\":{\"tagStatus\":\"any\",\"countType\":"
	    "\"imageCountMoreThan\",\"countNumber\":1},\"action\":{\"type\":"
	    "\"expire\"}}]}");
	free(got);
	lifecycle_free(p);
}

/* A small repository for the engine tests. */
#define REPO_MAX 40
#define TAGS_MAX 8

struct repo {
	struct lifecycle_image im[REPO_MAX];
	const char *tags[REPO_MAX][TAGS_MAX];
	char buf[REPO_MAX][128];
	size_t n;
};

/* Add an image with space-separated tags ("" for none). */
static struct lifecycle_image *
add(struct repo *r, const char *digest, const char *tags, int64_t pushed_at)
{
	struct lifecycle_image *im = &r->im[r->n];
	char *p;
	size_t k = 0;

	assert_true(r->n < REPO_MAX);
	assert_true(strlen(tags) < sizeof r->buf[0]);
	memcpy(r->buf[r->n], tags, strlen(tags) + 1);
	for (p = r->buf[r->n]; *p != '\0';) {
		if (*p == ' ') {
			*p++ = '\0';
			continue;
		}
		assert_true(k < TAGS_MAX);
		r->tags[r->n][k++] = p;
		while (*p != '\0' && *p != ' ')
			p++;
	}
	memset(im, 0, sizeof *im);
	im->digest = digest;
	im->tags = r->tags[r->n];
	im->n_tags = k;
	im->pushed_at_ms = pushed_at;
	r->n++;
	return im;
}

/*
 * Evaluate text over the repository and render the actions in output
 * order: "A(1) B(2>archive)", digest and rule priority, ">archive" for a
 * transition.
 */
static char *
eval(const char *text, const struct repo *r, int64_t now)
{
	struct lifecycle_policy *p = must_parse(text);
	struct lifecycle_action *a = NULL;
	struct buf b;
	size_t i, n = 0;

	assert_int_equal(lifecycle_eval(p, r->im, r->n, now, &a, &n), 0);
	buf_init(&b, 1 << 16);
	assert_int_equal(buf_addstr(&b, ""), 0);
	for (i = 0; i < n; i++) {
		assert_true(a[i].image < r->n);
		assert_int_equal(a[i].rule_priority,
		    p->rules[a[i].rule].rule_priority);
		assert_int_equal(a[i].type, p->rules[a[i].rule].action);
		assert_int_equal(buf_addf(&b, "%s%s(%d%s)", i == 0 ? "" : " ",
		                     r->im[a[i].image].digest,
		                     a[i].rule_priority,
		                     a[i].type == LIFECYCLE_TRANSITION
		                         ? ">archive"
		                         : ""),
		    0);
	}
	free(a);
	lifecycle_free(p);
	return buf_take(&b, NULL);
}

static void
expect_eval(const char *text, const struct repo *r, const char *want)
{
	char *got = eval(text, r, NOW);

	if (strcmp(got, want) != 0)
		fail_msg("got \"%s\", want \"%s\"", got, want);
	free(got);
}

/* The worked examples' repository (docs/ecr-behaviour.md 3.6). */
static void
worked_example_repo(struct repo *r)
{
	memset(r, 0, sizeof *r);
	add(r, "A", "beta-1 prod-1", AGO(10));
	add(r, "B", "beta-2 prod-2", AGO(9));
	add(r, "C", "beta-3", AGO(8));
}

static void
test_lifecycle_eval_aws_worked_examples(void **state)
{
	struct repo r;

	(void)state;
	worked_example_repo(&r);
	/* prod keep 1 first: B protects itself from the beta rule. */
	expect_eval(POLICY(RULE(1, PREFIX("'prod'") COUNT(1),
	                EXPIRE) "," RULE(2, PREFIX("'beta'") COUNT(1), EXPIRE)),
	    &r, "A(1)");
	/* beta keep 1 first: A and B both go. */
	expect_eval(POLICY(RULE(1, PREFIX("'beta'") COUNT(1),
	                EXPIRE) "," RULE(2, PREFIX("'prod'") COUNT(1), EXPIRE)),
	    &r, "A(1) B(1)");
	/* The same with patterns, as the current AWS doc words them. */
	expect_eval(POLICY(RULE(1, PATTERN("'prod*'") COUNT(1),
	                EXPIRE) "," RULE(2, PATTERN("'beta*'") COUNT(1),
	                EXPIRE)),
	    &r, "A(1)");
	expect_eval(POLICY(RULE(2, PATTERN("'prod*'") COUNT(1),
	                EXPIRE) "," RULE(1, PATTERN("'beta*'") COUNT(1),
	                EXPIRE)),
	    &r, "A(1) B(1)");
	/* Rule text order does not matter, only priority. */
	expect_eval(POLICY(RULE(20, PREFIX("'beta'") COUNT(1),
	                EXPIRE) "," RULE(10, PREFIX("'prod'") COUNT(1),
	                EXPIRE)),
	    &r, "A(10)");
}

static void
test_lifecycle_eval_aws_doc_examples(void **state)
{
	struct repo r;

	(void)state;
	/* "Filtering on image age": untagged images older than 14 days. */
	memset(&r, 0, sizeof r);
	add(&r, "old", "", AGO(15));
	add(&r, "new", "", AGO(13));
	add(&r, "tagged", "v1", AGO(20));
	expect_eval(POLICY(RULE(1, UNTAGGED PUSHED(14), EXPIRE)), &r, "old(1)");
	/* The same for prod* tags. */
	expect_eval(POLICY(RULE(1, PATTERN("'prod*'") PUSHED(14), EXPIRE)), &r,
	    "");
	/* "Filtering on image count": keep one untagged image. */
	add(&r, "newest", "", AGO(1));
	expect_eval(POLICY(RULE(1, UNTAGGED COUNT(1), EXPIRE)), &r,
	    "old(1) new(1)");
	/* Tag-prefix count rule: images with both prefixes, keep 1. */
	memset(&r, 0, sizeof r);
	add(&r, "r1", "prod-1 release-1", AGO(5));
	add(&r, "r2", "prod-2", AGO(4));
	add(&r, "r3", "release-3 prod-3", AGO(3));
	add(&r, "r4", "release-4", AGO(2));
	expect_eval(POLICY(RULE(1, PREFIX("'prod','release'") COUNT(1),
	                EXPIRE)),
	    &r, "r1(1)");
}

static void
test_lifecycle_eval_keep_prod_pattern(void **state)
{
	struct repo r;
	char digest[15][8];
	int i;

	(void)state;
	memset(&r, 0, sizeof r);
	for (i = 0; i < 15; i++) {
		snprintf(digest[i], sizeof digest[i], "%c%02d",
		    i < 3 ? 'P' : 'D', i);
		add(&r, digest[i], i < 3 ? "prod-x" : "dev-x", AGO(100 - i));
	}
	/*
	 * The any rule counts all 15 newest first; of the 5 oldest it may
	 * expire only the two that the prod rule did not match.
	 */
	expect_eval(POLICY(RULE(1, PATTERN("'prod*'") PUSHED(3650),
	                EXPIRE) "," RULE(2, ANY COUNT(10), EXPIRE)),
	    &r, "D03(2) D04(2)");
	/* Without the prod rule the 5 oldest go. */
	expect_eval(POLICY(RULE(2, ANY COUNT(10), EXPIRE)), &r,
	    "P00(2) P01(2) P02(2) D03(2) D04(2)");
}

static void
test_lifecycle_eval_breaks_push_time_ties_by_digest(void **state)
{
	struct repo r;

	(void)state;
	memset(&r, 0, sizeof r);
	add(&r, "sha256:c", "", AGO(1));
	add(&r, "sha256:a", "", AGO(1));
	add(&r, "sha256:b", "", AGO(1));
	add(&r, "sha256:0", "", AGO(2));
	/* Of equal push times the larger digest counts as newer. */
	expect_eval(POLICY(RULE(1, UNTAGGED COUNT(1), EXPIRE)), &r,
	    "sha256:0(1) sha256:a(1) sha256:b(1)");
	expect_eval(POLICY(RULE(1, UNTAGGED COUNT(2), EXPIRE)), &r,
	    "sha256:0(1) sha256:a(1)");
}

static void
test_lifecycle_eval_many_tags_several_rules(void **state)
{
	struct repo r;

	(void)state;
	memset(&r, 0, sizeof r);
	add(&r, "X", "prod-1 beta-1 test-1", AGO(10));
	add(&r, "Y", "prod-2 beta-2", AGO(5));
	add(&r, "Z", "prod-3", AGO(1));
	/*
	 * X matches the test rule, which does not select it (too young), so
	 * neither later rule may touch it; Y is the prod rule's second.
	 */
	expect_eval(POLICY(RULE(1, PREFIX("'test'") PUSHED(100),
	                EXPIRE) "," RULE(2, PREFIX("'prod'") COUNT(1),
	                EXPIRE) "," RULE(3, PREFIX("'beta'") COUNT(1), EXPIRE)),
	    &r, "Y(2)");
	/* Each image is acted on once, by the first rule selecting it. */
	expect_eval(POLICY(RULE(1, PREFIX("'beta'") PUSHED(2),
	                EXPIRE) "," RULE(2, ANY COUNT(1), EXPIRE)),
	    &r, "X(1) Y(1)");
	/* Prefix and pattern lists need every entry matched by some tag. */
	expect_eval(POLICY(RULE(1,
	                PATTERN("'prod-*','beta-*','test-?'") PUSHED(1),
	                EXPIRE)),
	    &r, "");
	expect_eval(POLICY(RULE(1,
	                PATTERN("'prod-*','beta-*','test-*'") PUSHED(1),
	                EXPIRE)),
	    &r, "X(1)");
}

static void
test_lifecycle_eval_patterns_with_several_wildcards(void **state)
{
	struct repo r;

	(void)state;
	memset(&r, 0, sizeof r);
	add(&r, "a", "myprod-east-v1.2", AGO(10));
	add(&r, "b", "prod-v1", AGO(10));
	add(&r, "c", "prod-v1.2-rc", AGO(10));
	add(&r, "d", "xprod", AGO(10));
	add(&r, "e", "prod", AGO(10));
	expect_eval(POLICY(RULE(1, PATTERN("'*prod*-v*.*'") PUSHED(1), EXPIRE)),
	    &r, "a(1) c(1)");
	/* Whole-tag: "prod" is not a prefix pattern. */
	expect_eval(POLICY(RULE(1, PATTERN("'prod'") PUSHED(1), EXPIRE)), &r,
	    "e(1)");
	expect_eval(POLICY(RULE(1, PATTERN("'*prod'") PUSHED(1), EXPIRE)), &r,
	    "d(1) e(1)");
	expect_eval(POLICY(RULE(1, PATTERN("'p*o*d'") PUSHED(1), EXPIRE)), &r,
	    "e(1)");
}

static void
test_lifecycle_eval_count_at_threshold_expires_none(void **state)
{
	struct repo r;

	(void)state;
	memset(&r, 0, sizeof r);
	add(&r, "a", "v1", AGO(3));
	add(&r, "b", "v2", AGO(2));
	add(&r, "c", "v3", AGO(1));
	expect_eval(POLICY(RULE(1, PREFIX("'v'") COUNT(3), EXPIRE)), &r, "");
	expect_eval(POLICY(RULE(1, PREFIX("'v'") COUNT(4), EXPIRE)), &r, "");
	expect_eval(POLICY(RULE(1, PREFIX("'v'") COUNT(2), EXPIRE)), &r,
	    "a(1)");
}

static void
test_lifecycle_eval_since_rules_at_boundary(void **state)
{
	struct repo r;
	struct lifecycle_image *im;

	(void)state;
	memset(&r, 0, sizeof r);
	add(&r, "exact", "", AGO(14));
	add(&r, "over", "", AGO(14) - 1);
	add(&r, "under", "", AGO(14) + 1);
	expect_eval(POLICY(RULE(1, UNTAGGED PUSHED(14), EXPIRE)), &r,
	    "over(1)");
	im = add(&r, "pulled", "v", AGO(100));
	im->last_pulled_at_ms = AGO(30);
	im = add(&r, "pulled2", "v", AGO(100));
	im->last_pulled_at_ms = AGO(30) - 1;
	expect_eval(POLICY(RULE(1, PREFIX("'v'") PULLED(30), ARCHIVE)), &r,
	    "pulled2(1>archive)");
	/* Pushed in the future (clock skew): never "older". */
	memset(&r, 0, sizeof r);
	add(&r, "future", "", NOW + DAY);
	expect_eval(POLICY(RULE(1, UNTAGGED PUSHED(1), EXPIRE)), &r, "");
}

static void
test_lifecycle_eval_never_acts_on_referenced_images(void **state)
{
	struct repo r;

	(void)state;
	memset(&r, 0, sizeof r);
	add(&r, "child", "", AGO(30))->is_referenced = true;
	add(&r, "u2", "", AGO(20));
	add(&r, "u3", "", AGO(10));
	/* The child still counts towards the number kept. */
	expect_eval(POLICY(RULE(1, UNTAGGED COUNT(1), EXPIRE)), &r, "u2(1)");
	expect_eval(POLICY(RULE(1, UNTAGGED PUSHED(5), ARCHIVE)), &r,
	    "u2(1>archive) u3(1>archive)");
	/* Matched by the untagged rule, the child is not the any rule's. */
	expect_eval(POLICY(RULE(1, UNTAGGED COUNT(5), EXPIRE) "," RULE(2,
	                ANY PUSHED(1), EXPIRE)),
	    &r, "");
}

static void
test_lifecycle_eval_transition_then_expire_archived(void **state)
{
	const char *policy = POLICY(RULE(1, ANY PUSHED(30), ARCHIVE) "," RULE(2,
	    ANY IN_ARCHIVE TRANSITIONED(90), EXPIRE));
	struct repo r;
	struct lifecycle_image *im;

	(void)state;
	memset(&r, 0, sizeof r);
	add(&r, "S1", "v1", AGO(40));
	add(&r, "S2", "v2", AGO(10));
	im = add(&r, "A1", "v0", AGO(200));
	im->is_archived = true;
	im->archived_at_ms = AGO(100);
	im = add(&r, "A2", "", AGO(150));
	im->is_archived = true;
	im->archived_at_ms = AGO(50);
	im = add(&r, "A3", "", AGO(150));
	im->is_archived = true;
	im->archived_at_ms = AGO(90);
	/* Standard rules never see archived images, and the reverse. */
	expect_eval(policy, &r, "A1(2) S1(1>archive)");
	expect_eval(POLICY(RULE(1, ANY PUSHED(30), ARCHIVE)), &r,
	    "S1(1>archive)");
	expect_eval(POLICY(RULE(5, ANY IN_ARCHIVE TRANSITIONED(90), EXPIRE)),
	    &r, "A1(5)");
	assert_int_equal(lifecycle_image_class(&r.im[0]), LIFECYCLE_STANDARD);
	assert_int_equal(lifecycle_image_class(&r.im[2]), LIFECYCLE_ARCHIVE);
}

static void
test_lifecycle_eval_pulled_falls_back_to_push_and_restore(void **state)
{
	struct repo r;
	struct lifecycle_image *im;

	(void)state;
	memset(&r, 0, sizeof r);
	add(&r, "never", "", AGO(40));
	im = add(&r, "recent", "", AGO(40));
	im->last_pulled_at_ms = AGO(10);
	im = add(&r, "stale", "", AGO(60));
	im->last_pulled_at_ms = AGO(35);
	im = add(&r, "restored", "", AGO(100));
	im->last_pulled_at_ms = AGO(60);
	im->last_activated_at_ms = AGO(5);
	add(&r, "young", "", AGO(20));
	expect_eval(POLICY(RULE(1, UNTAGGED PULLED(30), ARCHIVE)), &r,
	    "stale(1>archive) never(1>archive)");
}

static void
test_lifecycle_eval_restored_image_counts_from_restore(void **state)
{
	struct repo r;
	struct lifecycle_image *im;

	(void)state;
	memset(&r, 0, sizeof r);
	im = add(&r, "restored", "", AGO(100));
	im->last_activated_at_ms = AGO(1);
	add(&r, "mid", "", AGO(50));
	assert_int_equal(lifecycle_image_pushed_at(im), AGO(1));
	expect_eval(POLICY(RULE(1, UNTAGGED COUNT(1), EXPIRE)), &r, "mid(1)");
	expect_eval(POLICY(RULE(1, UNTAGGED PUSHED(10), EXPIRE)), &r, "mid(1)");
}

static void
test_lifecycle_eval_untagged_and_any(void **state)
{
	struct repo r;
	struct lifecycle_action dummy, *a = &dummy;
	struct lifecycle_policy *p;
	size_t n = 1;

	(void)state;
	memset(&r, 0, sizeof r);
	add(&r, "t", "latest", AGO(10));
	add(&r, "u", "", AGO(10));
	expect_eval(POLICY(RULE(1, UNTAGGED PUSHED(1), EXPIRE)), &r, "u(1)");
	expect_eval(POLICY(RULE(1, ANY PUSHED(1), EXPIRE)), &r, "t(1) u(1)");
	expect_eval(POLICY(RULE(1, PREFIX("'lat'") PUSHED(1), EXPIRE)), &r,
	    "t(1)");
	/* No images, no actions. */
	p = must_parse(POLICY(RULE(1, ANY PUSHED(1), EXPIRE)));
	assert_int_equal(lifecycle_eval(p, NULL, 0, NOW, &a, &n), 0);
	assert_null(a);
	assert_int_equal(n, 0);
	lifecycle_free(p);
}

static void
test_lifecycle_eval_nul_in_prefix_matches_nothing(void **state)
{
	const char *text =
	    "{\"rules\":[{\"rulePriority\":1,\"selection\":{\"tagStatus\":"
	    "\"tagged\",\"tagPrefixList\":[\"a\\u0000b\"],\"countType\":"
	    "\"sinceImagePushed\",\"countUnit\":\"days\",\"countNumber\":1},"
	    "\"action\":{\"type\":\"expire\"}}]}";
	struct lifecycle_policy *p = NULL;
	struct repo r;
	char *cause = NULL;

	(void)state;
	assert_int_equal(lifecycle_parse(text, strlen(text), &p, &cause), 0);
	assert_true(p->rules[0].is_unmatchable);
	memset(&r, 0, sizeof r);
	add(&r, "x", "a abc", AGO(10));
	assert_false(lifecycle_rule_matches(&p->rules[0], &r.im[0]));
	lifecycle_free(p);
}

/*
 * 100,000 images and 10 rules: group k (tags "g<k>-<i>", k = 1..9) keeps
 * its 100k newest; untagged images (every tenth) are matched only by the
 * last "any" rule, which keeps only the newest image of all.
 */
static void
test_lifecycle_eval_large_repository(void **state)
{
	enum { N = 100000 };
	struct lifecycle_image *im = xcalloc(N, sizeof *im);
	struct lifecycle_action *a = NULL;
	struct lifecycle_policy *p;
	struct buf b;
	char(*digest)[24] = xcalloc(N, sizeof *digest);
	char(*tag)[24] = xcalloc(N, sizeof *tag);
	const char **tagv = xcalloc(N, sizeof *tagv);
	size_t i, n = 0, per_rule[11] = {0};
	char *text, *cause = NULL;

	(void)state;
	buf_init(&b, 1 << 16);
	assert_int_equal(buf_addstr(&b, "{\"rules\":["), 0);
	for (i = 1; i <= 9; i++)
		assert_int_equal(
		    buf_addf(&b,
		        "{\"rulePriority\":%zu,\"selection\":{"
		        "\"tagStatus\":\"tagged\",\"%s\":[\"g%zu%s\"],"
		        "\"countType\":\"imageCountMoreThan\","
		        "\"countNumber\":%zu},\"action\":{\"type\":"
		        "\"expire\"}},",
		        i, i % 2 ? "tagPatternList" : "tagPrefixList", i,
		        i % 2 ? "-*" : "", 100 * i),
		    0);
	assert_int_equal(
	    buf_addstr(&b, "{\"rulePriority\":10,\"selection\":{\"tagStatus\":"
	                   "\"any\",\"countType\":\"imageCountMoreThan\","
	                   "\"countNumber\":1},\"action\":{\"type\":"
	                   "\"expire\"}}]}"),
	    0);
	text = buf_take(&b, NULL);
	assert_int_equal(lifecycle_parse(text, strlen(text), &p, &cause), 0);
	free(text);
	for (i = 0; i < N; i++) {
		snprintf(digest[i], sizeof digest[i], "sha256:%08zu", i);
		im[i].digest = digest[i];
		/* Shuffled push times: image i is the (i * 7919 % N)th oldest.
		 */
		im[i].pushed_at_ms = NOW - N * 1000 + (int64_t)(i * 7919 % N);
		if (i % 10 != 0) {
			snprintf(tag[i], sizeof tag[i], "g%zu-%zu", i % 10, i);
			tagv[i] = tag[i];
			im[i].tags = &tagv[i];
			im[i].n_tags = 1;
		}
	}
	assert_int_equal(lifecycle_eval(p, im, N, NOW, &a, &n), 0);
	for (i = 0; i < n; i++) {
		per_rule[a[i].rule_priority]++;
		if (i > 0)
			assert_true(im[a[i - 1].image].pushed_at_ms <=
			            im[a[i].image].pushed_at_ms);
		if (a[i].rule_priority == 10)
			assert_int_equal(im[a[i].image].n_tags, 0);
		else
			assert_int_equal(a[i].image % 10,
			    (size_t)a[i].rule_priority);
	}
	for (i = 1; i <= 9; i++)
		assert_int_equal(per_rule[i], 10000 - 100 * i);
	/* The newest image (i = 82321) is tagged: every untagged one goes. */
	assert_int_equal(per_rule[10], 10000);
	assert_int_equal(n, 95500);
	free(a);
	lifecycle_free(p);
	free(tagv);
	free(tag);
	free(digest);
	free(im);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lifecycle_parse_table),
	    cmocka_unit_test(test_lifecycle_parse_allows_1_to_50_rules),
	    cmocka_unit_test(test_lifecycle_parse_fills_rules_by_priority),
	    cmocka_unit_test(test_lifecycle_error_message_wraps_cause),
	    cmocka_unit_test(test_lifecycle_normalise_golden),
	    cmocka_unit_test(
	        test_lifecycle_normalise_keeps_slashes_and_escapes),
	    cmocka_unit_test(test_lifecycle_normalise_escapes_as_jackson),
	    cmocka_unit_test(test_lifecycle_eval_aws_worked_examples),
	    cmocka_unit_test(test_lifecycle_eval_aws_doc_examples),
	    cmocka_unit_test(test_lifecycle_eval_keep_prod_pattern),
	    cmocka_unit_test(
	        test_lifecycle_eval_breaks_push_time_ties_by_digest),
	    cmocka_unit_test(test_lifecycle_eval_many_tags_several_rules),
	    cmocka_unit_test(
	        test_lifecycle_eval_patterns_with_several_wildcards),
	    cmocka_unit_test(
	        test_lifecycle_eval_count_at_threshold_expires_none),
	    cmocka_unit_test(test_lifecycle_eval_since_rules_at_boundary),
	    cmocka_unit_test(
	        test_lifecycle_eval_never_acts_on_referenced_images),
	    cmocka_unit_test(
	        test_lifecycle_eval_transition_then_expire_archived),
	    cmocka_unit_test(
	        test_lifecycle_eval_pulled_falls_back_to_push_and_restore),
	    cmocka_unit_test(
	        test_lifecycle_eval_restored_image_counts_from_restore),
	    cmocka_unit_test(test_lifecycle_eval_untagged_and_any),
	    cmocka_unit_test(test_lifecycle_eval_nul_in_prefix_matches_nothing),
	    cmocka_unit_test(test_lifecycle_eval_large_repository),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
