/*
 * The metric state and its Prometheus text (exposition format 0.0.4):
 * families of labelled counters, gauges and histograms kept in memory and
 * updated where the work happens (docs/observability.md, "Metrics"). All
 * of it runs on the loop's thread: no locks. No libevent, so the unit
 * test links it alone.
 */
#ifndef ECRD_SERVER_METRICS_H
#define ECRD_SERVER_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#define METRICS_LABELS_MAX 4
/* The repository label's value past the cap (docs/observability.md). */
#define METRICS_OTHER "_other"
/* Series per family with a repository label, by default. */
#define METRICS_SERIES_MAX 1000

enum metrics_kind {
	METRICS_COUNTER,
	METRICS_GAUGE,
	METRICS_HISTOGRAM,
};

/*
 * A family as declared once at start: name, help text, kind, its label
 * names, and fold: the index of the label whose value becomes
 * METRICS_OTHER once the family holds max_series series (-1: never). A
 * histogram's bucket bounds, increasing, without +Inf (added), borrowed
 * for the life of the metrics.
 */
struct metrics_def {
	const char *name;
	const char *help;
	enum metrics_kind kind;
	const char *labels[METRICS_LABELS_MAX];
	size_t n_labels;
	int fold;
	const double *bounds;
	size_t n_bounds;
};

struct metrics;
/* Series past max_series (>= 1) in a folding family count as _other. */
struct metrics *metrics_new(size_t max_series);
/* NULL is ignored. */
void metrics_free(struct metrics *);
/* Declare a family (def is borrowed for the metrics' life): its index. */
size_t metrics_declare(struct metrics *, const struct metrics_def *def);

/*
 * The series of family fam with label values (def->n_labels strings,
 * copied), made if new. A counter's add takes delta >= 0; set is for
 * gauges; observe is for histograms. A NULL metrics is ignored, so a
 * caller with metrics off calls them all the same.
 */
void metrics_add(struct metrics *, size_t fam, const char *const *values,
    double delta);
void metrics_set(struct metrics *, size_t fam, const char *const *values,
    double value);
void metrics_observe(struct metrics *, size_t fam, const char *const *values,
    double value);
/* The value of a series, 0 when it has none (for tests and gauges). */
double metrics_get(const struct metrics *, size_t fam,
    const char *const *values);

/*
 * Call fn for each series of fam in the order they were made, with its
 * label values and value: fn returns true to keep the series, false to
 * drop it (a gauge of something gone). fn may set the series' value with
 * *value.
 */
void metrics_each(struct metrics *, size_t fam,
    bool (*fn)(const char *const *values, double *value, void *arg), void *arg);

/*
 * The text of every family, in declaration order, each series in the
 * order made: *len bytes, NUL-terminated; the caller frees it.
 */
char *metrics_render(const struct metrics *, size_t *len);

#endif
