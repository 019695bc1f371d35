/*
 * Metric families in memory and their Prometheus text. A series is found
 * by a hash of its label values, so counting a request costs a hash and a
 * few string compares; a scrape walks only what is in memory.
 */
#include "server/metrics.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/str.h"
#include "common/xalloc.h"

#define HASH_SIZE 1024 /* buckets per family, a power of two */
#define RENDER_MAX (64u * 1024 * 1024)

struct series {
	struct series *hnext; /* same bucket */
	struct series *next;  /* order made */
	struct series *prev;
	uint32_t hash;
	char *values[METRICS_LABELS_MAX];
	double value; /* counter, gauge; a histogram's sum */
	uint64_t count;
	uint64_t *buckets; /* histogram: n_bounds + 1, not cumulative */
};

struct family {
	const struct metrics_def *def;
	struct series *hash[HASH_SIZE];
	struct series *first;
	struct series *last;
	size_t n_series;
};

struct metrics {
	struct family *fams;
	size_t n_fams;
	size_t max_series;
};

struct metrics *
metrics_new(size_t max_series)
{
	struct metrics *m = xcalloc(1, sizeof *m);

	m->max_series = max_series > 0 ? max_series : 1;
	return m;
}

static void
series_free(struct series *s, size_t n_labels)
{
	size_t i;

	for (i = 0; i < n_labels; i++)
		free(s->values[i]);
	free(s->buckets);
	free(s);
}

void
metrics_free(struct metrics *m)
{
	struct series *s, *next;
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n_fams; i++) {
		for (s = m->fams[i].first; s != NULL; s = next) {
			next = s->next;
			series_free(s, m->fams[i].def->n_labels);
		}
	}
	free(m->fams);
	free(m);
}

size_t
metrics_declare(struct metrics *m, const struct metrics_def *def)
{
	m->fams = xreallocarray(m->fams, m->n_fams + 1, sizeof *m->fams);
	memset(&m->fams[m->n_fams], 0, sizeof *m->fams);
	m->fams[m->n_fams].def = def;
	return m->n_fams++;
}

static uint32_t
values_hash(const char *const *values, size_t n)
{
	uint32_t h = STR_HASH_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		h = str_hash_add(h, values[i]);
	return h;
}

static struct series *
find(const struct family *f, const char *const *values, uint32_t h)
{
	struct series *s;
	size_t i;

	for (s = f->hash[h & (HASH_SIZE - 1)]; s != NULL; s = s->hnext) {
		if (s->hash != h)
			continue;
		for (i = 0; i < f->def->n_labels; i++)
			if (strcmp(s->values[i], values[i]) != 0)
				break;
		if (i == f->def->n_labels)
			return s;
	}
	return NULL;
}

static struct series *
make(struct family *f, const char *const *values, uint32_t h)
{
	struct series *s = xcalloc(1, sizeof *s);
	size_t i;

	s->hash = h;
	for (i = 0; i < f->def->n_labels; i++)
		s->values[i] = xstrdup(values[i]);
	if (f->def->kind == METRICS_HISTOGRAM)
		s->buckets = xcalloc(f->def->n_bounds + 1, sizeof *s->buckets);
	s->hnext = f->hash[h & (HASH_SIZE - 1)];
	f->hash[h & (HASH_SIZE - 1)] = s;
	s->prev = f->last;
	if (f->last != NULL)
		f->last->next = s;
	else
		f->first = s;
	f->last = s;
	f->n_series++;
	return s;
}

/* The series for values, past the cap the folded one's; never NULL. */
static struct series *
lookup(struct metrics *m, size_t fam, const char *const *values)
{
	struct family *f = &m->fams[fam];
	const char *folded[METRICS_LABELS_MAX];
	struct series *s;
	uint32_t h;

	h = values_hash(values, f->def->n_labels);
	if ((s = find(f, values, h)) != NULL)
		return s;
	if (f->def->fold >= 0 && f->n_series >= m->max_series) {
		memcpy(folded, values, f->def->n_labels * sizeof *values);
		folded[f->def->fold] = METRICS_OTHER;
		values = folded;
		h = values_hash(values, f->def->n_labels);
		if ((s = find(f, values, h)) != NULL)
			return s;
	}
	return make(f, values, h);
}

void
metrics_add(struct metrics *m, size_t fam, const char *const *values,
    double delta)
{
	if (m != NULL)
		lookup(m, fam, values)->value += delta;
}

void
metrics_set(struct metrics *m, size_t fam, const char *const *values,
    double value)
{
	if (m != NULL)
		lookup(m, fam, values)->value = value;
}

void
metrics_observe(struct metrics *m, size_t fam, const char *const *values,
    double value)
{
	const struct metrics_def *def;
	struct series *s;
	size_t i;

	if (m == NULL)
		return;
	def = m->fams[fam].def;
	s = lookup(m, fam, values);
	for (i = 0; i < def->n_bounds && value > def->bounds[i]; i++)
		;
	s->buckets[i]++;
	s->value += value;
	s->count++;
}

double
metrics_get(const struct metrics *m, size_t fam, const char *const *values)
{
	const struct family *f = &m->fams[fam];
	const struct series *s;

	s = find(f, values, values_hash(values, f->def->n_labels));
	return s != NULL ? s->value : 0;
}

static void
unlink_series(struct family *f, struct series *s)
{
	struct series **pp = &f->hash[s->hash & (HASH_SIZE - 1)];

	while (*pp != s)
		pp = &(*pp)->hnext;
	*pp = s->hnext;
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		f->first = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	else
		f->last = s->prev;
	f->n_series--;
}

void
metrics_each(struct metrics *m, size_t fam,
    bool (*fn)(const char *const *values, double *value, void *arg), void *arg)
{
	struct family *f = &m->fams[fam];
	struct series *s, *next;

	for (s = f->first; s != NULL; s = next) {
		next = s->next;
		if (fn((const char *const *)s->values, &s->value, arg))
			continue;
		unlink_series(f, s);
		series_free(s, f->def->n_labels);
	}
}

/*
 * Escape text as the format asks: backslash and newline always, the
 * double quote too in a label value (is_label).
 */
static void
add_escaped(struct buf *b, const char *p, bool is_label)
{
	for (; *p != '\0'; p++) {
		if (*p == '\\')
			buf_addstr(b, "\\\\");
		else if (*p == '\n')
			buf_addstr(b, "\\n");
		else if (*p == '"' && is_label)
			buf_addstr(b, "\\\"");
		else
			buf_add(b, p, 1);
	}
}

#define VALUE_SIZE 32
/* Go's float syntax, as the format wants: integers without a point. */
static void
format_value(char dst[VALUE_SIZE], double v)
{
	if (isnan(v))
		snprintf(dst, VALUE_SIZE, "NaN");
	else if (isinf(v))
		snprintf(dst, VALUE_SIZE, "%s", v > 0 ? "+Inf" : "-Inf");
	else if (snprintf(dst, VALUE_SIZE, "%.15g", v) > 0 &&
	         strtod(dst, NULL) != v)
		/* The shortest of the two that reads back as v. */
		snprintf(dst, VALUE_SIZE, "%.17g", v);
}

static void
add_value(struct buf *b, double v)
{
	char text[VALUE_SIZE];

	format_value(text, v);
	buf_addstr(b, text);
}

/* name{l1="v1",...[,extra]} with the optional extra label (le). */
static void
add_name(struct buf *b, const struct metrics_def *def, const char *suffix,
    const struct series *s, const char *extra_name, const char *extra)
{
	size_t i;

	buf_addf(b, "%s%s", def->name, suffix);
	if (def->n_labels == 0 && extra_name == NULL) {
		buf_addstr(b, " ");
		return;
	}
	buf_addstr(b, "{");
	for (i = 0; i < def->n_labels; i++) {
		buf_addf(b, "%s%s=\"", i > 0 ? "," : "", def->labels[i]);
		add_escaped(b, s->values[i], true);
		buf_addstr(b, "\"");
	}
	if (extra_name != NULL)
		buf_addf(b, "%s%s=\"%s\"", def->n_labels > 0 ? "," : "",
		    extra_name, extra);
	buf_addstr(b, "} ");
}

static void
add_histogram(struct buf *b, const struct metrics_def *def,
    const struct series *s)
{
	char le[VALUE_SIZE];
	uint64_t cum = 0;
	size_t i;

	for (i = 0; i <= def->n_bounds; i++) {
		cum += s->buckets[i];
		format_value(le, i < def->n_bounds ? def->bounds[i] : INFINITY);
		add_name(b, def, "_bucket", s, "le", le);
		buf_addf(b, "%llu\n", (unsigned long long)cum);
	}
	add_name(b, def, "_sum", s, NULL, NULL);
	add_value(b, s->value);
	buf_addstr(b, "\n");
	add_name(b, def, "_count", s, NULL, NULL);
	buf_addf(b, "%llu\n", (unsigned long long)s->count);
}

static const char *const kind_names[] = {
    [METRICS_COUNTER] = "counter",
    [METRICS_GAUGE] = "gauge",
    [METRICS_HISTOGRAM] = "histogram",
};

char *
metrics_render(const struct metrics *m, size_t *len)
{
	const struct metrics_def *def;
	const struct series *s;
	struct buf b;
	size_t i;

	buf_init(&b, RENDER_MAX);
	for (i = 0; i < m->n_fams; i++) {
		def = m->fams[i].def;
		buf_addf(&b, "# HELP %s ", def->name);
		add_escaped(&b, def->help, false);
		buf_addf(&b, "\n# TYPE %s %s\n", def->name,
		    kind_names[def->kind]);
		for (s = m->fams[i].first; s != NULL; s = s->next) {
			if (def->kind == METRICS_HISTOGRAM) {
				add_histogram(&b, def, s);
				continue;
			}
			add_name(&b, def, "", s, NULL, NULL);
			add_value(&b, s->value);
			buf_addstr(&b, "\n");
		}
	}
	return buf_take(&b, len);
}
