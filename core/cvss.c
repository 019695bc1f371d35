/*
 * CVSS v3.x base scores from vector strings, by the formula of FIRST's
 * CVSS v3.1 specification (section 7 and Appendix A), and their
 * qualitative bands (section 5); docs/scanning.md, "Severity".
 */
#include "core/scan.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

/* The eight base metrics, each mandatory and given once. */
enum cvss_metric { M_AV, M_AC, M_PR, M_UI, M_S, M_C, M_I, M_A, M__COUNT };

static const char *const metric_names[M__COUNT] = {
    "AV", "AC", "PR", "UI", "S", "C", "I", "A"};

/* Temporal and environmental metrics: allowed, not part of the base. */
static const char *const other_metrics[] = {"E", "RL", "RC", "CR", "IR", "AR",
    "MAV", "MAC", "MPR", "MUI", "MS", "MC", "MI", "MA"};

static int
metric_index(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < M__COUNT; i++)
		if (strlen(metric_names[i]) == len &&
		    memcmp(metric_names[i], name, len) == 0)
			return (int)i;
	for (i = 0; i < sizeof(other_metrics) / sizeof(other_metrics[0]); i++)
		if (strlen(other_metrics[i]) == len &&
		    memcmp(other_metrics[i], name, len) == 0)
			return M__COUNT;
	return -1;
}

/* The weight of value v of metric m; < 0 when v is not one of its values. */
static double
weight(enum cvss_metric m, char v, bool is_changed)
{
	switch (m) {
	case M_AV:
		return v == 'N'   ? 0.85
		       : v == 'A' ? 0.62
		       : v == 'L' ? 0.55
		       : v == 'P' ? 0.2
		                  : -1;
	case M_AC:
		return v == 'L' ? 0.77 : v == 'H' ? 0.44 : -1;
	case M_PR:
		if (v == 'N')
			return 0.85;
		if (v == 'L')
			return is_changed ? 0.68 : 0.62;
		if (v == 'H')
			return is_changed ? 0.5 : 0.27;
		return -1;
	case M_UI:
		return v == 'N' ? 0.85 : v == 'R' ? 0.62 : -1;
	case M_S:
		return v == 'U' || v == 'C' ? 0 : -1;
	case M_C:
	case M_I:
	case M_A:
		return v == 'H' ? 0.56 : v == 'L' ? 0.22 : v == 'N' ? 0 : -1;
	default:
		return -1;
	}
}

/*
 * 3.1's Roundup: the smallest one-decimal number at least x, computed on
 * integers so that floating-point noise (4.000000001) does not round up.
 */
static double
roundup31(double x)
{
	long long n = llround(x * 100000);

	if (n % 10000 == 0)
		return (double)n / 100000.0;
	return (double)(n / 10000 + 1) / 10.0;
}

/* 3.0 rounds up plainly. */
static double
roundup30(double x)
{
	return ceil(x * 10) / 10;
}

/*
 * Split "AV:N/AC:L/..." into the base metrics' values; 0, or -1 if a
 * metric is unknown, repeated, missing or has a malformed value.
 */
static int
parse_metrics(const char *p, char values[M__COUNT])
{
	const char *colon, *end;
	int m;

	memset(values, 0, M__COUNT);
	while (*p != '\0') {
		end = strchr(p, '/');
		if (end == NULL)
			end = p + strlen(p);
		colon = memchr(p, ':', (size_t)(end - p));
		if (colon == NULL || end - colon != 2)
			return -1;
		if ((m = metric_index(p, (size_t)(colon - p))) < 0)
			return -1;
		if (m < M__COUNT) {
			if (values[m] != 0)
				return -1;
			values[m] = colon[1];
		}
		p = *end == '/' ? end + 1 : end;
		if (*end == '/' && *p == '\0')
			return -1;
	}
	for (m = 0; m < M__COUNT; m++)
		if (values[m] == 0)
			return -1;
	return 0;
}

double
cvss3_base_score(const char *vector)
{
	char v[M__COUNT];
	double w[M__COUNT], iss, impact, exploit, base;
	bool is_31, is_changed;
	int m;

	if (vector == NULL)
		return -1;
	if (strncmp(vector, "CVSS:3.1/", 9) == 0)
		is_31 = true;
	else if (strncmp(vector, "CVSS:3.0/", 9) == 0)
		is_31 = false;
	else
		return -1;
	if (parse_metrics(vector + 9, v) != 0)
		return -1;
	is_changed = v[M_S] == 'C';
	for (m = 0; m < M__COUNT; m++)
		if ((w[m] = weight(m, v[m], is_changed)) < 0)
			return -1;
	iss = 1 - (1 - w[M_C]) * (1 - w[M_I]) * (1 - w[M_A]);
	if (is_changed)
		impact = 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15);
	else
		impact = 6.42 * iss;
	exploit = 8.22 * w[M_AV] * w[M_AC] * w[M_PR] * w[M_UI];
	if (impact <= 0)
		return 0;
	base = impact + exploit;
	if (is_changed)
		base *= 1.08;
	if (base > 10)
		base = 10;
	return is_31 ? roundup31(base) : roundup30(base);
}

const char *
cvss3_severity(double score)
{
	if (score < 0)
		return "UNDEFINED";
	if (score == 0)
		return "INFORMATIONAL";
	if (score < 4.0)
		return "LOW";
	if (score < 7.0)
		return "MEDIUM";
	if (score < 9.0)
		return "HIGH";
	return "CRITICAL";
}
