/*
 * The version orderings OSV's ECOSYSTEM ranges use for OS packages:
 * dpkg's (Debian, Ubuntu) and apk's (Alpine), as docs/scanning.md
 * describes them.
 */
#include "core/scan.h"

#include <stdbool.h>
#include <string.h>

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
sign(int v)
{
	return (v > 0) - (v < 0);
}

/*
 * dpkg's weight of a character in a non-digit run: '~' sorts before
 * everything, the end of the string and digits next, then letters, then
 * everything else (deb-version(7)).
 */
static int
dpkg_order(int c)
{
	if (c == '~')
		return -1;
	if (c == '\0' || is_digit(c))
		return 0;
	if (is_alpha(c))
		return c;
	return c + 256;
}

/*
 * Compare [a, a_end) with [b, b_end) as dpkg compares an upstream version
 * or a revision: alternating non-digit runs (by dpkg_order) and digit
 * runs (numerically, of any length).
 */
static int
dpkg_verrevcmp(const char *a, const char *a_end, const char *b,
    const char *b_end)
{
	int ac, bc, first_diff;

	while (a < a_end || b < b_end) {
		while ((a < a_end && !is_digit(*a)) ||
		       (b < b_end && !is_digit(*b))) {
			ac = dpkg_order(a < a_end ? *a : '\0');
			bc = dpkg_order(b < b_end ? *b : '\0');
			if (ac != bc)
				return sign(ac - bc);
			a++;
			b++;
		}
		while (a < a_end && *a == '0')
			a++;
		while (b < b_end && *b == '0')
			b++;
		first_diff = 0;
		while (a < a_end && b < b_end && is_digit(*a) && is_digit(*b)) {
			if (first_diff == 0)
				first_diff = *a - *b;
			a++;
			b++;
		}
		if (a < a_end && is_digit(*a))
			return 1;
		if (b < b_end && is_digit(*b))
			return -1;
		if (first_diff != 0)
			return sign(first_diff);
	}
	return 0;
}

/* A dpkg version split into [epoch:]upstream[-revision]. */
struct dpkg_ver {
	const char *epoch, *epoch_end;
	const char *up, *up_end;
	const char *rev, *rev_end;
};

static void
dpkg_split(const char *s, struct dpkg_ver *v)
{
	const char *colon = strchr(s, ':');
	const char *end = s + strlen(s);
	const char *dash;

	v->epoch = v->epoch_end = s;
	if (colon != NULL) {
		v->epoch_end = colon;
		s = colon + 1;
	}
	v->up = s;
	dash = strrchr(s, '-');
	if (dash != NULL) {
		v->up_end = dash;
		v->rev = dash + 1;
	} else {
		v->up_end = end;
		v->rev = end;
	}
	v->rev_end = end;
}

/* Epochs are numbers of any length: compare them as digit strings. */
static int
dpkg_epoch_cmp(const struct dpkg_ver *a, const struct dpkg_ver *b)
{
	const char *x = a->epoch, *y = b->epoch;
	size_t xl, yl;

	while (x < a->epoch_end && *x == '0')
		x++;
	while (y < b->epoch_end && *y == '0')
		y++;
	xl = (size_t)(a->epoch_end - x);
	yl = (size_t)(b->epoch_end - y);
	if (xl != yl)
		return xl < yl ? -1 : 1;
	return sign(memcmp(x, y, xl));
}

int
dpkg_version_cmp(const char *a, const char *b)
{
	struct dpkg_ver va, vb;
	int rc;

	dpkg_split(a, &va);
	dpkg_split(b, &vb);
	if ((rc = dpkg_epoch_cmp(&va, &vb)) != 0)
		return rc;
	if ((rc = dpkg_verrevcmp(va.up, va.up_end, vb.up, vb.up_end)) != 0)
		return rc;
	return dpkg_verrevcmp(va.rev, va.rev_end, vb.rev, vb.rev_end);
}

/*
 * apk's tokens, in the rank order its comparison uses when two versions
 * reach different kinds of token: digits < letter < suffix < suffix
 * number < commit hash < revision < end < invalid.
 */
enum apk_tok {
	APK_DIGIT,
	APK_LETTER,
	APK_SUFFIX,
	APK_SUFFIX_NO,
	APK_HASH,
	APK_REVISION,
	APK_END,
	APK_INVALID
};

/* Suffixes in order; those before "" (no suffix) are pre-releases. */
static const char *const apk_suffixes[] = {
    "alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p"};
#define APK_SUFFIX_NONE 4

struct apk_cursor {
	const char *p;
	enum apk_tok kind; /* of the token at p */
	const char *tok;   /* its text (without '.', '_', '~' or "-r") */
	size_t tok_len;
	int suffix; /* index in apk_suffixes when kind is APK_SUFFIX */
	bool is_first;
};

static size_t
span(const char *p, bool (*in)(int))
{
	size_t n = 0;

	while (p[n] != '\0' && in((unsigned char)p[n]))
		n++;
	return n;
}

static bool
is_lower(int c)
{
	return c >= 'a' && c <= 'z';
}

static bool
is_alnum(int c)
{
	return is_digit(c) || is_alpha(c);
}

static bool
is_hex(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

static int
apk_suffix_index(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(apk_suffixes) / sizeof(apk_suffixes[0]); i++)
		if (i != APK_SUFFIX_NONE && strlen(apk_suffixes[i]) == len &&
		    memcmp(apk_suffixes[i], s, len) == 0)
			return (int)i;
	return -1;
}

/*
 * Classify the token at c->p, given the kind of the one before it (apk's
 * grammar: digits{.digits}[letter]{_suffix[number]}[~hash][-rN]); a token
 * out of that order is APK_INVALID.
 */
static void
apk_classify(struct apk_cursor *c, enum apk_tok prev)
{
	const char *p = c->p;
	enum apk_tok k = APK_INVALID;
	size_t skip = 0;

	if (*p == '\0')
		k = APK_END;
	else if (c->is_first && is_digit(*p))
		k = APK_DIGIT;
	else if (prev == APK_DIGIT && is_lower(*p))
		k = APK_LETTER;
	else if (prev == APK_SUFFIX && is_digit(*p))
		k = APK_SUFFIX_NO;
	else if (*p == '.' && is_digit(p[1]) && prev == APK_DIGIT)
		k = APK_DIGIT;
	else if (*p == '_' && is_lower(p[1]) && prev <= APK_SUFFIX_NO)
		k = APK_SUFFIX;
	else if (*p == '~' && is_hex(p[1]) && prev < APK_HASH)
		k = APK_HASH;
	else if (p[0] == '-' && p[1] == 'r' && is_digit(p[2]) &&
	         prev < APK_REVISION)
		k = APK_REVISION;
	/* Separators ('.', '_', '~', "-r") are not part of the value. */
	if (k == APK_REVISION)
		skip = 2;
	else if (k != APK_END && k != APK_INVALID && !is_alnum(*p))
		skip = 1;
	c->kind = k;
	c->tok = p + skip;
	switch (k) {
	case APK_DIGIT:
	case APK_SUFFIX_NO:
	case APK_REVISION:
		c->tok_len = span(c->tok, is_digit);
		break;
	case APK_LETTER:
		c->tok_len = 1;
		break;
	case APK_SUFFIX:
		c->tok_len = span(c->tok, is_lower);
		if ((c->suffix = apk_suffix_index(c->tok, c->tok_len)) < 0)
			c->kind = APK_INVALID;
		break;
	case APK_HASH:
		c->tok_len = span(c->tok, is_hex);
		break;
	default:
		c->tok_len = 0;
		break;
	}
}

/* Compare digit strings as numbers of any length. */
static int
apk_numcmp(const char *a, size_t al, const char *b, size_t bl)
{
	while (al > 0 && *a == '0') {
		a++;
		al--;
	}
	while (bl > 0 && *b == '0') {
		b++;
		bl--;
	}
	if (al != bl)
		return al < bl ? -1 : 1;
	return sign(memcmp(a, b, al));
}

/* Compare strings as text: a proper prefix sorts first. */
static int
apk_lexcmp(const char *a, size_t al, const char *b, size_t bl)
{
	int rc = memcmp(a, b, al < bl ? al : bl);

	if (rc != 0)
		return sign(rc);
	return al < bl ? -1 : al > bl;
}

/* Two tokens of the same kind. */
static int
apk_tokcmp(const struct apk_cursor *a, const struct apk_cursor *b)
{
	switch (a->kind) {
	case APK_DIGIT:
		/*
		 * After a dot, a leading zero makes the part a decimal
		 * fraction: 1.02 < 1.1 and 1.010 > 1.01 (apk's Gentoo rule).
		 */
		if (!a->is_first && (a->tok[0] == '0' || b->tok[0] == '0'))
			return apk_lexcmp(a->tok, a->tok_len, b->tok,
			    b->tok_len);
		return apk_numcmp(a->tok, a->tok_len, b->tok, b->tok_len);
	case APK_SUFFIX_NO:
	case APK_REVISION:
		return apk_numcmp(a->tok, a->tok_len, b->tok, b->tok_len);
	case APK_SUFFIX:
		return sign(a->suffix - b->suffix);
	case APK_LETTER:
	case APK_HASH:
		return apk_lexcmp(a->tok, a->tok_len, b->tok, b->tok_len);
	default:
		return 0;
	}
}

static void
apk_advance(struct apk_cursor *c)
{
	enum apk_tok prev = c->kind;

	c->p = c->tok + c->tok_len;
	c->is_first = false;
	apk_classify(c, prev);
}

int
apk_version_cmp(const char *a, const char *b)
{
	struct apk_cursor ca = {.p = a, .is_first = true};
	struct apk_cursor cb = {.p = b, .is_first = true};
	int rc;

	apk_classify(&ca, APK_END);
	apk_classify(&cb, APK_END);
	while (ca.kind == cb.kind) {
		if (ca.kind == APK_END)
			return 0;
		if (ca.kind == APK_INVALID)
			/* Both malformed at the same point: order the rest. */
			return sign(strcmp(ca.p, cb.p));
		if ((rc = apk_tokcmp(&ca, &cb)) != 0)
			return rc;
		apk_advance(&ca);
		apk_advance(&cb);
	}
	/*
	 * One version goes on where the other does not: a pre-release
	 * suffix (1.0_rc1) sorts before whatever the other has; otherwise
	 * the side that reached a later part of the grammar sooner (the
	 * end, or a revision) is the smaller: 1.2 < 1.2.1 < 1.2.1-r1.
	 */
	if (ca.kind == APK_SUFFIX && ca.suffix < APK_SUFFIX_NONE)
		return -1;
	if (cb.kind == APK_SUFFIX && cb.suffix < APK_SUFFIX_NONE)
		return 1;
	return ca.kind > cb.kind ? -1 : 1;
}
