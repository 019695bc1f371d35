/*
 * The registry's scanning configuration (docs/ecr-behaviour.md 3.7): the
 * scan type and up to two rules of a frequency and wildcard repository
 * filters, kept as the JSON ECR answers with (registry document 19), and
 * what it means for one repository.
 */
#include "core/scanning.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common/xalloc.h"
#include "core/event.h"
#include "store/store.h"

#define DEFAULT_CONFIG "{\"scanType\":\"BASIC\",\"rules\":[]}"

int
core_scan_config_read(struct store_txn *txn, const char *registry_id,
    const char *region, struct json_object **out)
{
	int rc = core_registry_doc_json(txn, registry_id, region,
	    STORE_DOC_REGISTRY_SCANNING, json_type_object, out);

	if (rc == STORE_NOTFOUND) {
		*out = json_tokener_parse(DEFAULT_CONFIG);
		return 0;
	}
	return rc;
}

int
core_scan_config_check(const char *scan_type, struct json_object *rules,
    char *msg, size_t size)
{
	bool is_enhanced = strcmp(scan_type, "ENHANCED") == 0;
	const char *freq;
	size_t i, n;

	n = rules != NULL ? json_object_array_length(rules) : 0;
	for (i = 0; i < n; i++) {
		freq = jget_str(json_object_array_get_idx(rules, i),
		    "scanFrequency");
		if (freq == NULL)
			continue;
		/*
		 * The model's documentation: BASIC scans on push or by hand,
		 * ENHANCED on push or continuously. ECR's wording for a
		 * mismatch is [unconfirmed]; this is Coral's style.
		 */
		if (is_enhanced ? strcmp(freq, "MANUAL") != 0
		                : strcmp(freq, "CONTINUOUS_SCAN") != 0)
			continue;
		snprintf(msg, size,
		    "1 validation error detected: Value '%s' at "
		    "'scanningConfiguration.rules.%zu.member.scanFrequency' "
		    "failed to satisfy constraint: Member must satisfy enum "
		    "value set: [%s] for scanType %s",
		    freq, i + 1,
		    is_enhanced ? "SCAN_ON_PUSH, CONTINUOUS_SCAN"
		                : "SCAN_ON_PUSH, MANUAL",
		    scan_type);
		return -1;
	}
	return 0;
}

/* Whole-name match of a WILDCARD filter: '*' is any run, even empty. */
static bool
wildcard_match(const char *pat, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s != '\0') {
		if (*pat == '*') {
			star = pat++;
			resume = s;
		} else if (*pat == *s) {
			pat++;
			s++;
		} else if (star != NULL) {
			pat = star + 1;
			s = ++resume;
		} else
			return false;
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

/* Append rule's filters that match name to applied; whether any did. */
static bool
rule_matches(struct json_object *rule, const char *name,
    struct json_object *applied)
{
	struct json_object *filters, *f;
	const char *pat;
	bool is_match = false;
	size_t i, n;

	filters = jget(rule, "repositoryFilters", json_type_array);
	n = filters != NULL ? json_object_array_length(filters) : 0;
	for (i = 0; i < n; i++) {
		f = json_object_array_get_idx(filters, i);
		if ((pat = jget_str(f, "filter")) == NULL ||
		    !wildcard_match(pat, name))
			continue;
		is_match = true;
		if (applied != NULL)
			json_object_array_add(applied, json_object_get(f));
	}
	return is_match;
}

const char *
core_scan_frequency(struct json_object *config, const char *name,
    struct json_object *applied)
{
	struct json_object *rules, *rule;
	const char *freq;
	size_t i, n;

	rules = jget(config, "rules", json_type_array);
	n = rules != NULL ? json_object_array_length(rules) : 0;
	for (i = 0; i < n; i++) {
		rule = json_object_array_get_idx(rules, i);
		if ((freq = jget_str(rule, "scanFrequency")) != NULL &&
		    rule_matches(rule, name, applied))
			return freq;
	}
	return "MANUAL";
}

bool
core_scan_is_enhanced(struct json_object *config)
{
	const char *type = jget_str(config, "scanType");

	return type != NULL && strcmp(type, "ENHANCED") == 0;
}

bool
core_scan_on_push_wanted(struct json_object *config,
    const struct store_repo *repo)
{
	struct json_object *rules;
	const char *freq;

	rules = jget(config, "rules", json_type_array);
	/*
	 * Registry rules override the repository's scanOnPush once there
	 * are any (the API reference of PutRegistryScanningConfiguration).
	 */
	if (rules == NULL || json_object_array_length(rules) == 0)
		return repo->scan_on_push;
	freq = core_scan_frequency(config, repo->name, NULL);
	return strcmp(freq, "SCAN_ON_PUSH") == 0 ||
	       strcmp(freq, "CONTINUOUS_SCAN") == 0;
}

/*
 * ECR Scan Resource Change (integrations 1.5, docs/observability.md
 * "Events"): a change in registry_id's region with room for cap
 * repositories.
 */
static struct core_event *
change_new(struct call *call, const char *registry_id, const char *region,
    enum core_scan_change change, size_t cap)
{
	struct core_event *ev = xcalloc(1, sizeof *ev);

	ev->kind = CORE_EVENT_SCAN_RESOURCE;
	ev->scan_change = change;
	ev->at_ms = call->now_ms;
	ev->account = xstrdup(registry_id);
	ev->region = xstrdup(region);
	ev->scan_repos = xreallocarray(NULL, cap, sizeof *ev->scan_repos);
	return ev;
}

static void
change_add(struct core_event *ev, const struct store_repo *repo,
    const char *freq, const char *prev)
{
	struct core_scan_repo *r = &ev->scan_repos[ev->n_scan_repos++];

	r->name = xstrdup(repo->name);
	r->arn = core_repo_arn_in(repo->region, repo->registry_id, repo->name);
	r->freq = xstrdup(freq);
	r->prev_freq = prev != NULL ? xstrdup(prev) : NULL;
}

struct freq_walk {
	struct call *call;
	struct json_object *old_config, *new_config;
	struct core_event *ev; /* being filled */
};

static int
freq_walk_repo(const struct store_repo *repo, void *arg)
{
	struct freq_walk *w = arg;
	const char *prev, *freq;

	prev = core_scan_frequency(w->old_config, repo->name, NULL);
	freq = core_scan_frequency(w->new_config, repo->name, NULL);
	if (strcmp(prev, freq) == 0)
		return 0;
	if (w->ev == NULL)
		w->ev = change_new(w->call, repo->registry_id, repo->region,
		    CORE_SCAN_FREQUENCY_CHANGE, CORE_SCAN_REPOS_PER_EVENT);
	change_add(w->ev, repo, freq, prev);
	if (w->ev->n_scan_repos == CORE_SCAN_REPOS_PER_EVENT) {
		core_events_add(&w->call->events, w->ev);
		w->ev = NULL;
	}
	return 0;
}

int
core_scan_change_events(struct call *call, struct json_object *old_config,
    struct json_object *new_config)
{
	struct freq_walk w = {call, old_config, new_config, NULL};
	int rc;

	if (!core_events_wanted(call->ctx) ||
	    !core_scan_is_enhanced(new_config))
		return 0;
	/*
	 * One walk of the partition's repositories in the call's transaction:
	 * as many as --max-repositories allows, each event holding at most
	 * CORE_SCAN_REPOS_PER_EVENT of them.
	 */
	rc = store_repo_foreach(call->txn, call->registry_id, call->id.region,
	    NULL, freq_walk_repo, &w);
	if (w.ev != NULL && rc == 0)
		core_events_add(&call->events, w.ev);
	else
		core_event_free(w.ev);
	return rc;
}

void
core_scan_repo_event(struct call *call, enum core_scan_change change,
    const struct store_repo *repo, const char *digest)
{
	struct json_object *config;
	struct core_event *ev;
	const char *freq;

	if (!core_events_wanted(call->ctx) ||
	    core_scan_config_read(call->txn, repo->registry_id, repo->region,
	        &config) != 0)
		return;
	freq = core_scan_frequency(config, repo->name, NULL);
	/* Enhanced scanning covers what a rule scans, not MANUAL's. */
	if (core_scan_is_enhanced(config) && strcmp(freq, "MANUAL") != 0) {
		ev = change_new(call, repo->registry_id, repo->region, change,
		    1);
		change_add(ev, repo, freq, NULL);
		core_event_set(&ev->digest, digest);
		core_events_add(&call->events, ev);
	}
	json_object_put(config);
}
