/*
 * docker-credential-ecrd: docker's credential-helper protocol for ecrd
 * registries. `get` answers a server URL with the password ecrd's
 * GetAuthorizationToken hands out (cached until shortly before it
 * expires); `store` keeps nothing (the helper makes its own credentials);
 * `erase` forgets the cached token; `list` names the servers cached.
 * Errors go to standard output with status 1, as the protocol asks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <sodium.h>

#include "common/json.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "credhelper/credhelper.h"

static void
usage(FILE *fp)
{
	fputs("usage: docker-credential-ecrd get|store|erase|list|version\n"
	      "  A docker credential helper for ecrd: the server URL (or, for "
	      "store,\n"
	      "  docker's JSON) on standard input. See docker-credential-"
	      "ecrd(1).\n",
	    fp);
}

/* The protocol's error: the message on standard output, status 1. */
static int
fail(const char *what, char *owned_cause)
{
	printf("%s%s%s\n", what, owned_cause != NULL ? ": " : "",
	    owned_cause != NULL ? owned_cause : "");
	free(owned_cause);
	return 1;
}

static void
print_token(const char *server, const struct ch_token *tok)
{
	struct json_object *o = jnew_obj();
	char *text;

	jadd_str(o, "ServerURL", server);
	jadd_str(o, "Username", tok->username);
	jadd_str(o, "Secret", tok->password);
	text = jrender(o, NULL);
	json_object_put(o);
	puts(text);
	str_wipe_free(text);
}

static int
cmd_get(const char *input)
{
	struct ch_target t;
	struct ch_creds cr;
	struct ch_token tok;
	char *cause = NULL, *warn = NULL;
	int rc = 1;

	memset(&tok, 0, sizeof tok);
	if (ch_target_resolve(input, &t, &cause) != 0)
		return fail("docker-credential-ecrd", cause);
	if (ch_creds_load(&cr, &cause) != 0) {
		ch_target_release(&t);
		return fail("AWS credentials", cause);
	}
	if (ch_cache_get(&t, &cr, (int64_t)time(NULL), &tok) != 0) {
		if (ch_fetch(&t, &cr, &tok, &cause) != 0) {
			rc = fail("docker-credential-ecrd", cause);
			goto out;
		}
		/* A cache we cannot write costs a call per ask, no more. */
		if (ch_cache_put(&t, &cr, &tok, &warn) != 0) {
			fprintf(stderr, "docker-credential-ecrd: cache: %s\n",
			    warn);
			free(warn);
		}
	}
	print_token(t.server, &tok);
	rc = 0;
out:
	ch_token_release(&tok);
	ch_creds_release(&cr);
	ch_target_release(&t);
	return rc;
}

static int
cmd_erase(const char *input)
{
	struct ch_target t;
	char *cause = NULL;
	int rc;

	if (ch_target_resolve(input, &t, &cause) != 0)
		return fail("docker-credential-ecrd", cause);
	rc = ch_cache_erase(t.server, &cause);
	ch_target_release(&t);
	return rc == 0 ? 0 : fail("docker-credential-ecrd", cause);
}

static int
cmd_list(void)
{
	char *cause = NULL, *text = NULL;

	if (ch_cache_list(&text, &cause) != 0)
		return fail("docker-credential-ecrd", cause);
	puts(text);
	free(text);
	return 0;
}

static int
run(const char *cmd)
{
	char *input = NULL;
	int rc;

	if (strcmp(cmd, "list") == 0)
		return cmd_list();
	if (strcmp(cmd, "version") == 0) {
		printf("docker-credential-ecrd %s\n", ECRD_VERSION);
		return 0;
	}
	if (strcmp(cmd, "get") != 0 && strcmp(cmd, "store") != 0 &&
	    strcmp(cmd, "erase") != 0) {
		usage(stderr);
		return 2;
	}
	if (ch_read_fd(STDIN_FILENO, CH_INPUT_MAX, &input, NULL) != 0)
		return fail("docker-credential-ecrd: standard input unreadable "
		            "or too long",
		    NULL);
	if (strcmp(cmd, "get") == 0)
		rc = cmd_get(input);
	else if (strcmp(cmd, "erase") == 0)
		rc = cmd_erase(input);
	else
		rc = 0; /* store: ecrd's tokens are made, not stored */
	str_wipe_free(input);
	return rc;
}

int
main(int argc, char **argv)
{
	int rc;

	if (argc != 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (sodium_init() < 0 ||
	    curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return fail("docker-credential-ecrd: cannot initialise", NULL);
	rc = run(argv[1]);
	curl_global_cleanup();
	return rc;
}
