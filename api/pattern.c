/*
 * Java regexes with PCRE2, which reads the model's syntax natively. Matching
 * is by bytes (no PCRE2_UTF): the JSON parser has checked the UTF-8, and the
 * model's classes are ASCII, so a non-ASCII character fails a class as
 * each of its bytes does.
 */
#include "api/pattern.h"

#include <stdlib.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "common/xalloc.h"

/*
 * Backtracking steps a match may take. A match of the longest value any
 * patterned shape allows takes at most about 1,200 (test_validate.c tries
 * the worst); a mismatch such as 250 "a" and a "!" against
 * (?:[._/a-z0-9*]?[a-z0-9*]+)* would take billions, so it stops here, in
 * tens of microseconds with the JIT, and counts as the mismatch it is.
 */
#define MATCH_LIMIT 10000

struct pattern {
	pcre2_code *code;
};

struct matcher {
	pcre2_general_context *gen;
	pcre2_match_context *ctx;
	pcre2_match_data *md;
};

/* PCRE2 allocates through xmalloc: running out of memory aborts. */
static void *
gen_malloc(size_t size, void *arg)
{
	(void)arg;
	return xmalloc(size);
}

static void
gen_free(void *p, void *arg)
{
	(void)arg;
	free(p);
}

/* Allocated by gen_malloc, as is all that is made from it: never NULL. */
static pcre2_general_context *
gen_new(void)
{
	return pcre2_general_context_create(gen_malloc, gen_free, NULL);
}

struct pattern *
pattern_new(const char *java, char **cause)
{
	pcre2_general_context *gen = gen_new();
	pcre2_compile_context *cc;
	struct pattern *p;
	PCRE2_UCHAR msg[128];
	PCRE2_SIZE at;
	int rc;

	cc = pcre2_compile_context_create(gen);
	p = xcalloc(1, sizeof *p);
	/* String.matches: anchored at both ends, whatever the alternation. */
	p->code = pcre2_compile((PCRE2_SPTR)java, PCRE2_ZERO_TERMINATED,
	    PCRE2_ANCHORED | PCRE2_ENDANCHORED, &rc, &at, cc);
	pcre2_compile_context_free(cc);
	pcre2_general_context_free(gen);
	if (p->code == NULL) {
		pcre2_get_error_message(rc, msg, sizeof msg);
		*cause = xasprintf("%s at offset %zu of %s", (char *)msg,
		    (size_t)at, java);
		free(p);
		return NULL;
	}
	/* Without a JIT (an unsupported CPU, SELinux) the interpreter runs. */
	(void)pcre2_jit_compile(p->code, PCRE2_JIT_COMPLETE);
	return p;
}

void
pattern_free(struct pattern *p)
{
	if (p == NULL)
		return;
	pcre2_code_free(p->code);
	free(p);
}

struct matcher *
matcher_new(void)
{
	struct matcher *m;

	m = xcalloc(1, sizeof *m);
	m->gen = gen_new();
	m->ctx = pcre2_match_context_create(m->gen);
	pcre2_set_match_limit(m->ctx, MATCH_LIMIT);
	/* One pair: a match past the ovector still returns 0, not a miss. */
	m->md = pcre2_match_data_create(1, m->gen);
	return m;
}

void
matcher_free(struct matcher *m)
{
	if (m == NULL)
		return;
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->ctx);
	pcre2_general_context_free(m->gen);
	free(m);
}

/*
 * Any error (the step limit, the JIT's stack) counts as a mismatch: no
 * valid value of the model comes near either limit.
 */
bool
pattern_matches(const struct pattern *p, struct matcher *m, const char *s,
    size_t len)
{
	return pcre2_match(p->code, (PCRE2_SPTR)s, len, 0, 0, m->md, m->ctx) >=
	       0;
}
