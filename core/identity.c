/*
 * Who is calling: the SigV4 Authorization header names the access key
 * (hence the account) and the region; strict mode also checks the signature
 * against the credentials file (docs/ecr-behaviour.md 1.6).
 */
#include "core/core_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/creds.h"
#include "auth/sigv4.h"
#include "common/str.h"

bool
core_is_account_id(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
	}
	return i == 12;
}

bool
core_is_region(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '-')
			return false;
	}
	return i >= 2 && i <= 25;
}

static int
sigv4_to_ecr(struct call *call, int rc, char *cause)
{
	enum ecr_errcode code;

	switch (rc) {
	case SIGV4_MISSING:
		code = ERR_MISSING_AUTHENTICATION_TOKEN;
		break;
	case SIGV4_INCOMPLETE:
	case SIGV4_MALFORMED:
		code = ERR_INCOMPLETE_SIGNATURE;
		break;
	default:
		code = ERR_INVALID_SIGNATURE;
		break;
	}
	core_fail(call, code, "%s",
	    cause != NULL ? cause : "The request signature is invalid.");
	free(cause);
	return -1;
}

static void
identify_root(struct call *call, const char *account)
{
	str_copy(call->id.account, sizeof call->id.account, account);
	snprintf(call->id.principal_arn, sizeof call->id.principal_arn,
	    "arn:aws:iam::%s:root", account);
}

/* Strict mode: the key must be known and the signature right. */
static int
identify_strict(struct call *call, const struct sigv4_request *sr,
    const struct sigv4_auth *auth)
{
	const struct cred *cred;
	char *cause = NULL;
	int rc;

	cred = call->ctx->cfg.creds == NULL
	           ? NULL
	           : creds_find(call->ctx->cfg.creds, auth->access_key);
	if (cred == NULL ||
	    (cred->session_token != NULL &&
	        (auth->security_token == NULL ||
	            strcmp(cred->session_token, auth->security_token) != 0)))
		return core_fail(call, ERR_UNRECOGNIZED_CLIENT, "%s",
		    "The security token included in the request is invalid.");
	/* Signatures carry the real time, whatever the emulator's clock. */
	rc = sigv4_verify_cached(sr, auth, cred->secret_access_key, "ecr",
	    (time_t)(core_real_ms() / 1000), call->ctx->sigv4_keys, &cause);
	if (rc != 0)
		return sigv4_to_ecr(call, rc, cause);
	str_copy(call->id.account, sizeof call->id.account, cred->account);
	str_copy(call->id.principal_arn, sizeof call->id.principal_arn,
	    cred->arn);
	return 0;
}

int
core_identify(struct call *call, const struct sigv4_request *sr)
{
	const struct core_config *cfg = &call->ctx->cfg;
	struct sigv4_auth auth;
	const struct cred *cred;
	char *cause = NULL;
	int rc;

	rc = sigv4_parse(sr, &auth, &cause);
	if (rc == SIGV4_MISSING && !cfg->is_strict) {
		/* Unsigned calls (curl) are welcome in permissive mode. */
		free(cause);
		str_copy(call->id.region, sizeof call->id.region,
		    cfg->default_region);
		identify_root(call, cfg->default_account);
		return 0;
	}
	if (rc != 0)
		return sigv4_to_ecr(call, rc, cause);
	if (!core_is_region(auth.region))
		return core_fail(call, ERR_INVALID_SIGNATURE, "%s",
		    "Credential should be scoped to a valid region.");
	str_copy(call->id.region, sizeof call->id.region, auth.region);
	str_copy(call->id.access_key, sizeof call->id.access_key,
	    auth.access_key);
	if (cfg->is_strict)
		return identify_strict(call, sr, &auth);
	/* A 12-digit key is that account, as LocalStack does. */
	if (core_is_account_id(auth.access_key))
		identify_root(call, auth.access_key);
	else if (cfg->creds != NULL &&
	         (cred = creds_find(cfg->creds, auth.access_key)) != NULL) {
		str_copy(call->id.account, sizeof call->id.account,
		    cred->account);
		str_copy(call->id.principal_arn, sizeof call->id.principal_arn,
		    cred->arn);
	} else
		identify_root(call, cfg->default_account);
	return 0;
}

int
core_scope(const struct core_ctx *ctx, const struct sigv4_request *sr,
    char account[13], char region[CORE_SCOPE_REGION_SIZE])
{
	const struct core_config *cfg = &ctx->cfg;
	struct sigv4_auth auth;
	const struct cred *cred;
	char *cause = NULL;
	int rc;

	rc = sigv4_parse(sr, &auth, &cause);
	free(cause);
	if (rc == SIGV4_MISSING && !cfg->is_strict) {
		str_copy(account, 13, cfg->default_account);
		return str_copy(region, CORE_SCOPE_REGION_SIZE,
		    cfg->default_region);
	}
	if (rc != 0 || !core_is_region(auth.region))
		return -1;
	/* core_identify's choices, in its order. */
	cred =
	    cfg->creds == NULL ? NULL : creds_find(cfg->creds, auth.access_key);
	if (!cfg->is_strict && core_is_account_id(auth.access_key))
		str_copy(account, 13, auth.access_key);
	else if (cred != NULL)
		str_copy(account, 13, cred->account);
	else if (!cfg->is_strict)
		str_copy(account, 13, cfg->default_account);
	else
		return -1;
	return str_copy(region, CORE_SCOPE_REGION_SIZE, auth.region);
}
