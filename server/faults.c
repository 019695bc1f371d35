/*
 * Fault injection (docs/observability.md, "Throttling and faults"): rules
 * posted to /_ecrd/faults make chosen API operations or registry routes
 * answer an error, or answer late, by count or by chance, so that a
 * client's error and retry paths can be tested. Errors come from the two
 * error tables; a delay is a timer on the loop, never a wait.
 */
#include "server/server.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>
#include <sodium.h>

#include "api/api.h"
#include "registry/registry.h"
#include "common/json.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "server/http.h"

#define RULES_MAX 100
#define COUNT_MAX 1000000000
#define LATENCY_MAX_MS 600000 /* ten minutes */
#define MESSAGE_MAX 1024
#define CHANCE_SCALE 1000000
#define FAULT_MESSAGE "Fault injected by ecrd"

struct fault_rule {
	char op[64];
	bool is_registry;
	enum ecr_errcode ecr; /* API rules; ERR_NONE: latency only */
	enum reg_errcode reg; /* registry rules; REG_NONE: latency only */
	int status;           /* 0: the code's own */
	char *message;        /* NULL: the default */
	int64_t remaining;    /* -1: no count */
	double probability;
	int64_t latency_ms;
};

struct faults {
	struct fault_rule *rules;
	size_t n;
	struct fault_hit *armed; /* hits waiting on their timers */
};

/* What a request hit: a copy, so clearing the rules cannot pull it away. */
struct fault_hit {
	struct server *srv;
	struct http_request *req;
	bool is_registry;
	bool is_error; /* else only late */
	enum ecr_errcode ecr;
	enum reg_errcode reg;
	int status;
	char *message;
	int64_t latency_ms;
	struct event *timer;
	bool is_due;                   /* the latency is over: go on */
	struct fault_hit *prev, *next; /* in armed, while the timer runs */
	bool is_armed;
};

struct faults *
faults_new(void)
{
	return xcalloc(1, sizeof(struct faults));
}

static void
rules_clear(struct faults *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->rules[i].message);
	free(f->rules);
	f->rules = NULL;
	f->n = 0;
}

void
faults_free(struct faults *f)
{
	if (f == NULL)
		return;
	rules_clear(f);
	free(f);
}

static void
armed_remove(struct fault_hit *h)
{
	struct faults *f = h->srv->faults;

	if (!h->is_armed)
		return;
	if (h->prev != NULL)
		h->prev->next = h->next;
	else
		f->armed = h->next;
	if (h->next != NULL)
		h->next->prev = h->prev;
	h->is_armed = false;
}

void
fault_hit_free(struct fault_hit *h)
{
	if (h == NULL)
		return;
	armed_remove(h);
	if (h->timer != NULL)
		event_free(h->timer);
	free(h->message);
	free(h);
}

static bool
is_error(const struct fault_rule *r)
{
	return r->is_registry ? r->reg != REG_NONE : r->ecr != ERR_NONE;
}

/* True with probability p: 1 always, 0 never. */
static bool
chance(double p)
{
	if (p >= 1.0)
		return true;
	return (double)randombytes_uniform(CHANCE_SCALE) < p * CHANCE_SCALE;
}

/* Whether r fires now: its count left, then its chance. */
static bool
fires(struct fault_rule *r, const char *op, bool is_registry)
{
	if (r->is_registry != is_registry || strcmp(r->op, op) != 0 ||
	    r->remaining == 0)
		return false;
	if (!chance(r->probability))
		return false;
	if (r->remaining > 0)
		r->remaining--;
	return true;
}

/* A rule's error takes the request: its body is read and dropped. */
static int
drop_body(struct http_request *req, const char *data, size_t len)
{
	(void)req;
	(void)data;
	(void)len;
	return 0;
}

bool
faults_on_head(struct server *srv, struct http_request *req, const char *op,
    bool is_registry)
{
	struct route_state *st = req->app_data;
	struct fault_rule *r = NULL;
	struct fault_hit *h;
	size_t i;

	if (op == NULL || srv->faults == NULL || srv->faults->n == 0)
		return false;
	for (i = 0; i < srv->faults->n && r == NULL; i++) {
		if (fires(&srv->faults->rules[i], op, is_registry))
			r = &srv->faults->rules[i];
	}
	if (r == NULL)
		return false;
	h = xcalloc(1, sizeof *h);
	h->srv = srv;
	h->req = req;
	h->is_registry = r->is_registry;
	h->is_error = is_error(r);
	h->ecr = r->ecr;
	h->reg = r->reg;
	h->status = r->status;
	h->message = r->message != NULL ? xstrdup(r->message) : NULL;
	h->latency_ms = r->latency_ms;
	fault_hit_free(st->fault);
	st->fault = h;
	(void)str_copy(st->op, sizeof st->op, op);
	if (!h->is_error)
		return false;
	req->on_body = drop_body;
	return true;
}

bool
faults_on_api_head(struct server *srv, struct http_request *req)
{
	/* Without rules, not even the target is looked up. */
	if (srv->faults == NULL || srv->faults->n == 0)
		return false;
	return faults_on_head(srv, req,
	    api_op_of_target(http_request_header(req, "X-Amz-Target"), false),
	    false);
}

static void
answer_hit(struct http_request *req, struct fault_hit *h)
{
	if (h->is_registry)
		answer_reg_error_as(req, NULL,
		    h->status != 0 ? h->status : reg_error_status(h->reg),
		    h->reg, h->message);
	else
		answer_aws_error(req, NULL,
		    h->status != 0 ? h->status : ecr_error_status(h->ecr),
		    h->ecr, h->message != NULL ? h->message : FAULT_MESSAGE);
}

/* The latency is over: the error, or the request as it would have gone. */
static void
hit_due(evutil_socket_t fd, short what, void *arg)
{
	struct fault_hit *h = arg;

	(void)fd;
	(void)what;
	armed_remove(h);
	h->is_due = true;
	if (h->is_error)
		answer_hit(h->req, h);
	else
		routes_on_request(h->req, h->srv);
}

bool
faults_on_request(struct server *srv, struct http_request *req)
{
	struct route_state *st = req->app_data;
	struct fault_hit *h = st->fault;
	struct timeval tv;

	/* An oversized body must be answered at once, as it always is. */
	if (h == NULL || h->is_due || req->is_body_too_large)
		return false;
	if (h->latency_ms == 0) {
		h->is_due = true;
		if (!h->is_error)
			return false;
		answer_hit(req, h);
		return true;
	}
	tv.tv_sec = (time_t)(h->latency_ms / 1000);
	tv.tv_usec = (suseconds_t)(h->latency_ms % 1000) * 1000;
	h->timer = evtimer_new(srv->base, hit_due, h);
	evtimer_add(h->timer, &tv);
	h->next = srv->faults->armed;
	if (h->next != NULL)
		h->next->prev = h;
	srv->faults->armed = h;
	h->is_armed = true;
	return true;
}

/*
 * Stopping: the held answers go now, so a request whose client has gone
 * (which only its answer frees) does not outlive the loop.
 */
void
faults_drain(struct faults *f)
{
	static const struct timeval now = {0, 0};
	struct fault_hit *h;

	for (h = f->armed; h != NULL; h = h->next)
		evtimer_add(h->timer, &now);
}

/* Answer 400 InvalidParameterException: "rules[i].what". */
static int
refuse(struct http_request *req, size_t i, const char *what)
{
	char *msg = xasprintf("rules[%zu].%s", i, what);

	answer_aws_error(req, NULL, 400, ERR_INVALID_PARAMETER, msg);
	free(msg);
	return -1;
}

/* An integer member in [min, max]: 1, 0 when absent, or -1 refused. */
static int
int_member(struct http_request *req, size_t i, struct json_object *o,
    const char *key, int64_t min, int64_t max, int64_t *out)
{
	struct json_object *v;
	char *what;
	int rc;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		if (*out >= min && *out <= max)
			return 1;
	}
	what = xasprintf("%s: must be a whole number from %lld to %lld", key,
	    (long long)min, (long long)max);
	rc = refuse(req, i, what);
	free(what);
	return rc;
}

/* The rule's operation: an ECR operation or a registry route. */
static int
parse_operation(struct http_request *req, size_t i, struct json_object *o,
    struct fault_rule *r)
{
	const char *op = jget_str(o, "operation"), *name;
	int reg_op;

	if (op == NULL)
		return refuse(req, i,
		    "operation: required (an ECR operation "
		    "or a registry route)");
	if ((name = api_op_of_target(op, true)) != NULL)
		(void)str_copy(r->op, sizeof r->op, name);
	else if ((reg_op = api_reg_op_find(op)) >= 0) {
		r->is_registry = true;
		(void)str_copy(r->op, sizeof r->op,
		    api_reg_op_name((enum api_reg_op)reg_op));
	} else
		return refuse(req, i,
		    "operation: not an ECR operation nor a "
		    "registry route (docs/observability.md)");
	return 0;
}

/* The error: an ECR error name for operations, a code for routes. */
static int
parse_error(struct http_request *req, size_t i, struct json_object *o,
    struct fault_rule *r)
{
	const char *e = jget_str(o, "error");

	if (json_object_object_get_ex(o, "error", NULL) && e == NULL)
		return refuse(req, i, "error: must be a string");
	if (e == NULL)
		return 0;
	if (r->is_registry && (r->reg = reg_error_lookup(e)) == REG_NONE)
		return refuse(req, i,
		    "error: not a registry error code (e.g. "
		    "BLOB_UNKNOWN)");
	if (!r->is_registry && (r->ecr = ecr_error_lookup(e)) == ERR_NONE)
		return refuse(req, i,
		    "error: not an ECR error (e.g. "
		    "ServerException)");
	return 0;
}

static int
parse_probability(struct http_request *req, size_t i, struct json_object *o,
    struct fault_rule *r)
{
	struct json_object *v;

	r->probability = 1.0;
	if (!json_object_object_get_ex(o, "probability", &v))
		return 0;
	if (json_object_is_type(v, json_type_double) ||
	    json_object_is_type(v, json_type_int)) {
		r->probability = json_object_get_double(v);
		if (r->probability >= 0.0 && r->probability <= 1.0)
			return 0;
	}
	return refuse(req, i, "probability: must be a number from 0 to 1");
}

static int
parse_message(struct http_request *req, size_t i, struct json_object *o,
    struct fault_rule *r)
{
	const char *m = jget_str(o, "message");

	if (!json_object_object_get_ex(o, "message", NULL))
		return 0;
	if (m == NULL || strlen(m) > MESSAGE_MAX)
		return refuse(req, i,
		    "message: must be a string of at most "
		    "1024 bytes");
	r->message = xstrdup(m);
	return 0;
}

/* A misspelt member would be ignored silently: refuse it. */
static int
check_members(struct http_request *req, size_t i, struct json_object *o)
{
	static const char *const known[] = {"operation", "error", "status",
	    "message", "count", "probability", "latencyMs"};
	size_t k;
	char *what;

	json_object_object_foreach(o, key, val)
	{
		(void)val;
		for (k = 0; k < sizeof known / sizeof known[0]; k++) {
			if (strcmp(key, known[k]) == 0)
				break;
		}
		if (k == sizeof known / sizeof known[0]) {
			what = xasprintf("%.64s: unknown member", key);
			refuse(req, i, what);
			free(what);
			return -1;
		}
	}
	return 0;
}

static int
parse_rule(struct http_request *req, size_t i, struct json_object *o,
    struct fault_rule *r)
{
	int64_t v;
	int rc;

	memset(r, 0, sizeof *r);
	r->remaining = -1;
	if (!json_object_is_type(o, json_type_object))
		return refuse(req, i, "must be an object");
	if (check_members(req, i, o) != 0 ||
	    parse_operation(req, i, o, r) != 0 ||
	    parse_error(req, i, o, r) != 0 ||
	    parse_probability(req, i, o, r) != 0 ||
	    parse_message(req, i, o, r) != 0)
		return -1;
	if ((rc = int_member(req, i, o, "status", 400, 599, &v)) < 0)
		return -1;
	r->status = rc == 1 ? (int)v : 0;
	if ((rc = int_member(req, i, o, "count", 1, COUNT_MAX, &v)) < 0)
		return -1;
	r->remaining = rc == 1 ? v : -1;
	if (int_member(req, i, o, "latencyMs", 0, LATENCY_MAX_MS,
	        &r->latency_ms) < 0)
		return -1;
	if (!is_error(r) && r->latency_ms == 0)
		return refuse(req, i, "error or latencyMs: one is required");
	if (r->status != 0 && !is_error(r))
		return refuse(req, i, "status: only with error");
	return 0;
}

static struct json_object *
rule_json(const struct fault_rule *r)
{
	struct json_object *o = jnew_obj();

	jadd_str(o, "operation", r->op);
	if (r->is_registry && r->reg != REG_NONE)
		jadd_str(o, "error", reg_error_code(r->reg));
	else if (!r->is_registry && r->ecr != ERR_NONE)
		jadd_str(o, "error", ecr_error_type(r->ecr));
	if (is_error(r))
		jadd_i64(o, "status",
		    r->status != 0   ? r->status
		    : r->is_registry ? reg_error_status(r->reg)
		                     : ecr_error_status(r->ecr));
	if (r->message != NULL)
		jadd_str(o, "message", r->message);
	if (r->remaining >= 0)
		jadd_i64(o, "remaining", r->remaining);
	json_object_object_add(o, "probability",
	    json_object_new_double(r->probability));
	jadd_i64(o, "latencyMs", r->latency_ms);
	return o;
}

static void
answer_rules(struct http_request *req, const struct faults *f)
{
	struct json_object *o = jnew_obj(), *arr = jnew_arr();
	size_t i;

	for (i = 0; i < f->n; i++)
		jpush(arr, rule_json(&f->rules[i]));
	jadd_obj(o, "rules", arr);
	answer_json(req, 200, o);
}

/* Parse every rule first: a bad one adds none. */
static void
post_rules(struct faults *f, struct http_request *req)
{
	struct json_object *body = NULL, *rules;
	struct fault_rule *add;
	char *cause = NULL;
	size_t i, n;

	if (jparse_strict(req->body.data, req->body.len, &body, &cause) != 0) {
		answer_aws_error(req, NULL, 400, ERR_SERIALIZATION,
		    cause != NULL ? cause : "Invalid JSON");
		free(cause);
		return;
	}
	if ((rules = jget(body, "rules", json_type_array)) == NULL) {
		answer_aws_error(req, NULL, 400, ERR_INVALID_PARAMETER,
		    "rules: required, an array of rules");
		json_object_put(body);
		return;
	}
	n = json_object_array_length(rules);
	if (n > RULES_MAX - f->n) {
		answer_aws_error(req, NULL, 400, ERR_INVALID_PARAMETER,
		    "rules: at most 100 rules in all");
		json_object_put(body);
		return;
	}
	add = xreallocarray(NULL, n + 1, sizeof *add);
	for (i = 0; i < n; i++) {
		if (parse_rule(req, i, json_object_array_get_idx(rules, i),
		        &add[i]) != 0) {
			n = i + 1; /* the failed one may hold a message */
			while (n-- > 0)
				free(add[n].message);
			free(add);
			json_object_put(body);
			return;
		}
	}
	json_object_put(body);
	f->rules = xreallocarray(f->rules, f->n + n + 1, sizeof *f->rules);
	memcpy(f->rules + f->n, add, n * sizeof *add);
	f->n += n;
	free(add);
	answer_rules(req, f);
}

/*
 * GET lists the rules (each count's remainder), POST adds rules in
 * order (the first that fires answers), DELETE clears them all.
 */
void
faults_on_admin(struct server *srv, struct http_request *req)
{
	if (strcmp(req->method, "POST") == 0)
		post_rules(srv->faults, req);
	else if (strcmp(req->method, "DELETE") == 0) {
		rules_clear(srv->faults);
		answer_rules(req, srv->faults);
	} else
		answer_rules(req, srv->faults);
}
