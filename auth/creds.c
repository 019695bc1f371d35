/*
 * Parse the strict-mode credentials file and look principals up by access
 * key id. Every rejection names the member at fault.
 */
#include "auth/creds.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "common/xalloc.h"

#define ARN_MSG "not an IAM user, role or assumed-role ARN"
#define IAM_NAME_MAX 64

static const char *const cred_members[] = {
    "accessKeyId", "secretAccessKey", "sessionToken", "arn", "policies"};

/* IAM user, role and session names: [\w+=,.@-] (IAM API reference). */
static bool
is_name_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("_+=,.@-", c) != NULL);
}

static bool
is_name(const char *p, size_t len, size_t min)
{
	size_t i;

	if (len < min || len > IAM_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		if (!is_name_char((unsigned char)p[i]))
			return false;
	}
	return true;
}

/* "NAME" or "PATH/…/NAME": path segments printable, the name an IAM name. */
static bool
is_path_and_name(const char *s)
{
	const char *last = strrchr(s, '/'), *p;

	if (last == NULL)
		return is_name(s, strlen(s), 1);
	for (p = s; p < last; p++) {
		if (*p < 0x21 || *p > 0x7e || (*p == '/' && p[1] == '/') ||
		    (*p == '/' && p == s))
			return false;
	}
	return is_name(last + 1, strlen(last + 1), 1);
}

static bool
span_is(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

/*
 * arn:PARTITION:iam::ACCOUNT:{root,user/[PATH/]NAME,role/[PATH/]NAME} or
 * arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION; copies ACCOUNT.
 */
static bool
parse_arn(const char *arn, char account[13])
{
	const char *p, *colon, *slash;
	size_t i;
	bool iam;

	if (strncmp(arn, "arn:", 4) != 0)
		return false;
	p = arn + 4;
	if ((colon = strchr(p, ':')) == NULL ||
	    !(span_is(p, (size_t)(colon - p), "aws") ||
	        span_is(p, (size_t)(colon - p), "aws-cn") ||
	        span_is(p, (size_t)(colon - p), "aws-us-gov")))
		return false;
	p = colon + 1;
	if (strncmp(p, "iam::", 5) == 0)
		iam = true;
	else if (strncmp(p, "sts::", 5) == 0)
		iam = false;
	else
		return false;
	p += 5;
	for (i = 0; i < 12; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
	}
	if (p[12] != ':')
		return false;
	memcpy(account, p, 12);
	account[12] = '\0';
	p += 13;
	if (!iam) {
		if (strncmp(p, "assumed-role/", 13) != 0)
			return false;
		p += 13;
		if ((slash = strchr(p, '/')) == NULL)
			return false;
		return is_name(p, (size_t)(slash - p), 1) &&
		       is_name(slash + 1, strlen(slash + 1), 2);
	}
	if (strcmp(p, "root") == 0)
		return true;
	if (strncmp(p, "user/", 5) == 0 || strncmp(p, "role/", 5) == 0)
		return is_path_and_name(p + 5);
	return false;
}

/*
 * Borrow member `key` of principal i as a string. Absent or null is
 * *s = NULL (an error when required); returns -1 with *err set otherwise.
 */
static int
get_string(struct json_object *o, size_t i, const char *key, bool required,
    size_t max, const char **s, char **err)
{
	struct json_object *v;
	size_t len;

	*s = NULL;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL) {
		if (!required)
			return 0;
		*err = xasprintf("principals[%zu].%s: missing", i, key);
		return -1;
	}
	if (!json_object_is_type(v, json_type_string)) {
		*err = xasprintf("principals[%zu].%s: not a string", i, key);
		return -1;
	}
	*s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len == 0)
		*err = xasprintf("principals[%zu].%s: empty", i, key);
	else if (len != strlen(*s))
		*err = xasprintf("principals[%zu].%s: contains a NUL "
		                 "character",
		    i, key);
	else if (len > max)
		*err = xasprintf("principals[%zu].%s: longer than %zu "
		                 "bytes",
		    i, key, max);
	return *err == NULL ? 0 : -1;
}

static bool
is_access_key(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		        (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	}
	return true;
}

static int
check_members(struct json_object *o, size_t i, char **err)
{
	size_t k;
	bool known;

	json_object_object_foreach(o, key, val)
	{
		(void)val;
		known = false;
		for (k = 0; k < sizeof cred_members / sizeof cred_members[0];
		     k++)
			known = known || strcmp(key, cred_members[k]) == 0;
		if (!known) {
			*err = xasprintf("principals[%zu].%s: unknown member",
			    i, key);
			return -1;
		}
	}
	return 0;
}

static int
get_policies(struct json_object *o, size_t i, struct json_object **out,
    char **err)
{
	struct json_object *v, *p;
	size_t j, n;

	if (!json_object_object_get_ex(o, "policies", &v) || v == NULL) {
		*out = json_object_new_array();
		return 0;
	}
	if (!json_object_is_type(v, json_type_array)) {
		*err = xasprintf("principals[%zu].policies: not a list", i);
		return -1;
	}
	n = json_object_array_length(v);
	for (j = 0; j < n; j++) {
		p = json_object_array_get_idx(v, j);
		if (!json_object_is_type(p, json_type_object)) {
			*err = xasprintf("principals[%zu].policies[%zu]: "
			                 "not an object",
			    i, j);
			return -1;
		}
	}
	/* Outlive the parsed document (STYLE.md 6.1). */
	*out = json_object_get(v);
	return 0;
}

static int
parse_principal(struct json_object *o, size_t i, const struct creds *c,
    struct cred *out, char **err)
{
	const char *akid, *secret, *token, *arn;
	size_t k;

	if (!json_object_is_type(o, json_type_object)) {
		*err = xasprintf("principals[%zu]: not an object", i);
		return -1;
	}
	if (check_members(o, i, err) != 0 ||
	    get_string(o, i, "accessKeyId", true, CREDS_ACCESS_KEY_MAX, &akid,
	        err) != 0 ||
	    get_string(o, i, "secretAccessKey", true, CREDS_SECRET_MAX, &secret,
	        err) != 0 ||
	    get_string(o, i, "sessionToken", false, CREDS_SESSION_TOKEN_MAX,
	        &token, err) != 0 ||
	    get_string(o, i, "arn", true, CREDS_ARN_MAX, &arn, err) != 0)
		return -1;
	if (!is_access_key(akid)) {
		*err = xasprintf("principals[%zu].accessKeyId: may hold only "
		                 "A-Z, a-z, 0-9, '_' and '-'",
		    i);
		return -1;
	}
	for (k = 0; k < c->n; k++) {
		if (strcmp(c->v[k].access_key_id, akid) == 0) {
			*err = xasprintf("principals[%zu].accessKeyId: "
			                 "duplicate of principals[%zu]",
			    i, k);
			return -1;
		}
	}
	if (!parse_arn(arn, out->account)) {
		*err = xasprintf("principals[%zu].arn: " ARN_MSG, i);
		return -1;
	}
	if (get_policies(o, i, &out->policies, err) != 0)
		return -1;
	out->access_key_id = xstrdup(akid);
	out->secret_access_key = xstrdup(secret);
	out->session_token = token == NULL ? NULL : xstrdup(token);
	out->arn = xstrdup(arn);
	return 0;
}

/* JSON whitespace: a file may end with a newline. */
static bool
is_blank(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return false;
	}
	return true;
}

static struct json_object *
parse_text(const char *text, size_t len, char **err)
{
	struct json_tokener *tok;
	struct json_object *root;
	enum json_tokener_error jerr;
	size_t i, end;

	tok = json_tokener_new();
	if (tok == NULL)
		abort();
	json_tokener_set_flags(tok,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	/*
	 * json-c cannot tell where a top-level literal such as `null` ends
	 * without more input, so it asks for more: that is no object either.
	 */
	for (i = 0; i < len && is_blank(text + i, 1); i++)
		continue;
	if (root == NULL && jerr == json_tokener_continue && i < len &&
	    text[i] != '{')
		*err = xstrdup("top level: not an object");
	else if (root == NULL && jerr == json_tokener_continue)
		*err = xstrdup("not valid JSON: unexpected end of text");
	else if (root == NULL && jerr != json_tokener_success)
		*err = xasprintf("not valid JSON: %s",
		    json_tokener_error_desc(jerr));
	else if (root != NULL && !is_blank(text + end, len - end))
		*err = xstrdup("not valid JSON: trailing data after the "
		               "top-level value");
	else if (!json_object_is_type(root, json_type_object))
		*err = xstrdup("top level: not an object");
	json_tokener_free(tok);
	if (*err != NULL) {
		json_object_put(root);
		return NULL;
	}
	return root;
}

int
creds_parse(const char *text, size_t len, struct creds **out, char **cause)
{
	struct json_object *root = NULL, *list;
	struct creds *c = NULL;
	char *err = NULL;
	size_t i, n;

	if (len > CREDS_TEXT_MAX) {
		err = xasprintf("larger than %d bytes", CREDS_TEXT_MAX);
		goto out;
	}
	if ((root = parse_text(text, len, &err)) == NULL)
		goto out;
	json_object_object_foreach(root, key, val)
	{
		(void)val;
		if (strcmp(key, "principals") != 0) {
			err = xasprintf("%s: unknown member", key);
			goto out;
		}
	}
	if (!json_object_object_get_ex(root, "principals", &list) ||
	    list == NULL) {
		err = xstrdup("principals: missing");
		goto out;
	}
	if (!json_object_is_type(list, json_type_array)) {
		err = xstrdup("principals: not a list");
		goto out;
	}
	if ((n = json_object_array_length(list)) == 0) {
		err = xstrdup("principals: empty list");
		goto out;
	}
	c = xcalloc(1, sizeof *c);
	c->v = xcalloc(n, sizeof *c->v);
	for (i = 0; i < n; i++) {
		if (parse_principal(json_object_array_get_idx(list, i), i, c,
		        &c->v[i], &err) != 0)
			goto out;
		c->n++;
	}
out:
	json_object_put(root);
	if (err != NULL) {
		creds_free(c);
		*cause = err;
		return -1;
	}
	*out = c;
	return 0;
}

const struct cred *
creds_find(const struct creds *c, const char *access_key_id)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (strcmp(c->v[i].access_key_id, access_key_id) == 0)
			return &c->v[i];
	}
	return NULL;
}

static void
free_secret(char *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
}

void
creds_free(struct creds *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		free(c->v[i].access_key_id);
		free_secret(c->v[i].secret_access_key);
		free_secret(c->v[i].session_token);
		free(c->v[i].arn);
		json_object_put(c->v[i].policies);
	}
	free(c->v);
	free(c);
}
