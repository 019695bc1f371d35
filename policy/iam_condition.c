/*
 * IAM Condition blocks: parse operators, keys and typed values, and
 * evaluate them against a request with IAM's rules for missing keys,
 * ...IfExists and the ForAllValues / ForAnyValue set operators.
 */
#include "policy/policy.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "common/str.h"
#include "common/xalloc.h"
#include "policy/policy_int.h"

#define MS_PER_DAY (86400 * (int64_t)1000)

static const struct {
	const char *name;
	enum iam_cond_op op;
	bool negate;
} cond_ops[] = {
    {"StringEquals", IAM_OP_STR_EQ, false},
    {"StringNotEquals", IAM_OP_STR_EQ, true},
    {"StringEqualsIgnoreCase", IAM_OP_STR_EQ_ICASE, false},
    {"StringNotEqualsIgnoreCase", IAM_OP_STR_EQ_ICASE, true},
    {"StringLike", IAM_OP_STR_LIKE, false},
    {"StringNotLike", IAM_OP_STR_LIKE, true},
    {"ArnEquals", IAM_OP_ARN_LIKE, false},
    {"ArnLike", IAM_OP_ARN_LIKE, false},
    {"ArnNotEquals", IAM_OP_ARN_LIKE, true},
    {"ArnNotLike", IAM_OP_ARN_LIKE, true},
    {"NumericEquals", IAM_OP_NUM_EQ, false},
    {"NumericNotEquals", IAM_OP_NUM_EQ, true},
    {"NumericLessThan", IAM_OP_NUM_LT, false},
    {"NumericLessThanEquals", IAM_OP_NUM_LE, false},
    {"NumericGreaterThan", IAM_OP_NUM_GT, false},
    {"NumericGreaterThanEquals", IAM_OP_NUM_GE, false},
    {"DateEquals", IAM_OP_DATE_EQ, false},
    {"DateNotEquals", IAM_OP_DATE_EQ, true},
    {"DateLessThan", IAM_OP_DATE_LT, false},
    {"DateLessThanEquals", IAM_OP_DATE_LE, false},
    {"DateGreaterThan", IAM_OP_DATE_GT, false},
    {"DateGreaterThanEquals", IAM_OP_DATE_GE, false},
    {"Bool", IAM_OP_BOOL, false},
    {"BinaryEquals", IAM_OP_STR_EQ, false},
    {"IpAddress", IAM_OP_IP, false},
    {"NotIpAddress", IAM_OP_IP, true},
    {"Null", IAM_OP_NULL, false},
};

static const struct {
	const char *name;
	enum iam_cond_key key;
	bool is_prefix;
} cond_keys[] = {
    {"aws:PrincipalAccount", IAM_KEY_PRINCIPAL_ACCOUNT, false},
    {"aws:PrincipalArn", IAM_KEY_PRINCIPAL_ARN, false},
    {"aws:username", IAM_KEY_USERNAME, false},
    {"aws:SourceIp", IAM_KEY_SOURCE_IP, false},
    {"aws:CurrentTime", IAM_KEY_CURRENT_TIME, false},
    {"aws:EpochTime", IAM_KEY_EPOCH_TIME, false},
    {"aws:SecureTransport", IAM_KEY_SECURE_TRANSPORT, false},
    {"aws:TagKeys", IAM_KEY_TAG_KEYS, false},
    {"aws:RequestTag/", IAM_KEY_REQUEST_TAG, true},
    {"aws:ResourceTag/", IAM_KEY_RESOURCE_TAG, true},
    {"ecr:ResourceTag/", IAM_KEY_RESOURCE_TAG, true},
};

/* A condition key's values in one request. */
struct keyval {
	const char *one;
	const char *const *many; /* n values, or one */
	size_t n;                /* 0: the key is absent */
	bool has_time;
	int64_t time_ms;
	char buf[48]; /* fits any int64 year */
};

static bool
has_prefix_icase(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* -?[0-9]... with optional fraction and exponent, finite. */
static bool
parse_number(const char *s, double *out)
{
	char *end;
	double d;

	if (!((*s >= '0' && *s <= '9') ||
	        (*s == '-' && s[1] >= '0' && s[1] <= '9')) ||
	    s[strspn(s, "0123456789.eE+-")] != '\0')
		return false;
	d = strtod(s, &end);
	if (*end != '\0' || !isfinite(d))
		return false;
	*out = d;
	return true;
}

/* Howard Hinnant's days_from_civil: days since 1970-01-01. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* n decimal digits at *p, advancing it. */
static bool
digits(const char **p, int n, unsigned *out)
{
	int i;

	*out = 0;
	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		*out = *out * 10 + (unsigned)((*p)[i] - '0');
	}
	*p += n;
	return true;
}

static bool
parse_time_of_day(const char **pp, int64_t *ms)
{
	const char *p = *pp;
	unsigned hh, mi, ss = 0, frac = 0, scale = 1000;

	if (!digits(&p, 2, &hh) || *p++ != ':' || !digits(&p, 2, &mi) ||
	    hh > 23 || mi > 59)
		return false;
	if (*p == ':') {
		p++;
		if (!digits(&p, 2, &ss) || ss > 59)
			return false;
		if (*p == '.') {
			if (*++p < '0' || *p > '9')
				return false;
			/* Milliseconds; further digits are ignored. */
			for (; *p >= '0' && *p <= '9'; p++) {
				if (scale > 1) {
					scale /= 10;
					frac += (unsigned)(*p - '0') * scale;
				}
			}
		}
	}
	*ms = ((int64_t)hh * 3600 + mi * 60 + ss) * 1000 + frac;
	*pp = p;
	return true;
}

/* Z, +hh:mm, +hhmm, -hh:mm, -hhmm or nothing (UTC); offset to subtract. */
static bool
parse_zone(const char *p, int64_t *offset_ms)
{
	unsigned hh, mm;
	int sign;

	*offset_ms = 0;
	if (*p == '\0' || (*p == 'Z' && p[1] == '\0'))
		return true;
	if (*p != '+' && *p != '-')
		return false;
	sign = *p++ == '-' ? -1 : 1;
	if (!digits(&p, 2, &hh))
		return false;
	if (*p == ':')
		p++;
	if (!digits(&p, 2, &mm) || *p != '\0' || hh > 23 || mm > 59)
		return false;
	*offset_ms = sign * ((int64_t)hh * 3600 + mm * 60) * 1000;
	return true;
}

/*
 * ISO 8601 (YYYY-MM-DD with optional Thh:mm[:ss[.fff]] and zone) or
 * epoch seconds, as IAM's Date operators take them.
 */
static bool
parse_date(const char *s, int64_t *out)
{
	static const unsigned mdays[] = {
	    31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const char *p = s;
	unsigned y, mo, d;
	int64_t tod = 0, off, secs;
	size_t n;

	n = strspn(s + (*s == '-'), "0123456789");
	if (n > 0 && n <= 15 && s[(*s == '-') + n] == '\0') {
		secs = strtoll(s, NULL, 10);
		*out = secs * 1000;
		return true;
	}
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) ||
	    *p++ != '-' || !digits(&p, 2, &d) || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 &&
	        (y % 4 != 0 || (y % 100 == 0 && y % 400 != 0))))
		return false;
	if (*p == 'T') {
		p++;
		if (!parse_time_of_day(&p, &tod))
			return false;
	}
	if (!parse_zone(p, &off))
		return false;
	*out = days_from_civil(y, mo, d) * MS_PER_DAY + tod - off;
	return true;
}

/* An IPv4 or IPv6 address, with an optional /prefix. */
static bool
parse_cidr(const char *s, struct iam_cidr *out)
{
	const char *slash = strchr(s, '/');
	char addr[INET6_ADDRSTRLEN + 1];
	size_t len = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned prefix, max;

	if (len == 0 || len >= sizeof addr)
		return false;
	memcpy(addr, s, len);
	addr[len] = '\0';
	memset(out, 0, sizeof *out);
	if (inet_pton(AF_INET, addr, out->addr) == 1)
		out->family = 4;
	else if (inet_pton(AF_INET6, addr, out->addr) == 1)
		out->family = 6;
	else
		return false;
	max = out->family == 4 ? 32 : 128;
	if (slash == NULL)
		prefix = max;
	else {
		slash++;
		len = strlen(slash);
		if (len < 1 || len > 3 || !digits(&slash, (int)len, &prefix) ||
		    prefix > max)
			return false;
	}
	out->prefix = prefix;
	return true;
}

static bool
cidr_contains(const struct iam_cidr *net, const struct iam_cidr *ip)
{
	const unsigned char *a = ip->addr;
	unsigned full = net->prefix / 8, rest = net->prefix % 8;
	unsigned char mask;
	static const unsigned char v4mapped[12] = {
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (net->family == 4 && ip->family == 6 &&
	    memcmp(ip->addr, v4mapped, 12) == 0)
		a = ip->addr + 12;
	else if (net->family != ip->family)
		return false;
	if (memcmp(net->addr, a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (unsigned char)(0xff << (8 - rest));
	return (net->addr[full] & mask) == (a[full] & mask);
}

static bool
parse_bool(const char *s, bool *out)
{
	if (strcasecmp(s, "true") == 0)
		*out = true;
	else if (strcasecmp(s, "false") == 0)
		*out = false;
	else
		return false;
	return true;
}

/* Check a value's text for the operator and pre-parse it. */
static const char *
parse_value(enum iam_cond_op op, struct iam_cond_value *v)
{
	switch (op) {
	case IAM_OP_NUM_EQ:
	case IAM_OP_NUM_LT:
	case IAM_OP_NUM_LE:
	case IAM_OP_NUM_GT:
	case IAM_OP_NUM_GE:
		return parse_number(v->s, &v->num) ? NULL : "not a number";
	case IAM_OP_DATE_EQ:
	case IAM_OP_DATE_LT:
	case IAM_OP_DATE_LE:
	case IAM_OP_DATE_GT:
	case IAM_OP_DATE_GE:
		return parse_date(v->s, &v->ms)
		           ? NULL
		           : "not an ISO 8601 date or epoch seconds";
	case IAM_OP_BOOL:
	case IAM_OP_NULL:
		return parse_bool(v->s, &v->b) ? NULL
		                               : "must be 'true' or 'false'";
	case IAM_OP_IP:
		return parse_cidr(v->s, &v->cidr)
		           ? NULL
		           : "not an IP address or CIDR block";
	default:
		return NULL;
	}
}

/*
 * Split "[ForAllValues:|ForAnyValue:]NAME[IfExists]" into c's operator
 * fields; false if NAME is unknown or the combination is not allowed.
 */
static bool
parse_operator(const char *name, struct iam_cond *c)
{
	size_t i, len;

	c->set = IAM_SET_NONE;
	if (has_prefix_icase(name, "ForAllValues:")) {
		c->set = IAM_SET_ALL;
		name += strlen("ForAllValues:");
	} else if (has_prefix_icase(name, "ForAnyValue:")) {
		c->set = IAM_SET_ANY;
		name += strlen("ForAnyValue:");
	}
	len = strlen(name);
	c->if_exists = len > 8 && strcasecmp(name + len - 8, "IfExists") == 0;
	if (c->if_exists)
		len -= 8;
	for (i = 0; i < sizeof cond_ops / sizeof cond_ops[0]; i++) {
		if (!str_ieq_n(name, len, cond_ops[i].name))
			continue;
		c->op = cond_ops[i].op;
		c->negate = cond_ops[i].negate;
		/* Null tests presence itself: no IfExists, no sets. */
		return c->op != IAM_OP_NULL ||
		       (!c->if_exists && c->set == IAM_SET_NONE);
	}
	return false;
}

static void
parse_key(const char *name, struct iam_cond *c)
{
	size_t i, len;

	c->key = IAM_KEY_UNKNOWN;
	for (i = 0; i < sizeof cond_keys / sizeof cond_keys[0]; i++) {
		len = strlen(cond_keys[i].name);
		if (cond_keys[i].is_prefix
		        ? strncasecmp(name, cond_keys[i].name, len) != 0
		        : strcasecmp(name, cond_keys[i].name) != 0)
			continue;
		c->key = cond_keys[i].key;
		if (cond_keys[i].is_prefix)
			c->tag = c->key_name + len;
		return;
	}
}

static int
parse_values(struct json_object *o, const char *where, struct iam_cond *c,
    char **cause)
{
	struct json_object *e;
	const char *s, *why;
	size_t i, n;
	bool is_list;

	is_list = json_object_is_type(o, json_type_array);
	n = is_list ? json_object_array_length(o) : 1;
	if (n == 0)
		return iam_fail(cause, POLICY_INVALID,
		    "%s: must not be an empty list", where);
	c->v = xcalloc(n, sizeof c->v[0]);
	for (i = 0; i < n; i++) {
		e = is_list ? json_object_array_get_idx(o, i) : o;
		switch (json_object_get_type(e)) {
		case json_type_string:
			if (iam_get_string(e, where, &s, cause) != 0)
				return POLICY_INVALID;
			break;
		case json_type_boolean:
		case json_type_int:
		case json_type_double:
			s = json_object_to_json_string_ext(e,
			    JSON_C_TO_STRING_PLAIN);
			break;
		default:
			return iam_fail(cause, POLICY_INVALID,
			    "%s: values must be strings, numbers or booleans",
			    where);
		}
		c->v[i].s = xstrdup(s);
		c->n = i + 1;
		if ((why = parse_value(c->op, &c->v[i])) != NULL)
			return iam_fail(cause, POLICY_INVALID, "%s: %s: '%s'",
			    where, why, s);
	}
	return POLICY_OK;
}

int
iam_conds_parse(struct json_object *o, const char *where, struct iam_stmt *st,
    char **cause)
{
	struct iam_cond tmpl, *c;
	char *w;
	int rc;

	if (!json_object_is_type(o, json_type_object))
		return iam_fail(cause, POLICY_INVALID,
		    "%s.Condition: must be an object", where);
	json_object_object_foreach(o, opname, block)
	{
		memset(&tmpl, 0, sizeof tmpl);
		if (!parse_operator(opname, &tmpl))
			return iam_fail(cause, POLICY_INVALID,
			    "%s.Condition: unknown operator '%s'", where,
			    opname);
		if (!json_object_is_type(block, json_type_object))
			return iam_fail(cause, POLICY_INVALID,
			    "%s.Condition.%s: must be an object", where,
			    opname);
		json_object_object_foreach(block, key, val)
		{
			if (*key == '\0')
				return iam_fail(cause, POLICY_INVALID,
				    "%s.Condition.%s: empty condition key",
				    where, opname);
			st->conds = xreallocarray(st->conds, st->n_conds + 1,
			    sizeof st->conds[0]);
			c = &st->conds[st->n_conds++];
			*c = tmpl;
			c->key_name = xstrdup(key);
			parse_key(key, c);
			w = xasprintf("%s.Condition.%s.%s", where, opname, key);
			rc = parse_values(val, w, c, cause);
			free(w);
			if (rc != 0)
				return rc;
		}
	}
	return POLICY_OK;
}

void
iam_conds_free(struct iam_cond *conds, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < conds[i].n; j++)
			free(conds[i].v[j].s);
		free(conds[i].v);
		free(conds[i].key_name);
	}
	free(conds);
}

static const char *
find_tag(const struct policy_kv *kv, size_t n, const char *key)
{
	size_t i;

	/* Condition key names, tag part included, ignore case (IAM). */
	for (i = 0; i < n; i++) {
		if (kv[i].key != NULL && strcasecmp(kv[i].key, key) == 0)
			return kv[i].value;
	}
	return NULL;
}

/* aws:CurrentTime as IAM writes it: 2026-01-01T00:00:00Z. */
static void
format_time(int64_t ms, char *buf, size_t size)
{
	int64_t days, sec, y;
	unsigned m, d;

	/* Floor division without overflow, whatever the caller's clock. */
	days = ms / MS_PER_DAY;
	sec = ms % MS_PER_DAY;
	if (sec < 0) {
		sec += MS_PER_DAY;
		days--;
	}
	sec /= 1000;
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, size, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m,
	    d, (unsigned)(sec / 3600), (unsigned)(sec / 60 % 60),
	    (unsigned)(sec % 60));
}

static void
key_lookup(const struct iam_cond *c, const struct policy_request *req,
    struct keyval *kv)
{
	memset(kv, 0, sizeof *kv);
	switch (c->key) {
	case IAM_KEY_PRINCIPAL_ACCOUNT:
		kv->one = req->principal_account;
		break;
	case IAM_KEY_PRINCIPAL_ARN:
		kv->one = req->principal_arn;
		break;
	case IAM_KEY_USERNAME:
		kv->one = req->username;
		break;
	case IAM_KEY_SOURCE_IP:
		kv->one = req->source_ip;
		break;
	case IAM_KEY_CURRENT_TIME:
		format_time(req->now_ms, kv->buf, sizeof kv->buf);
		kv->one = kv->buf;
		kv->has_time = true;
		kv->time_ms = req->now_ms;
		break;
	case IAM_KEY_EPOCH_TIME:
		snprintf(kv->buf, sizeof kv->buf, "%lld",
		    (long long)(req->now_ms / 1000));
		kv->one = kv->buf;
		kv->has_time = true;
		kv->time_ms = req->now_ms;
		break;
	case IAM_KEY_SECURE_TRANSPORT:
		kv->one = req->secure_transport ? "true" : "false";
		break;
	case IAM_KEY_REQUEST_TAG:
		kv->one =
		    find_tag(req->request_tags, req->n_request_tags, c->tag);
		break;
	case IAM_KEY_RESOURCE_TAG:
		kv->one =
		    find_tag(req->resource_tags, req->n_resource_tags, c->tag);
		break;
	case IAM_KEY_TAG_KEYS:
		if (req->tag_keys != NULL) {
			kv->many = req->tag_keys;
			kv->n = req->n_tag_keys;
		}
		return;
	case IAM_KEY_UNKNOWN:
		return;
	}
	kv->n = kv->one != NULL;
}

/* ArnLike and ArnEquals: each of the six ARN fields matched on its own. */
static bool
arn_matches(const char *pattern, const char *s)
{
	const char *pf[6], *sf[6];
	size_t pl[6], sl[6];
	int i;

	if (!iam_arn_split(pattern, pf, pl))
		return str_wildcard_match(pattern, s);
	if (!iam_arn_split(s, sf, sl))
		return false;
	for (i = 0; i < 6; i++) {
		if (!str_wildcard_match_n(pf[i], pl[i], sf[i], sl[i],
		        STR_WILD_ONE))
			return false;
	}
	return true;
}

/* The request's value as the operator's type; false if it is not one. */
static bool
convert(const struct iam_cond *c, const struct keyval *kv, const char *s,
    struct iam_cond_value *out)
{
	switch (c->op) {
	case IAM_OP_NUM_EQ:
	case IAM_OP_NUM_LT:
	case IAM_OP_NUM_LE:
	case IAM_OP_NUM_GT:
	case IAM_OP_NUM_GE:
		return parse_number(s, &out->num);
	case IAM_OP_DATE_EQ:
	case IAM_OP_DATE_LT:
	case IAM_OP_DATE_LE:
	case IAM_OP_DATE_GT:
	case IAM_OP_DATE_GE:
		if (kv->has_time) {
			out->ms = kv->time_ms;
			return true;
		}
		return parse_date(s, &out->ms);
	case IAM_OP_BOOL:
		return parse_bool(s, &out->b);
	case IAM_OP_IP:
		return parse_cidr(s, &out->cidr) && strchr(s, '/') == NULL;
	default:
		return true;
	}
}

/* Whether request value r (text s) satisfies the positive operator for v. */
static bool
value_matches(enum iam_cond_op op, const struct iam_cond_value *v,
    const char *s, const struct iam_cond_value *r)
{
	switch (op) {
	case IAM_OP_STR_EQ:
		return strcmp(s, v->s) == 0;
	case IAM_OP_STR_EQ_ICASE:
		return strcasecmp(s, v->s) == 0;
	case IAM_OP_STR_LIKE:
		return str_wildcard_match(v->s, s);
	case IAM_OP_ARN_LIKE:
		return arn_matches(v->s, s);
	case IAM_OP_NUM_EQ:
		return r->num == v->num;
	case IAM_OP_NUM_LT:
		return r->num < v->num;
	case IAM_OP_NUM_LE:
		return r->num <= v->num;
	case IAM_OP_NUM_GT:
		return r->num > v->num;
	case IAM_OP_NUM_GE:
		return r->num >= v->num;
	case IAM_OP_DATE_EQ:
		return r->ms == v->ms;
	case IAM_OP_DATE_LT:
		return r->ms < v->ms;
	case IAM_OP_DATE_LE:
		return r->ms <= v->ms;
	case IAM_OP_DATE_GT:
		return r->ms > v->ms;
	case IAM_OP_DATE_GE:
		return r->ms >= v->ms;
	case IAM_OP_BOOL:
		return r->b == v->b;
	case IAM_OP_IP:
		return cidr_contains(&v->cidr, &r->cidr);
	case IAM_OP_NULL:
		break;
	}
	return false;
}

/* Whether the key's i-th request value matches any policy value. */
static bool
elem_matches(const struct iam_cond *c, const struct keyval *kv, size_t i)
{
	struct iam_cond_value r;
	const char *s = kv->many != NULL ? kv->many[i] : kv->one;
	size_t j;

	if (s == NULL || !convert(c, kv, s, &r))
		return false;
	for (j = 0; j < c->n; j++) {
		if (value_matches(c->op, &c->v[j], s, &r))
			return true;
	}
	return false;
}

static bool
cond_holds(const struct iam_cond *c, const struct policy_request *req)
{
	struct keyval kv;
	size_t i;
	bool any;

	key_lookup(c, req, &kv);
	if (c->op == IAM_OP_NULL) {
		for (i = 0; i < c->n; i++) {
			if (c->v[i].b == (kv.n == 0))
				return true;
		}
		return false;
	}
	if (kv.n == 0) {
		/* IAM: absent keys satisfy IfExists, ForAllValues, negation. */
		return c->if_exists || c->set == IAM_SET_ALL ||
		       (c->set == IAM_SET_NONE && c->negate);
	}
	switch (c->set) {
	case IAM_SET_ANY:
		for (i = 0; i < kv.n; i++) {
			if (elem_matches(c, &kv, i) != c->negate)
				return true;
		}
		return false;
	case IAM_SET_ALL:
		for (i = 0; i < kv.n; i++) {
			if (elem_matches(c, &kv, i) == c->negate)
				return false;
		}
		return true;
	case IAM_SET_NONE:
		break;
	}
	for (any = false, i = 0; i < kv.n && !any; i++)
		any = elem_matches(c, &kv, i);
	return any != c->negate;
}

bool
iam_conds_eval(const struct iam_stmt *st, const struct policy_request *req)
{
	size_t i;

	for (i = 0; i < st->n_conds; i++) {
		if (!cond_holds(&st->conds[i], req))
			return false;
	}
	return true;
}
