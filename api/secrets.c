/*
 * The upstream credentials of pull-through cache rules: ECR reads them
 * from Secrets Manager, ecrd from the --secrets file, a JSON object that
 * maps a secret's ARN (or name) to the SecretString ECR expects,
 * {"username": ..., "accessToken": ...} (ecr-integrations.md 8).
 */
#include "api/api_int.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "common/xalloc.h"

struct api_secret {
	char *key;      /* ARN or name, as the file has it */
	char *username; /* NULL when the entry is malformed */
	char *access_token;
};

struct api_secrets {
	struct api_secret *v;
	size_t n;
};

static void
wipe_free(char *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
}

void
api_secrets_free(struct api_secrets *secrets)
{
	size_t i;

	if (secrets == NULL)
		return;
	for (i = 0; i < secrets->n; i++) {
		free(secrets->v[i].key);
		wipe_free(secrets->v[i].username);
		wipe_free(secrets->v[i].access_token);
	}
	free(secrets->v);
	free(secrets);
}

/*
 * An entry is the SecretString's object, or that object as a string, as
 * Secrets Manager shows it. One without both members is kept, so that
 * using it answers UnableToDecryptSecretValueException rather than
 * SecretNotFoundException.
 */
static void
entry_read(struct api_secret *s, struct json_object *v)
{
	struct json_object *parsed = NULL;
	const char *user, *token;

	if (json_object_is_type(v, json_type_string) &&
	    jparse_strict(json_object_get_string(v),
	        (size_t)json_object_get_string_len(v), &parsed,
	        NULL) != JPARSE_BAD)
		v = parsed;
	user = jget_str(v, "username");
	token = jget_str(v, "accessToken");
	if (user != NULL && *user != '\0' && token != NULL && *token != '\0') {
		s->username = xstrdup(user);
		s->access_token = xstrdup(token);
	}
	json_object_put(parsed);
}

int
api_secrets_parse(const char *text, size_t len, struct api_secrets **out,
    char **cause)
{
	struct api_secrets *secrets;
	struct json_object *root = NULL;

	if (jparse_strict(text, len, &root, cause) == JPARSE_BAD)
		return -1;
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		*cause = xstrdup("not a JSON object of secrets");
		return -1;
	}
	secrets = xcalloc(1, sizeof *secrets);
	secrets->v = xcalloc((size_t)json_object_object_length(root) + 1,
	    sizeof *secrets->v);
	json_object_object_foreach(root, key, v)
	{
		if (*key == '\0') {
			*cause = xstrdup("a secret with an empty name");
			json_object_put(root);
			api_secrets_free(secrets);
			return -1;
		}
		secrets->v[secrets->n].key = xstrdup(key);
		entry_read(&secrets->v[secrets->n++], v);
	}
	json_object_put(root);
	*out = secrets;
	return 0;
}

void
api_ctx_set_secrets(struct core_ctx *ctx, const struct api_secrets *secrets)
{
	ctx->cfg.secrets = secrets;
}

/* Split an ARN at ":secret:": the part before, and the name after. */
static const char *
arn_name(const char *arn, size_t *head_len)
{
	const char *p;

	if (strncmp(arn, "arn:", 4) != 0 ||
	    (p = strstr(arn, ":secret:")) == NULL)
		return NULL;
	*head_len = (size_t)(p - arn);
	return p + strlen(":secret:");
}

/* Secrets Manager ends a secret's ARN with '-' and six characters. */
static bool
is_suffixed(const char *full, const char *name)
{
	size_t len = strlen(name);

	return strlen(full) == len + 7 && strncmp(full, name, len) == 0 &&
	       full[len] == '-';
}

/*
 * Does the file's key name the secret of arn? By the full ARN, the ARN
 * without its suffix, or the secret's name (ecr-integrations.md 8).
 */
static bool
is_match(const char *key, const char *arn)
{
	const char *kname, *aname;
	size_t khead, ahead;

	if (strcmp(key, arn) == 0)
		return true;
	if ((aname = arn_name(arn, &ahead)) == NULL)
		return false;
	if ((kname = arn_name(key, &khead)) == NULL)
		kname = key;
	else if (khead != ahead || strncmp(key, arn, ahead) != 0)
		return false;
	return strcmp(kname, aname) == 0 || is_suffixed(kname, aname) ||
	       is_suffixed(aname, kname);
}

/* The words are ours [unconfirmed]: ECR's are not on record. */
int
api_secret_check(struct call *call, const char *arn)
{
	const struct api_secrets *secrets = call->ctx->cfg.secrets;
	size_t i;

	for (i = 0; secrets != NULL && i < secrets->n; i++) {
		if (!is_match(secrets->v[i].key, arn))
			continue;
		if (secrets->v[i].username == NULL)
			return core_fail(call,
			    ERR_UNABLE_TO_DECRYPT_SECRET_VALUE,
			    "The secret "
			    "'%s' does not hold a username and an "
			    "accessToken",
			    arn);
		return 0;
	}
	return core_fail(call, ERR_SECRET_NOT_FOUND,
	    "Secrets Manager can't "
	    "find the specified secret '%s'",
	    arn);
}

int
core_secret_get(const struct core_ctx *ctx, const char *arn, const char **user,
    const char **token)
{
	const struct api_secrets *secrets = ctx->cfg.secrets;
	size_t i;

	for (i = 0; secrets != NULL && i < secrets->n; i++) {
		if (!is_match(secrets->v[i].key, arn))
			continue;
		if (secrets->v[i].username == NULL)
			return -1;
		*user = secrets->v[i].username;
		*token = secrets->v[i].access_token;
		return 0;
	}
	return -1;
}
