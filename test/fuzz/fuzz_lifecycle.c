/*
 * libFuzzer harness for policy/lifecycle*: parse and validate the input as
 * a lifecycle policy; when it passes, its canonical text must parse again
 * to the same canonical text, and the policy is evaluated over a fixed set
 * of images. Failing texts get their InvalidParameterException message.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "policy/lifecycle.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define DAY LIFECYCLE_DAY_MS
#define NOW (INT64_C(1780315200000))

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const tags_a[] = {"prod-1", "latest"};
static const char *const tags_b[] = {"dev", "release-2024", "v1.0"};
static const char *const tags_c[] = {"prod-2"};

static const struct lifecycle_image images[] = {
    {"sha256:01", tags_a, N(tags_a), NOW - 400 * DAY, 0, 0, 0, false, false},
    {"sha256:02", NULL, 0, NOW - 2 * DAY, NOW - DAY, 0, 0, false, false},
    {"sha256:03", tags_b, N(tags_b), NOW - 30 * DAY, 0, 0, NOW - 200 * DAY,
        true, false},
    {"sha256:04", tags_c, N(tags_c), NOW - 30 * DAY, 0, NOW - DAY, 0, false,
        true},
    {NULL, NULL, 0, NOW - 30 * DAY, 0, 0, 0, false, false},
    {"sha256:05", NULL, 0, NOW - 30 * DAY, 0, 0, NOW - 100 * DAY, true, false},
};

/* The canonical text is itself a policy that normalises to itself. */
static void
check_round_trip(const struct lifecycle_policy *p)
{
	struct lifecycle_policy *again = NULL;
	char *cause = NULL;

	if (lifecycle_parse(p->normalised, strlen(p->normalised), &again,
	        &cause) != LIFECYCLE_OK) {
		fprintf(stderr, "canonical text refused: %s\n%s\n", cause,
		    p->normalised);
		abort();
	}
	if (strcmp(again->normalised, p->normalised) != 0) {
		fprintf(stderr, "canonical text not stable:\n%s\n%s\n",
		    p->normalised, again->normalised);
		abort();
	}
	lifecycle_free(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lifecycle_policy *p = NULL;
	struct lifecycle_action *actions = NULL;
	size_t n_actions = 0, i;
	char *text, *cause = NULL, *message;

	/* An exact-size copy: a read past len is a heap overflow ASan sees. */
	text = xmalloc(size + (size == 0));
	memcpy(text, data, size);
	if (lifecycle_parse(text, size, &p, &cause) == LIFECYCLE_OK) {
		check_round_trip(p);
		for (i = 0; i < p->n_rules; i++) {
			(void)lifecycle_action_name(p->rules[i].action);
			(void)lifecycle_storage_class_name(p->rules[i]
			                                       .storage_class);
		}
		if (lifecycle_eval(p, images, N(images), NOW, &actions,
		        &n_actions) == LIFECYCLE_OK)
			free(actions);
		lifecycle_free(p);
	} else {
		message = lifecycle_error_message(cause);
		free(message);
	}
	free(cause);
	free(text);
	return 0;
}
