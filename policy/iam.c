/*
 * Parse and validate IAM policy documents into struct policy: the
 * document, its statements, principals, actions and resources. Conditions
 * are parsed in iam_condition.c and evaluation lives in iam_eval.c.
 */
#include "policy/policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/xalloc.h"
#include "policy/policy_int.h"

#define IAM_NAME_MAX 64
#define MUST_BE_STRINGS "must be a string or a non-empty list of strings"

static const char *const doc_members[] = {"Version", "Id", "Statement"};
static const char *const stmt_members[] = {"Sid", "Effect", "Principal",
    "NotPrincipal", "Action", "NotAction", "Resource", "NotResource",
    "Condition"};

const char *
policy_strerror(int rc)
{
	switch (rc) {
	case POLICY_OK:
		return "success";
	case POLICY_INVALID:
		return "invalid policy";
	case POLICY_TOOBIG:
		return "policy too large";
	case POLICY_SYNTAX:
		return "policy is not valid JSON";
	case POLICY_UNKNOWN_ACTION:
		return "unknown action in policy";
	}
	return "unknown policy error";
}

int
iam_fail(char **cause, int rc, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	if (cause == NULL)
		return rc;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	if (vsnprintf(s, (size_t)n + 1, fmt, ap) < 0)
		s[0] = '\0';
	va_end(ap);
	*cause = s;
	return rc;
}

int
iam_get_string(struct json_object *o, const char *where, const char **s,
    char **cause)
{
	/* Set on every path: GCC -O3 cannot see that failures are nonzero. */
	*s = "";
	if (!json_object_is_type(o, json_type_string))
		return iam_fail(cause, POLICY_INVALID, "%s: must be a string",
		    where);
	*s = json_object_get_string(o);
	if ((size_t)json_object_get_string_len(o) != strlen(*s))
		return iam_fail(cause, POLICY_INVALID,
		    "%s: contains a NUL character", where);
	return POLICY_OK;
}

static bool
is_member(const char *key, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(key, names[i]) == 0)
			return true;
	}
	return false;
}

static void
strlist_free(struct iam_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/*
 * Read a string or non-empty list of strings into out, checking each with
 * is_valid (which names the problem in *why). out is empty on entry.
 */
static int
parse_strlist(struct json_object *o, const char *where,
    bool (*is_valid)(const char *, const char **why), struct iam_strlist *out,
    char **cause)
{
	struct json_object *e;
	const char *s, *why;
	size_t i, n;
	bool is_list;

	is_list = json_object_is_type(o, json_type_array);
	if (!is_list && !json_object_is_type(o, json_type_string))
		return iam_fail(cause, POLICY_INVALID, "%s: %s", where,
		    MUST_BE_STRINGS);
	n = is_list ? json_object_array_length(o) : 1;
	if (n == 0)
		return iam_fail(cause, POLICY_INVALID, "%s: %s", where,
		    MUST_BE_STRINGS);
	out->v = xcalloc(n, sizeof out->v[0]);
	for (i = 0; i < n; i++) {
		e = is_list ? json_object_array_get_idx(o, i) : o;
		if (!json_object_is_type(e, json_type_string))
			return iam_fail(cause, POLICY_INVALID,
			    "%s[%zu]: must be a string", where, i);
		s = json_object_get_string(e);
		why = "invalid";
		if ((size_t)json_object_get_string_len(e) != strlen(s))
			why = "contains a NUL character";
		else if (is_valid(s, &why))
			why = NULL;
		if (why != NULL)
			return iam_fail(cause, POLICY_INVALID, "%s: %s '%s'",
			    where, why, s);
		out->v[out->n++] = xstrdup(s);
	}
	return POLICY_OK;
}

/* "*", or SERVICE:NAME with SERVICE [A-Za-z0-9-] and NAME [A-Za-z0-9*?]. */
static bool
is_valid_action(const char *s, const char **why)
{
	const char *colon, *p;

	*why = "invalid action";
	if (strcmp(s, "*") == 0)
		return true;
	if ((colon = strchr(s, ':')) == NULL || colon == s || colon[1] == '\0')
		return false;
	for (p = s; p < colon; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	}
	for (p = colon + 1; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || *p == '*' || *p == '?'))
			return false;
	}
	return true;
}

/*
 * IAM requires "*" or an ARN; wildcards may stand for whole fields, so
 * "arn:*" is accepted and only the "arn:" prefix is checked.
 */
static bool
is_valid_resource(const char *s, const char **why)
{
	*why = "resource must be '*' or an ARN, not";
	return strcmp(s, "*") == 0 ||
	       (strncmp(s, "arn:", 4) == 0 && s[4] != '\0');
}

/* IAM user, role and session names: [\w+=,.@-] (IAM API reference). */
static bool
is_name(const char *p, size_t len, size_t min)
{
	size_t i;

	if (len < min || len > IAM_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		if (!((p[i] >= 'A' && p[i] <= 'Z') ||
		        (p[i] >= 'a' && p[i] <= 'z') ||
		        (p[i] >= '0' && p[i] <= '9') ||
		        (p[i] != '\0' && strchr("_+=,.@-", p[i]) != NULL)))
			return false;
	}
	return true;
}

/* "NAME" or "PATH/.../NAME": printable path segments, then an IAM name. */
static bool
is_path_and_name(const char *s, size_t len, const char **name)
{
	const char *p, *last = NULL;

	for (p = s; p < s + len; p++) {
		if (*p < 0x21 || *p > 0x7e || *p == '*' || *p == '?')
			return false;
		if (*p == '/') {
			if (p == s || p[1] == '/')
				return false;
			last = p;
		}
	}
	*name = last == NULL ? s : last + 1;
	return is_name(*name, (size_t)(s + len - *name), 1);
}

static bool
is_account(const char *s, size_t len)
{
	size_t i;

	if (len != 12)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return true;
}

/*
 * An account root, IAM user or role ARN (with optional path), or an STS
 * assumed-role ARN, in partition aws, aws-cn or aws-us-gov. Sets p's kind,
 * partition and account, and its role_name to point into s.
 */
static bool
parse_principal_arn(const char *s, struct iam_principal *p)
{
	const char *f[6], *r, *name, *slash;
	size_t fl[6], rl;

	if (!iam_arn_split(s, f, fl) || fl[3] != 0 ||
	    !is_account(f[4], fl[4]) || fl[1] >= sizeof p->partition)
		return false;
	if (!((fl[1] == 3 && memcmp(f[1], "aws", 3) == 0) ||
	        (fl[1] == 6 && memcmp(f[1], "aws-cn", 6) == 0) ||
	        (fl[1] == 10 && memcmp(f[1], "aws-us-gov", 10) == 0)))
		return false;
	memcpy(p->partition, f[1], fl[1]);
	p->partition[fl[1]] = '\0';
	memcpy(p->account, f[4], 12);
	p->account[12] = '\0';
	r = f[5];
	rl = fl[5];
	if (fl[2] == 3 && memcmp(f[2], "sts", 3) == 0) {
		p->kind = IAM_PRINCIPAL_ARN;
		if (rl <= 13 || memcmp(r, "assumed-role/", 13) != 0)
			return false;
		r += 13;
		rl -= 13;
		if ((slash = memchr(r, '/', rl)) == NULL)
			return false;
		return is_name(r, (size_t)(slash - r), 1) &&
		       is_name(slash + 1, rl - (size_t)(slash + 1 - r), 2);
	}
	if (fl[2] != 3 || memcmp(f[2], "iam", 3) != 0)
		return false;
	if (rl == 4 && memcmp(r, "root", 4) == 0) {
		p->kind = IAM_PRINCIPAL_ACCOUNT;
		return true;
	}
	if (rl > 5 && memcmp(r, "user/", 5) == 0) {
		p->kind = IAM_PRINCIPAL_ARN;
		return is_path_and_name(r + 5, rl - 5, &name);
	}
	if (rl > 5 && memcmp(r, "role/", 5) == 0) {
		p->kind = IAM_PRINCIPAL_ROLE;
		if (!is_path_and_name(r + 5, rl - 5, &name))
			return false;
		p->role_name = name;
		return true;
	}
	return false;
}

static int
parse_principal_value(const char *type, const char *s, const char *where,
    struct iam_principal *p, char **cause)
{
	bool ok = true;

	memset(p, 0, sizeof *p);
	p->value = xstrdup(s);
	if (strcmp(type, "AWS") != 0) {
		ok = *s != '\0' && strpbrk(s, " \t\r\n") == NULL;
		p->kind = IAM_PRINCIPAL_OTHER;
	} else if (strcmp(s, "*") == 0)
		p->kind = IAM_PRINCIPAL_ANY;
	else if (is_account(s, strlen(s))) {
		p->kind = IAM_PRINCIPAL_ACCOUNT;
		memcpy(p->account, s, 13);
	} else
		ok = parse_principal_arn(p->value, p);
	if (!ok) {
		free(p->value);
		p->value = NULL;
		return iam_fail(cause, POLICY_INVALID,
		    "%s: invalid principal '%s'", where, s);
	}
	return POLICY_OK;
}

static int
parse_principal(struct json_object *o, const char *where, struct iam_stmt *st,
    char **cause)
{
	struct json_object *e;
	const char *s;
	char w[128];
	size_t i, n;
	int rc;
	bool is_list;

	if (json_object_is_type(o, json_type_string)) {
		s = json_object_get_string(o);
		if (strcmp(s, "*") != 0)
			return iam_fail(cause, POLICY_INVALID,
			    "%s: must be '*' or an object, not '%s'", where, s);
		st->principals = xcalloc(1, sizeof st->principals[0]);
		st->principals[0].value = xstrdup("*");
		st->n_principals = 1;
		return POLICY_OK;
	}
	if (!json_object_is_type(o, json_type_object) ||
	    json_object_object_length(o) == 0)
		return iam_fail(cause, POLICY_INVALID,
		    "%s: must be '*' or a non-empty object", where);
	json_object_object_foreach(o, type, v)
	{
		snprintf(w, sizeof w, "%s.%s", where, type);
		if (strcmp(type, "AWS") != 0 && strcmp(type, "Service") != 0 &&
		    strcmp(type, "Federated") != 0 &&
		    strcmp(type, "CanonicalUser") != 0)
			return iam_fail(cause, POLICY_INVALID,
			    "%s: unknown principal type", w);
		is_list = json_object_is_type(v, json_type_array);
		n = is_list ? json_object_array_length(v) : 1;
		if ((!is_list && !json_object_is_type(v, json_type_string)) ||
		    n == 0)
			return iam_fail(cause, POLICY_INVALID, "%s: %s", w,
			    MUST_BE_STRINGS);
		st->principals = xreallocarray(st->principals,
		    st->n_principals + n, sizeof st->principals[0]);
		for (i = 0; i < n; i++) {
			e = is_list ? json_object_array_get_idx(v, i) : v;
			if ((rc = iam_get_string(e, w, &s, cause)) != 0)
				return rc;
			rc = parse_principal_value(type, s, w,
			    &st->principals[st->n_principals], cause);
			if (rc != 0)
				return rc;
			st->n_principals++;
		}
	}
	return POLICY_OK;
}

/* Fetch the member named a or b; both present is an error. */
static int
get_either(struct json_object *o, const char *where, const char *a,
    const char *b, struct json_object **v, bool *is_b, char **cause)
{
	struct json_object *va = NULL, *vb = NULL;
	bool has_a, has_b;

	has_a = json_object_object_get_ex(o, a, &va);
	has_b = json_object_object_get_ex(o, b, &vb);
	if (has_a && has_b)
		return iam_fail(cause, POLICY_INVALID, "%s: has both %s and %s",
		    where, a, b);
	*v = has_a ? va : vb;
	*is_b = has_b;
	if ((has_a || has_b) && *v == NULL)
		return iam_fail(cause, POLICY_INVALID,
		    "%s.%s: must not be null", where, has_a ? a : b);
	return POLICY_OK;
}

static int
parse_effect_sid(struct json_object *o, const char *where, struct iam_stmt *st,
    char **cause)
{
	struct json_object *v;
	const char *s;
	char w[64];
	int rc;

	if (json_object_object_get_ex(o, "Sid", &v)) {
		snprintf(w, sizeof w, "%s.Sid", where);
		if ((rc = iam_get_string(v, w, &s, cause)) != 0)
			return rc;
		st->sid = xstrdup(s);
	}
	if (!json_object_object_get_ex(o, "Effect", &v))
		return iam_fail(cause, POLICY_INVALID, "%s: Effect is required",
		    where);
	snprintf(w, sizeof w, "%s.Effect", where);
	if ((rc = iam_get_string(v, w, &s, cause)) != 0)
		return rc;
	if (strcmp(s, "Allow") != 0 && strcmp(s, "Deny") != 0)
		return iam_fail(cause, POLICY_INVALID,
		    "%s: must be 'Allow' or 'Deny', not '%s'", w, s);
	st->deny = strcmp(s, "Deny") == 0;
	return POLICY_OK;
}

static int
parse_statement(struct json_object *o, const char *where, unsigned flags,
    struct iam_stmt *st, char **cause)
{
	struct json_object *v;
	char w[64];
	bool is_not;
	int rc;

	if (!json_object_is_type(o, json_type_object))
		return iam_fail(cause, POLICY_INVALID, "%s: must be an object",
		    where);
	json_object_object_foreach(o, key, val)
	{
		(void)val;
		if (!is_member(key, stmt_members,
		        sizeof stmt_members / sizeof stmt_members[0]))
			return iam_fail(cause, POLICY_INVALID,
			    "%s: unknown element '%s'", where, key);
	}
	if ((rc = parse_effect_sid(o, where, st, cause)) != 0)
		return rc;

	if ((rc = get_either(o, where, "Principal", "NotPrincipal", &v, &is_not,
	         cause)) != 0)
		return rc;
	if (v != NULL && (flags & POLICY_IDENTITY))
		return iam_fail(cause, POLICY_INVALID,
		    "%s: %s is not allowed in an identity policy", where,
		    is_not ? "NotPrincipal" : "Principal");
	if (v == NULL && (flags & POLICY_RESOURCE))
		return iam_fail(cause, POLICY_INVALID,
		    "%s: Principal or NotPrincipal is required", where);
	if (v != NULL) {
		st->has_principal = true;
		st->not_principal = is_not;
		snprintf(w, sizeof w, "%s.%s", where,
		    is_not ? "NotPrincipal" : "Principal");
		if ((rc = parse_principal(v, w, st, cause)) != 0)
			return rc;
	}

	if ((rc = get_either(o, where, "Action", "NotAction", &v, &is_not,
	         cause)) != 0)
		return rc;
	if (v == NULL)
		return iam_fail(cause, POLICY_INVALID,
		    "%s: Action or NotAction is required", where);
	st->not_action = is_not;
	snprintf(w, sizeof w, "%s.%s", where, is_not ? "NotAction" : "Action");
	if ((rc = parse_strlist(v, w, is_valid_action, &st->actions, cause)) !=
	    0)
		return rc;

	if ((rc = get_either(o, where, "Resource", "NotResource", &v, &is_not,
	         cause)) != 0)
		return rc;
	if (v == NULL && (flags & POLICY_IDENTITY))
		return iam_fail(cause, POLICY_INVALID,
		    "%s: Resource or NotResource is required", where);
	if (v != NULL) {
		st->has_resource = true;
		st->not_resource = is_not;
		snprintf(w, sizeof w, "%s.%s", where,
		    is_not ? "NotResource" : "Resource");
		if ((rc = parse_strlist(v, w, is_valid_resource, &st->resources,
		         cause)) != 0)
			return rc;
	}

	if (json_object_object_get_ex(o, "Condition", &v))
		return iam_conds_parse(v, where, st, cause);
	return POLICY_OK;
}

static int
parse_version(struct json_object *doc, unsigned flags, char **cause)
{
	struct json_object *v;
	const char *s;
	int rc;

	if (!json_object_object_get_ex(doc, "Version", &v)) {
		/*
		 * IAM defaults a missing Version to 2008-10-17; we ask
		 * repository and registry policies to name one (issue #5,
		 * [unconfirmed] for real ECR).
		 */
		if (flags & POLICY_RESOURCE)
			return iam_fail(cause, POLICY_INVALID,
			    "Version is required");
		return POLICY_OK;
	}
	if ((rc = iam_get_string(v, "Version", &s, cause)) != 0)
		return rc;
	if (strcmp(s, "2012-10-17") != 0 && strcmp(s, "2008-10-17") != 0)
		return iam_fail(cause, POLICY_INVALID,
		    "Version: must be '2012-10-17' or '2008-10-17', not '%s'",
		    s);
	return POLICY_OK;
}

static int
parse_document(struct json_object *doc, unsigned flags, struct policy *p,
    char **cause)
{
	struct json_object *v, *st;
	const char *s;
	char w[32];
	size_t i, n;
	int rc;
	bool is_list;

	if (!json_object_is_type(doc, json_type_object))
		return iam_fail(cause, POLICY_INVALID,
		    "policy must be a JSON object");
	json_object_object_foreach(doc, key, val)
	{
		(void)val;
		if (!is_member(key, doc_members,
		        sizeof doc_members / sizeof doc_members[0]))
			return iam_fail(cause, POLICY_INVALID,
			    "unknown top-level element '%s'", key);
	}
	if ((rc = parse_version(doc, flags, cause)) != 0)
		return rc;
	if (json_object_object_get_ex(doc, "Id", &v) &&
	    (rc = iam_get_string(v, "Id", &s, cause)) != 0)
		return rc;
	if (!json_object_object_get_ex(doc, "Statement", &v))
		return iam_fail(cause, POLICY_INVALID, "Statement is required");
	is_list = json_object_is_type(v, json_type_array);
	n = is_list ? json_object_array_length(v) : 1;
	if (n == 0)
		return iam_fail(cause, POLICY_INVALID,
		    "Statement: must not be an empty list");
	p->stmts = xcalloc(n, sizeof p->stmts[0]);
	for (i = 0; i < n; i++) {
		st = is_list ? json_object_array_get_idx(v, i) : v;
		snprintf(w, sizeof w, "Statement[%zu]", i);
		p->n_stmts = i + 1;
		if ((rc = parse_statement(st, w, flags, &p->stmts[i], cause)) !=
		    0)
			return rc;
	}
	return POLICY_OK;
}

int
policy_parse(const char *text, size_t len, unsigned flags, struct policy **out,
    char **cause)
{
	struct json_object *doc = NULL;
	struct policy *p = NULL;
	int rc;

	if (flags != POLICY_RESOURCE && flags != POLICY_IDENTITY)
		return iam_fail(cause, POLICY_INVALID,
		    "policy_parse: bad flags %#x", flags);
	if (len > POLICY_TEXT_MAX)
		return iam_fail(cause, POLICY_TOOBIG,
		    "policy is longer than %d bytes", POLICY_TEXT_MAX);
	if ((rc = iam_json_parse(text, len, &doc, cause)) != 0)
		return rc;
	p = xcalloc(1, sizeof *p);
	p->flags = flags;
	if ((rc = parse_document(doc, flags, p, cause)) != 0)
		goto out;
	*out = p;
	p = NULL;
	rc = POLICY_OK;
out:
	policy_free(p);
	json_object_put(doc);
	return rc;
}

int
policy_check_actions(const struct policy *p,
    bool (*is_known)(const char *action, void *arg), void *arg, char **cause)
{
	const struct iam_stmt *st;
	const char *a;
	size_t i, j;

	for (i = 0; i < p->n_stmts; i++) {
		st = &p->stmts[i];
		for (j = 0; j < st->actions.n; j++) {
			a = st->actions.v[j];
			if (strpbrk(a, "*?") != NULL || is_known(a, arg))
				continue;
			return iam_fail(cause, POLICY_UNKNOWN_ACTION,
			    "Statement[%zu].%s: unknown action '%s'", i,
			    st->not_action ? "NotAction" : "Action", a);
		}
	}
	return POLICY_OK;
}

void
policy_free(struct policy *p)
{
	struct iam_stmt *st;
	size_t i, j;

	if (p == NULL)
		return;
	for (i = 0; i < p->n_stmts; i++) {
		st = &p->stmts[i];
		free(st->sid);
		for (j = 0; j < st->n_principals; j++)
			free(st->principals[j].value);
		free(st->principals);
		strlist_free(&st->actions);
		strlist_free(&st->resources);
		iam_conds_free(st->conds, st->n_conds);
	}
	free(p->stmts);
	free(p);
}
