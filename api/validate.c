/*
 * Check request bodies against the generated model, and word what fails as
 * ECR does (docs/ecr-behaviour.md 1.5). The override table below holds what the
 * model lacks: ECR's message styles, its real regexes and tag limits.
 */
#include "api/validate.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/pattern.h"
#include "common/xalloc.h"

/*
 * Member paths follow Coral: "repositoryName" at the top, "a.b" inside a
 * structure, "imageIds.1.member.imageTag" inside a list (1-based). A list of
 * plain values is reported once, at the list's own path, with Coral's
 * "Member must satisfy constraint: [...]" (the wire shows this for
 * registryIds). Map entries are reported at the map's path the same way;
 * the model has no map in any input today.
 */
#define PATH_SIZE 512 /* inputs nest 6 deep; names are short */
#define VALUE_MAX 256 /* bytes of a value quoted in a message */
#define DETAIL_SIZE 768
#define RENDER_DEPTH 8 /* nesting shown when quoting a value */
/*
 * Longer values fail their pattern unmatched, keeping the matcher's work
 * bounded. Every patterned shape that could be this long is an ARN, digest
 * or id for which it would be nonsense.
 */
#define REGEX_INPUT_MAX 8192

/* The one wording of a type mismatch (a Coral SerializationException). */
#define SERIALIZATION_FMT                                                      \
	"Unexpected value type in payload at '%s': "                           \
	"expected %s"

enum detail_style {
	STYLE_CORAL, /* "Member must have length ...": Coral */
	STYLE_ECR,   /* "must have length ...": ECR's own checks */
};

/* What the model does not say about a shape, keyed by shape name. */
struct shape_override {
	const char *shape;
	enum detail_style style;
	/*
	 * ECR's regex: quoted in STYLE_ECR messages and, when the model has no
	 * pattern for the shape, checked too.
	 */
	const char *regex;
	/* Not checked in entry_ops: their handlers fail the entry. */
	bool is_entry_checked;
	/* Limits the model states only in prose. */
	bool has_min, has_max;
	int64_t min, max;
	/* In classic operations, the error instead of InvalidParameter. */
	enum ecr_errcode code;
	const char *message;
};

#define TOO_MANY_TAGS_MESSAGE                                                  \
	"The list of tags on the repository is "                               \
	"over the limit. The maximum number of tags that can be applied "      \
	"to a repository is 50."
#define INVALID_TAG_MESSAGE                                                    \
	"An invalid parameter has been specified. "                            \
	"Tag keys can have a maximum character length of 128 characters, "     \
	"and tag values can have a maximum length of 256 characters."

static const struct shape_override shape_overrides[] = {
    /*
     * ECR words these itself and quotes its older regexes (1.5 table). For
     * repository names it accepts what the model's looser pattern allows
     * and keeps the classic text (3.1). The model gives image tags and
     * digests no pattern, so ECR's are checked.
     */
    {.shape = "ImageDigest",
        .style = STYLE_ECR,
        .regex = "[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+",
        .is_entry_checked = true},
    {.shape = "ImageTag",
        .style = STYLE_ECR,
        .regex = "[a-zA-Z0-9-_.]+",
        .is_entry_checked = true},
    {.shape = "RepositoryName",
        .style = STYLE_ECR,
        .regex = "(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*"
                 "[a-z0-9]+(?:[._-][a-z0-9]+)*"},
    /*
     * Tag limits are in the model's prose only, and ECR answers them with
     * its tag exceptions, worded as the model documents them (3.1).
     */
    {.shape = "TagKey",
        .has_min = true,
        .min = 1,
        .has_max = true,
        .max = 128,
        .code = ERR_INVALID_TAG_PARAMETER,
        .message = INVALID_TAG_MESSAGE},
    {.shape = "TagList",
        .has_max = true,
        .max = 50,
        .code = ERR_TOO_MANY_TAGS,
        .message = TOO_MANY_TAGS_MESSAGE},
    {.shape = "TagValue",
        .has_max = true,
        .max = 256,
        .code = ERR_INVALID_TAG_PARAMETER,
        .message = INVALID_TAG_MESSAGE},
};

/*
 * Operations whose constraint errors are Coral ValidationExceptions listing
 * every violation, rather than ECR's InvalidParameterException for the
 * first (1.5): the families added since 2021 (registry scanning, pull-
 * through cache, creation templates, account settings, managed signing,
 * pull-time exclusions). The model cannot tell them apart: it also lists
 * ValidationException on classic operations such as GetLifecyclePolicy or
 * DescribeRegistry, and on image operations (ListImageReferrers,
 * UpdateImageStorageClass, DescribeImageSigningStatus) that take
 * repositoryName and imageId as the classic ones do. Sorted.
 */
static const char *const coral_ops[] = {
    "BatchGetRepositoryScanningConfiguration",
    "CreatePullThroughCacheRule",
    "CreateRepositoryCreationTemplate",
    "DeletePullThroughCacheRule",
    "DeleteRepositoryCreationTemplate",
    "DeleteSigningConfiguration",
    "DeregisterPullTimeUpdateExclusion",
    "DescribePullThroughCacheRules",
    "DescribeRepositoryCreationTemplates",
    "GetAccountSetting",
    "GetRegistryScanningConfiguration",
    "GetSigningConfiguration",
    "ListPullTimeUpdateExclusions",
    "PutAccountSetting",
    "PutRegistryScanningConfiguration",
    "PutSigningConfiguration",
    "RegisterPullTimeUpdateExclusion",
    "UpdatePullThroughCacheRule",
    "UpdateRepositoryCreationTemplate",
    "ValidatePullThroughCacheRule",
};

/*
 * Batch operations that answer a malformed image id with a failure entry
 * (InvalidImageDigest, InvalidImageTag: docs/ecr-behaviour.md 3.2) rather than
 * failing the call, whose failure reason quotes the same regex. Sorted.
 */
static const char *const entry_ops[] = {
    "BatchDeleteImage",
    "BatchGetImage",
};

#define nitems(a) (sizeof(a) / sizeof(a)[0])

/* A shape with a pattern or an override. */
struct shape_rule {
	const struct model_shape *shape;
	const struct shape_override *ov; /* or NULL */
	const char *pattern;             /* checked; or NULL */
	struct pattern *re;              /* pattern, compiled */
};

struct validator {
	struct shape_rule *rules;
	size_t n_rules;
	struct matcher *m;
};

/* A bounded string in a caller's array; it truncates, never grows. */
struct sbuf {
	char *p;
	size_t size;
	size_t len;
	bool is_full;
};

/* Faults of one value, in the order they are reported. */
#define F_MIN 0x1
#define F_MAX 0x2
#define F_PATTERN 0x4
#define F_ENUM 0x8

struct limits {
	bool has_min, has_max;
	int64_t min, max;
};

struct walk {
	const struct validator *v;
	bool is_coral;
	bool is_entry_op; /* in entry_ops */
	int n_violations;
	enum ecr_errcode code; /* classic: the first's */
	struct ecr_error *err;
	const struct json_object *streamed; /* a blob taken out, or NULL */
	int64_t streamed_len;               /* its decoded length */
	struct sbuf path;
	struct sbuf msg;
	char path_buf[PATH_SIZE];
	char msg_buf[ECR_ERROR_MESSAGE_SIZE];
};

static void
sb_init(struct sbuf *sb, char *p, size_t size)
{
	sb->p = p;
	sb->size = size;
	sb->len = 0;
	sb->is_full = false;
	p[0] = '\0';
}

static void
sb_addn(struct sbuf *sb, const char *s, size_t n)
{
	size_t room = sb->size - 1 - sb->len;

	if (n > room) {
		n = room;
		sb->is_full = true;
	}
	memcpy(sb->p + sb->len, s, n);
	sb->len += n;
	sb->p[sb->len] = '\0';
}

static void
sb_adds(struct sbuf *sb, const char *s)
{
	sb_addn(sb, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
sb_addf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	size_t room = sb->size - sb->len;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sb->p + sb->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		sb->p[sb->len] = '\0';
	else if ((size_t)n >= room) {
		sb->len = sb->size - 1;
		sb->is_full = true;
	} else
		sb->len += (size_t)n;
}

/* Cut back to len bytes. */
static void
sb_truncate(struct sbuf *sb, size_t len)
{
	if (len < sb->len) {
		sb->len = len;
		sb->p[len] = '\0';
	}
}

static const struct model_shape *
shape_find(const char *name)
{
	size_t lo = 0, hi = model_n_shapes, mid;
	int cmp;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		cmp = strcmp(name, model_shapes[mid]->name);
		if (cmp == 0)
			return model_shapes[mid];
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct model_op *
model_op_find(const char *name)
{
	size_t lo = 0, hi = model_n_ops, mid;
	int cmp;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		cmp = strcmp(name, model_ops[mid].name);
		if (cmp == 0)
			return &model_ops[mid];
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(a, *(const char *const *)b);
}

static bool
is_listed(const char *name, const char *const *list, size_t n)
{
	return bsearch(name, list, n, sizeof list[0], cmp_name) != NULL;
}

static const struct shape_override *
override_find(const struct model_shape *s)
{
	size_t i;

	for (i = 0; i < nitems(shape_overrides); i++) {
		if (strcmp(shape_overrides[i].shape, s->name) == 0)
			return &shape_overrides[i];
	}
	return NULL;
}

/* The tables above must still fit the model: a drifted model fails here. */
static int
check_tables(char **cause)
{
	const struct model_op *op;
	const struct model_shape *s;
	const struct shape_override *ov;
	size_t i, j;

	for (i = 0; i < nitems(coral_ops); i++) {
		if (i > 0 && strcmp(coral_ops[i - 1], coral_ops[i]) >= 0) {
			*cause = xasprintf("validate: coral_ops is not sorted "
			                   "at %s",
			    coral_ops[i]);
			return -1;
		}
		if ((op = model_op_find(coral_ops[i])) == NULL) {
			*cause = xasprintf("validate: no operation %s in the "
			                   "model",
			    coral_ops[i]);
			return -1;
		}
		for (j = 0; j < op->n_errors; j++) {
			if (strcmp(op->errors[j], "ValidationException") == 0)
				break;
		}
		if (j == op->n_errors) {
			*cause = xasprintf("validate: the model no longer "
			                   "lists ValidationException for %s",
			    op->name);
			return -1;
		}
	}
	for (i = 0; i < nitems(entry_ops); i++) {
		if ((i > 0 && strcmp(entry_ops[i - 1], entry_ops[i]) >= 0) ||
		    model_op_find(entry_ops[i]) == NULL) {
			*cause =
			    xasprintf("validate: entry_ops is unsorted "
			              "or names an unknown operation at %s",
			        entry_ops[i]);
			return -1;
		}
	}
	for (i = 0; i < nitems(shape_overrides); i++) {
		ov = &shape_overrides[i];
		if ((s = shape_find(ov->shape)) == NULL) {
			*cause = xasprintf("validate: no shape %s in the model",
			    ov->shape);
			return -1;
		}
		if ((ov->has_min && s->has_min) ||
		    (ov->has_max && s->has_max)) {
			*cause = xasprintf("validate: the model now limits %s; "
			                   "drop the override",
			    ov->shape);
			return -1;
		}
		if (ov->style == STYLE_ECR && s->type != MODEL_STRING) {
			*cause = xasprintf("validate: %s is not a string",
			    ov->shape);
			return -1;
		}
	}
	return 0;
}

int
validator_new(struct validator **out, char **cause)
{
	struct validator *v;
	struct shape_rule *r;
	const struct model_shape *s;
	const struct shape_override *ov;
	char *why;
	size_t i, n;

	if (check_tables(cause) != 0)
		return -1;
	for (i = n = 0; i < model_n_shapes; i++) {
		if (model_shapes[i]->pattern != NULL ||
		    override_find(model_shapes[i]) != NULL)
			n++;
	}
	v = xcalloc(1, sizeof *v);
	v->rules = xcalloc(n, sizeof *v->rules);
	v->m = matcher_new();
	for (i = 0; i < model_n_shapes; i++) {
		s = model_shapes[i];
		ov = override_find(s);
		if (s->pattern == NULL && ov == NULL)
			continue;
		r = &v->rules[v->n_rules++];
		r->shape = s;
		r->ov = ov;
		r->pattern = s->pattern != NULL ? s->pattern : ov->regex;
		if (r->pattern == NULL)
			continue;
		if ((r->re = pattern_new(r->pattern, &why)) == NULL) {
			*cause = xasprintf("validate: cannot compile the "
			                   "pattern of %s: %s",
			    s->name, why);
			free(why);
			goto fail;
		}
	}
	*out = v;
	return 0;
fail:
	validator_free(v);
	return -1;
}

void
validator_free(struct validator *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n_rules; i++)
		pattern_free(v->rules[i].re);
	free(v->rules);
	matcher_free(v->m);
	free(v);
}

static const struct shape_rule *
rule_find(const struct validator *v, const struct model_shape *s)
{
	size_t i;

	for (i = 0; i < v->n_rules; i++) {
		if (v->rules[i].shape == s)
			return &v->rules[i];
	}
	return NULL;
}

/* The model's limits, or the override's where the model has none. */
static struct limits
limits_of(const struct shape_rule *r, const struct model_shape *s)
{
	struct limits l = {s->has_min, s->has_max, s->min, s->max};

	if (r != NULL && r->ov != NULL) {
		if (!l.has_min && r->ov->has_min) {
			l.has_min = true;
			l.min = r->ov->min;
		}
		if (!l.has_max && r->ov->has_max) {
			l.has_max = true;
			l.max = r->ov->max;
		}
	}
	return l;
}

static bool
is_scalar(const struct model_shape *s)
{
	return s->type != MODEL_STRUCTURE && s->type != MODEL_LIST &&
	       s->type != MODEL_MAP;
}

static bool
is_ecr_style(const struct walk *w, const struct shape_rule *r)
{
	return !w->is_coral && r != NULL && r->ov != NULL &&
	       r->ov->style == STYLE_ECR;
}

/* Classic operations report the first violation only. */
static bool
wants_more(const struct walk *w)
{
	return w->is_coral || w->n_violations == 0;
}

static void render(struct sbuf *, struct json_object *, int);

static void
render_object(struct sbuf *sb, struct json_object *o, int depth)
{
	const char *sep = "";

	sb_adds(sb, "{");
	json_object_object_foreach(o, key, val)
	{
		if (sb->is_full)
			break;
		sb_addf(sb, "%s%s=", sep, key);
		render(sb, val, depth + 1);
		sep = ", ";
	}
	sb_adds(sb, "}");
}

/* Quote a JSON value Java-style ("[a, b]", "{k=v}"), bounded. */
static void
render(struct sbuf *sb, struct json_object *o, int depth)
{
	const char *s, *sep = "";
	size_t i, n, len;

	if (sb->is_full)
		return;
	if (depth > RENDER_DEPTH) {
		sb_adds(sb, "...");
		return;
	}
	switch (json_object_get_type(o)) {
	case json_type_null:
		sb_adds(sb, "null");
		break;
	case json_type_boolean:
		sb_adds(sb, json_object_get_boolean(o) ? "true" : "false");
		break;
	case json_type_int:
		sb_addf(sb, "%" PRId64, json_object_get_int64(o));
		break;
	case json_type_double:
		sb_addf(sb, "%g", json_object_get_double(o));
		break;
	case json_type_string:
		/* Leave out NULs: the message is a C string. */
		s = json_object_get_string(o);
		len = (size_t)json_object_get_string_len(o);
		for (i = 0; i < len && !sb->is_full; i += n + 1) {
			n = strnlen(s + i, len - i);
			sb_addn(sb, s + i, n);
		}
		break;
	case json_type_array:
		sb_adds(sb, "[");
		n = json_object_array_length(o);
		for (i = 0; i < n && !sb->is_full; i++) {
			sb_adds(sb, sep);
			render(sb, json_object_array_get_idx(o, i), depth + 1);
			sep = ", ";
		}
		sb_adds(sb, "]");
		break;
	case json_type_object:
		render_object(sb, o, depth);
		break;
	}
}

/* Quote o for a Coral message: 'value', cut short at VALUE_MAX bytes. */
static void
add_value(struct sbuf *msg, struct json_object *o)
{
	char buf[VALUE_MAX + 1];
	struct sbuf sb;
	size_t len;

	if (o == NULL) {
		sb_adds(msg, "null");
		return;
	}
	sb_init(&sb, buf, sizeof buf);
	render(&sb, o, 0);
	len = sb.len;
	if (sb.is_full) {
		/* Do not end inside a UTF-8 sequence. */
		while (len > 0 && ((unsigned char)buf[len - 1] & 0xc0) == 0x80)
			len--;
		if (len > 0 && (unsigned char)buf[len - 1] >= 0xc0)
			len--;
	}
	sb_adds(msg, "'");
	sb_addn(msg, buf, len);
	sb_adds(msg, sb.is_full ? "...'" : "'");
}

/*
 * Record a violation at the current path. value is what is quoted (NULL:
 * absent); ov may replace InvalidParameterException in classic operations.
 */
static void
report(struct walk *w, struct json_object *value, const char *detail,
    const struct shape_override *ov)
{
	if (!wants_more(w))
		return;
	w->n_violations++;
	if (w->is_coral) {
		if (w->n_violations > 1)
			sb_adds(&w->msg, "; ");
		sb_adds(&w->msg, "Value ");
		add_value(&w->msg, value);
		sb_addf(&w->msg, " at '%s' failed to satisfy constraint: %s",
		    w->path.p, detail);
	} else if (ov != NULL && ov->code != ERR_NONE) {
		w->code = ov->code;
		sb_adds(&w->msg, ov->message);
	} else {
		w->code = ERR_INVALID_PARAMETER;
		sb_addf(&w->msg,
		    "Invalid parameter at '%s' failed to satisfy "
		    "constraint: '%s'",
		    w->path.p, detail);
	}
}

static void
add_enum_set(struct sbuf *d, const struct model_shape *s)
{
	size_t i;

	sb_adds(d, "Member must satisfy enum value set: [");
	for (i = 0; i < s->n_enums; i++)
		sb_addf(d, "%s%s", i > 0 ? ", " : "", s->enums[i]);
	sb_adds(d, "]");
}

/* The wording of one fault of a plain value. */
static void
add_detail(struct sbuf *d, bool is_ecr, const struct shape_rule *r,
    const struct model_shape *s, unsigned int fault)
{
	struct limits l = limits_of(r, s);
	const char *member = is_ecr ? "" : "Member ";
	const char *what;

	what = s->type == MODEL_INTEGER || s->type == MODEL_LONG ||
	               s->type == MODEL_DOUBLE
	           ? "value"
	           : "length";
	switch (fault) {
	case F_MIN:
		sb_addf(d, "%smust have %s greater than or equal to %" PRId64,
		    member, what, l.min);
		break;
	case F_MAX:
		sb_addf(d, "%smust have %s less than or equal to %" PRId64,
		    member, what, l.max);
		break;
	case F_PATTERN:
		if (is_ecr)
			sb_addf(d, "must satisfy regular expression '%s'",
			    r->ov->regex != NULL ? r->ov->regex : r->pattern);
		else
			sb_addf(d,
			    "Member must satisfy regular expression "
			    "pattern: %s",
			    r->pattern);
		break;
	case F_ENUM:
		add_enum_set(d, s);
		break;
	}
}

/*
 * Coral's wording for the members of a list or map: every constraint the
 * member shape has, maximum first, as in "[Member must have length less
 * than or equal to 256, Member must have length greater than or equal to
 * 0, Member must satisfy regular expression pattern: ...]".
 */
static void
add_wrapped(struct sbuf *d, const char *prefix, const struct shape_rule *r,
    const struct model_shape *s, bool has_null)
{
	struct limits l = limits_of(r, s);
	const char *sep = "";

	sb_addf(d, "%s must satisfy constraint: [", prefix);
	if (has_null) {
		sb_adds(d, "Member must not be null");
		sep = ", ";
	}
	if (l.has_max) {
		sb_adds(d, sep);
		add_detail(d, false, r, s, F_MAX);
		sep = ", ";
	}
	if (l.has_min) {
		sb_adds(d, sep);
		add_detail(d, false, r, s, F_MIN);
		sep = ", ";
	}
	if (r != NULL && r->pattern != NULL) {
		sb_adds(d, sep);
		add_detail(d, false, r, s, F_PATTERN);
		sep = ", ";
	}
	if (s->n_enums > 0) {
		sb_adds(d, sep);
		add_detail(d, false, r, s, F_ENUM);
	}
	sb_adds(d, "]");
}

static const char *
type_name(enum model_type t)
{
	switch (t) {
	case MODEL_STRUCTURE:
	case MODEL_MAP:
		return "an object";
	case MODEL_LIST:
		return "an array";
	case MODEL_STRING:
		return "a string";
	case MODEL_INTEGER:
	case MODEL_LONG:
		return "an integer";
	case MODEL_BOOLEAN:
		return "a boolean";
	case MODEL_DOUBLE:
	case MODEL_TIMESTAMP:
		return "a number";
	case MODEL_BLOB:
		return "a base64 string";
	}
	return "another type";
}

static int
type_error(struct walk *w, const struct model_shape *s)
{
	return ecr_error_set(w->err, ERR_SERIALIZATION, SERIALIZATION_FMT,
	    w->path.p, type_name(s->type));
}

/* Append ".name" (or "name" at the top); returns the length to pop to. */
static size_t
path_push(struct walk *w, const char *name)
{
	size_t mark = w->path.len;

	if (mark > 0)
		sb_adds(&w->path, ".");
	sb_adds(&w->path, name);
	return mark;
}

static size_t
path_push_index(struct walk *w, size_t i)
{
	size_t mark = w->path.len;

	sb_addf(&w->path, ".%zu.member", i + 1);
	return mark;
}

static void
path_pop(struct walk *w, size_t mark)
{
	sb_truncate(&w->path, mark);
	w->path.is_full = false;
}

/* Code points, not bytes (1.2): the parser has checked the UTF-8. */
static int64_t
utf8_length(const char *s, size_t len)
{
	int64_t n = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	}
	return n;
}

static const bool b64_alphabet[256] = {
    ['A'] = 1,
    ['B'] = 1,
    ['C'] = 1,
    ['D'] = 1,
    ['E'] = 1,
    ['F'] = 1,
    ['G'] = 1,
    ['H'] = 1,
    ['I'] = 1,
    ['J'] = 1,
    ['K'] = 1,
    ['L'] = 1,
    ['M'] = 1,
    ['N'] = 1,
    ['O'] = 1,
    ['P'] = 1,
    ['Q'] = 1,
    ['R'] = 1,
    ['S'] = 1,
    ['T'] = 1,
    ['U'] = 1,
    ['V'] = 1,
    ['W'] = 1,
    ['X'] = 1,
    ['Y'] = 1,
    ['Z'] = 1,
    ['a'] = 1,
    ['b'] = 1,
    ['c'] = 1,
    ['d'] = 1,
    ['e'] = 1,
    ['f'] = 1,
    ['g'] = 1,
    ['h'] = 1,
    ['i'] = 1,
    ['j'] = 1,
    ['k'] = 1,
    ['l'] = 1,
    ['m'] = 1,
    ['n'] = 1,
    ['o'] = 1,
    ['p'] = 1,
    ['q'] = 1,
    ['r'] = 1,
    ['s'] = 1,
    ['t'] = 1,
    ['u'] = 1,
    ['v'] = 1,
    ['w'] = 1,
    ['x'] = 1,
    ['y'] = 1,
    ['z'] = 1,
    ['0'] = 1,
    ['1'] = 1,
    ['2'] = 1,
    ['3'] = 1,
    ['4'] = 1,
    ['5'] = 1,
    ['6'] = 1,
    ['7'] = 1,
    ['8'] = 1,
    ['9'] = 1,
    ['+'] = 1,
    ['/'] = 1,
};

/* Standard base64 with padding: the shape only, nothing decoded. */
static bool
is_base64(const char *s, size_t len, int64_t *decoded)
{
	size_t i, pad = 0;

	if (len % 4 != 0)
		return false;
	if (len > 0 && s[len - 1] == '=')
		pad++;
	if (len > 1 && s[len - 2] == '=')
		pad++;
	/* A table, not a chain of ranges: blobs run to 27 MB. */
	for (i = 0; i < len - pad; i++)
		if (!b64_alphabet[(unsigned char)s[i]])
			return false;
	*decoded = (int64_t)(len / 4 * 3 - pad);
	return true;
}

static bool
in_enum(const struct model_shape *s, const char *str, size_t len)
{
	size_t i;

	for (i = 0; i < s->n_enums; i++) {
		if (strlen(s->enums[i]) == len &&
		    memcmp(s->enums[i], str, len) == 0)
			return true;
	}
	return false;
}

static unsigned int
length_faults(const struct limits *l, int64_t n)
{
	if (l->has_min && n < l->min)
		return F_MIN;
	if (l->has_max && n > l->max)
		return F_MAX;
	return 0;
}

/*
 * The faults of a string. A value over its maximum length is not also
 * matched against its pattern: that bounds regex work, at the cost of one
 * fewer Coral error. A NUL inside fails, as it did when POSIX regexec
 * checked the C string (Java would match it against the pattern).
 */
static unsigned int
string_faults(const struct walk *w, const struct shape_rule *r,
    const struct model_shape *s, const char *str, size_t len)
{
	struct limits l = limits_of(r, s);
	unsigned int faults;

	faults = length_faults(&l, utf8_length(str, len));
	if (r != NULL && r->re != NULL && faults != F_MAX &&
	    !(w->is_entry_op && r->ov != NULL && r->ov->is_entry_checked) &&
	    (len > REGEX_INPUT_MAX || strlen(str) != len ||
	        !pattern_matches(r->re, w->v->m, str, len)))
		faults |= F_PATTERN;
	if (s->n_enums > 0 && !in_enum(s, str, len))
		faults |= F_ENUM;
	return faults;
}

/* Type-check a plain value and find its faults; -1 on a type mismatch. */
static int
scalar_faults(const struct walk *w, const struct shape_rule *r,
    const struct model_shape *s, struct json_object *o, unsigned int *faults)
{
	struct limits l = limits_of(r, s);
	int64_t n;

	*faults = 0;
	switch (s->type) {
	case MODEL_STRING:
		if (!json_object_is_type(o, json_type_string))
			return -1;
		*faults = string_faults(w, r, s, json_object_get_string(o),
		    (size_t)json_object_get_string_len(o));
		return 0;
	case MODEL_BLOB:
		if (o != NULL && o == w->streamed) {
			if ((n = w->streamed_len) < 0)
				return -1;
		} else if (!json_object_is_type(o, json_type_string) ||
		           !is_base64(json_object_get_string(o),
		               (size_t)json_object_get_string_len(o), &n))
			return -1;
		*faults = length_faults(&l, n);
		return 0;
	case MODEL_INTEGER:
	case MODEL_LONG:
		if (!json_object_is_type(o, json_type_int))
			return -1;
		n = json_object_get_int64(o);
		/* json-c keeps big positives as uint64; Java's cannot. */
		if (n == INT64_MAX && json_object_get_uint64(o) > INT64_MAX)
			return -1;
		if (s->type == MODEL_INTEGER &&
		    (n < INT32_MIN || n > INT32_MAX))
			return -1;
		*faults = length_faults(&l, n);
		return 0;
	case MODEL_BOOLEAN:
		return json_object_is_type(o, json_type_boolean) ? 0 : -1;
	case MODEL_DOUBLE:
	case MODEL_TIMESTAMP:
		return json_object_is_type(o, json_type_int) ||
		               json_object_is_type(o, json_type_double)
		           ? 0
		           : -1;
	default:
		return -1;
	}
}

static int check_value(struct walk *, const struct model_shape *,
    struct json_object *);

static int
check_scalar(struct walk *w, const struct model_shape *s, struct json_object *o)
{
	const struct shape_rule *r = rule_find(w->v, s);
	char buf[DETAIL_SIZE];
	struct sbuf d;
	unsigned int faults, f;

	if (scalar_faults(w, r, s, o, &faults) != 0)
		return type_error(w, s);
	for (f = F_MIN; f <= F_ENUM && wants_more(w); f <<= 1) {
		if ((faults & f) == 0)
			continue;
		sb_init(&d, buf, sizeof buf);
		add_detail(&d, is_ecr_style(w, r), r, s, f);
		report(w, o, buf, r != NULL ? r->ov : NULL);
	}
	return 0;
}

static unsigned int
first_fault(unsigned int faults)
{
	return faults & -faults;
}

/*
 * A list of plain values: type-check every member, and report the faults
 * once, at the list's path. In ECR style, the first bad member's first
 * fault, as ECR's own check would word it.
 */
static int
check_scalar_members(struct walk *w, const struct model_shape *s,
    struct json_object *o)
{
	const struct model_shape *ms = s->list_member;
	const struct shape_rule *r = rule_find(w->v, ms);
	struct json_object *m;
	char buf[DETAIL_SIZE];
	struct sbuf d;
	size_t i, n, mark;
	unsigned int faults, first = 0;
	bool has_null = false, is_bad = false;

	n = json_object_array_length(o);
	for (i = 0; i < n; i++) {
		if ((m = json_object_array_get_idx(o, i)) == NULL) {
			has_null = true;
			is_bad = true;
			continue;
		}
		mark = path_push_index(w, i);
		if (scalar_faults(w, r, ms, m, &faults) != 0)
			return type_error(w, ms);
		path_pop(w, mark);
		if (faults != 0 && !is_bad)
			first = first_fault(faults);
		if (faults != 0)
			is_bad = true;
	}
	if (!is_bad || !wants_more(w))
		return 0;
	sb_init(&d, buf, sizeof buf);
	if (is_ecr_style(w, r) && first != 0)
		add_detail(&d, true, r, ms, first);
	else
		add_wrapped(&d, "Member", r, ms, has_null);
	report(w, o, buf, r != NULL ? r->ov : NULL);
	return 0;
}

/* The length of a list or map against its limits. */
static void
check_count(struct walk *w, const struct model_shape *s, struct json_object *o,
    size_t count)
{
	const struct shape_rule *r = rule_find(w->v, s);
	struct limits l = limits_of(r, s);
	char buf[DETAIL_SIZE];
	struct sbuf d;
	unsigned int f;

	if ((f = length_faults(&l, (int64_t)count)) == 0 || !wants_more(w))
		return;
	sb_init(&d, buf, sizeof buf);
	add_detail(&d, false, r, s, f);
	report(w, o, buf, r != NULL ? r->ov : NULL);
}

static int
check_list(struct walk *w, const struct model_shape *s, struct json_object *o)
{
	struct json_object *m;
	size_t i, n, mark;

	if (!json_object_is_type(o, json_type_array))
		return type_error(w, s);
	n = json_object_array_length(o);
	check_count(w, s, o, n);
	if (is_scalar(s->list_member))
		return check_scalar_members(w, s, o);
	for (i = 0; i < n; i++) {
		mark = path_push_index(w, i);
		if ((m = json_object_array_get_idx(o, i)) == NULL)
			report(w, NULL, "Member must not be null", NULL);
		else if (check_value(w, s->list_member, m) != 0)
			return -1;
		path_pop(w, mark);
	}
	return 0;
}

/*
 * Maps are reported Coral-style at the map's path ("Map key must satisfy
 * constraint: [...]"); values that are not plain are walked at
 * "<map>.<key>". No input of the current model has a map.
 */
static int
check_map(struct walk *w, const struct model_shape *s, struct json_object *o)
{
	const struct shape_rule *kr, *vr;
	char buf[DETAIL_SIZE];
	struct sbuf d;
	size_t mark;
	unsigned int faults;
	bool is_bad_key = false, is_bad_val = false;
	bool has_null = false;

	if (!json_object_is_type(o, json_type_object))
		return type_error(w, s);
	check_count(w, s, o, (size_t)json_object_object_length(o));
	kr = rule_find(w->v, s->map_key);
	vr = rule_find(w->v, s->map_value);
	json_object_object_foreach(o, k, val)
	{
		mark = path_push(w, k);
		if (s->map_key->type == MODEL_STRING &&
		    string_faults(w, kr, s->map_key, k, strlen(k)) != 0)
			is_bad_key = true;
		if (val == NULL) {
			has_null = true;
			is_bad_val = true;
		} else if (is_scalar(s->map_value)) {
			if (scalar_faults(w, vr, s->map_value, val, &faults) !=
			    0)
				return type_error(w, s->map_value);
			is_bad_val = is_bad_val || faults != 0;
		} else if (check_value(w, s->map_value, val) != 0)
			return -1;
		path_pop(w, mark);
	}
	if (is_bad_key && wants_more(w)) {
		sb_init(&d, buf, sizeof buf);
		add_wrapped(&d, "Map key", kr, s->map_key, false);
		report(w, o, buf, NULL);
	}
	if (is_bad_val && wants_more(w)) {
		sb_init(&d, buf, sizeof buf);
		add_wrapped(&d, "Map value", vr, s->map_value, has_null);
		report(w, o, buf, NULL);
	}
	return 0;
}

static int
check_struct(struct walk *w, const struct model_shape *s, struct json_object *o)
{
	const struct model_member *m;
	struct json_object *v;
	size_t i, mark;

	if (!json_object_is_type(o, json_type_object))
		return type_error(w, s);
	for (i = 0; i < s->n_members; i++) {
		m = &s->members[i];
		mark = path_push(w, m->name);
		/* json-c holds a JSON null as NULL: absent (1.1). */
		if (!json_object_object_get_ex(o, m->name, &v) || v == NULL) {
			if (m->required)
				report(w, NULL, "Member must not be null",
				    NULL);
		} else if (check_value(w, m->shape, v) != 0)
			return -1;
		path_pop(w, mark);
	}
	return 0;
}

static int
check_value(struct walk *w, const struct model_shape *s, struct json_object *o)
{
	switch (s->type) {
	case MODEL_STRUCTURE:
		return check_struct(w, s, o);
	case MODEL_LIST:
		return check_list(w, s, o);
	case MODEL_MAP:
		return check_map(w, s, o);
	default:
		return check_scalar(w, s, o);
	}
}

int
validate_request(const struct validator *v, const struct model_op *op,
    struct json_object *in, struct ecr_error *err)
{
	return validate_request_streamed(v, op, in, NULL, 0, err);
}

int
validate_request_streamed(const struct validator *v, const struct model_op *op,
    struct json_object *in, const struct json_object *streamed,
    int64_t streamed_len, struct ecr_error *err)
{
	struct walk w;

	memset(&w, 0, sizeof w);
	w.v = v;
	w.streamed = streamed;
	w.streamed_len = streamed_len;
	w.is_coral = is_listed(op->name, coral_ops, nitems(coral_ops));
	w.is_entry_op = is_listed(op->name, entry_ops, nitems(entry_ops));
	w.err = err;
	sb_init(&w.path, w.path_buf, sizeof w.path_buf);
	sb_init(&w.msg, w.msg_buf, sizeof w.msg_buf);
	/* Type mismatches win, as Coral reads the whole body first. */
	if (check_value(&w, op->input, in) != 0)
		return -1;
	if (w.n_violations == 0)
		return 0;
	if (w.is_coral)
		return ecr_error_set(err, ERR_VALIDATION,
		    "%d validation "
		    "error%s detected: %s",
		    w.n_violations, w.n_violations == 1 ? "" : "s", w.msg_buf);
	return ecr_error_set(err, w.code, "%s", w.msg_buf);
}
